"""One matcher for every search: models, GPUs, devices, the app's search box and its palette.

Entries are indexed once by token (catalog/tokens.py); a query is its tokens, and an entry
matches when it holds every one of them:

- exactly (a version, size or code only ever exactly: `3.6` is not `3`, `a10g` not `a100`),
- or loosely: a word's beginning (`mist` → mistral), a bare number as a size (`32` → 32B)
  unless it follows a family's name (`gemma 4` is version 4, never Gemma 3 4B),
- or with a typo in a word (one edit, two from 8 letters: `lama` → llama).

Word order is free. The work per query is a few dictionary look-ups per token plus one pass
over the entries that hold the rarest token, never a scan of every text: no query can be slow.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from vramtui.catalog.tokens import (
    CODE,
    NUM,
    SIZE,
    WORD,
    deletions,
    is_real,
    kind,
    tokens,
    typo_allowance,
    within,
)

T = TypeVar("T")

# How a query token met an entry's token, best first. NEAR only ranks suggestions for a miss.
EXACT, LOOSE, TYPO, NEAR = 3, 2, 1, 0
_MIN_TYPO_KEY = 3  # tokens shorter than this are never typo-matched, not even as a suggestion


def joined(toks: Sequence[str]) -> str:
    """Tokens written without separators, as some type names ("gptoss20b"), except between two
    numbers: "qwen30.6b" is not "Qwen3 0.6B", whose key is "qwen3_0.6b"."""
    out = toks[0] if toks else ""
    for a, b in zip(toks, toks[1:]):
        out += ("_" if a[-1].isdigit() and b[0].isdigit() else "") + b
    return out


@dataclass(frozen=True)
class Doc:
    """How one entry is searched.

    `names` each name the entry exactly (id, name, repo, alias): typing one resolves to it.
    `title` is its display name: the closest title wins among equal matches, and a title that
    every other match extends ("RTX 4090" within "RTX 4090 D") is the plain one the query means.
    `secondary` texts (publisher, family, vendor) list the entry but never name it alone.
    `standing` 0 is an original, 1 a derivative (fine-tune, re-upload): listed after originals.
    `order` breaks ties among equal matches, smaller first (e.g. instruct before base, newer first).
    """

    names: tuple[str, ...]
    title: str
    secondary: tuple[str, ...] = ()
    standing: int = 0
    order: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Hit:
    """One entry that holds every token of the query."""

    index: int
    tier: int  # 4 an exact name, else the worst of its tokens' EXACT/LOOSE/TYPO
    named: bool  # every token found in a name, none only in a secondary text (publisher, family)
    title_tokens: frozenset[str]


@dataclass(frozen=True)
class QueryToken:
    text: str
    kind: str
    version_only: bool  # a bare number right after a family's name: a version, never a size


@dataclass
class Matches(Generic[T]):
    """What a query finds: every entry holding all its tokens, best first (`hits`)."""

    tokens: list[QueryToken]
    hits: list[Hit] = field(default_factory=list)
    items: list[T] = field(default_factory=list)
    total: int = 0  # hits before a limit was applied

    @property
    def searchable(self) -> bool:
        """Whether the query holds anything that can name an entry (not only symbols or one letter)."""
        return any(is_real(t.text) for t in self.tokens)


class SearchIndex(Generic[T]):
    """`items` indexed by the tokens of their `Doc`s; rank, browse and suggest over them.

    `heads` are the words after which a bare number is a version (family names: "gemma", "qwen").
    """

    def __init__(self, items: Sequence[T], docs: Sequence[Doc], heads: Iterable[str] = ()) -> None:
        self.items = list(items)
        self.heads = frozenset(heads)
        self._standing = [d.standing for d in docs]
        self._title = [frozenset(tokens(d.title)) for d in docs]
        self._title_len = [max(1, len(t)) for t in self._title]
        self._bigrams: list[frozenset[tuple[str, str]]] = []
        self._postings: dict[str, dict[int, bool]] = {}  # token -> {entry: found in a name (not secondary)}
        self._exact: dict[str, list[int]] = {}
        postings, exact = self._postings, self._exact
        for i, d in enumerate(docs):
            named: set[str] = set()
            pairs: set[tuple[str, str]] = set()
            for text in d.names:
                toks = tokens(text)
                named.update(toks)
                for a, b in zip(toks, toks[1:]):
                    pairs.add((a, b))
                    if len(a) <= 2 and b[:1].isdigit() and a.isalpha():
                        # "RX 7900" is also typed "rx7900" (two letters are not split off a number)
                        named.add(a + b)
                for key in (" ".join(toks), "=" + joined(toks)):
                    ids = exact.get(key)
                    if ids is None:
                        exact[key] = [i]
                    elif ids[-1] != i:
                        ids.append(i)
            for t in named:
                p = postings.get(t)
                if p is None:
                    postings[t] = {i: True}
                else:
                    p[i] = True
            for text in d.secondary:
                for t in tokens(text):
                    if t not in named:
                        postings.setdefault(t, {})[i] = False
            self._bigrams.append(frozenset(pairs))
        exact.pop("", None), exact.pop("=", None)  # a name of symbols only names nothing
        self._words = sorted(t for t in self._postings if t.isalpha())
        self._sizes: dict[str, list[str]] = {}
        for t in self._postings:
            if kind(t) == SIZE:
                self._sizes.setdefault(t.rstrip("bmktegi"), []).append(t)
        self._typo_index: dict[str, tuple[str, ...]] | None = None  # built on the first typo, if any
        self._longest = max((len(t) for t in self._postings), default=0)
        # each entry's `order` as a small int (equal orders share one): compared faster than tuples
        rank_of = {o: r for r, o in enumerate(sorted({d.order for d in docs}))}
        self._order_rank = [rank_of[d.order] for d in docs]
        self._browse = sorted(range(len(self.items)), key=lambda i: (self._standing[i], self._order_rank[i], i))

    @property
    def _typo_keys(self) -> dict[str, tuple[str, ...]]:
        """Each token with up to one (two from 8 letters) character deleted → the tokens it came from.

        Two tokens within k edits share such a key, so a typo costs a few look-ups, not a scan.
        """
        if self._typo_index is None:
            keys: dict[str, list[str]] = {}  # filled before it is published: warm() may run in a thread
            for t in self._postings:
                if len(t) >= _MIN_TYPO_KEY:
                    for key in deletions(t, max(1, typo_allowance(t))):
                        keys.setdefault(key, []).append(t)
            # tuples of strings: the garbage collector stops tracking them, lists it walks forever
            self._typo_index = {k: tuple(v) for k, v in keys.items()}
        return self._typo_index

    def warm(self) -> None:
        """Build the typo index now, so that no keystroke pays for it (the app runs this in a thread)."""
        _ = self._typo_keys

    # ---------------------------------------------------------------- queries

    def query_tokens(self, query: str) -> list[QueryToken]:
        """The query's tokens, each with its kind and whether it can only be a version."""
        out: list[QueryToken] = []
        prev = ""
        for t in tokens(query):
            k = kind(t)
            out.append(QueryToken(t, k, k == NUM and prev in self.heads))
            prev = t
        return out

    def _candidates(self, qt: QueryToken, *, near: bool = False) -> tuple[dict[int, bool], dict[int, int]]:
        """Entries holding `qt`: exactly (entry -> in a name) and otherwise (entry -> quality × 2 + in a name)."""
        exact = self._postings.get(qt.text, {})
        loose: dict[int, int] = {}

        def add(token: str, quality: int) -> None:
            for i, named in self._postings.get(token, {}).items():
                v = quality * 2 + named
                if loose.get(i, -1) < v:
                    loose[i] = v

        if qt.kind == WORD and len(qt.text) >= 2:
            lo = bisect.bisect_right(self._words, qt.text)
            hi = bisect.bisect_left(self._words, qt.text + "{")  # "{" sorts after every letter
            for w in self._words[lo:hi]:
                add(w, LOOSE)
        if qt.kind == NUM and not qt.version_only:
            for s in self._sizes.get(qt.text, ()):
                add(s, LOOSE)
        allowed = typo_allowance(qt.text)
        if (near or (allowed and qt.kind == WORD)) and _MIN_TYPO_KEY <= len(qt.text) <= self._longest + 2:
            k = max(1, allowed)
            seen = {qt.text}
            for key in deletions(qt.text, k):
                for w in self._typo_keys.get(key, ()):
                    if w in seen:
                        continue
                    seen.add(w)
                    both_words = qt.kind == WORD and w.isalpha()
                    budget = min(allowed, typo_allowance(w))
                    if both_words and budget and within(qt.text, w, budget):
                        add(w, TYPO)
                    elif near and within(qt.text, w, k):
                        add(w, NEAR)
        return exact, loose

    def search(self, query: str, limit: int | None = None) -> Matches[T]:
        """Every entry that holds all the query's tokens, best first (at most `limit` of them).

        An exact name comes first; then entries whose every token matched exactly, loosely,
        with a typo; among equals: originals before derivatives, more tokens in a name, the
        query's words side by side, then the index's `order`, then the closest title.
        """
        qts = self.query_tokens(query)
        found: Matches[T] = Matches(qts)
        if not found.searchable:
            return found
        exact_names = set(self._exact.get(" ".join(t.text for t in qts), ()))
        exact_names.update(self._exact.get("=" + joined([t.text for t in qts]), ()))
        cands = [self._candidates(t) for t in qts]
        driver = min(range(len(qts)), key=lambda j: len(cands[j][0]) + len(cands[j][1]))
        pool = set(cands[driver][0]) | set(cands[driver][1])
        pool.difference_update(exact_names)
        standing, order, titles, title_len, bigrams = (self._standing, self._order_rank, self._title,
                                                       self._title_len, self._bigrams)
        texts = [t.text for t in qts]
        pairs = list(zip(texts, texts[1:]))
        scored = [(-4, standing[i], 0, 0, order[i], 0.0, i) for i in exact_names]
        for i in pool:
            tier, named, side_by_side, prev_exact = EXACT, 0, 0, False
            for j, (exact, loose) in enumerate(cands):
                n = exact.get(i)
                if n is not None:
                    named += n
                    if prev_exact and pairs[j - 1] in bigrams[i]:
                        side_by_side += 1
                    prev_exact = True
                    continue
                v = loose.get(i, 0)
                if v < 2 * TYPO:
                    break
                tier = min(tier, v >> 1)
                named += v & 1
                prev_exact = False
            else:
                title = titles[i]
                closeness = sum(t in title for t in texts) / title_len[i]
                scored.append((-tier, standing[i], -named, -side_by_side, order[i], -closeness, i))
        found.total = len(scored)
        best = heapq.nsmallest(limit, scored) if limit is not None else sorted(scored)
        found.hits = [Hit(k[-1], -k[0], k[0] == -4 or -k[2] == len(qts), titles[k[-1]]) for k in best]
        found.items = [self.items[h.index] for h in found.hits]
        return found

    def rank(self, query: str, limit: int | None = None) -> list[T]:
        """The entries matching `query`, best first; the browse order for an empty query."""
        if not query.strip():
            return self.browse(limit)
        return self.search(query, limit).items

    def browse(self, limit: int | None = None) -> list[T]:
        """Every entry in the most useful order (originals first, then the index's `order`)."""
        order = self._browse if limit is None else self._browse[:limit]
        return [self.items[i] for i in order]

    def nearest(self, query: str, n: int = 5) -> list[T]:
        """Entries closest to a query that matched nothing: most of its tokens held, typos allowed."""
        # two-letter words are left out: "no" or "my" would suggest every "nous…" and "mi…"
        qts = [t for t in self.query_tokens(query) if len(t.text) >= 3 or (is_real(t.text) and t.kind != WORD)]
        counts: dict[int, list[int]] = {}
        for qt in qts:
            exact, loose = self._candidates(qt, near=True)
            for i in set(exact) | set(loose):
                c = counts.setdefault(i, [0, 0, 0])
                c[0] += qt.kind in (WORD, CODE)  # a name matters more than a number
                c[1] += 1
                c[2] += EXACT if i in exact else loose[i] // 2
        if any(t.kind in (WORD, CODE) for t in qts):  # "Voodoo 5" suggests nothing for its 5
            counts = {i: c for i, c in counts.items() if c[0]}
        ranked = heapq.nsmallest(n, counts, key=lambda i: (-counts[i][0], -counts[i][1], -counts[i][2],
                                                          self._standing[i], self._order_rank[i], i))
        return [self.items[i] for i in ranked]

