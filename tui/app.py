"""The vramtui application: global keys, the command palette, the theme, and the entry point."""

from __future__ import annotations

import gc
import traceback
from typing import ClassVar

from rich.text import Text
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.theme import Theme
from vramtui.catalog.loader import Catalog, CatalogError
from vramtui.catalog.locations import cache_dir
from vramtui.tui.keymap import APP, bindings
from vramtui.tui.providers import ActionsProvider, ModelsProvider, TargetsProvider
from vramtui.tui.screens.main import MainScreen
from vramtui.tui.widgets.pane import Pane

from vramtui.answers import Resolved
from vramtui.parse import MAX

DEFAULT_MODEL = "deepseek-r1-distill-llama-8b"  # the seed page's model

THEME = Theme(
    name="vramtui",
    primary="#5fafd7",
    secondary="#87af87",
    accent="#d7af5f",
    warning="#d7af5f",
    error="#d75f5f",
    success="#87af5f",
    foreground="#d0d0d0",
    background="#1c1c1c",
    surface="#262626",
    panel="#303030",
    dark=True,
)


class VramApp(App[None]):
    """Can I run this model on this GPU? One screen, four panes, every number from the core."""

    TITLE = "vramtui"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = bindings(APP)
    # Ours only: ActionsProvider also lists Textual's system commands, ranked by the same matcher.
    COMMANDS = {ModelsProvider, TargetsProvider, ActionsProvider}

    def __init__(self, catalog: Catalog, model_id: str | None = None, target_id: str | None = None,
                 context: int | None = None, *, quant: str | None = None, kv_type: str | None = None,
                 gpus: int | None = None, detect_on_start: bool = False, freeze_gc: bool = False) -> None:
        super().__init__()
        self._freeze_gc = freeze_gc
        if not catalog.models:
            raise CatalogError("catalog", "has no models")
        self.res = Resolved(catalog)
        self.model_id = model_id if model_id in catalog.models else (
            DEFAULT_MODEL if DEFAULT_MODEL in catalog.models else next(iter(catalog.models)))
        self.target_id = target_id
        # `--context max`: the model's own maximum, known once the model is
        self.context = catalog.models[self.model_id].context_length if context == MAX else context
        self.quant = quant
        self.kv_type = kv_type
        self.gpus = gpus
        self.detect_on_start = detect_on_start
        # Over SSH every animation frame is bandwidth: none. (NO_COLOR is honoured by Textual
        # itself, which renders in monochrome when the variable is set.)
        self.animation_level = "none"
        self.register_theme(THEME)
        self.theme = "vramtui"

    def on_mount(self) -> None:
        if self._freeze_gc:
            # The catalog and its search indexes live as long as the app. Frozen out of the
            # garbage collector's full collections, which otherwise walk all of them (~200 ms
            # with 10,000 models) at some keystroke; only run_app does it, tests create many apps.
            self.call_after_refresh(gc.freeze)

    def get_default_screen(self) -> Screen:
        return MainScreen(self.res, self.model_id, target=self.target_id, context=self.context, quant=self.quant,
                          kv_type=self.kv_type, gpus=self.gpus, detect_on_start=self.detect_on_start)

    def action_help(self) -> None:
        """Help for the focused pane, and every key."""
        # Imported here: the Markdown widget (markdown-it) costs ~60 ms at start-up, help is rarely opened.
        from vramtui.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        focused = self.screen.focused
        pane = next((n for n in focused.ancestors_with_self if isinstance(n, Pane)), None) if focused else None
        section = pane.PANE if pane is not None else ""
        pane_bindings = [b for b in pane.BINDINGS if isinstance(b, Binding)] if pane is not None else []
        self.push_screen(HelpScreen(section, pane_bindings))

    def _fatal_error(self) -> None:
        """An unexpected error: a one-line message for the user, the traceback in a log file."""
        error = self._exception
        where = cache_dir() / "crash.log"
        try:
            where.parent.mkdir(parents=True, exist_ok=True)
            where.write_text("".join(traceback.format_exception(error)) + "\n" if error else "unknown error\n")
            detail = f"the details are in {where}"
        except OSError:
            detail = "the details could not be written to a log"
        self.bell()
        self._exit_renderables.append(
            Text(f"vramtui stopped on an internal error ({type(error).__name__}: {error}); {detail}.")
        )
        self._close_messages_no_wait()


def run_app(catalog: Catalog, model_id: str | None = None, target_id: str | None = None,
            context: int | None = None, *, quant: str | None = None, kv_type: str | None = None,
            gpus: int | None = None) -> int:
    """Open the app on `catalog`, with the parts of the selection given already selected.

    With neither a model nor a target given, this machine is detected in the background and,
    when it has a GPU, becomes the target with the list of what runs on it.
    Returns the exit status: 0, or 1 after an internal error (reported in one line, see _fatal_error).
    """
    app = VramApp(catalog, model_id, target_id, context, quant=quant, kv_type=kv_type, gpus=gpus,
                  detect_on_start=model_id is None and target_id is None, freeze_gc=True)
    app.run()
    return app.return_code or 0
