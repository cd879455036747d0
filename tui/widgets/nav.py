"""Lists, tables and scrolling text where the navigation keys always navigate.

j/k move down/up, g/Home go to the first row, G/End to the last, PgUp/PgDn a page: in every
table, list and scrolled text of the app (vim's and less's keys beside the arrows). No pane
binds these letters to anything else.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, OptionList

NAV_KEYS = ("j", "k", "g", "G", "home", "end", "pageup", "pagedown", "up", "down")


class NavTable(DataTable):
    """A row-cursor table: Home/End (and g/G) move the cursor to the first/last row, not just the view."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="nav-down"),
        Binding("k", "cursor_up", "Up", show=False, id="nav-up"),
        Binding("g,home", "first_row", "First row", show=False, id="nav-first"),
        Binding("G,end", "last_row", "Last row", show=False, id="nav-last"),
    ]

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)


class NavList(OptionList):
    """An option list with j/k and g/G beside the arrows and Home/End."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="nav-down"),
        Binding("k", "cursor_up", "Up", show=False, id="nav-up"),
        Binding("g", "first", "First", show=False, id="nav-first"),
        Binding("G", "last", "Last", show=False, id="nav-last"),
    ]


class NavScroll(VerticalScroll):
    """Scrolled text: j/k scroll a line, g/G (and Home/End) to the top/bottom."""

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False, id="nav-down"),
        Binding("k", "scroll_up", "Up", show=False, id="nav-up"),
        Binding("g", "scroll_home", "Top", show=False, id="nav-first"),
        Binding("G", "scroll_end", "Bottom", show=False, id="nav-last"),
    ]
