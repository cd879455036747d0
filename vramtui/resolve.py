"""From what the user typed to catalog entries: the catalog to load, the model, the target,
the quantization. Shared by the command line and the app, so a name means the same in both."""

from __future__ import annotations

import re
from pathlib import Path

from vramtui.catalog.entries import DeviceEntry, GpuEntry, ModelEntry
from vramtui.catalog.loader import Catalog, load_catalog
from vramtui.catalog.locations import cache_dir, config_dir
from vramtui.catalog.lookup import model_bias, model_names, rank, resolve, target_texts
from vramtui.core.errors import NotFound, UsageError


def user_catalog(extra_dir: str | None = None) -> Catalog:
    """The built-in catalog, the user's config folder, then `extra_dir` (--catalog), validated and cached."""
    dirs = [config_dir()]
    if extra_dir is not None:
        if not Path(extra_dir).is_dir():
            raise UsageError(f"--catalog {extra_dir}: no such directory")
        dirs.append(Path(extra_dir))
    return load_catalog(dirs, cache_dir=cache_dir())


def find_model(cat: Catalog, query: str) -> ModelEntry:
    """A catalog model by id, repo or name; else a config.json, .gguf or Hub repo id, added to `cat`."""
    q = query.strip()
    if not any(q.lower() in (m.id, m.hf_repo.lower()) for m in cat.models.values()):
        # checked before fuzzy matching, so an unknown repo id is fetched, not matched to a neighbour
        from vramtui.sources import add_to_catalog, resolve_custom_model  # deferred: 25 ms, rarely needed

        entry = resolve_custom_model(q, cache_dir())
        if entry is not None:
            return add_to_catalog(cat, entry)
    return resolve(list(cat.models.values()), query, model_names, lambda m: m.id, "model", model_bias)


_APPLE_CHIP = re.compile(r"\b(m\d+(?:\s+(?:pro|max|ultra))?)\b.*?(\d+)\s*gb", re.IGNORECASE)


def find_target(cat: Catalog, query: str) -> GpuEntry | DeviceEntry:
    """The GPU or device `query` names."""
    items: list[GpuEntry | DeviceEntry] = [*cat.gpus.values(), *cat.devices.values()]
    try:
        return resolve(items, query, target_texts, lambda g: g.name, "GPU or device")
    except NotFound:
        # Macs are named after one machine per chip and memory size ("Mac mini M4 Pro (24 GB)"):
        # "MacBook Pro 14 M4 Pro 24GB" means the same chip and memory.
        m = _APPLE_CHIP.search(query)
        if m:
            chip, gb = " ".join(m.group(1).lower().split()), float(m.group(2))
            same = [d for d in cat.devices.values()
                    if d.kind == "apple" and d.memory_gb == gb
                    and re.match(re.escape(chip) + r"\b", d.chip.lower())]
            if len(same) >= 1 and len({d.bandwidth_gbps for d in same}) == 1:
                return same[0]
        raise


def find_quant(cat: Catalog, query: str) -> str:
    """The quantization named `query` (any case)."""
    for name in cat.quants:
        if name.lower() == query.strip().lower():
            return name
    near = [n for n in rank(list(cat.quants), query, lambda n: [n])][:6] or list(cat.quants)[:6]
    raise NotFound(f"quantization {query!r} not found; did you mean: {', '.join(near)}", candidates=tuple(near))
