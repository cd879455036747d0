"""Find catalog entries by what a person types, and never answer for one they did not ask for.

The rules, the same for the command line and the app (catalog/search.py does the matching):

1. A query with nothing to look up (symbols, one letter) matches nothing.
2. An exact id, repo, name or alias resolves. Otherwise the entries holding every token
   exactly (else loosely: a word's beginning, a bare number as a size) are the candidates;
   one candidate resolves, and so does one whose title every other candidate extends
   ("RTX 4090" among "RTX 4090 D" and "RTX 4090 Laptop GPU"). Several are ambiguous.
3. A typo, or nothing at all, is a miss: the nearest entries are suggested, never chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from vramtui.catalog.entries import DeviceEntry, GpuEntry, ModelEntry
from vramtui.catalog.loader import BUILT_IN_AS_OF
from vramtui.catalog.search import EXACT, LOOSE, TYPO, Doc, Hit, SearchIndex
from vramtui.catalog.tokens import tokens
from vramtui.core.errors import NotFound

T = TypeVar("T")

FOUND, AMBIGUOUS, MISSING = "found", "ambiguous", "missing"
SHOWN = 6  # candidates named in one line

# Repo names that mark a re-upload in another format, listed after the original.
QUANTIZED_FORMATS = frozenset({"gguf", "awq", "gptq", "exl2", "exl3", "mlx", "bnb", "4bit", "8bit", "fp8",
                               "int4", "int8", "nvfp4", "mxfp4"})


# ---------------------------------------------------------------- what is searched


def model_names(m: ModelEntry) -> tuple[str, ...]:
    """What names one model exactly: id, name, repo, repo name."""
    return (m.id, m.name, m.hf_repo, m.hf_repo.split("/")[-1])


def _family_head(family: str) -> str:
    toks = tokens(family)
    return toks[0] if toks and toks[0].isalpha() else ""


def family_owners(models: Sequence[ModelEntry]) -> dict[str, str]:
    """Each family's first word ("llama", "qwen", "mistral") → the publisher who released it first.

    That publisher's models are the originals; another publisher's model whose name carries
    the word ("Llama 3.1 Tulu 3 8B", "DeepSeek R1 Distill Llama 8B") derives from them.
    """
    firsts: dict[str, dict[str, list[int]]] = {}
    for m in models:
        head = _family_head(m.family)
        if not head:
            continue
        day = m.release_date.toordinal() if m.release_date else 10**7
        seen = firsts.setdefault(head, {}).setdefault(m.publisher.casefold(), [day, 0])
        seen[0] = min(seen[0], day)
        seen[1] += 1
    return {head: min(pubs, key=lambda p: (pubs[p][0], -pubs[p][1], p)) for head, pubs in firsts.items()}


def is_derived(m: ModelEntry, owners: dict[str, str]) -> bool:
    """A fine-tune of another publisher's family, or a re-upload in a quantized format."""
    pub = m.publisher.casefold()
    if any(owners.get(t, pub) != pub for t in tokens(m.name)):
        return True
    return any(t in QUANTIZED_FORMATS for t in tokens(m.hf_repo.split("/")[-1]))


def model_index(models: Sequence[ModelEntry]) -> SearchIndex[ModelEntry]:
    """The models' search index: originals first, then instruct before base, newer, more downloaded."""
    owners = family_owners(models)
    docs = [
        Doc(
            names=model_names(m),
            title=m.name,
            secondary=(m.publisher, m.family),
            standing=int(is_derived(m, owners)),
            order=("Base" in m.tags, -(m.release_date.toordinal() if m.release_date else 0), -(m.downloads or 0)),
        )
        for m in models
    ]
    return SearchIndex(models, docs, heads=owners)


Target = GpuEntry | DeviceEntry


def target_index(targets: Sequence[Target]) -> SearchIndex[Target]:
    """GPUs and devices by id, name and aliases; the vendor and a device's chip list them too."""
    docs = [
        Doc(names=(t.id, t.name, *t.aliases), title=t.name,
            secondary=(t.vendor, t.chip) if isinstance(t, DeviceEntry) else (t.vendor,))
        for t in targets
    ]
    return SearchIndex(targets, docs)


# ---------------------------------------------------------------- the rules


@dataclass
class Lookup(Generic[T]):
    """What a query names: one entry (`found`), several (`ambiguous`: `candidates`) or none (`missing`)."""

    status: str
    item: T | None = None
    candidates: list[T] = field(default_factory=list)
    total: int = 0  # candidates before the first SHOWN
    nearest: list[T] = field(default_factory=list)


def _plain(group: list[Hit]) -> Hit | None:
    """The one hit whose title every other hit's title extends, if there is one."""
    shortest = min(group, key=lambda h: len(h.title_tokens))
    if all(shortest.title_tokens < h.title_tokens for h in group if h is not shortest):
        return shortest
    return None


def lookup(index: SearchIndex[T], query: str) -> Lookup[T]:
    """Apply the rules (module docstring) to `query`."""
    m = index.search(query)
    if not m.searchable:
        return Lookup(MISSING)
    for tier in (4, EXACT, LOOSE):
        group = [h for h in m.hits if h.tier == tier]
        if not group:
            continue
        # a publisher or family lists an entry but does not name it: "mistral" means the
        # models called Mistral, not every model Mistral AI published
        group = [h for h in group if h.named] or group
        one = group[0] if len(group) == 1 else None if tier == 4 else _plain(group)
        if one is not None:
            return Lookup(FOUND, item=index.items[one.index])
        shown = [index.items[h.index] for h in group[:SHOWN]]
        return Lookup(AMBIGUOUS, candidates=shown, total=len(group))
    typos = [index.items[h.index] for h in m.hits if h.tier == TYPO]
    nearest = typos[:5] or index.nearest(query, 5)
    return Lookup(MISSING, nearest=nearest)


def _shown(query: str) -> str:
    q = query.strip()
    return repr(q if len(q) <= 60 else q[:57] + "…")


def missing_message(kind: str, query: str, nearest: Sequence[str], next_step: str) -> str:
    """'model 'gemma 4' is not in the built-in catalog (as of …); nearest: …; NEXT STEP'."""
    msg = f"{kind} {_shown(query)} is not in the built-in catalog (as of {BUILT_IN_AS_OF})"
    if nearest:
        msg += "; nearest: " + ", ".join(nearest)
    return f"{msg}; {next_step}"


def ambiguous_message(kind: str, query: str, candidates: Sequence[str], total: int) -> str:
    """'model 'llama 8b' is ambiguous: did you mean a, b, c (and 4 more)?'."""
    more = f" (and {total - len(candidates)} more)" if total > len(candidates) else ""
    return f"{kind} {_shown(query)} is ambiguous: did you mean {', '.join(candidates)}{more}?"


def resolve(index: SearchIndex[T], query: str, kind: str, next_step: str, label=lambda e: e.id) -> T:
    """The one entry `query` names; NotFound (one line, with candidates or the nearest) otherwise."""
    found = lookup(index, query)
    if found.item is not None:
        return found.item
    if found.status == AMBIGUOUS:
        names = [label(e) for e in found.candidates]
        raise NotFound(ambiguous_message(kind, query, names, found.total), candidates=tuple(names), ambiguous=True)
    names = [label(e) for e in found.nearest]
    raise NotFound(missing_message(kind, query, names, next_step), candidates=tuple(names))
