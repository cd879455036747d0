"""Find catalog entries by what a person types: an id, a repo, a name, or a fuzzy fragment."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from vramtui.core.errors import NotFound

T = TypeVar("T")

_SPLIT = re.compile(r"[\s/_]+")


def _norm(s: str) -> str:
    return s.lower().strip()


def _compact(s: str) -> str:
    return re.sub(r"[^a-z0-9.]", "", s.lower())


class _Query:
    def __init__(self, query: str) -> None:
        self.q = _norm(query)
        self.words = [w for w in _SPLIT.split(self.q) if w]
        self.word_compacts = [_compact(w) for w in self.words]
        self.qc = _compact(self.q)
        # characters of the query in order, as few skipped as the regex engine finds first
        self.in_order = re.compile(".*?".join(map(re.escape, self.qc))) if self.qc else None


class _Texts:
    """One item's searchable texts, normalised once."""

    __slots__ = ("texts", "joined", "joined_compact")

    def __init__(self, texts: Iterable[str]) -> None:
        self.texts = [(t, _compact(t)) for t in map(_norm, texts) if t]
        self.joined = "\n".join(t for t, _ in self.texts)
        self.joined_compact = "|".join(tc for _, tc in self.texts)

    def score(self, q: _Query) -> float:
        for t, tc in self.texts:
            if q.q == t or (q.qc and q.qc == tc):
                return 1000.0
        prefix = [len(t) for t, tc in self.texts if t.startswith(q.q) or (q.qc and tc.startswith(q.qc))]
        if prefix:
            return 600.0 - min(prefix) / 10
        pairs = list(zip(q.words, q.word_compacts))
        if all(w in self.joined or wc in self.joined_compact for w, wc in pairs):
            # The shortest single text holding every word: "llama-3.1-70b" beats a longer name.
            holding = [len(t) for t, tc in self.texts if all(w in t or wc in tc for w, wc in pairs)]
            return 400.0 - min(holding or [len(self.texts[0][0]) + 20]) / 10
        if q.in_order is None or not q.in_order.search(self.joined_compact):
            return 0.0
        best = 0.0
        for t, tc in self.texts:
            m = q.in_order.search(tc)
            if m:
                gaps = (m.end() - m.start()) - len(q.qc)
                if gaps <= 3 * len(q.qc) + 6:
                    best = max(best, 200.0 - gaps - len(t) / 10)
        return best


def score(query: str, texts: Iterable[str]) -> float:
    """How well `query` matches the best of `texts` (0: not at all). Exact > prefix > all words > in order."""
    q = _Query(query)
    return _Texts(texts).score(q) if q.q else 1.0


class SearchIndex:
    """Items with their searchable texts normalised once, so each keystroke only compares strings.

    `bias` adds a few points to an item's score (less than a tier's width): among equally good
    matches it decides the order, e.g. instruct before base, newer before older.
    """

    def __init__(
        self, items: Sequence[T], texts: Callable[[T], Iterable[str]], bias: Callable[[T], float] | None = None
    ) -> None:
        self.items = list(items)
        self._texts = [_Texts(texts(it)) for it in self.items]
        self._bias = [bias(it) if bias else 0.0 for it in self.items]

    def rank(self, query: str) -> list:
        """Items matching `query`, best first (stable for equal scores); all items for an empty query."""
        q = _Query(query)
        if not q.q:
            return list(self.items)
        scored = []
        for i, texts in enumerate(self._texts):
            best = texts.score(q)
            if best > 0:
                scored.append((-(best + self._bias[i]), i))
        scored.sort()
        return [self.items[i] for _, i in scored]


def rank(items: Sequence[T], query: str, texts: Callable[[T], Iterable[str]]) -> list[T]:
    """Items matching `query`, best first (stable for equal scores)."""
    return SearchIndex(items, texts).rank(query)


def not_found(kind: str, query: str, suggestions: list[str], ambiguous: bool = False) -> NotFound:
    """The error for a query that names no entry, or several equally well, with the nearest names."""
    what = "is ambiguous" if ambiguous else "not found"
    msg = f"{kind} {query!r} {what}"
    if suggestions:
        msg += "; did you mean: " + ", ".join(suggestions)
    return NotFound(msg, candidates=tuple(suggestions), ambiguous=ambiguous)


def resolve(
    items: Sequence[T], query: str, texts: Callable[[T], Iterable[str]], label: Callable[[T], str], kind: str,
    bias: Callable[[T], float] | None = None,
) -> T:
    """The one entry `query` names: exact id/name/repo first, else a clear best fuzzy match; NotFound otherwise."""
    q = _norm(query)
    for it in items:
        if any(_norm(t) == q for t in texts(it)):
            return it
    scored = sorted(
        ((s + (bias(it) if bias and s else 0.0), label(it), it) for it in items for s in [score(query, texts(it))]),
        key=lambda x: (-x[0], x[1]),
    )
    scored = [x for x in scored if x[0] > 0]
    if scored and scored[0][0] >= 200 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][2]
    if scored and len(scored) > 1 and scored[0][0] == scored[1][0]:
        tied = [lab for s, lab, _ in scored if s == scored[0][0]]
        raise not_found(kind, query, tied[:6], ambiguous=True)
    names = [label(it) for it in items]
    near = [lab for _, lab, _ in scored[:5]] or difflib.get_close_matches(q, names, n=5, cutoff=0.4)
    raise not_found(kind, query, near)


def model_names(m) -> list[str]:
    """What names one model: id, name, repo, repo name, publisher + name."""
    return [m.id, m.name, m.hf_repo, m.hf_repo.split("/")[-1], f"{m.publisher} {m.name}"]


def model_texts(m) -> list[str]:
    """What a model search matches: its names, and its family after its publisher, so that typing
    "Qwen3" lists the family without making every member an exact match."""
    return [*model_names(m), f"{m.publisher} {m.family}"]


def model_bias(m) -> float:
    """Among equally good matches: instruct and chat models before base ones, newer before older."""
    base = "Base" in m.tags
    year = m.release_date.year + m.release_date.month / 12 - 2020 if m.release_date else 0.0
    return (0.0 if base else 3.0) + max(0.0, min(year, 8.0))


def target_texts(g) -> list[str]:
    """What a GPU or device search matches: id, name and aliases."""
    return [g.id, g.name, *g.aliases]
