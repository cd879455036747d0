"""From what the user typed to catalog entries: the catalog to load, the model, the target,
the quantization. Shared by the command line and the app, so a name means the same in both.

The rules (catalog/lookup.py): an exact id, repo, name or alias resolves; so does a fragment
only one entry holds. Several candidates are ambiguous, a miss names the nearest entries and
the next step; nothing is ever answered for an entry the user did not ask for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from vramtui.catalog.entries import DeviceEntry, GpuEntry, ModelEntry
from vramtui.catalog.loader import Catalog, load_catalog
from vramtui.catalog.locations import cache_dir, config_dir
from vramtui.catalog.lookup import missing_message, model_index, resolve, target_index
from vramtui.catalog.search import Doc, SearchIndex
from vramtui.catalog.tokens import tokens
from vramtui.core.errors import NotFound, UsageError

MODEL_NEXT_STEP = "`vramtui estimate ORG/REPO` fetches it from the Hub"
TARGET_NEXT_STEP = "`vramtui gpus` and `vramtui devices` list the catalog; a TOML file in ~/.config/vramtui adds one"


def user_catalog(extra_dir: str | None = None) -> Catalog:
    """The built-in catalog, the user's config folder, then `extra_dir` (--catalog), validated and cached."""
    dirs = [config_dir()]
    if extra_dir is not None:
        if not Path(extra_dir).is_dir():
            raise UsageError(f"--catalog {extra_dir}: no such directory")
        dirs.append(Path(extra_dir))
    return load_catalog(dirs, cache_dir=cache_dir())


def find_model(cat: Catalog, query: str, index: SearchIndex[ModelEntry] | None = None) -> ModelEntry:
    """A catalog model by id, repo or name; else a config.json, .gguf or Hub repo id, added to `cat`.

    `index` is the catalog's model index when the caller keeps one (the app); else one is built.
    """
    q = query.strip()
    if q in cat.models:  # an id: the common case needs no index
        return cat.models[q]
    by_repo = {m.hf_repo.lower(): m for m in cat.models.values()}
    if q.lower() in by_repo:
        return by_repo[q.lower()]
    # checked before matching names, so an unknown repo id is fetched, not matched to a neighbour
    from vramtui.sources import add_to_catalog, resolve_custom_model  # deferred: 25 ms, rarely needed

    entry = resolve_custom_model(q, cache_dir())
    if entry is not None:
        return add_to_catalog(cat, entry)
    return resolve(index or model_index(list(cat.models.values())), query, "model", MODEL_NEXT_STEP)


def targets(cat: Catalog) -> list[GpuEntry | DeviceEntry]:
    """Every GPU, then every device: what --gpu and the app's target picker choose from."""
    return [*cat.gpus.values(), *cat.devices.values()]


def find_target(cat: Catalog, query: str,
                index: SearchIndex[GpuEntry | DeviceEntry] | None = None) -> GpuEntry | DeviceEntry:
    """The GPU or device `query` names (`index`: the caller's target index, else one is built)."""
    q = query.strip()
    if q in cat.gpus or q in cat.devices:
        return cat.gpus.get(q) or cat.devices[q]
    try:
        return resolve(index or target_index(targets(cat)), query, "GPU or device", TARGET_NEXT_STEP)
    except NotFound as e:
        if e.ambiguous:
            raise
        mac = same_mac(cat.devices.values(), query)
        if mac is None:
            raise
        return mac


_APPLE_TIERS = ("pro", "max", "ultra")


def _chip(toks: Sequence[str], at: int) -> tuple[str, ...]:
    """The Apple chip named from token `at`: ('m4',) or ('m4', 'pro')."""
    tier = toks[at + 1] if at + 1 < len(toks) and toks[at + 1] in _APPLE_TIERS else None
    return (toks[at], tier) if tier else (toks[at],)


def same_mac(devices: Iterable[DeviceEntry], query: str) -> DeviceEntry | None:
    """The Mac with the chip and memory `query` names, whatever the chassis.

    Macs are listed as one machine per chip and memory size ("Mac mini M4 Pro (24 GB)"):
    "MacBook Pro 14 M4 Pro 24GB" has the same chip and memory, hence the same answer.
    """
    toks = tokens(query)
    at = next((i for i, t in enumerate(toks) if len(t) >= 2 and t[0] == "m" and t[1:].isdigit()), None)
    memory = [t for t in toks if t.endswith("gb") and t[0].isdigit()]
    if at is None or len(memory) != 1:
        return None
    chip, gb = _chip(toks, at), float(memory[0][:-2])
    same = [d for d in devices if d.kind == "apple" and d.memory_gb == gb and _chip(tokens(d.chip), 0) == chip]
    if same and len({d.bandwidth_gbps for d in same}) == 1:
        return same[0]
    return None


_LISTED = {"models": ("model", MODEL_NEXT_STEP), "gpus": ("GPU", TARGET_NEXT_STEP),
           "devices": ("device", TARGET_NEXT_STEP)}


def list_entries(cat: Catalog, table: str, query: str = "") -> list:
    """The entries of `table` ("models", "gpus", "devices") matching `query`, best first.

    No query: every entry, models in the app's order (newest originals first). A query that
    matches nothing raises NotFound with the nearest entries and the next step.
    """
    entries = list(cat.table(table).values())
    if not query.strip() and table != "models":
        return entries
    index = model_index(entries) if table == "models" else target_index(entries)
    if not query.strip():
        return index.browse()
    found = index.search(query)
    if not found.items:
        kind, next_step = _LISTED[table]
        near = [e.id for e in index.nearest(query)] if found.searchable else []
        raise NotFound(missing_message(kind, query, near, next_step), candidates=tuple(near))
    return found.items


def nearest_names(names: list[str], query: str, n: int = 6) -> list[str]:
    """The `names` closest to `query` by the catalog's matcher; the first `n` names if none is."""
    index = SearchIndex(names, [Doc(names=(name,), title=name) for name in names])
    return (index.rank(query, n) or index.nearest(query, n) if query.strip() else []) or names[:n]


def find_quant(cat: Catalog, query: str) -> str:
    """The quantization named `query` (any case)."""
    for name in cat.quants:
        if name.lower() == query.strip().lower():
            return name
    near = nearest_names(list(cat.quants), query)
    raise NotFound(f"quantization {query!r} not found; did you mean: {', '.join(near)}", candidates=tuple(near))
