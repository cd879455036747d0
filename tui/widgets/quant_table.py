"""The quantization table: memory of every quantization at the current context, fit and speed on the target."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Static
from vramtui.tui.display import column_widths, dash, fit_text, gib_cell, number_cell, unloadable_text
from vramtui.tui.widgets.charts import LIMIT_CHAR, bar_cells
from vramtui.tui.widgets.nav import NavTable
from vramtui.tui.widgets.pane import Pane

from vramtui.answers import Answer, QuantRow
from vramtui.faq import effective_bits, ways_to_run
from vramtui.format import FIT_STYLE, gib, short_ctx, short_name, target_name, tps

MIN_BAR, MAX_BAR = 6, 40
PADDING = 2  # DataTable's cell padding, both sides
SCROLLBAR = 2


COLUMN_KEYS = ("quant", "bits", "download", "kv", "total", "full", "bar", "fit", "tps")
BAR_COLUMN = COLUMN_KEYS.index("bar")
# A narrow table drops these first (the FAQ has them all), so fit and tok/s stay in view.
DROPPABLE = ("full", "download", "bits", "bar")


class QuantTable(NavTable):
    """The table itself; the pane around it renders the caption."""


class QuantPane(Pane):
    PANE = "quants"
    TITLE = "2 Quantizations"

    answer: reactive[Answer | None] = reactive(None)

    class Chosen(Message):
        """The user picked a quantization."""

        def __init__(self, quant: str) -> None:
            super().__init__()
            self.quant = quant

    def compose(self) -> ComposeResult:
        yield Static(id="quant-caption")
        yield QuantTable(id="quant-table", cursor_type="row", header_height=2, zebra_stripes=True,
                         cursor_foreground_priority="renderable")  # bars and fit keep their colour

    @property
    def primary(self) -> Widget:
        return self.query_one(QuantTable)

    def watch_answer(self) -> None:
        self.when_shown(self._refresh_view)

    def on_resize(self) -> None:
        self._refit()

    def on_show(self) -> None:  # (Pane.on_show runs too: it catches up with a pending answer)
        self._refit()

    def _refit(self) -> None:
        """Column widths follow the table's width: refilled when the width changed since the last fill,
        so a table first filled in a tiny terminal (or while hidden) never keeps its cut-down columns."""
        if self.query_one(QuantTable).size.width != self._filled_width:
            self._refresh_view()

    def _refresh_view(self) -> None:
        if self.answer is not None and self.is_mounted:
            self._populate(self.answer)

    @staticmethod
    def fit_columns(keys: list[str], widths: list[int], table_width: int) -> tuple[list[str], int]:
        """The columns that fit `table_width` (dropping DROPPABLE ones in order) and the bar's width."""
        keys = list(keys)
        for drop in (None, *DROPPABLE):
            if drop is not None:
                keys.remove(drop)
            used = sum(widths[COLUMN_KEYS.index(k)] + PADDING for k in keys if k != "bar")
            free = table_width - used - PADDING - SCROLLBAR - (PADDING if "bar" in keys else 0)
            if "bar" not in keys or free >= MIN_BAR:
                return keys, max(MIN_BAR, min(MAX_BAR, free))
        return keys, MIN_BAR

    @staticmethod
    def caption(ans: Answer) -> Text:
        """The target and which quants are listed; when the selection does not run, the ways it can;
        when the ★ is a 1–2-bit quant, what that costs and how a better quant runs. (The model and
        settings are in the header right above.)"""
        target = ans.quant_row.on_target
        shown = "every quant (a: common)" if ans.selection.all_quants else "common quants (a: all)"
        caption = Text()
        if target is None:
            caption.append("No target (t) · ", style="dim")
            caption.append(shown, style="dim")
            return caption
        caption.append(f"On {short_name(target_name(target.hardware, target.gpus))} "
                       f"({gib(target.total_usable_bytes)} usable) · {shown}")
        row = ans.quant_row
        low = ans.low_quality_pick
        if not row.runs:
            phrases = [w.short for w in ways_to_run(ans) if low is None or not w.short.startswith(low.entry.name)]
            caption.append(f"\n{row.entry.name} does not run here", style="red")
            caption.append(": " + " · ".join(phrases) if phrases else ": nothing in reach runs it")
        better = ans.better_quant
        if low is not None:
            caption.append(f"\n★ {low.entry.name}: ~{effective_bits(low, ans.model.params):.1f} bits, "
                           f"{(low.entry.description or 'low quality').split(';')[0].lower()}", style="yellow")
            # (the line above already gives the ways of the selected quant)
            repeat = better is row and not row.runs
            ways = ans.ways(better.entry.name) if better is not None and better is not low and not repeat else None
            options = []
            if ways is not None and ways.offload is not None:
                options.append(f"-ngl {ways.offload.gpu_layers} {tps(ways.offload.tokens_per_second)}")
            if ways is not None and ways.gpus is not None and ways.gpus_tokens_per_second is not None:
                options.append(f"{ways.gpus}× GPUs {tps(ways.gpus_tokens_per_second)}")
            if better is not None and options:
                caption.append(f" · {better.entry.name}: " + " or ".join(options), style="yellow")
        return caption

    _filled_width = -1

    def _populate(self, ans: Answer) -> None:
        self._filled_width = self.query_one(QuantTable).size.width
        target = ans.quant_row.on_target
        self.border_title = self.TITLE + (
            f" · {short_name(target_name(target.hardware, target.gpus))}" if target is not None else "")
        self.query_one("#quant-caption", Static).update(self.caption(ans))

        table = self.query_one(QuantTable)
        headers = [
            Text("Quant"),
            Text("Bits\n/wt", justify="right"),
            Text("Download\nGB", justify="right"),
            Text("KV\nGiB", justify="right"),
            Text("Total\nGiB", justify="right"),
            Text(f"@{short_ctx(ans.model.context_length)}\nGiB", justify="right"),
            Text("Memory"),
            Text("Fit"),
            Text("tok/s", justify="right"),
        ]
        limit = target.total_usable_bytes if target is not None else None
        scale = max([r.memory.total_bytes for r in ans.quants] + [limit or 0])
        rows = [self._cells(ans, r) for r in ans.quants]
        widths = column_widths(headers, rows)
        keys, bar_w = self.fit_columns(list(COLUMN_KEYS), widths, table.size.width)
        widths[BAR_COLUMN] = bar_w
        shown = [COLUMN_KEYS.index(k) for k in keys]
        table.clear(columns=True)
        for i in shown:
            table.add_column(headers[i], key=COLUMN_KEYS[i], width=widths[i])
        for r, cells in zip(ans.quants, rows):
            cells[BAR_COLUMN] = self._bar(r, scale, limit, bar_w)
            table.add_row(*(cells[i] for i in shown), key=r.entry.name)
        try:
            table.move_cursor(row=table.get_row_index(ans.selection.quant), animate=False)
        except KeyError:
            pass

    @staticmethod
    def _bar(r: QuantRow, scale: int, limit: int | None, bar_w: int) -> Text:
        """Total memory to scale, coloured by fit on the target; │ marks the target's usable memory."""
        t = r.on_target
        style = FIT_STYLE[t.fit] if t is not None else "cyan"
        cells = bar_cells(r.memory.total_bytes, scale, bar_w).ljust(bar_w)
        if limit is None:
            return Text(cells, style=style)
        at = min(bar_w - 1, round(limit / scale * bar_w))
        return Text.assemble((cells[:at], style), (LIMIT_CHAR, "bold"), (cells[at + 1:], style))

    @staticmethod
    def _cells(ans: Answer, r: QuantRow) -> list[Text]:
        """Every cell of a row; the bar is filled in once its width is known."""
        selected = r.entry.name == ans.selection.quant
        name = Text(("▸ " if selected else "  ") + r.entry.name, style="bold" if selected else "")
        if r.recommended:
            name.append(" ★", style="yellow")
        t = r.on_target
        if t is None:
            fit = Text("–", style="dim")
        elif r.unloadable:
            fit = unloadable_text()
        else:
            fit = fit_text(t.fit)
        return [
            name,
            number_cell(effective_bits(r, ans.model.params), 2),
            number_cell(r.memory.download_bytes / 1e9, 2),
            gib_cell(r.memory.kv_bytes, 2),
            gib_cell(r.memory.total_bytes),
            gib_cell(r.full_context_total_bytes),
            Text(),
            fit,
            # A row that does not run shows no speed: the caption says how it can run instead.
            number_cell(t.tokens_per_second) if t is not None and r.runs else dash(),
        ]

    @on(DataTable.RowSelected, "#quant-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.post_message(self.Chosen(event.row_key.value))
