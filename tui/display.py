"""How the app writes values: fit states with a symbol (never colour alone), GiB cells, speeds."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from vramtui.core.units import GIB

from vramtui.format import FIT_LABEL, FIT_STYLE, UNLOADABLE_LABEL, gib_number


def fit_text(fit: str) -> Text:
    """'✓ fits' in green, '~ tight' in yellow, '✗ no' in red."""
    return Text(FIT_LABEL[fit], style=FIT_STYLE[fit])


def unloadable_text() -> Text:
    """A quantization no runtime loads on the target (AWQ on a Mac): not '✓ fits' whatever its size."""
    return Text(UNLOADABLE_LABEL, style="red")


def column_widths(headers: list[Text], rows: list[list[Text]]) -> list[int]:
    """Each column's width: its widest header line or cell. Given to DataTable explicitly, so no
    column is ever measured lazily (or left at a width measured while the table was hidden)."""
    widths = []
    for i, header in enumerate(headers):
        lines = header.plain.split("\n") + [row[i].plain for row in rows]
        widths.append(max(cell_len(line) for line in lines))
    return widths


def gib_cell(n: float, digits: int = 1) -> Text:
    """A right-aligned GiB number without its unit (the column header carries it)."""
    return Text(gib_number(n, digits), justify="right")


def memory_cell(n: float) -> Text:
    """GiB with one decimal below 100 GiB, none above (the column stays narrow for racks)."""
    return gib_cell(n, 1 if n < 100 * GIB else 0)


def signed_gib_cell(n: float) -> Text:
    """Headroom: '+17.9' or '−1.2' (red when negative)."""
    value = n / GIB
    return Text(f"{'+' if value >= 0 else '−'}{abs(value):,.1f}", justify="right",
                style="" if value >= 0 else "red")


def number_cell(x: float, digits: int = 0) -> Text:
    return Text(f"{x:,.{digits}f}", justify="right")


def dash() -> Text:
    return Text("–", justify="right", style="dim")
