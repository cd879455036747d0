"""Load the catalog: the built-in TOML files, then the user's, each validated before merging.

A bad file raises CatalogError naming the file, the entry and the field; it is
never skipped silently. User entries override built-in ones with the same id
(models, GPUs, devices) or name (quantizations).

Validation (pydantic) costs ~250 ms, so the validated catalog is cached as a pickle
in the user cache directory, keyed by every source file's path, size and mtime and
by the code that reads it: an unchanged catalog loads in ~10 ms without importing pydantic.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vramtui.catalog.entries import DeviceEntry, GpuEntry, ModelEntry, QuantEntry, RepoEntry
from vramtui.core.errors import CatalogError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DATA_DIR = Path(__file__).parent / "data"
# The month the built-in data was last brought up to date: a miss says "not in the built-in
# catalog (as of …)", so that a newer model is looked for on the Hub, not assumed not to exist.
BUILT_IN_AS_OF = "2026-12"
CACHE_FORMAT = 1
# table name in a TOML file -> the field that identifies an entry
TABLES: dict[str, str] = {"models": "id", "quants": "name", "gpus": "id", "devices": "id", "repos": "repo"}


@dataclass
class Catalog:
    models: dict[str, ModelEntry] = field(default_factory=dict)
    quants: dict[str, QuantEntry] = field(default_factory=dict)
    gpus: dict[str, GpuEntry] = field(default_factory=dict)
    devices: dict[str, DeviceEntry] = field(default_factory=dict)
    repos: dict[str, RepoEntry] = field(default_factory=dict)  # by repo id

    def repos_of(self, model_id: str) -> list[RepoEntry]:
        """The published weights of one model, in catalog order."""
        return [r for r in self.repos.values() if r.model == model_id]

    def table(self, name: str) -> dict[str, Any]:
        return getattr(self, name)


def _entry_label(raw: Any, key: str, index: int, table: str) -> str:
    if isinstance(raw, dict) and isinstance(raw.get(key), str):
        return f"{table}[{index}] ({raw[key]})"
    return f"{table}[{index}]"


def load_file(path: Path) -> dict[str, list[Any]]:
    """The validated entries of one TOML file, by table name."""
    from pydantic import ValidationError  # deferred: only a changed catalog pays for pydantic
    from vramtui.catalog.schema import SCHEMAS

    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise CatalogError(path, f"cannot be read ({e.__class__.__name__})") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CatalogError(path, f"is not valid TOML: {e}") from None
    unknown = set(doc) - set(TABLES)
    if unknown:
        raise CatalogError(path, f"unknown table(s) {', '.join(sorted(unknown))}; use {', '.join(TABLES)}")
    out: dict[str, list[Any]] = {}
    for table, items in doc.items():
        key = TABLES[table]
        if not isinstance(items, list):
            raise CatalogError(path, f"'{table}' must be an array of tables ([[{table}]])")
        entries = []
        seen: set[str] = set()
        for i, raw in enumerate(items):
            label = _entry_label(raw, key, i, table)
            try:
                entry = SCHEMAS[table].model_validate(raw).to_entry()
            except ValidationError as e:
                err = e.errors()[0]
                loc = ".".join(str(p) for p in err["loc"]) or "(entry)"
                msg = err["msg"].removeprefix("Value error, ")
                raise CatalogError(path, msg, label, loc) from None
            ident = getattr(entry, key)
            if ident in seen:
                raise CatalogError(path, f"duplicate {key} {ident!r}", label, key)
            seen.add(ident)
            entries.append(entry)
        out[table] = entries
    return out


def _toml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.toml") if p.is_file())


def _sources(extra_dirs: Iterable[Path], builtin: bool) -> list[Path]:
    if builtin and not DATA_DIR.is_dir():
        raise CatalogError(DATA_DIR, "the built-in catalog is missing")
    dirs = ([DATA_DIR] if builtin else []) + [Path(d) for d in extra_dirs]
    return [p for d in dirs if d.is_dir() for p in _toml_files(d)]


def _cache_key(files: list[Path]) -> str:
    h = hashlib.sha256(f"{CACHE_FORMAT} {sys.version_info[:2]}".encode())
    # The cached entries must match the code that built and reads them: an upgrade (or an edit)
    # of the catalog's classes, its validation or the core they hold invalidates the cache.
    here = Path(__file__).parent
    code = [*sorted(here.glob("*.py")), *sorted((here.parent / "core").glob("*.py"))]
    for p in [*code, *files]:
        st = p.stat()
        h.update(f"\0{p.resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()[:32]


def _validate(files: list[Path]) -> Catalog:
    cat = Catalog()
    for path in files:
        for table, entries in load_file(path).items():
            key = TABLES[table]
            target = cat.table(table)
            for entry in entries:
                target[getattr(entry, key)] = entry
    _check_references(cat)
    return cat


def load_catalog(extra_dirs: Iterable[Path] = (), builtin: bool = True, cache_dir: Path | None = None) -> Catalog:
    """The built-in catalog (if `builtin`) overridden by every TOML file in `extra_dirs`, in order.

    With `cache_dir`, a catalog validated before from the very same files is reused.
    """
    files = _sources(extra_dirs, builtin)
    if cache_dir is None:
        return _validate(files)
    cache = Path(cache_dir) / f"catalog-{_cache_key(files)}.pickle"
    try:
        with cache.open("rb") as f:
            cat = pickle.load(f)
        if isinstance(cat, Catalog):
            return cat
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        pass  # no cache yet, or one from another version: validate again
    cat = _validate(files)
    _write_cache(cache, cat)
    return cat


def _write_cache(path: Path, cat: Catalog) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("catalog-*.pickle"):
            old.unlink(missing_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            pickle.dump(cat, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache directory only costs speed


def _check_references(cat: Catalog) -> None:
    for r in cat.repos.values():
        if r.model not in cat.models:
            raise CatalogError("catalog", f"is for model {r.model!r}, which no file defines", r.repo, "model")
        for q in r.quants:
            if q not in cat.quants:
                raise CatalogError("catalog", f"lists quant {q!r}, which no file defines", r.repo, "quants")
    for d in cat.devices.values():
        if d.gpu and d.gpu not in cat.gpus:
            raise CatalogError("catalog", f"names GPU {d.gpu!r}, which no file defines", d.id, "gpu")
    for m in cat.models.values():
        for q in m.quants:
            if q not in cat.quants:
                raise CatalogError("catalog", f"lists quant {q!r}, which no file defines", m.id, "quants")
