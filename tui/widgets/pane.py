"""What the four panes share: a bordered box with a title, a help section and a primary widget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.containers import Vertical
from textual.widget import Widget
from vramtui.tui.help import help_text


class Pane(Vertical):
    """A titled, bordered pane. Subclasses name their help section and the widget that takes focus."""

    PANE = ""  # the pane's id in help.md and in the pane switcher
    TITLE = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.PANE:
            cls.HELP = help_text(cls.PANE)  # Textual's help panel and our help screen read HELP

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=("pane " + (classes or "")).strip())
        self.border_title = self.TITLE
        self._pending: Callable[[], None] | None = None

    def when_shown(self, update: Callable[[], None]) -> None:
        """Run `update` now if the pane is displayed, else once it is shown again.

        In the narrow layout three panes are hidden: they catch up when shown instead of
        repainting on every change of the selection.
        """
        if self.display:
            self._pending = None
            update()
        else:
            self._pending = update

    def on_show(self) -> None:
        if self._pending is not None:
            update, self._pending = self._pending, None
            update()

    @property
    def primary(self) -> Widget:
        """The widget that receives focus when the pane is shown."""
        return self

    def focus_primary(self) -> None:
        self.primary.focus()
