"""Where models come from when they are not in the catalog: a local config.json, a local
.gguf file, or any Hugging Face repo id. Each source reads and validates its input once,
where it enters, and raises ModelSourceError (one line, exit 2) naming the file or repo
and, where there is one, the field.

- sources.local: a config.json (or a folder holding one), with the parameter count from the
  safetensors headers or index where the folder has them, else computed from the shapes;
  a .gguf file (or any shard of a split one), header only, its tensor types exact.
- sources.hub: config.json and the safetensors index of a Hub repo, fetched with
  huggingface_hub (HF_ENDPOINT and HF_TOKEN honoured) and cached for offline use.
- sources.detect: this machine's GPUs, chip and RAM.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from vramtui.catalog.entries import ModelEntry
from vramtui.catalog.loader import Catalog

_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


# ---------------------------------------------------------------- what the user typed


def looks_like_path(text: str) -> bool:
    """Whether `text` names a file or folder rather than a catalog name or repo id."""
    t = text.strip()
    if not t:
        return False
    if _exists(Path(t)):
        return True
    return (
        t.lower().endswith((".json", ".gguf"))
        or t.startswith(("/", "./", "../", "~", ".\\", "..\\"))
        or "\\" in t
        or t.count("/") >= 2
    )


def _exists(path: Path) -> bool:
    try:
        return path.expanduser().exists()
    except (OSError, ValueError, RuntimeError):  # a name too long, a NUL byte, an unknown ~user
        return False


def is_repo_id(text: str) -> bool:
    """Whether `text` has the shape of a Hugging Face repo id (owner/name)."""
    t = text.strip()
    return bool(_REPO.match(t)) and "--" not in t and ".." not in t and not t.endswith(".")


def resolve_custom_model(text: str, cache_dir: Path, *, refresh: bool = False) -> ModelEntry | None:
    """The model a path or repo id names, or None when `text` is neither (a catalog name, say).

    Callers look a repo id up in the catalog first: this fetches any repo id it is given.
    `refresh` fetches a cached repo again.
    """
    t = text.strip()
    if looks_like_path(t):
        try:
            path = Path(t).expanduser()
        except RuntimeError:  # ~user that does not exist
            path = Path(t)
        from vramtui.sources.local import from_path

        return from_path(path)
    if is_repo_id(t):
        from vramtui.sources.hub import from_hub

        return from_hub(t, Path(cache_dir), refresh=refresh)
    return None


def add_to_catalog(cat: Catalog, entry: ModelEntry) -> ModelEntry:
    """Put a custom model in `cat` (under a new id if a different model already has its id)."""
    base, n = entry.id, 2
    while entry.id in cat.models and cat.models[entry.id].source != entry.source:
        entry = dataclasses.replace(entry, id=f"{base}-{n}")
        n += 1
    cat.models[entry.id] = entry
    return entry


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    return (s or "model")[:80]
