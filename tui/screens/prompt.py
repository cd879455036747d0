"""Small modals: a context length (with the CLI's parser and its messages), and a model to open."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static
from vramtui.core.errors import UsageError

from vramtui.parse import parse_context


class ContextPrompt(ModalScreen[int | None]):
    """Returns the typed context in tokens ('max' gives the model's maximum), or None if cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt-cancel")]

    def __init__(self, current: int, longest: int) -> None:
        super().__init__()
        self.current, self.longest = current, longest

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Static(f"Context length (now {self.current:,}; this model holds up to {self.longest:,})")
            yield Input(placeholder="2048, 8k, 128K or max", id="prompt-input")
            yield Static("Enter to apply · Escape to cancel", id="prompt-message")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        try:
            tokens = parse_context(event.value)
        except UsageError as e:
            self.query_one("#prompt-message", Static).update(f"{e}")
            return
        # 'max' (-1), or more than the model holds, means the model's maximum.
        self.dismiss(self.longest if tokens is None or tokens == -1 else min(tokens, self.longest))

    def action_cancel(self) -> None:
        self.dismiss(None)


class OpenModelPrompt(ModalScreen[str | None]):
    """Returns a path to a config.json / folder / .gguf, or a Hugging Face repo id; None if cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="open-cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Static("Open a model: a config.json (or its folder), a .gguf file, or a Hugging Face repo id")
            yield Input(placeholder="~/models/Qwen3-8B  ·  model-Q4_K_M.gguf  ·  org/model", id="prompt-input")
            yield Static("Enter to open · Escape to cancel", id="prompt-message")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
