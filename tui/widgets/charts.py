"""Horizontal bar charts drawn with block characters, sized to whatever width they are given.

A Rich renderable, so it fits inside any Static and re-flows when the pane resizes. Meaning
never rests on colour alone (NO_COLOR terminals): the selected bar carries a ◀, and the
limit line is explained under the chart.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

from vramtui.faq import Chart

EIGHTHS = " ▏▎▍▌▋▊▉"
LIMIT_CHAR = "│"
MIN_BAR = 8
LABEL_SHARE = 0.4  # labels longer than this share of the width go on their own line


def bar_cells(value: float, scale: float, width: int) -> str:
    """A bar of `width` cells for `value` on a 0…`scale` axis, in eighths of a cell."""
    if scale <= 0 or width <= 0:
        return ""
    eighths = max(0, min(width * 8, round(value / scale * width * 8)))
    full, part = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[part] if part else "")


class BarChart:
    """One bar per item of a vramtui.faq.Chart, with an optional limit line (usable memory)."""

    def __init__(self, chart: Chart, bar_style: str = "cyan", selected_style: str = "bold yellow",
                 over_style: str = "red", limit_style: str = "bold") -> None:
        self.chart = chart
        self.bar_style, self.selected_style = bar_style, selected_style
        self.over_style, self.limit_style = over_style, limit_style

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(MIN_BAR + 10, options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        chart = self.chart
        width = options.max_width
        yield Text(chart.title, style="bold")
        if not chart.bars:
            return
        labels = [b.label + (f" {b.mark}" if b.mark else "") for b in chart.bars]
        label_w = max(len(s) for s in labels)
        value_w = max(len(b.text) for b in chart.bars) + 2  # room for " ◀"
        stacked = label_w > width * LABEL_SHARE or width - label_w - value_w - 2 < MIN_BAR
        bar_w = max(1, width - value_w - 1 - (0 if stacked else label_w + 1))
        scale = max([b.value for b in chart.bars] + [chart.limit or 0])
        limit_at = round(chart.limit / scale * bar_w) if chart.limit and scale else None
        for bar, label in zip(chart.bars, labels):
            over = chart.limit is not None and bar.value > chart.limit
            style = self.over_style if over else (self.selected_style if bar.selected else self.bar_style)
            cells = bar_cells(bar.value, scale, bar_w).ljust(bar_w)
            line = Text()
            if stacked:
                yield Text(label, style="bold" if bar.selected else "")
            else:
                line.append(label.ljust(label_w) + " ", style="bold" if bar.selected else "")
            if limit_at is not None and limit_at < bar_w:
                line.append(cells[:limit_at], style=style)
                line.append(LIMIT_CHAR, style=self.limit_style)
                line.append(cells[limit_at + 1:], style=style)
            else:
                line.append(cells, style=style)
            line.append(" " + bar.text + (" ◀" if bar.selected else ""),
                        style="bold" if bar.selected else "")
            yield line
        if chart.limit is not None:
            yield Text(f"{LIMIT_CHAR} {chart.limit_label}", style="dim")
