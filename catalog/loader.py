"""Load the catalog: the built-in TOML files, then the user's, each validated before merging.

A bad file raises CatalogError naming the file, the entry and the field; it is
never skipped silently (a *.toml that is not a regular file, or a loop of links, is
reported too). Files are read through catalog.files: bounded in size and nesting.
User entries override built-in ones with the same id (models, GPUs, devices) or name
(quantizations).

Validation (pydantic) costs ~250 ms, so the validated catalog is cached as JSON in the
user cache directory, one file per set of catalog files, stamped with every file's path,
size and mtime and with the code that reads it: an unchanged catalog loads without
importing pydantic. JSON, not pickle: a cache folder someone else can write must not be
able to run code; each value is type-checked as it is restored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vramtui.catalog.entries import DeviceEntry, GpuEntry, ModelEntry, QuantEntry, RepoEntry
from vramtui.catalog.files import MIB, BadFile, parse_json, parse_toml, read_bytes, regular_file, write_atomic
from vramtui.core.errors import CatalogError

DATA_DIR = Path(__file__).parent / "data"
# The month the built-in data was last brought up to date: a miss says "not in the built-in
# catalog (as of …)", so that a newer model is looked for on the Hub, not assumed not to exist.
BUILT_IN_AS_OF = "2026-12"
CACHE_FORMAT = 2
MAX_CATALOG_FILE = 16 * MIB  # the built-in models.toml, 212 models with their configs, is 0.4 MiB
MAX_CACHE = 64 * MIB
CACHE_KEEP_S = 30 * 86400  # a cache of a file set unused for 30 days is removed
# table name in a TOML file -> the field that identifies an entry
TABLES: dict[str, str] = {"models": "id", "quants": "name", "gpus": "id", "devices": "id", "repos": "repo"}
ENTRY_CLASSES: dict[str, type] = {
    "models": ModelEntry, "quants": QuantEntry, "gpus": GpuEntry, "devices": DeviceEntry, "repos": RepoEntry,
}


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
        text = read_bytes(path, MAX_CATALOG_FILE, "catalog file").decode("utf-8")
        doc = parse_toml(text, path)
    except BadFile as e:
        raise CatalogError(path, e.problem) from None
    except UnicodeDecodeError:
        raise CatalogError(path, "is not UTF-8 text") from None
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
    """The *.toml files of `directory`; CatalogError for one that is not a regular file (a FIFO, a link loop)."""
    paths = sorted(directory.glob("*.toml"))
    for p in paths:
        try:
            regular_file(p)
        except BadFile as e:
            raise CatalogError(p, f"{e.problem}: remove it, or rename it without .toml") from None
    return paths


def _sources(extra_dirs: Iterable[Path], builtin: bool) -> list[Path]:
    if builtin and not DATA_DIR.is_dir():
        raise CatalogError(DATA_DIR, "the built-in catalog is missing")
    dirs = ([DATA_DIR] if builtin else []) + [Path(d) for d in extra_dirs]
    return [p for d in dirs if d.is_dir() for p in _toml_files(d)]


def _cache_key(files: list[Path]) -> str:
    """What the cache must match: every file's path, size and mtime, and the code that reads them."""
    h = hashlib.sha256(f"{CACHE_FORMAT} {sys.version_info[:2]}".encode())
    # The cached entries must match the code that built and reads them: an upgrade (or an edit)
    # of the catalog's classes, its validation or the core they hold invalidates the cache.
    here = Path(__file__).parent
    code = [*sorted(here.glob("*.py")), *sorted((here.parent / "core").glob("*.py"))]
    for p in [*code, *files]:
        st = p.stat()
        h.update(f"\0{p.resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()[:32]


def _cache_path(cache_dir: Path, files: list[Path]) -> Path:
    """One cache file per set of catalog files: --catalog DIR and the plain catalog do not evict each other."""
    names = hashlib.sha256("\0".join(str(p.resolve()) for p in files).encode()).hexdigest()[:16]
    return Path(cache_dir) / f"catalog-{names}.json"


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
    key = _cache_key(files)
    cache = _cache_path(cache_dir, files)
    cat = _read_cache(cache, key)
    if cat is None:
        cat = _validate(files)
        _write_cache(cache, key, cat)
    return cat


def _read_cache(path: Path, key: str) -> Catalog | None:
    """The catalog cached in `path` for `key`; None when there is none, or it is stale or damaged."""
    try:
        doc = parse_json(read_bytes(path, MAX_CACHE, "catalog cache"), path, "catalog cache")
        if not isinstance(doc, dict) or doc.get("key") != key or not isinstance(doc.get("tables"), dict):
            return None
        cat = Catalog()
        for table, cls in ENTRY_CLASSES.items():
            target, ident = cat.table(table), TABLES[table]
            for raw in doc["tables"].get(table, []):
                entry = _restore(cls, raw)
                target[getattr(entry, ident)] = entry
        return cat
    except (BadFile, OSError, ValueError, TypeError, AttributeError):
        return None  # validated again, and the cache rewritten


def _restore(cls: type, raw: Any) -> Any:
    """An entry of `cls` from its to_dict() form, each field checked against its declared type."""
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = {f.name: _RESTORERS[str(f.type)] for f in dataclasses.fields(cls)}
    if not isinstance(raw, dict) or raw.keys() != fields.keys():
        raise ValueError(f"not a {cls.__name__}")
    return cls(**{name: restore(raw[name]) for name, restore in fields.items()})


def _check(ok: Any, convert: Any = None) -> Any:
    def restore(v: Any) -> Any:
        if not ok(v):
            raise ValueError(f"{v!r:.40} is not of the cached field's type")
        return convert(v) if convert else v

    return restore


def _optional(restore: Any) -> Any:
    return lambda v: None if v is None else restore(v)


_str = _check(lambda v: isinstance(v, str))
_int = _check(lambda v: isinstance(v, int) and not isinstance(v, bool))
_float = _check(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v), float)
_RESTORERS: dict[str, Any] = {
    "str": _str, "str | None": _optional(_str), "int": _int, "int | None": _optional(_int),
    "float": _float, "float | None": _optional(_float), "bool": _check(lambda v: isinstance(v, bool)),
    "tuple[str, ...]": _check(lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), tuple),
    "dt.date | None": _optional(_check(lambda v: isinstance(v, str), dt.date.fromisoformat)),
    "dict[str, Any]": _check(lambda v: isinstance(v, dict)),
    "GgufFile | None": _check(lambda v: v is None),  # never in a catalog file
}
_FIELDS: dict[type, dict[str, Any]] = {}


def _write_cache(path: Path, key: str, cat: Catalog) -> None:
    """Cache `cat` atomically; a cache folder that cannot be written (or is a file) only costs speed."""
    doc = {"key": key, "tables": {t: [e.to_dict() for e in cat.table(t).values()] for t in TABLES}}
    try:
        data = json.dumps(doc, allow_nan=False, separators=(",", ":")).encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
        _remove_old_caches(path)
    except (OSError, TypeError, ValueError):  # TypeError/ValueError: a value JSON cannot hold
        pass


def _remove_old_caches(keep: Path) -> None:
    now = time.time()
    for old in keep.parent.glob("catalog-*"):
        try:
            if old.suffix == ".pickle" or (old != keep and now - old.stat().st_mtime > CACHE_KEEP_S):
                old.unlink()  # pickles: the format before 2, never read again
        except OSError:
            continue


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
