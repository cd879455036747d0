"""What runs here: every model that fits the target, each at its best quant, best first.

Renders vramtui.fit's FitList (computed by the main screen off the UI thread); computes
nothing itself. Enter chooses the model at that quant.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Static
from vramtui.tui.display import column_widths, dash, fit_text, gib_cell, number_cell
from vramtui.tui.widgets.nav import NavTable

from vramtui.fit import FitList, FitRow
from vramtui.format import params, short_ctx, short_name, target_name

PADDING = 2  # DataTable's cell padding, both sides
SCROLLBAR = 2
MIN_NAME = 12
COLUMNS = ("model", "params", "quant", "memory", "fit", "tps")


class FitTable(NavTable):
    """One row per model that runs on the target."""


class FitListView(Vertical):
    """A caption (target, context, count) and the table; `only` narrows it to some model ids."""

    fits: reactive[FitList | None] = reactive(None)
    only: reactive[frozenset[str] | None] = reactive(None)  # the search box's matches (None: all)
    busy: reactive[bool] = reactive(False)

    class Chosen(Message):
        """The user picked a model of the list (at the quant shown)."""

        def __init__(self, model_id: str, quant: str) -> None:
            super().__init__()
            self.model_id = model_id
            self.quant = quant

    def compose(self) -> ComposeResult:
        yield Static(id="fit-caption")
        yield FitTable(id="fit-table", cursor_type="row", header_height=2, zebra_stripes=True,
                       cursor_foreground_priority="renderable")

    _filled_width = -1

    def watch_fits(self) -> None:
        self._refresh_view()

    def watch_only(self) -> None:
        self._refresh_view()

    def watch_busy(self) -> None:
        self._refresh_caption()

    def on_resize(self) -> None:
        if self.query_one(FitTable).size.width != self._filled_width:
            self._refresh_view()

    def rows(self) -> list[FitRow]:
        fl = self.fits
        if fl is None:
            return []
        return [r for r in fl.rows if self.only is None or r.model.id in self.only]

    def _refresh_caption(self) -> None:
        fl = self.fits
        caption = Text()
        if fl is None:
            caption.append("Working out what runs on the target…" if self.busy else
                           "Pick a target (t, or D for this machine): the list is what runs on it.", style="dim")
        else:
            shown = len(self.rows())
            ctx = "8K" if fl.context is None else short_ctx(fl.context)  # 8K: capped at a model's maximum
            caption.append(f"{len(fl.rows)} of {fl.considered} models run on ", style="bold")
            caption.append(short_name(target_name(fl.hardware, fl.gpus)), style="bold")
            caption.append(f" at {ctx} ctx, KV {fl.kv_type}")
            if fl.short_context:
                caption.append(f" · {fl.short_context} trained for less: not listed", style="dim")
            if self.only is not None:
                caption.append(f" · {shown} match")
            if self.busy:
                caption.append(" · updating…", style="dim")
            caption.append("\nBest first · Enter picks it at that quant · / narrows · w: search", style="dim")
            if not shown:
                caption.append("\n")
                if fl.rows:
                    caption.append("None of them matches the search: clear it (ctrl+u) to list them all.",
                                   style="yellow")
                else:
                    caption.append("Nothing runs there at this context: try a shorter one ([ or c), more GPUs (+) "
                                   "or a bigger target (t).", style="yellow")
        self.query_one("#fit-caption", Static).update(caption)

    def _refresh_view(self) -> None:
        if not self.is_mounted:
            return
        self._refresh_caption()
        table = self.query_one(FitTable)
        keep = None
        if table.is_valid_coordinate(table.cursor_coordinate):
            keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        rows = self.rows()
        headers = [Text("Model"), Text("Params", justify="right"), Text("Quant"),
                   Text("Memory\nGiB", justify="right"), Text("Fit"), Text("tok/s", justify="right")]
        body = [self._cells(r) for r in rows]
        widths = column_widths(headers, body)
        others = sum(w + PADDING for w in widths[1:])
        free = table.size.width - others - PADDING - SCROLLBAR
        widths[0] = max(MIN_NAME, min(widths[0], free)) if free > 0 else widths[0]
        for cells in body:  # long names are cut to the column, never wrapped
            if cells[0].cell_len > widths[0]:
                cells[0].truncate(widths[0], overflow="ellipsis")
        self._filled_width = table.size.width
        table.clear(columns=True)
        for key, header, width in zip(COLUMNS, headers, widths):
            table.add_column(header, key=key, width=width)
        for r, cells in zip(rows, body):
            table.add_row(*cells, key=r.model.id)
        if keep in {r.model.id for r in rows}:
            table.move_cursor(row=table.get_row_index(keep), animate=False)

    @staticmethod
    def _cells(r: FitRow) -> list[Text]:
        quant = Text(r.quant.name)
        if r.low_quality:
            quant.append(" !", style="yellow")  # a 1–2-bit quant: the help says what it costs
        return [
            Text(r.model.name),
            Text(params(r.model.params, 1), justify="right"),
            quant,
            gib_cell(r.memory.total_bytes),
            fit_text(r.fit),
            number_cell(r.tokens_per_second) if r.tokens_per_second > 0 else dash(),
        ]

    @on(DataTable.RowSelected, "#fit-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        row = next((r for r in self.rows() if r.model.id == event.row_key.value), None)
        if row is not None:
            self.post_message(self.Chosen(row.model.id, row.quant.name))
