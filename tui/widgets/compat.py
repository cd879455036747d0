"""Compatibility: every GPU and unified-memory device with the selected quant — fit, headroom, speed."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Static
from vramtui.core.estimate import NO
from vramtui.tui.display import column_widths, dash, fit_text, gib_cell, memory_cell, number_cell, signed_gib_cell
from vramtui.tui.widgets.nav import NavTable
from vramtui.tui.widgets.pane import Pane
from vramtui.tui.widgets.tab_strip import TabStrip

from vramtui.answers import Answer, TargetRow
from vramtui.format import short_name

GPU, DEVICE = "gpu", "device"
SORTS = ("tok/s", "memory", "name")
SEGMENTS = {GPU: ("consumer", "workstation", "datacenter"), DEVICE: ("apple", "unified", "multi_gpu")}
ALL = "all"
PADDING = 2  # DataTable's cell padding, both sides
SCROLLBAR = 2
MIN_NAME = 12


def segment_of(r: TargetRow) -> str:
    """A GPU's market segment, or a device's kind."""
    return r.entry.segment if r.kind == GPU else r.entry.kind  # type: ignore[union-attr]


def sort_rows(rows: list[TargetRow], key: str) -> list[TargetRow]:
    if key == "tok/s":
        # Those that run, fastest first; then those that do not (no speed shown), fewest GPUs needed first.
        def speed_key(r: TargetRow) -> tuple:
            if r.estimate.fit != NO:
                return (0, -r.estimate.tokens_per_second, r.entry.name)
            return (1, r.gpus_needed or 1_000, -r.estimate.total_usable_bytes, r.entry.name)

        return sorted(rows, key=speed_key)
    if key == "memory":
        return sorted(rows, key=lambda r: (r.estimate.total_usable_bytes, r.entry.name))
    return sorted(rows, key=lambda r: r.entry.name.lower())


class TargetTable(NavTable):
    """GPUs or devices, one row each; the pane fills it."""


class CompatPane(Pane):
    PANE = "compat"
    TITLE = "3 GPUs & devices"

    # Not in the footer: the pane's own filter line shows these keys beside their current values.
    BINDINGS = [
        Binding("d", "switch_kind", "GPUs ⇄ devices", show=False, id="compat-kind"),
        Binding("r", "cycle_sort", "Sort: tok/s, memory, name", show=False, id="compat-sort"),
        Binding("v", "cycle_vendor", "Filter by vendor", show=False, id="compat-vendor"),
        Binding("m", "cycle_segment", "Filter by segment (GPUs) or kind (devices)", show=False,
                id="compat-segment"),
        Binding("f", "toggle_fits", "Only those that run it", show=False, id="compat-fits"),
    ]

    answer: reactive[Answer | None] = reactive(None)
    kind: reactive[str] = reactive(GPU)
    sort_key: reactive[str] = reactive("tok/s")
    vendor: reactive[str] = reactive(ALL)
    segment: reactive[str] = reactive(ALL)
    fits_only: reactive[bool] = reactive(False)
    _refresh_pending = False

    class TargetChosen(Message):
        """The user made a GPU or device the target."""

        def __init__(self, target_id: str) -> None:
            super().__init__()
            self.target_id = target_id

    def compose(self) -> ComposeResult:
        yield Static(id="compat-summary")
        yield TabStrip({GPU: "GPUs", DEVICE: "Devices"}, id="compat-kind")
        yield Static(id="compat-filters")
        yield Static(id="compat-empty")
        yield TargetTable(id="compat-table", cursor_type="row", header_height=2, zebra_stripes=True,
                          cursor_foreground_priority="renderable")

    @property
    def primary(self) -> Widget:
        return self.query_one(TargetTable)

    # -- view state: any change repaints

    def _watch_view(self) -> None:
        self.when_shown(self._refresh_soon)

    def _refresh_soon(self) -> None:
        """Repaint after the current frame: the selection bar and quant table answer first, and a
        burst of changes (sort, filter, selection) costs one repaint of this long table."""
        if not self._refresh_pending:
            self._refresh_pending = True
            self.call_after_refresh(self._refresh_view)

    def _refresh_view(self) -> None:
        self._refresh_pending = False
        if self.answer is not None and self.is_mounted:
            self._populate(self.answer)

    watch_answer = watch_sort_key = watch_vendor = watch_segment = watch_fits_only = _watch_view

    def watch_kind(self) -> None:
        self.vendor = ALL
        self.segment = ALL
        self._watch_view()

    def action_switch_kind(self) -> None:
        self.kind = DEVICE if self.kind == GPU else GPU

    @on(TabStrip.Selected, "#compat-kind")
    def _tab_clicked(self, event: TabStrip.Selected) -> None:
        self.kind = event.key

    def action_cycle_sort(self) -> None:
        self.sort_key = SORTS[(SORTS.index(self.sort_key) + 1) % len(SORTS)]

    def vendors(self, ans: Answer) -> tuple[str, ...]:
        """The vendor filter's values: all, then the vendors of the current tab, most common first."""
        counts: dict[str, int] = {}
        for r in self._all_rows(ans):
            counts[r.entry.vendor] = counts.get(r.entry.vendor, 0) + 1
        return (ALL, *sorted(counts, key=lambda v: (-counts[v], v)))

    def action_cycle_vendor(self) -> None:
        if self.answer is None:
            return
        options = self.vendors(self.answer)
        self.vendor = options[(options.index(self.vendor) + 1) % len(options)] if self.vendor in options else ALL

    def action_cycle_segment(self) -> None:
        options = (ALL, *SEGMENTS[self.kind])
        self.segment = options[(options.index(self.segment) + 1) % len(options)]

    def action_toggle_fits(self) -> None:
        self.fits_only = not self.fits_only

    # -- rendering

    def _all_rows(self, ans: Answer) -> tuple[TargetRow, ...]:
        return ans.gpus if self.kind == GPU else ans.devices

    def visible_rows(self, ans: Answer) -> list[TargetRow]:
        """The rows of the current tab after filters, in the current sort order."""
        rows = [
            r for r in self._all_rows(ans)
            if (self.vendor == ALL or r.entry.vendor == self.vendor)
            and (self.segment == ALL or segment_of(r) == self.segment)
            and (not self.fits_only or r.estimate.fit != NO)
        ]
        return sort_rows(rows, self.sort_key)

    def _populate(self, ans: Answer) -> None:
        quant = ans.selection.quant
        gpus_ok, devices_ok = len(ans.runnable(ans.gpus)), len(ans.runnable(ans.devices))
        summary = Text()
        summary.append(f"{gpus_ok} of {len(ans.gpus)} GPUs", style="bold")
        summary.append(" and ")
        summary.append(f"{devices_ok} of {len(ans.devices)} devices", style="bold")
        summary.append(f" can run it at {quant}")
        if ans.settings.gpus > 1:
            summary.append(f" ({ans.settings.gpus} GPUs each)")
        self.query_one("#compat-summary", Static).update(summary)
        strip = self.query_one(TabStrip)
        strip.labels = {GPU: f"GPUs {gpus_ok}/{len(ans.gpus)}", DEVICE: f"Devices {devices_ok}/{len(ans.devices)}"}
        strip.active = self.kind

        rows = self.visible_rows(ans)
        seg_name = "segment" if self.kind == GPU else "kind"
        filters = Text.assemble(
            ("d", "bold"), " GPUs⇄devices  ",
            ("r", "bold"), f" sort {self.sort_key}  ",
            ("v", "bold"), f" vendor {self.vendor}  ",
            ("m", "bold"), f" {seg_name} {self.segment}  ",
            ("f", "bold"), f" fits only {'on' if self.fits_only else 'off'}",
            (f"  ({len(rows)} shown)" if len(rows) < len(self._all_rows(ans)) else "", "dim"),
        )
        self.query_one("#compat-filters", Static).update(filters)

        table = self.query_one(TargetTable)
        keep = None
        if table.is_valid_coordinate(table.cursor_coordinate):
            keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        columns: list[tuple[str, Text]] = [("name", Text("Name"))]
        if self.kind == GPU:
            columns.append(("memory", Text("Memory\nGiB", justify="right")))
        else:
            columns.append(("memory", Text("RAM\nGiB", justify="right")))
            columns.append(("usable", Text("GPU use\nGiB", justify="right")))
        columns += [
            ("bw", Text("Bandw.\nGB/s", justify="right")),
            ("fit", Text("Fit")),
            ("headroom", Text("Free\nGiB", justify="right")),
            ("tps", Text("tok/s", justify="right")),
        ]
        if self.kind == GPU:
            columns.append(("needs", Text("Needs", justify="right")))
        target = ans.selection.target
        headers = [h for _, h in columns]
        body = [self._cells(r, target) for r in rows]
        widths = column_widths(headers, body)
        name_w = self._name_width(table, widths)
        widths[0] = name_w
        for cells in body:  # a long name is shortened to its column, never wrapped over several lines
            cells[0] = self._fit_name(cells[0], name_w)
        self._show_empty(ans, rows)
        table.clear(columns=True)
        self._filled_width = table.size.width
        for (key, header), width in zip(columns, widths):
            table.add_column(header, key=key, width=width)
        for r, cells in zip(rows, body):
            table.add_row(*cells, key=r.id)
        focus_key = keep if keep in {r.id for r in rows} else target
        if focus_key in {r.id for r in rows}:
            table.move_cursor(row=table.get_row_index(focus_key), animate=False)

    def _show_empty(self, ans: Answer, rows: list[TargetRow]) -> None:
        """A filter that leaves nothing says so, and which key widens it."""
        empty = self.query_one("#compat-empty", Static)
        kind = "GPUs" if self.kind == GPU else "devices"
        if rows:
            empty.display = False
            return
        why = []
        if self.vendor != ALL:
            why.append(f"vendor {self.vendor} (v)")
        if self.segment != ALL:
            why.append(f"{'segment' if self.kind == GPU else 'kind'} {self.segment} (m)")
        if self.fits_only:
            why.append("fits only (f)")
        text = Text(f"No {kind} match ", style="bold")
        text.append(" + ".join(why) if why else "here")
        if self.fits_only:
            text.append(f". None runs {ans.selection.quant} at this context: press f to list them all, "
                        "or try a smaller quant, a shorter context or more GPUs (+).")
        else:
            text.append(": press v or m to change the filter.")
        empty.update(text)
        empty.display = True

    @staticmethod
    def _fit_name(name: Text, width: int) -> Text:
        if name.cell_len <= width:
            return name
        marker, plain = name.plain[:2], name.plain[2:]
        return Text(marker + short_name(plain, width - 2), style=name.style)

    _filled_width = -1

    @staticmethod
    def _name_width(table: DataTable, widths: list[int]) -> int:
        """The longest name, or what the other columns leave of the table's width (names are then shortened)."""
        others = sum(w + PADDING for w in widths[1:])
        free = table.size.width - others - PADDING - SCROLLBAR
        return max(MIN_NAME, min(widths[0], free)) if free > 0 else widths[0]

    def _cells(self, r: TargetRow, target: str | None) -> list[Text]:
        e = r.estimate
        # Vendor words dropped ("RTX 4090"): the vendor filter and the target's own name carry them.
        label = short_name(r.entry.name)
        name = Text(("▸ " if r.id == target else "  ") + label, style="bold" if r.id == target else "")
        cells = [name, gib_cell(e.hardware.total_memory_bytes, 0)]
        if self.kind == DEVICE:
            cells.append(memory_cell(e.total_usable_bytes))
        cells += [
            number_cell(r.entry.bandwidth_gbps),
            fit_text(e.fit),
            signed_gib_cell(e.headroom_bytes),
            # No speed where it does not fit: it would not run there (Needs says how many would).
            number_cell(e.tokens_per_second) if e.tokens_per_second > 0 and e.fit != NO else dash(),
        ]
        if self.kind == GPU:
            cells.append(Text(f"{r.gpus_needed}×" if r.gpus_needed else ">64", justify="right"))
        return cells

    def on_resize(self) -> None:
        if self.query_one(TargetTable).size.width != self._filled_width:
            self._refresh_soon()

    def on_show(self) -> None:  # (Pane.on_show runs too: it catches up with a pending answer)
        if self.query_one(TargetTable).size.width != self._filled_width:
            self._refresh_soon()

    @on(DataTable.RowSelected, "#compat-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.post_message(self.TargetChosen(event.row_key.value))
