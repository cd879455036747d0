"""A one-line strip of clickable tabs (the pane switcher, GPUs/devices): no focus, no extra rows."""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class TabStrip(Widget):
    """Shows `labels` (id -> label) with the `active` one highlighted; a click posts Selected."""

    DEFAULT_CSS = """
    TabStrip { height: 1; width: 1fr; }
    """

    active: reactive[str] = reactive("")
    labels: reactive[dict[str, str]] = reactive(dict, always_update=True)

    class Selected(Message):
        def __init__(self, strip: TabStrip, key: str) -> None:
            super().__init__()
            self.strip = strip
            self.key = key

        @property
        def control(self) -> TabStrip:
            return self.strip

    def __init__(self, labels: dict[str, str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(TabStrip.labels, dict(labels))

    def render(self) -> Content:
        parts = []
        for key, label in self.labels.items():
            style = "reverse bold" if key == self.active else "underline"
            parts.append(Content.from_markup(f"[{style} @click=select('{key}')] $label [/]", label=label))
        return Content(" ").join(parts)

    def action_select(self, key: str) -> None:
        self.post_message(self.Selected(self, key))
