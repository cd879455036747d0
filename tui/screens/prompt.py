"""Small centred modals that ask for one line: a context length, a model to open.

Both are a Prompt: the typed text is checked by `parse`; a VramtuiError is shown in
place, under the input, which keeps what was typed; Escape cancels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static
from vramtui.core.errors import UsageError, VramtuiError

from vramtui.format import one_line
from vramtui.parse import MAX, parse_context

T = TypeVar("T")


class Prompt(ModalScreen[T | None], Generic[T]):
    """Asks for one line; dismisses with `parse(text)`, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt-cancel")]

    def __init__(self, title: str, placeholder: str, hint: str, value: str = "") -> None:
        super().__init__()
        self.title_text, self.placeholder, self.hint, self.value = title, placeholder, hint, value

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Static(self.title_text)
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static(self.hint, id="prompt-message")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False

    def parse(self, text: str) -> T:
        """The value `text` stands for; raise a VramtuiError to show why it cannot be used."""
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        """`message` under the input, on one line, as plain text (a path may hold '[' or a newline)."""
        self.query_one("#prompt-message", Static).update(Text(one_line(message)))
        self.query_one("#prompt-message", Static).add_class("error")

    def show_progress(self, message: str) -> None:
        self.query_one("#prompt-message", Static).update(Text(one_line(message)))
        self.query_one("#prompt-message", Static).remove_class("error")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        self.accept(event.value)

    def accept(self, text: str) -> None:
        """Enter: dismiss with the parsed value, or show why it cannot be used (the input keeps the text)."""
        try:
            value = self.parse(text)
        except VramtuiError as e:
            self.show_error(str(e))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ContextPrompt(Prompt[int]):
    """The typed context in tokens ('max' gives the model's maximum; 'fit' the longest that fits the
    target with headroom, from `fit`). More than the model was trained for is taken as typed: the
    answer computes it and says it is beyond the trained context."""

    def __init__(self, current: int, longest: int, fit: Callable[[], int]) -> None:
        super().__init__(f"Context length (now {current:,}; this model was trained for {longest:,})",
                         "2048, 8k, 128K, max or fit", "Enter to apply · Escape to cancel")
        self.longest = longest
        self.fit = fit

    def parse(self, text: str) -> int:
        if text.strip().lower() == "fit":
            return self.fit()
        tokens = parse_context(text)
        return self.longest if tokens == MAX else tokens


class OpenModelPrompt(Prompt[Any]):
    """A path to a config.json / folder / .gguf, or a Hugging Face repo id; dismisses with the model
    read from it (a catalog.entries.ModelEntry). Reading (or fetching) runs off the UI thread; what
    goes wrong is shown under the input, which keeps what was typed."""

    def __init__(self, value: str = "", *, start: bool = False) -> None:
        super().__init__("Open a model: a config.json or its folder, a .gguf file, or a Hugging Face repo id",
                         "~/models/Qwen3-8B · model-Q4_K_M.gguf · org/model", "Enter to open · Escape to cancel",
                         value)
        self.start = start  # open `value` at once (a repo id chosen in the search list)

    def on_mount(self) -> None:
        if self.start:
            self.accept(self.value)

    def parse(self, text: str) -> str:
        if not text.strip():
            raise UsageError("type a path or an org/model repo id")
        return text.strip()

    def accept(self, text: str) -> None:
        try:
            text = self.parse(text)
        except VramtuiError as e:
            self.show_error(str(e))
            return
        self.show_progress(f"Opening {text}…")
        self._open(text)

    @work(thread=True, exclusive=True, group="open")
    def _open(self, text: str) -> None:
        from vramtui.catalog.locations import cache_dir

        from vramtui.sources import resolve_custom_model  # only when asked: file and network I/O

        try:
            entry = resolve_custom_model(text, cache_dir())
        except VramtuiError as e:
            self.app.call_from_thread(self.show_error, str(e))
            return
        if entry is None:
            self.app.call_from_thread(
                self.show_error, f"{text}: not a config.json, a folder holding one, a .gguf or an org/model repo id")
            return
        self.app.call_from_thread(self.dismiss, entry)
