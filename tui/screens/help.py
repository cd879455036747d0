"""The help screen: one compact page for the focused pane, its keys, then every other key."""

from __future__ import annotations

from rich.console import Group
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static
from vramtui.tui.help import help_text
from vramtui.tui.keymap import COMMANDS, key_label
from vramtui.tui.widgets.nav import NavScroll

NAVIGATION = ("↑↓ j k", "move · g G Home End first/last · PgUp PgDn a page")
EXTRA_KEYS = (
    ("Tab", "Next pane"),
    ("⇧Tab", "Previous pane"),
    ("^p", "Palette: all"),
    ("Esc", "Leave, cancel"),
)


def key_grid(rows: list[tuple[str, str]], columns: int) -> Table:
    """Keys and what they do, in `columns` side-by-side pairs of columns."""
    grid = Table.grid(padding=(0, 1))
    key_w = max(len(k) for k, _ in rows)
    text_w = max(len(d) for _, d in rows)
    for _ in range(columns):
        grid.add_column(style="bold cyan", no_wrap=True, min_width=key_w)
        grid.add_column(no_wrap=columns > 1, min_width=min(text_w, 20) if columns > 1 else None)
    per = -(-len(rows) // columns)
    for i in range(per):
        cells: list[str] = []
        for c in range(columns):
            k = i + c * per
            cells += list(rows[k]) if k < len(rows) else ["", ""]
        grid.add_row(*cells)
    return grid


def command_rows() -> list[tuple[str, str]]:
    """Every command with a key, by its footer/palette title (keymap.py)."""
    return [(key_label(c), c.title) for c in COMMANDS if c.id not in ("next-pane", "previous-pane")]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "Close help", id="help-close"),
    ]

    def __init__(self, section: str = "", pane_bindings: list[Binding] | None = None) -> None:
        super().__init__()
        self.section = section
        self.pane_bindings = pane_bindings or []

    def page(self, width: int) -> Group:
        """The pane's section (or the introduction), its own keys, then every key in two columns."""
        text = help_text(self.section) if self.section else help_text("")
        parts: list = [Markdown(text)]
        own = [(b.key_display or b.key, b.description) for b in self.pane_bindings
               if not (b.id or "").startswith("nav-") and b.key != "escape"]
        parts.append(Text("Keys here", style="bold underline"))
        parts.append(key_grid([NAVIGATION, *own], 1))
        parts.append(Text("Everywhere", style="bold underline"))
        columns = 3 if width >= 76 else (2 if width >= 50 else 1)
        parts.append(key_grid([*command_rows(), *EXTRA_KEYS], columns))
        return Group(*parts)

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            with NavScroll(id="help-scroll"):
                yield Static(id="help-text")
            yield Static("Escape, q or ? closes help · ↑↓ scroll", id="help-footer")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def on_resize(self) -> None:
        box = self.query_one("#help-text", Static)
        box.update(self.page(box.content_size.width or self.size.width))

    def action_close(self) -> None:
        self.dismiss(None)
