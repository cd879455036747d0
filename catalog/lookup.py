"""Find catalog entries by what a person types: an id, a repo, a name, or a fuzzy fragment."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")

_SPLIT = re.compile(r"[\s/_]+")


def _norm(s: str) -> str:
    return s.lower().strip()


def _compact(s: str) -> str:
    return re.sub(r"[^a-z0-9.]", "", s.lower())


def _subsequence_gaps(needle: str, hay: str) -> int | None:
    """Characters skipped to find `needle` in order within `hay`, or None."""
    pos = gaps = 0
    for ch in needle:
        found = hay.find(ch, pos)
        if found < 0:
            return None
        gaps += found - pos
        pos = found + 1
    return gaps


def score(query: str, texts: Iterable[str]) -> float:
    """How well `query` matches the best of `texts` (0: not at all). Exact > prefix > all words > in order."""
    q = _norm(query)
    if not q:
        return 1.0
    words = [w for w in _SPLIT.split(q) if w]
    qc = _compact(q)
    best = 0.0
    for text in texts:
        t = _norm(text)
        if not t:
            continue
        tc = _compact(t)
        if q == t or (qc and qc == tc):
            s = 1000.0
        elif t.startswith(q) or (qc and tc.startswith(qc)):
            s = 600.0 - len(t) / 10
        elif all(w in t or _compact(w) in tc for w in words):
            s = 400.0 - len(t) / 10
        else:
            gaps = _subsequence_gaps(qc, tc) if qc else None
            s = 0.0 if gaps is None or gaps > 3 * len(qc) + 6 else 200.0 - gaps - len(t) / 10
        best = max(best, s)
    return best


def rank(items: Sequence[T], query: str, texts: Callable[[T], Iterable[str]]) -> list[T]:
    """Items matching `query`, best first (stable for equal scores)."""
    scored = [(score(query, texts(it)), i, it) for i, it in enumerate(items)]
    return [it for s, _, it in sorted((x for x in scored if x[0] > 0), key=lambda x: (-x[0], x[1]))]


class NotFound(LookupError):
    """No entry, or several equally good ones; carries the nearest names to suggest."""

    def __init__(self, kind: str, query: str, suggestions: list[str], ambiguous: bool = False) -> None:
        what = "is ambiguous" if ambiguous else "not found"
        msg = f"{kind} {query!r} {what}"
        if suggestions:
            msg += "; did you mean: " + ", ".join(suggestions)
        super().__init__(msg)
        self.suggestions = suggestions


def resolve(
    items: Sequence[T], query: str, texts: Callable[[T], Iterable[str]], label: Callable[[T], str], kind: str
) -> T:
    """The one entry `query` names: exact id/name/repo first, else a clear best fuzzy match; NotFound otherwise."""
    q = _norm(query)
    for it in items:
        if any(_norm(t) == q for t in texts(it)):
            return it
    scored = sorted(((score(query, texts(it)), label(it), it) for it in items), key=lambda x: (-x[0], x[1]))
    scored = [x for x in scored if x[0] > 0]
    if scored and scored[0][0] >= 200 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][2]
    if scored and len(scored) > 1 and scored[0][0] == scored[1][0]:
        tied = [lab for s, lab, _ in scored if s == scored[0][0]]
        raise NotFound(kind, query, tied[:6], ambiguous=True)
    names = [label(it) for it in items]
    near = [lab for _, lab, _ in scored[:5]] or difflib.get_close_matches(q, names, n=5, cutoff=0.4)
    raise NotFound(kind, query, near)
