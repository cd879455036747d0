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
from vramtui.core.errors import UsageError, VramtuiError
from vramtui.tui.keymap import MAIN, bindings
from vramtui.tui.screens.prompt import ContextPrompt, OpenModelPrompt
from vramtui.tui.screens.runtime import RuntimePicker
from vramtui.tui.widgets.compat import CompatPane
from vramtui.tui.widgets.faq_pane import FaqPane
from vramtui.tui.widgets.fit_list import FitListView
from vramtui.tui.widgets.model_pane import ModelPane
from vramtui.tui.widgets.pane import Pane
from vramtui.tui.widgets.quant_table import QuantPane
from vramtui.tui.widgets.selection_bar import SelectionBar
from vramtui.tui.widgets.tab_strip import TabStrip

from vramtui.answers import Answer, Resolved, Selection, answer, longest_context
from vramtui.faq import (
    CHART_CONTEXTS,
    TOOL_NAMES,
    Faq,
    answer_text,
    build_faq,
    commands_of,
    short_ctx,
)
from vramtui.fit import FitList, fit_list
from vramtui.format import gib, target_name
from vramtui.resolve import targets

SELECTION_VARS = ("model_id", "quant", "context", "kv_type", "sequences", "gpus", "target", "all_quants")
KV_CYCLE = ("f16", "q8_0", "q4_0")
SEQUENCES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
GPU_COUNTS = (1, 2, 4, 8, 16, 32, 64)
PANES = {"model": "1 Model", "quants": "2 Quants", "compat": "3 GPUs", "faq": "4 FAQ"}
PANE_ORDER = tuple(PANES)
THIS_CPU = "this-cpu"  # the id this machine's CPU gets as a target when no GPU is found
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
    fits: var[FitList | None] = var(None)  # what runs on the target, while the model pane lists it
    fits_busy: var[bool] = var(False)
    faq: var[Faq | None] = var(None, always_update=True)
    active_pane: var[str] = var("quants")

    def __init__(self, res: Resolved, model_id: str, *, target: str | None = None, context: int | None = None,
                 quant: str | None = None, kv_type: str | None = None, gpus: int | None = None,
                 detect_on_start: bool = False) -> None:
        super().__init__()
        self.res = res
        # set_reactive: no watcher runs, so no recompute is scheduled before the first frame.
        self.set_reactive(MainScreen.model_id, model_id)
        self.set_reactive(MainScreen.target, target)
        self.set_reactive(MainScreen.context, context)
        if quant is not None:
            self.set_reactive(MainScreen.quant, quant)
        if kv_type is not None:
            self.set_reactive(MainScreen.kv_type, kv_type)
        if gpus is not None:
            self.set_reactive(MainScreen.gpus, gpus)
        self.detect_on_start = detect_on_start
        self.runtime: str | None = None  # the runtime `y` copies, once chosen
        self._recompute_pending = False
        self._faq_pending = False
        self._fits_for: tuple | None = None  # the settings the fit list was computed for
        self._target_index: SearchIndex[GpuEntry | DeviceEntry] | None = None

    def compose(self) -> ComposeResult:
        yield SelectionBar(id="selection").data_bind(MainScreen.answer)
        yield TabStrip(PANES, id="pane-tabs").data_bind(active=MainScreen.active_pane)
        # In the wide grid: model | quants over FAQ | compatibility (the wider column needs the tables).
        with Container(id="panes"):
            yield ModelPane(self.res.catalog, id="model").data_bind(
                MainScreen.answer, fits=MainScreen.fits, fits_busy=MainScreen.fits_busy)
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
        if self.detect_on_start:
            self._detect_machine(quiet=True)

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
        except VramtuiError as e:  # e.g. a catalog model vramtui cannot size yet: its own one-line reason
            self.notify(str(e), severity="error", timeout=10)
            if self.answer is not None and self.model_id != self.answer.model.id:
                self.model_id = self.answer.model.id  # the selection goes back to what is shown
            return
        if not self._faq_pending:
            self._faq_pending = True
            self.call_after_refresh(self._update_faq)
        self._refresh_fits()

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
        # Below 80 columns the footer needs the palette's corner for its own keys (ctrl+p still works).
        self.query_one(Footer).show_command_palette = w >= 80
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

    def current_pane(self) -> str:
        """The pane the user is in: the one holding the focus, else the one shown."""
        focused = self.focused
        pane = next((n for n in focused.ancestors_with_self if isinstance(n, Pane)), None) if focused else None
        return pane.id if pane is not None and pane.id in PANES else self.active_pane

    # ---------------------------------------------------------------- choices from the panes

    @on(FitListView.Chosen)
    def _fit_chosen(self, event: FitListView.Chosen) -> None:
        self.model_id, self.quant = event.model_id, event.quant

    @on(ModelPane.Chosen)
    def _model_chosen(self, event: ModelPane.Chosen) -> None:
        self.model_id = event.model_id

    @on(ModelPane.FetchAsked)
    def _fetch_asked(self, event: ModelPane.FetchAsked) -> None:
        # The open prompt, already filled in and submitted: progress and errors show in it.
        self.app.push_screen(OpenModelPrompt(event.repo, start=True), self._opened)

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
        """/: the search box (in the fit list it narrows the list; w goes back to the search)."""
        self._show("model")
        self.call_after_refresh(self.query_one(ModelPane).focus_search)

    # ---------------------------------------------------------------- what runs here

    def action_show_fit_list(self) -> None:
        """w: the model pane lists what runs on the target (again: back to the search)."""
        pane = self.query_one(ModelPane)
        if pane.mode == "fits" and self.current_pane() == "model":
            pane.mode = "search"
            self._show("model")
            return
        if self.target is None:
            self.notify("Pick a target first (t, or D for this machine): the list is what runs on it.",
                        severity="warning", timeout=5)
            return
        pane.mode = "fits"
        self._show("model")
        self._refresh_fits()

    def _fits_key(self) -> tuple:
        return (self.target, self.context, self.kv_type, self.gpus)

    def _refresh_fits(self) -> None:
        """Recompute the fit list when it is shown and its settings changed (off the UI thread)."""
        if self.query_one(ModelPane).mode != "fits" or self.target is None:
            return
        key = self._fits_key()
        if key == self._fits_for:
            return
        hw = self.res.hardware(self.target)
        if hw is None:
            return
        self._fits_for = key
        self.fits_busy = True
        self._work_out_fits(hw, key)

    @work(thread=True, exclusive=True, group="fits")
    def _work_out_fits(self, hw, key: tuple) -> None:  # hw: core.hardware.Hardware
        # ~1 s for 300 models the first time (every model's weights, once), ~0.1 s after (cached)
        result = fit_list(self.res, hw, context=self.context, kv_type=self.kv_type, gpus=self.gpus)
        self.app.call_from_thread(self._fits_done, result, key)

    def _fits_done(self, result: FitList, key: tuple) -> None:
        if key == self._fits_key():
            self.fits = result
            self.fits_busy = False

    def action_show_pane(self, name: str) -> None:
        if name in PANES:
            self._show(name)

    def action_cycle_pane(self, direction: int) -> None:
        """Tab / shift+Tab: the next or previous pane, in the one-pane layout and the four-pane one alike."""
        if self.has_class("-tiny"):
            return
        here = PANE_ORDER.index(self.current_pane())
        self._show(PANE_ORDER[(here + direction) % len(PANE_ORDER)])

    def action_prompt_context(self) -> None:
        if self.answer is None:
            return
        self.app.push_screen(ContextPrompt(self.answer.settings.context, self.answer.model.context_length,
                                           self._fitting_context), self._context_typed)

    def _fitting_context(self) -> int:
        """`c fit`: the longest context that fits the target with headroom, or why there is none."""
        ans = self.answer
        if ans is None or ans.quant_row.on_target is None:
            raise UsageError("fit needs a target: pick one with t (or D for this machine) first")
        row = ans.quant_row
        e = row.on_target
        assert e is not None
        where = target_name(e.hardware, e.gpus)
        if row.unloadable:
            raise UsageError(f"no context: {row.unloadable}")
        longest = longest_context(ans)
        if longest == 0:
            raise UsageError(f"no context fits: {ans.selection.quant} alone needs more than {where} has "
                             f"({gib(e.usable_bytes)}); try a smaller quant or more GPUs (+)")
        return longest

    def _context_typed(self, typed: int | None) -> None:
        if typed is not None:
            self.context = typed

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
        self.notify(f"KV cache {self.kv_type}", timeout=1.5)

    def action_step_sequences(self, direction: int) -> None:
        self.sequences = step(SEQUENCES, self.sequences, direction)

    def action_step_gpus(self, direction: int) -> None:
        self.gpus = step(GPU_COUNTS, self.gpus, direction)
        self.notify(f"{self.gpus} GPU{'s' if self.gpus > 1 else ''}", timeout=1.5)

    def action_pick_target(self) -> None:
        # Imported here: the providers module imports this screen (to find it under the palette).
        from textual.command import CommandPalette
        from vramtui.tui.providers import TargetPicker

        self.app.push_screen(CommandPalette(providers=[TargetPicker], placeholder="Target GPU or device…"))

    def action_open_model(self) -> None:
        # The prompt reads the file (or fetches the repo) itself and stays open, with the reason, on an error.
        self.app.push_screen(OpenModelPrompt(), self._opened)

    def _opened(self, entry) -> None:  # entry: catalog.entries.ModelEntry | None
        if entry is not None:
            self._add_model(entry)

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
    def _detect_machine(self, quiet: bool = False) -> None:
        """Run the vendors' tools (each with a timeout of seconds) off the UI thread.

        `quiet` (at start, unasked): only a GPU or a Mac found changes anything, and says so."""
        from vramtui.sources.detect import detect_machine, this_machine  # only when asked: it runs subprocesses

        found = this_machine(detect_machine(), self.res.catalog)
        if quiet and (found.hardware is None or found.hardware.kind == "cpu"):
            return
        self.app.call_from_thread(self._use_machine, found, quiet)

    def _use_machine(self, found, quiet: bool = False) -> None:  # found: vramtui.sources.detect.MachineTarget
        """Target the detected GPUs, Mac or CPU (through their catalog entry where there is one)."""
        hw = found.hardware
        if hw is None:
            self.notify(f"This machine: {found.label}. " + "; ".join(found.notes), severity="warning", timeout=8)
            return
        if hw.kind == "cpu":
            self._use_cpu(found)
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
        if quiet:  # found at start: show what runs here
            self.action_show_fit_list()

    def _use_cpu(self, found) -> None:  # found: vramtui.sources.detect.MachineTarget with a CPU Hardware
        """No GPU: this machine's CPU and RAM become the target (llama.cpp on the CPU), never the old target."""
        from vramtui.catalog.entries import DeviceEntry

        hw = found.hardware
        entry = DeviceEntry(
            id=THIS_CPU, name=hw.name, vendor="CPU", kind="cpu", memory_gb=hw.memory_bytes / 2**30,
            bandwidth_gbps=hw.bandwidth_gbps, year=2026, source="detected",
            gpu_memory_gb=hw.gpu_memory_bytes / 2**30 or None,
        )
        self.res.add_device(entry)
        self.target = THIS_CPU
        self.gpus = 1
        self.notify(f"No GPU found: the target is this machine's CPU and {gib(hw.usable_bytes)} of free RAM, "
                    f"at an assumed {hw.bandwidth_gbps:g} GB/s.", severity="warning", timeout=8)

    def action_toggle_all_quants(self) -> None:
        self.all_quants = not self.all_quants
        self.notify("Every quantization" if self.all_quants else "The common quantizations only", timeout=2)


    def action_copy_command(self, tool: str | None = None) -> None:
        """Copy the command of `tool` (core.launch's id); without one, of the remembered runtime, else ask."""
        if self.answer is None:
            return
        commands = commands_of(self.answer.launch)
        if not any(c.available for c in commands):
            why = commands[0].notes[0] if commands and commands[0].notes else "no tool runs this selection"
            self.notify(f"Nothing copied: {why}", severity="warning")
            return
        chosen = tool or self.runtime
        command = next((c for c in commands if c.tool == chosen), None)
        if command is None or not command.available:
            if tool is not None and command is not None:  # asked by name (the palette): say why not
                self.notify(f"Nothing copied: {command.notes[0] if command.notes else 'it cannot run this'}",
                            severity="warning")
                return
            self.action_choose_runtime()
            return
        self.app.copy_to_clipboard(command.text or "")
        self.notify(f"Copied the {TOOL_NAMES[command.tool]} command{self._gpus_note(command.tool)}: {command.text}",
                    timeout=5)

    def _gpus_note(self, tool: str) -> str:
        """' for 2 × RTX 4090' when the command runs on more GPUs than the header's count."""
        ans = self.answer
        e = ans.quant_row.on_target if ans is not None else None
        if ans is None or e is None or tool not in ("vllm", "sglang"):
            return ""
        n = ans.launch.plan.gpus
        return f" for {target_name(e.hardware.one_gpu(), n)}" if n > 1 else ""

    def action_choose_runtime(self) -> None:
        """Ask which runtime `y` copies (runtimes that cannot run the selection are shown, disabled)."""
        if self.answer is None:
            return
        commands = commands_of(self.answer.launch)
        e = self.answer.quant_row.on_target
        where = f"on {target_name(e.hardware, e.gpus)}" if e is not None else ""
        assumes = {c.tool: self._gpus_note(c.tool).strip() for c in commands if self._gpus_note(c.tool)}
        self.app.push_screen(RuntimePicker(commands, self.runtime, where, assumes), self._runtime_chosen)

    def _runtime_chosen(self, tool: str | None) -> None:
        if tool is not None:
            self.runtime = tool
            self.action_copy_command(tool)

    def action_copy_answer(self) -> None:
        if self.answer is not None:
            self.app.copy_to_clipboard(answer_text(self.answer))
            self.notify("Copied the answer.", timeout=3)
