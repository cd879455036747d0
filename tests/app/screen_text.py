"""Reading what a widget shows, for the app tests."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widget import Widget
from textual.widgets import DataTable, Static


def plain(widget: Widget, width: int = 200) -> str:
    """The text a Static shows (its content rendered without styles), on one wide line per line."""
    assert isinstance(widget, Static)
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()


def cell(table: DataTable, row: str, column: str) -> str:
    """A table cell's text."""
    value = table.get_cell(row, column)
    return value.plain if hasattr(value, "plain") else str(value)
