"""The model pane: fuzzy search over the catalog as you type, and the selected model's card."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
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
from vramtui.catalog.lookup import missing_message, model_index
from vramtui.tui.widgets.fit_list import FitListView
from vramtui.tui.widgets.nav import NavList
from vramtui.tui.widgets.pane import Pane

from vramtui.answers import Answer
from vramtui.fit import FitList
from vramtui.format import count, params
from vramtui.sources import is_repo_id

MAX_RESULTS = 50  # more than any terminal shows at once: the list scrolls, the search stays bounded
FETCH = "fetch:"  # an option that fetches a repo id, not a catalog model (ids never hold a colon)


class SearchInput(Input):
    """The search box; ↓ moves into the results."""

    BINDINGS = [Binding("down", "results", "Results", show=False, id="search-results")]

    def action_results(self) -> None:
        pane = next(a for a in self.ancestors if isinstance(a, ModelPane))
        pane.query_one("#fit-table" if pane.mode == "fits" else "#model-results").focus()


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
    BINDINGS = [Binding("escape", "screen.show_pane('quants')", "Leave search", show=False, id="search-leave")]

    answer: reactive[Answer | None] = reactive(None)
    fits: reactive[FitList | None] = reactive(None)  # what runs on the target (the main screen computes it)
    fits_busy: reactive[bool] = reactive(False)
    mode: reactive[str] = reactive("search")  # "search": search and card; "fits": the fit list

    class Chosen(Message):
        """The user picked a model."""

        def __init__(self, model_id: str) -> None:
            super().__init__()
            self.model_id = model_id

    class FetchAsked(Message):
        """The user asked for a Hugging Face repo that is not in the catalog."""

        def __init__(self, repo: str) -> None:
            super().__init__()
            self.repo = repo

    def __init__(self, catalog: Catalog, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.catalog = catalog
        self._models = list(catalog.models.values())
        self.index = model_index(self._models)  # tokens indexed once, not per keystroke
        self._opened: list[ModelEntry] = []  # opened from a file or the Hub: listed first
        self._search_pending = False

    def compose(self) -> ComposeResult:
        yield SearchInput(placeholder="Search models  ( / )", id="model-search", compact=True)
        yield Static(id="search-note")
        yield NavList(id="model-results")
        with VerticalScroll(id="spec-scroll", can_focus=False):
            yield SpecCard(id="spec-card").data_bind(ModelPane.answer)
        yield FitListView(id="fit-view").data_bind(fits=ModelPane.fits, busy=ModelPane.fits_busy)

    def focus_search(self) -> None:
        self.query_one(SearchInput).focus()

    def watch_mode(self, mode: str) -> None:
        fits = mode == "fits"
        self.border_title = "1 What runs here" if fits else self.TITLE
        self.query_one(SearchInput).placeholder = "Narrow the list  ( / )" if fits else "Search models  ( / )"
        self.query_one("#fit-view").display = fits
        for part in ("#model-results", "#spec-scroll"):
            self.query_one(part).display = not fits
        self.query_one("#search-note").display = not fits and bool(self.query_one("#search-note", Static).content)
        self._filter_fits()

    def _filter_fits(self) -> None:
        """In the fit list, the search box narrows the list to the models it finds."""
        if self.mode != "fits":
            return
        query = self.query_one(SearchInput).value
        view = self.query_one(FitListView)
        view.only = frozenset(m.id for m in self.index.search(query, len(self._models)).items) \
            if query.strip() else None

    def add_model(self, entry: ModelEntry) -> None:
        """List a model opened from a file or the Hub first, and search it from now on."""
        self._models.insert(0, entry)
        self._opened.insert(0, entry)
        self.index = model_index(self._models)
        self._warm_index()
        self._show_matches(self.query_one(SearchInput).value)

    @property
    def primary(self) -> Widget:
        return self.query_one("#fit-table") if self.mode == "fits" else self.query_one(SearchInput)

    def on_mount(self) -> None:
        self.query_one(SearchInput).cursor_blink = False  # no repaint every half second over SSH
        self._show_matches("")
        self._warm_index()

    @work(thread=True, exclusive=True, group="search-index")
    def _warm_index(self) -> None:
        """Build the typo index off the UI thread, so that no keystroke waits for it."""
        self.index.warm()

    def _show_matches(self, query: str) -> None:
        """List what `query` finds (at most MAX_RESULTS); say so when the catalog lacks it.

        The selection never changes here: only Enter or a click on a row chooses a model.
        """
        results = self.query_one("#model-results", OptionList)
        note = self.query_one("#search-note", Static)
        options: list[Option] = []
        message = ""
        highlight: int | None = 0
        if not query.strip():
            rest = [m for m in self.index.browse(MAX_RESULTS + len(self._opened)) if m not in self._opened]
            matches, total = (self._opened + rest)[:MAX_RESULTS], len(self._models)
        else:
            found = self.index.search(query, MAX_RESULTS)
            matches, total = found.items, found.total
            exact = bool(found.hits) and found.hits[0].tier == 4
            repo = query.strip()
            if is_repo_id(repo) and not exact:
                # a repo the catalog lacks: offer to fetch it, first, before any look-alike
                options.append(Option(Text.assemble("Fetch ", (repo, "bold"), " from the Hugging Face Hub"),
                                      id=FETCH + repo))
                message = missing_message("model", repo, [], "Enter fetches it from the Hugging Face Hub")
            elif not matches:
                matches = self.index.nearest(query)
                highlight = None  # the nearest are shown, never chosen by a bare Enter
                message = missing_message("model", query, [], ("nearest below · " if matches else "")
                                          + "type a Hugging Face repo id (org/name) to fetch it")
        options += [Option(Text.assemble(m.name, (f"  {m.publisher} · {params(m.params)}", "dim")), id=m.id)
                    for m in matches]
        results.set_options(options)
        results.highlighted = highlight if options and highlight is not None else None
        results.border_subtitle = f"{min(len(matches), total)} of {total}" if total else ""
        note.update(message)
        note.display = bool(message)

    @on(Input.Changed, "#model-search")
    def _search(self) -> None:
        # Coalesced: keys typed faster than the list redraws are searched once, at their latest text.
        if not self._search_pending:
            self._search_pending = True
            self.call_later(self._search_latest)

    def _search_latest(self) -> None:
        self._search_pending = False
        if self.mode == "fits":
            self._filter_fits()
            return
        self._show_matches(self.query_one(SearchInput).value)

    @on(Input.Submitted, "#model-search")
    def _submit(self) -> None:
        if self._search_pending:  # Enter typed before the list caught up: search what was typed
            self._search_latest()
        if self.mode == "fits":  # Enter in the search box: on to the filtered list
            self.query_one("#fit-table").focus()
            return
        results = self.query_one("#model-results", OptionList)
        option = results.highlighted_option
        if option is not None and option.id:
            self._choose(option.id)
            # Leave the search box, so the next key is a command (t, c, 2 …), not more search text.
            results.focus()

    @on(OptionList.OptionSelected, "#model-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self._choose(event.option.id)

    def _choose(self, option_id: str) -> None:
        if option_id.startswith(FETCH):
            self.post_message(self.FetchAsked(option_id[len(FETCH):]))
        else:
            self.post_message(self.Chosen(option_id))
