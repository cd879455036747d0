"""The model pane: fuzzy search over the catalog as you type, and the selected model's card."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from vramtui.catalog.entries import ModelEntry
from vramtui.catalog.loader import Catalog
from vramtui.catalog.lookup import SearchIndex, model_bias, model_texts
from vramtui.tui.widgets.pane import Pane

from vramtui.answers import Answer
from vramtui.format import count, params

MAX_RESULTS = 50


class SearchInput(Input):
    """The search box; ↓ moves into the results."""

    BINDINGS = [Binding("down", "results", "Results", show=False, id="search-results")]

    def action_results(self) -> None:
        self.screen.query_one("#model-results", OptionList).focus()


class SpecCard(Static):
    """The selected model's specifications (the seed page's Specifications block, and more)."""

    answer: reactive[Answer | None] = reactive(None)

    def watch_answer(self, old: Answer | None, ans: Answer | None) -> None:
        if ans is None or (old is not None and old.model is ans.model):
            return  # the card shows the model only: nothing to redraw for other changes
        m = ans.model
        a = m.architecture
        head = Text()
        head.append(m.name + "\n", style="bold")
        head.append(m.hf_repo, style="dim")
        if m.tags:
            head.append("\n" + " · ".join(m.tags), style="italic")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        rows = [
            ("Publisher", m.publisher),
            ("Family", m.family),
            ("Parameters", params(m.params) + ("" if m.params_exact else " (approx.)")),
            ("Architecture", m.architecture_name),
            ("Context", f"{a.context:,} tokens"),
            ("Vocabulary", f"{a.vocab:,}"),
            ("Layers", f"{a.layers} · {a.heads} heads · {a.kv_heads} KV heads × {a.head_dim}"),
        ]
        if a.moe is not None:
            rows.append(("Experts", f"{a.moe.active} of {a.moe.experts} active"))
        if m.release_date:
            rows.append(("Released", m.release_date.isoformat()))
        if m.license:
            rows.append(("License", m.license))
        if m.downloads is not None or m.likes is not None:
            pop = []
            if m.downloads is not None:
                pop.append(f"{count(m.downloads)} downloads")
            if m.likes is not None:
                pop.append(f"{count(m.likes)} likes")
            rows.append(("Hub", " · ".join(pop)))
        for k, v in rows:
            grid.add_row(k, v)
        parts: list = [head, Text(), grid]
        if m.description:
            parts += [Text(), Text(m.description)]
        self.update(Group(*parts))


class ModelPane(Pane):
    PANE = "model"
    TITLE = "1 Model"

    # Letters and digits type into the search box: Escape is the way out, to the quant table.
    BINDINGS = [Binding("escape", "screen.show_pane('quants')", "Leave search", id="search-leave")]

    answer: reactive[Answer | None] = reactive(None)

    class Chosen(Message):
        """The user picked a model."""

        def __init__(self, model_id: str) -> None:
            super().__init__()
            self.model_id = model_id

    def __init__(self, catalog: Catalog, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.catalog = catalog
        self._models = list(catalog.models.values())
        self._index = SearchIndex(self._models, model_texts, model_bias)  # normalised once, not per keystroke

    def compose(self) -> ComposeResult:
        yield SearchInput(placeholder="Search models  ( / )", id="model-search", compact=True)
        yield OptionList(id="model-results")
        with VerticalScroll(id="spec-scroll", can_focus=False):
            yield SpecCard(id="spec-card").data_bind(ModelPane.answer)

    def add_model(self, entry: ModelEntry) -> None:
        """List a model opened from a file or the Hub, first, and search it from now on."""
        self._models.insert(0, entry)
        self._index = SearchIndex(self._models, model_texts, model_bias)
        self._show_matches(self.query_one(SearchInput).value)

    @property
    def primary(self) -> Widget:
        return self.query_one(SearchInput)

    def on_mount(self) -> None:
        self.query_one(SearchInput).cursor_blink = False  # no repaint every half second over SSH
        self._show_matches("")

    def _show_matches(self, query: str) -> None:
        matches = self._index.rank(query)[:MAX_RESULTS] if query.strip() else self._models
        results = self.query_one("#model-results", OptionList)
        results.set_options(
            Option(Text.assemble(m.name, (f"  {m.publisher} · {params(m.params)}", "dim")), id=m.id)
            for m in matches
        )
        if matches:
            results.highlighted = 0
        results.border_subtitle = f"{len(matches)} of {len(self._models)}"

    @on(Input.Changed, "#model-search")
    def _search(self, event: Input.Changed) -> None:
        self._show_matches(event.value)

    @on(Input.Submitted, "#model-search")
    def _submit(self) -> None:
        results = self.query_one("#model-results", OptionList)
        option = results.highlighted_option
        if option is not None and option.id:
            self.post_message(self.Chosen(option.id))
            # Leave the search box, so the next key is a command (t, c, 2 …), not more search text.
            results.focus()

    @on(OptionList.OptionSelected, "#model-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.post_message(self.Chosen(event.option.id))
