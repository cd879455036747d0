"""Load the catalog: the built-in TOML files, then the user's, each validated before merging.

A bad file raises CatalogError naming the file, the entry and the field; it is
never skipped silently. User entries override built-in ones with the same id
(models, GPUs, devices) or name (quantizations).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from catalog.schema import DeviceEntry, GpuEntry, ModelEntry, QuantEntry

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DATA_DIR = Path(__file__).parent / "data"
# table name in a TOML file -> (entry class, the field that identifies an entry)
TABLES: dict[str, tuple[type[BaseModel], str]] = {
    "models": (ModelEntry, "id"),
    "quants": (QuantEntry, "name"),
    "gpus": (GpuEntry, "id"),
    "devices": (DeviceEntry, "id"),
}


class CatalogError(Exception):
    """A catalog file that cannot be used: names the file, entry and field."""

    def __init__(self, path: Path | str, message: str, entry: str = "", field: str = "") -> None:
        where = str(path)
        if entry:
            where += f": entry {entry}"
        if field:
            where += f", field {field}"
        super().__init__(f"{where}: {message}")
        self.path, self.entry, self.field = str(path), entry, field


@dataclass
class Catalog:
    models: dict[str, ModelEntry] = field(default_factory=dict)
    quants: dict[str, QuantEntry] = field(default_factory=dict)
    gpus: dict[str, GpuEntry] = field(default_factory=dict)
    devices: dict[str, DeviceEntry] = field(default_factory=dict)

    def table(self, name: str) -> dict[str, Any]:
        return getattr(self, name)


def _entry_label(raw: Any, key: str, index: int, table: str) -> str:
    if isinstance(raw, dict) and isinstance(raw.get(key), str):
        return f"{table}[{index}] ({raw[key]})"
    return f"{table}[{index}]"


def load_file(path: Path) -> dict[str, list[BaseModel]]:
    """The validated entries of one TOML file, by table name."""
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
    out: dict[str, list[BaseModel]] = {}
    for table, items in doc.items():
        cls, key = TABLES[table]
        if not isinstance(items, list):
            raise CatalogError(path, f"'{table}' must be an array of tables ([[{table}]])")
        entries = []
        seen: set[str] = set()
        for i, raw in enumerate(items):
            label = _entry_label(raw, key, i, table)
            try:
                entry = cls.model_validate(raw)
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


def load_catalog(extra_dirs: Iterable[Path] = (), builtin: bool = True) -> Catalog:
    """The built-in catalog (if `builtin`) overridden by every TOML file in `extra_dirs`, in order."""
    cat = Catalog()
    dirs = ([DATA_DIR] if builtin else []) + [Path(d) for d in extra_dirs]
    for directory in dirs:
        if not directory.is_dir():
            if directory == DATA_DIR:
                raise CatalogError(directory, "the built-in catalog is missing")
            continue
        for path in _toml_files(directory):
            for table, entries in load_file(path).items():
                key = TABLES[table][1]
                target = cat.table(table)
                for entry in entries:
                    target[getattr(entry, key)] = entry
    _check_references(cat)
    return cat


def _check_references(cat: Catalog) -> None:
    for m in cat.models.values():
        for q in m.quants:
            if q not in cat.quants:
                raise CatalogError("catalog", f"lists quant {q!r}, which no file defines", m.id, "quants")
