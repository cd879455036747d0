"""The quantization table: memory of every quantization at the current context, fit and speed on the target."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Static
from vramtui.tui.display import dash, fit_text, gib_cell, number_cell
from vramtui.tui.widgets.charts import LIMIT_CHAR, bar_cells
from vramtui.tui.widgets.pane import Pane

from vramtui.answers import Answer, QuantRow
from vramtui.faq import effective_bits
from vramtui.format import FIT_STYLE, gib, short_ctx, tokens

MIN_BAR, MAX_BAR = 6, 40
PADDING = 2  # DataTable's cell padding, both sides
SCROLLBAR = 2


COLUMN_KEYS = ("quant", "bits", "download", "kv", "total", "full", "bar", "fit", "tps")
BAR_COLUMN = COLUMN_KEYS.index("bar")


class QuantTable(DataTable):
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
        self._refresh_view()

    def _refresh_view(self) -> None:
        if self.answer is not None:
            self._populate(self.answer)

    def _bar_width(self, headers: list[Text], rows: list[list[Text]]) -> int:
        """What the other columns leave of the table's width (the bar column is the last flexible one)."""
        used = 0
        for i, header in enumerate(headers):
            if i == BAR_COLUMN:
                continue
            cells = [header.plain.split("\n")] + [[row[i].plain] for row in rows]
            used += max(len(line) for lines in cells for line in lines) + PADDING
        free = self.query_one(QuantTable).size.width - used - PADDING - SCROLLBAR
        return max(MIN_BAR, min(MAX_BAR, free))

    def _populate(self, ans: Answer) -> None:
        s = ans.settings
        target = ans.quant_row.on_target
        caption = Text()
        caption.append(f"{ans.model.name}", style="bold")
        caption.append(f" at {tokens(s.context)} of context, KV {s.kv_type}")
        if s.sequences > 1:
            caption.append(f" × {s.sequences} sequences")
        if target is not None:
            caption.append(f"\nFit and tok/s on {target.hardware.name} ({gib(target.total_usable_bytes)} usable)")
        else:
            caption.append("\nNo target: press t to pick a GPU or device", style="dim")
        self.query_one("#quant-caption", Static).update(caption)

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
        bar_w = self._bar_width(headers, rows)
        table.clear(columns=True)
        for i, (header, key) in enumerate(zip(headers, COLUMN_KEYS)):
            table.add_column(header, key=key, width=bar_w if i == BAR_COLUMN else None)
        for r, cells in zip(ans.quants, rows):
            cells[BAR_COLUMN] = self._bar(r, scale, limit, bar_w)
            table.add_row(*cells, key=r.entry.name)
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
        return [
            name,
            number_cell(effective_bits(r, ans.model.params), 2),
            number_cell(r.memory.download_bytes / 1e9, 2),
            gib_cell(r.memory.kv_bytes, 2),
            gib_cell(r.memory.total_bytes),
            gib_cell(r.full_context_total_bytes),
            Text(),
            fit_text(t.fit) if t is not None else Text("–", style="dim"),
            number_cell(t.tokens_per_second) if t is not None else dash(),
        ]

    @on(DataTable.RowSelected, "#quant-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.post_message(self.Chosen(event.row_key.value))
