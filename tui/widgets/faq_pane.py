"""The FAQ pane: renders vramtui.faq's questions, answers, formulas and charts. Computes nothing."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static
from vramtui.tui.widgets.charts import BarChart
from vramtui.tui.widgets.nav import NavScroll
from vramtui.tui.widgets.pane import Pane

from vramtui.faq import Faq, FaqItem


def formula_grid(item: FaqItem) -> Table:
    """Formula lines as two columns, so a long expression wraps under itself, not under its label."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(style="italic", overflow="fold")
    for what, how in item.formula:
        grid.add_row(what, how)
    return grid


def render_item(item: FaqItem) -> RenderableType:
    """Question in bold, the answer, the formula, then the chart."""
    parts: list[RenderableType] = [Text(item.question, style="bold underline"), Text(item.answer)]
    if item.formula:
        parts.append(formula_grid(item))
    if item.chart is not None:
        parts.append(Text())
        parts.append(BarChart(item.chart))
    return Group(*parts)


class FaqEntry(Static):
    """One question and its answer."""


class FaqPane(Pane):
    PANE = "faq"
    TITLE = "4 FAQ"

    faq: reactive[Faq | None] = reactive(None)
    _shown_model = ""

    def compose(self) -> ComposeResult:
        with NavScroll(id="faq-scroll"):
            yield Static("Working out the answers…", id="faq-wait")

    @property
    def primary(self) -> Widget:
        return self.query_one("#faq-scroll")

    def watch_faq(self) -> None:
        self.when_shown(self._show_faq)

    def _show_faq(self) -> None:
        faq = self.faq
        if faq is None:
            return
        scroll = self.query_one("#faq-scroll", NavScroll)
        if faq.model_id != self._shown_model:  # another model's answers start at the first question
            self._shown_model = faq.model_id
            scroll.scroll_home(animate=False, immediate=True)
        entries = list(scroll.query(FaqEntry))
        if [e.id for e in entries] == [f"faq-{i.id}" for i in faq.items]:
            for entry, item in zip(entries, faq.items):
                entry.update(render_item(item))
            return
        scroll.remove_children()
        scroll.mount_all(FaqEntry(render_item(i), id=f"faq-{i.id}", classes="faq-entry") for i in faq.items)
