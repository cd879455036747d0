"""Turn a Hugging Face config.json and a few facts into a checked [[models]] catalog entry.

    .venv/bin/python scripts/add_model.py path/to/config.json --repo Qwen/Qwen3-8B \
        --publisher Qwen --family Qwen3 --license Apache-2.0 --date 2025-04-29 \
        --params 8190735360 --source-note "GitHub owner/repo path @commit" --tags Chat,Reasoning \
        --description "..." [--append]

The config is kept verbatim (nulls dropped: TOML has no null; `auto_map` and
`quantization_config`, which describe a re-upload's code and packing, not the model,
dropped too). The entry is then checked as `make test` checks the catalog: the schema,
the parameter count computed from the shapes against --params (within 1 %), and no
clash with an entry's id or repo. Printed, or with --append added to
catalog/data/models.toml. A failed check exits 2 with one line saying why.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomllib

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
MODELS_TOML = ROOT / "catalog" / "data" / "models.toml"
DROPPED_KEYS = ("auto_map", "quantization_config")
TOLERANCE = 0.01  # the catalog test's: computed parameters within 1 % of the published count
# Bytes per parameter of a checkpoint's dtype, to turn a safetensors index's total_size into a count.
DTYPE_BYTES = {"bfloat16": 2, "float16": 2, "float32": 4}
ENTRY_ORDER = (
    "id", "name", "hf_repo", "publisher", "family", "params", "params_exact", "release_date", "license",
    "tags", "description", "source", "verified_from", "downloads", "likes", "vision_params", "mtp_layers",
    "unsupported", "quants",
)


class EntryError(Exception):
    """A fact or check that stops the entry: printed as one line, exit status 2."""


# ---------------------------------------------------------------- building the entry


def clean_config(cfg: Any) -> Any:
    """The config without nulls (at any depth) and without re-upload-only blocks at the top."""
    if isinstance(cfg, Mapping):
        return {k: clean_config(v) for k, v in cfg.items() if v is not None}
    if isinstance(cfg, list):
        return [clean_config(v) for v in cfg if v is not None]
    return cfg


def params_from_index(index: Mapping[str, Any], cfg: Mapping[str, Any]) -> int:
    """The parameter count a safetensors index states, or derives from total_size and the dtype."""
    meta = index.get("metadata") or {}
    total = meta.get("total_parameters")
    if isinstance(total, int) and total > 0:
        return total
    size = meta.get("total_size")
    dtype = cfg.get("torch_dtype") or cfg.get("dtype") or (cfg.get("text_config") or {}).get("torch_dtype")
    if isinstance(size, int) and size > 0 and dtype in DTYPE_BYTES:
        return size // DTYPE_BYTES[dtype]
    raise EntryError("the safetensors index gives no total_parameters and no total_size of a 16/32-bit "
                     "checkpoint; pass --params")


def slug(repo: str) -> str:
    """A catalog id from a repo id: its name, lowercased (Qwen/Qwen3-8B -> qwen3-8b)."""
    return re.sub(r"[^a-z0-9._-]+", "-", repo.split("/")[-1].lower()).strip("-")


def build_entry(cfg: Mapping[str, Any], facts: Mapping[str, Any]) -> dict[str, Any]:
    """A [[models]] entry (plain dict, catalog field order) from a config and the facts given."""
    repo = facts["repo"]
    entry: dict[str, Any] = {
        "id": facts.get("id") or slug(repo),
        "name": facts.get("name") or repo.split("/")[-1].replace("-", " "),
        "hf_repo": repo,
        "publisher": facts["publisher"],
        "family": facts["family"],
        "params": facts["params"],
        "params_exact": bool(facts.get("params_exact")),
        "release_date": facts.get("date"),
        "license": facts.get("license") or "",
        "tags": list(facts.get("tags") or []),
        "description": facts.get("description") or "",
        "source": facts.get("source") or f"https://huggingface.co/{repo}/blob/main/config.json",
        "verified_from": facts.get("verified_from") or "",
        "vision_params": facts.get("vision_params"),
        "mtp_layers": facts.get("mtp_layers"),
        "unsupported": facts.get("unsupported") or "",
    }
    entry = {k: v for k, v in entry.items() if v not in (None, "", [])}
    config = clean_config({k: v for k, v in cfg.items() if k not in DROPPED_KEYS})
    entry["config"] = config
    return entry


# ---------------------------------------------------------------- checks


def check_entry(entry: Mapping[str, Any], catalog_toml: Path | None = MODELS_TOML) -> str:
    """Validate `entry` as the catalog does; a one-line summary, or EntryError saying what is wrong."""
    from pydantic import ValidationError
    from vramtui.catalog.schema import ModelSchema
    from vramtui.core.errors import VramtuiError
    from vramtui.core.tensors import checkpoint_parameter_count

    try:
        model = ModelSchema.model_validate(dict(entry)).to_entry()
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "entry"
        raise EntryError(f"{where}: {err['msg'].removeprefix('Value error, ')}") from None
    if catalog_toml is not None and catalog_toml.is_file():
        existing = tomllib.loads(catalog_toml.read_text(encoding="utf-8")).get("models", [])
        for other in existing:
            if str(other.get("hf_repo", "")).lower() == model.hf_repo.lower():
                raise EntryError(f"{model.hf_repo} is already in {catalog_toml.name} as {other.get('id')!r}")
            if other.get("id") == model.id:
                raise EntryError(f"id {model.id!r} is already in {catalog_toml.name}; pass --id")
    if model.unsupported:
        return f"{model.id}: listed as not sizeable yet ({model.unsupported})"
    try:
        a = model.architecture
    except VramtuiError as e:
        raise EntryError(str(e)) from None
    computed = checkpoint_parameter_count(a)
    # A tied head stored as its own tensor counts vocab x hidden twice in some checkpoints.
    candidates = [computed] + ([computed + a.vocab * a.hidden] if a.tied_embeddings else [])
    best = min(candidates, key=lambda c: abs(c / model.params - 1))
    ratio = best / model.params
    if abs(ratio - 1) > TOLERANCE:
        raise EntryError(
            f"the config's shapes give {computed:,} parameters, {ratio - 1:+.2%} from --params "
            f"{model.params:,}: check the config, the count, or what the core does not model"
        )
    return f"{model.id}: {computed:,} parameters from the shapes, {ratio - 1:+.3%} from {model.params:,}"


# ---------------------------------------------------------------- TOML


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):  # the catalog refuses them: the user drops or replaces the key
            raise EntryError(f"the config holds a non-finite number ({v}), which the catalog refuses")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise EntryError(f"cannot write {type(v).__name__} to TOML")


def _table(path: str, d: Mapping[str, Any]) -> list[str]:
    lines = [f"[{path}]"]
    nested = []
    for k, v in d.items():
        if isinstance(v, Mapping):
            nested.append((k, v))
        else:
            lines.append(f"{_key(k)} = {_value(v)}")
    for k, v in nested:
        lines += _table(f"{path}.{_key(k)}", v)
    return lines


def to_toml(entry: Mapping[str, Any]) -> str:
    """One [[models]] table: the facts in catalog order, then [models.config] and its sub-tables."""
    lines = ["[[models]]"]
    for k in ENTRY_ORDER:
        if k in entry:
            lines.append(f"{k} = {_value(entry[k])}")
    extra = set(entry) - set(ENTRY_ORDER) - {"config"}
    for k in sorted(extra):
        lines.append(f"{_key(k)} = {_value(entry[k])}")
    if entry.get("config"):
        lines += _table("models.config", entry["config"])
    text = "\n".join(lines) + "\n"
    if tomllib.loads(text)["models"][0] != _normalised(entry):  # what we wrote must read back the same
        raise EntryError("the TOML written does not read back as the entry")
    return text


def _normalised(v: Any) -> Any:
    """`v` as tomllib returns it (tuples as lists)."""
    if isinstance(v, Mapping):
        return {k: _normalised(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_normalised(x) for x in v]
    return v


def append_entry(text: str, path: Path = MODELS_TOML) -> None:
    """Add `text` at the end of the catalog file, atomically (a temporary file, then a rename)."""
    old = path.read_text(encoding="utf-8")
    new = old.rstrip("\n") + "\n\n" + text
    tomllib.loads(new)  # the whole file must still parse
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(path)


# ---------------------------------------------------------------- command line


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _count(text: str) -> int:
    cleaned = text.replace(",", "").replace("_", "")
    if not cleaned.isdigit() or int(cleaned) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(cleaned)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="add_model.py", description=__doc__.split("\n\n")[0])
    p.add_argument("config", type=Path, help="the model's config.json")
    p.add_argument("--repo", required=True, help="Hugging Face repo id, exact case (Org/Name)")
    p.add_argument("--publisher", required=True)
    p.add_argument("--family", required=True)
    count = p.add_mutually_exclusive_group(required=True)
    count.add_argument("--params", type=_count, help="the published parameter count")
    count.add_argument("--index", type=Path, help="model.safetensors.index.json: its parameter count")
    p.add_argument("--exact", action="store_true", help="--params is the exact safetensors count")
    p.add_argument("--license", default="")
    p.add_argument("--date", type=_date, help="release date, YYYY-MM-DD")
    p.add_argument("--source", help="the config's address (default: the repo's config.json on the Hub)")
    p.add_argument("--source-note", dest="verified_from", default="",
                   help="where the config and the count were read (repo@commit path, page)")
    p.add_argument("--tags", default="", help="comma-separated: Chat, Base, Reasoning, Tools, Code, Vision...")
    p.add_argument("--description", default="")
    p.add_argument("--id", help="catalog id (default: the repo name, lowercased)")
    p.add_argument("--name", help="display name (default: the repo name)")
    p.add_argument("--vision-params", type=_count, help="parameters of the vision/audio towers")
    p.add_argument("--mtp-layers", type=int, help="MTP layers the checkpoint holds, where the config says otherwise")
    p.add_argument("--unsupported", default="", help="what vramtui lacks to size this model (lists it unsized)")
    p.add_argument("--append", action="store_true", help=f"add the entry to {MODELS_TOML.relative_to(ROOT)}")
    p.add_argument("--catalog-file", type=Path, default=MODELS_TOML, help=argparse.SUPPRESS)
    return p


def _read_json(path: Path, what: str) -> Any:
    try:
        if path.stat().st_size > 16 * 1024 * 1024:
            raise EntryError(f"{path}: larger than 16 MiB, not a {what}")
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise EntryError(f"{path}: cannot read it as a {what} ({e.__class__.__name__})") from None


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        cfg = _read_json(args.config, "config.json")
        if not isinstance(cfg, dict):
            raise EntryError(f"{args.config}: not a JSON object")
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", args.repo):
            raise EntryError(f"--repo {args.repo!r} is not an Org/Name repo id")
        count = args.params if args.params else params_from_index(_read_json(args.index, "safetensors index"), cfg)
        facts = {
            "repo": args.repo, "publisher": args.publisher, "family": args.family, "params": count,
            "params_exact": args.exact or args.index is not None, "date": args.date, "license": args.license,
            "tags": [t.strip() for t in args.tags.split(",") if t.strip()], "description": args.description,
            "source": args.source, "verified_from": args.verified_from, "id": args.id, "name": args.name,
            "vision_params": args.vision_params, "mtp_layers": args.mtp_layers, "unsupported": args.unsupported,
        }
        entry = build_entry(cfg, facts)
        summary = check_entry(entry, args.catalog_file)
        text = to_toml(entry)
        if args.append:
            append_entry(text, args.catalog_file)
            print(f"added {summary}", file=sys.stderr)
        else:
            print(text, end="")
            print(f"checked {summary}", file=sys.stderr)
    except EntryError as e:
        print(f"add_model.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
