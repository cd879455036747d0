"""The runtime `y` copies the command of: llama.cpp, Ollama, vLLM or SGLang, asked once, then remembered."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.widgets.option_list import Option
from vramtui.core.launch import LaunchCommand
from vramtui.tui.widgets.nav import NavList

from vramtui.faq import TOOL_NAMES


class RuntimePicker(ModalScreen[str | None]):
    """One line per runtime; those that cannot run the selection are shown with the reason, disabled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="runtime-cancel")]

    def __init__(self, commands: tuple[LaunchCommand, ...], current: str | None = None, where: str = "",
                 assumes: dict[str, str] | None = None) -> None:
        super().__init__()
        self.commands = commands
        self.current = current
        self.where = where
        self.assumes = assumes or {}  # tool -> what its command assumes beyond the header ("for 2 × RTX 4090")

    def compose(self) -> ComposeResult:
        with Vertical(id="runtime-box"):
            yield Static("Copy the command for which runtime?" + (f"  ({self.where})" if self.where else ""))
            options = []
            for c in sorted(self.commands, key=lambda c: list(TOOL_NAMES).index(c.tool)):
                label = Text(TOOL_NAMES[c.tool], style="bold")
                if c.available and self.assumes.get(c.tool):
                    label.append(f"  {self.assumes[c.tool]}", style="italic")
                if not c.available:
                    label.append(f"  {c.notes[0] if c.notes else 'cannot run this selection'}", style="dim")
                options.append(Option(label, id=c.tool, disabled=not c.available))
            yield NavList(*options, id="runtime-list")
            yield Static("Enter copies and remembers it (R changes it) · Escape cancels", id="runtime-hint")

    def on_mount(self) -> None:
        listing = self.query_one(NavList)
        ids = [o.id for o in listing.options]
        usable = [c.tool for c in self.commands if c.available]
        first = self.current if self.current in usable else (usable[0] if usable else None)
        if first is not None:
            listing.highlighted = ids.index(first)
        listing.focus()

    @on(NavList.OptionSelected, "#runtime-list")
    def _chosen(self, event: NavList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
