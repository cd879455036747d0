"""The main screen: owns the selection, recomputes the answer once per change, hands it to the panes.

Data flows one way: selection vars → vramtui.answers.answer() (the core) → `answer` → panes.
Panes report choices up as messages; the screen changes a selection var; every change
schedules one recompute, so a burst of changes (keys held down, several vars set by one
command) costs a single answer() call. The FAQ is derived after the frame is drawn.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container
from textual.events import Resize
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer, Static
from vramtui.catalog.entries import DeviceEntry, GpuEntry, ModelEntry
from vramtui.catalog.lookup import target_index
from vramtui.catalog.search import SearchIndex
from vramtui.core.errors import VramtuiError
from vramtui.tui.keymap import MAIN, bindings
from vramtui.tui.screens.prompt import ContextPrompt, OpenModelPrompt
from vramtui.tui.widgets.compat import CompatPane
from vramtui.tui.widgets.faq_pane import FaqPane
from vramtui.tui.widgets.model_pane import ModelPane
from vramtui.tui.widgets.pane import Pane
from vramtui.tui.widgets.quant_table import QuantPane
from vramtui.tui.widgets.selection_bar import SelectionBar
from vramtui.tui.widgets.tab_strip import TabStrip

from vramtui.answers import Answer, Resolved, Selection, answer, launch_for
from vramtui.faq import (
    CHART_CONTEXTS,
    TOOL_NAMES,
    Faq,
    answer_text,
    build_faq,
    commands_of,
    short_ctx,
)
from vramtui.resolve import targets

SELECTION_VARS = ("model_id", "quant", "context", "kv_type", "sequences", "gpus", "target", "all_quants")
KV_CYCLE = ("f16", "q8_0", "q4_0")
SEQUENCES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
GPU_COUNTS = (1, 2, 4, 8, 16, 32, 64)
PANES = {"model": "1 Model", "quants": "2 Quants", "compat": "3 GPUs", "faq": "4 FAQ"}
# Below this the panes cannot be read: show a message instead. At or above WIDE, all four panes show.
MIN_WIDTH, MIN_HEIGHT = 60, 16
WIDE_WIDTH, WIDE_HEIGHT = 120, 36


def step(values: tuple[int, ...], current: int, direction: int) -> int:
    """The next value above (direction 1) or below (-1) `current` in `values`, or the end one."""
    if direction > 0:
        return next((v for v in values if v > current), values[-1])
    return next((v for v in reversed(values) if v < current), values[0])


class MainScreen(Screen):
    BINDINGS = bindings(MAIN)
    AUTO_FOCUS = "#quant-table"  # the pane shown first (active_pane) in the narrow layout

    model_id: var[str] = var("")
    quant: var[str] = var("Q4_K_M")
    context: var[int | None] = var(None)  # None: the default (8,192 capped at the model's maximum)
    kv_type: var[str] = var("f16")
    sequences: var[int] = var(1)
    gpus: var[int] = var(1)
    target: var[str | None] = var(None)
    all_quants: var[bool] = var(False)

    answer: var[Answer | None] = var(None, always_update=True)
    faq: var[Faq | None] = var(None, always_update=True)
    active_pane: var[str] = var("quants")

    def __init__(self, res: Resolved, model_id: str, *, target: str | None = None,
                 context: int | None = None) -> None:
        super().__init__()
        self.res = res
        # set_reactive: no watcher runs, so no recompute is scheduled before the first frame.
        self.set_reactive(MainScreen.model_id, model_id)
        self.set_reactive(MainScreen.target, target)
        self.set_reactive(MainScreen.context, context)
        self._recompute_pending = False
        self._faq_pending = False
        self._target_index: SearchIndex[GpuEntry | DeviceEntry] | None = None

    def compose(self) -> ComposeResult:
        yield SelectionBar(id="selection").data_bind(MainScreen.answer)
        yield TabStrip(PANES, id="pane-tabs").data_bind(active=MainScreen.active_pane)
        # In the wide grid: model | quants over FAQ | compatibility (the wider column needs the tables).
        with Container(id="panes"):
            yield ModelPane(self.res.catalog, id="model").data_bind(MainScreen.answer)
            yield QuantPane(id="quants").data_bind(MainScreen.answer)
            yield FaqPane(id="faq").data_bind(MainScreen.faq)
            yield CompatPane(id="compat").data_bind(MainScreen.answer)
        yield Static(id="too-small")
        yield Footer(compact=True)

    # ---------------------------------------------------------------- typed accessors

    def pane(self, name: str) -> Pane:
        return self.query_one(f"#{name}", Pane)

    @property
    def model_index(self) -> SearchIndex[ModelEntry]:
        """The catalog's models as the search box and the palette search them."""
        return self.query_one(ModelPane).index

    @property
    def target_index(self) -> SearchIndex[GpuEntry | DeviceEntry]:
        """The GPUs and devices as the target picker and the palette search them (built on first use)."""
        if self._target_index is None:
            self._target_index = target_index(targets(self.res.catalog))
        return self._target_index

    @property
    def selection(self) -> Selection:
        return Selection(self.model_id, self.quant, self.context, self.kv_type, self.sequences, self.gpus,
                         self.target, self.all_quants)

    # ---------------------------------------------------------------- recompute

    def on_mount(self) -> None:
        # Layout first: panes hidden in the narrow layout then skip their first paint.
        self._apply_layout()
        self.watch_active_pane(self.active_pane)
        self._recompute()
        # Watch only now: the first read of each var initialises it, which would call a watcher.
        for name in SELECTION_VARS:
            self.watch(self, name, self._request_recompute, init=False)

    def _request_recompute(self) -> None:
        """Schedule one recompute after the messages already queued (coalesces bursts of changes)."""
        if not self._recompute_pending:
            self._recompute_pending = True
            self.call_later(self._recompute)

    def _recompute(self) -> None:
        self._recompute_pending = False
        try:
            self.answer = answer(self.res, self.selection)
        except (KeyError, ValueError) as e:  # a selection the catalog cannot answer: say so, keep the last answer
            self.notify(f"Cannot compute that selection: {e}", severity="error")
            return
        if not self._faq_pending:
            self._faq_pending = True
            self.call_after_refresh(self._update_faq)

    def _update_faq(self) -> None:
        self._faq_pending = False
        if self.answer is not None:
            self.faq = build_faq(self.res, self.answer)

    # ---------------------------------------------------------------- layout

    def on_resize(self, event: Resize) -> None:
        self._apply_layout()

    def _apply_layout(self) -> None:
        w, h = self.size
        tiny = w < MIN_WIDTH or h < MIN_HEIGHT
        wide = not tiny and w >= WIDE_WIDTH and h >= WIDE_HEIGHT
        self.set_class(tiny, "-tiny")
        self.set_class(wide, "-wide")
        self.set_class(not tiny and not wide, "-narrow")
        if tiny:
            self.query_one("#too-small", Static).update(
                f"Enlarge the terminal: vramtui needs at least {MIN_WIDTH}×{MIN_HEIGHT} "
                f"(this one is {w}×{h}).\n\nPress q or ctrl+q to quit."
            )

    def watch_active_pane(self, name: str) -> None:
        for pane in self.query(Pane):
            pane.set_class(pane.id == name, "-active")

    def _show(self, name: str) -> None:
        self.active_pane = name
        # Focus after the layout change: a hidden pane's widgets cannot take focus.
        self.call_after_refresh(self.pane(name).focus_primary)

    # ---------------------------------------------------------------- choices from the panes

    @on(ModelPane.Chosen)
    def _model_chosen(self, event: ModelPane.Chosen) -> None:
        self.model_id = event.model_id

    @on(ModelPane.FetchAsked)
    def _fetch_asked(self, event: ModelPane.FetchAsked) -> None:
        self._open_typed(event.repo)

    @on(QuantPane.Chosen)
    def _quant_chosen(self, event: QuantPane.Chosen) -> None:
        self.quant = event.quant

    @on(CompatPane.TargetChosen)
    def _target_chosen(self, event: CompatPane.TargetChosen) -> None:
        self.target = event.target_id

    @on(TabStrip.Selected, "#pane-tabs")
    def _pane_clicked(self, event: TabStrip.Selected) -> None:
        self._show(event.key)

    # ---------------------------------------------------------------- actions (see tui/commands.py)

    def action_focus_search(self) -> None:
        self._show("model")

    def action_show_pane(self, name: str) -> None:
        if name in PANES:
            self._show(name)

    def action_prompt_context(self) -> None:
        if self.answer is None:
            return
        self.app.push_screen(ContextPrompt(self.answer.settings.context, self.answer.model.context_length),
                             self._context_typed)

    def _context_typed(self, tokens: int | None) -> None:
        if tokens is not None:
            self.context = tokens

    def action_step_context(self, direction: int) -> None:
        if self.answer is None:
            return
        longest = self.answer.model.context_length
        presets = tuple(sorted({c for c in CHART_CONTEXTS if c < longest} | {longest}))
        self.context = step(presets, self.answer.settings.context, direction)
        self.notify(f"Context {short_ctx(self.context)}", timeout=1.5)

    def action_cycle_kv(self) -> None:
        self.kv_type = KV_CYCLE[(KV_CYCLE.index(self.kv_type) + 1) % len(KV_CYCLE)] \
            if self.kv_type in KV_CYCLE else KV_CYCLE[0]

    def action_step_sequences(self, direction: int) -> None:
        self.sequences = step(SEQUENCES, self.sequences, direction)

    def action_step_gpus(self, direction: int) -> None:
        self.gpus = step(GPU_COUNTS, self.gpus, direction)

    def action_pick_target(self) -> None:
        # Imported here: the providers module imports this screen (to find it under the palette).
        from textual.command import CommandPalette
        from vramtui.tui.providers import TargetPicker

        self.app.push_screen(CommandPalette(providers=[TargetPicker], placeholder="Target GPU or device…"))

    def action_open_model(self) -> None:
        self.app.push_screen(OpenModelPrompt(), self._open_typed)

    def _open_typed(self, text: str | None) -> None:
        if text:
            self.notify(f"Opening {text}…", timeout=2)
            self._open_model(text)

    @work(thread=True, exclusive=True, group="open")
    def _open_model(self, text: str) -> None:
        """Read the config or GGUF header (or fetch from the Hub) off the UI thread."""
        from vramtui.catalog.locations import cache_dir

        from vramtui.sources import resolve_custom_model  # only when asked: file and network I/O

        try:
            entry = resolve_custom_model(text, cache_dir())
        except VramtuiError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error", timeout=10)
            return
        if entry is None:
            self.app.call_from_thread(
                self.notify, f"{text}: not a config.json, a folder holding one, a .gguf or a repo id",
                severity="error", timeout=8)
            return
        self.app.call_from_thread(self._add_model, entry)

    def _add_model(self, entry) -> None:  # entry: catalog.entries.ModelEntry
        from vramtui.sources import add_to_catalog

        added = add_to_catalog(self.res.catalog, entry)
        self.query_one(ModelPane).add_model(added)
        if added.file_quant and added.file_quant in self.res.catalog.quants:
            self.quant = added.file_quant
        self.model_id = added.id
        self.notify(f"Opened {added.name}", timeout=4)

    def action_clear_target(self) -> None:
        self.target = None

    def action_detect_target(self) -> None:
        self.notify("Looking for this machine's GPUs…", timeout=2)
        self._detect_machine()

    @work(thread=True, exclusive=True, group="detect")
    def _detect_machine(self) -> None:
        """Run the vendors' tools (each with a timeout of seconds) off the UI thread."""
        from vramtui.sources.detect import detect_machine, machine_target  # only when asked: it runs subprocesses

        target = machine_target(detect_machine(), self.res.catalog)
        self.app.call_from_thread(self._use_machine, target)

    def _use_machine(self, found) -> None:  # found: vramtui.sources.detect.MachineTarget
        """Target the detected GPUs (or Mac) through their catalog entry; say so when there is none."""
        hw = found.hardware
        if hw is None:
            self.notify(f"This machine: {found.label}. " + "; ".join(found.notes), severity="warning", timeout=8)
            return
        if found.catalog_id is None and hw.is_unified:
            self.notify(f"This machine: {found.label} is not in the catalog; pick the nearest entry with t.",
                        severity="warning", timeout=8)
            return
        if found.catalog_id is None:
            # A card the catalog lacks: target it with what was detected (its memory; speed unknown).
            from vramtui.catalog.entries import GpuEntry

            entry = GpuEntry(
                id="this-machine", name=f"This machine: {hw.name}", vendor=hw.vendor if hw.vendor in
                ("NVIDIA", "AMD", "Intel") else "Other", memory_gb=hw.memory_bytes / 2**30,
                bandwidth_gbps=hw.bandwidth_gbps, segment="consumer", year=2026, source="detected",
            )
            self.res.add_gpu(entry)
            self._target_index = None  # searched from now on
            self.target = entry.id
            self.gpus = hw.gpu_count
            self.notify(f"Target: this machine, {found.label} (not in the catalog: speed unknown). "
                        + "; ".join(found.notes), severity="warning", timeout=8)
            return
        self.target = found.catalog_id
        if found.catalog_id in self.res.catalog.gpus:
            self.gpus = hw.gpu_count
        self.notify(f"Target: this machine, {found.label}. " + "; ".join(found.notes), timeout=6)

    def action_toggle_all_quants(self) -> None:
        self.all_quants = not self.all_quants

    def action_copy_command(self, tool: str | None = None) -> None:
        """Copy the command of `tool` (core.launch' id), or of the first tool that runs the selection."""
        if self.answer is None:
            return
        commands = [c for c in commands_of(launch_for(self.answer)) if tool in (None, c.tool)]
        if not commands or not commands[0].available:
            why = commands[0].notes[0] if commands and commands[0].notes else "no tool runs this selection"
            self.notify(f"Nothing copied: {why}", severity="warning")
            return
        self.app.copy_to_clipboard(commands[0].text or "")
        self.notify(f"Copied the {TOOL_NAMES[commands[0].tool]} command: {commands[0].text}", timeout=4)

    def action_copy_answer(self) -> None:
        if self.answer is not None:
            self.app.copy_to_clipboard(answer_text(self.answer))
            self.notify("Copied the answer.", timeout=3)
