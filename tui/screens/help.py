"""The help screen: what the focused pane shows, then every key (from tui/commands.py and the pane's own)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static
from vramtui.tui.help import help_text
from vramtui.tui.keymap import COMMANDS, key_label


def keys_markdown(pane_bindings: list[Binding]) -> str:
    """A markdown table of the focused pane's keys, then every command's."""
    lines = ["| Key | Does |", "| :- | :- |"]
    for b in pane_bindings:
        lines.append(f"| `{b.key_display or b.key}` | {b.description} |")
    for c in COMMANDS:
        lines.append(f"| `{key_label(c)}` | {c.help} |")
    lines.append("| `ctrl+p` | Command palette: models, GPUs and devices, and every action. |")
    lines.append("| `tab` | Move focus to the next pane. |")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "Close help", id="help-close"),
    ]

    def __init__(self, section: str = "", pane_bindings: list[Binding] | None = None) -> None:
        super().__init__()
        self.section = section
        self.pane_bindings = pane_bindings or []

    def compose(self) -> ComposeResult:
        # The focused pane first, then every key, then what vramtui is.
        text = help_text(self.section) if self.section else ""
        text += "\n### Keys\n\n" + keys_markdown(self.pane_bindings) + "\n\n" + help_text("")
        with Vertical(id="help-box"):
            with VerticalScroll(id="help-scroll"):
                yield Markdown(text, id="help-text")
            yield Static("Escape, q or ? closes help", id="help-footer")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
