"""Models from local files: a Hugging Face config.json (or its folder) and GGUF files."""

from __future__ import annotations

import datetime as dt
import json
import re
import struct
from pathlib import Path
from typing import Any

from vramtui.catalog.entries import ModelEntry
from vramtui.core.arch import Architecture
from vramtui.core.errors import ConfigError, ModelSourceError
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.tensors import checkpoint_parameter_count
from vramtui.sources import _exists, is_repo_id, slug
from vramtui.sources.gguf_reader import SHARD, GgufFormatError, hf_config, read_model

CONFIG = "config.json"
INDEX = "model.safetensors.index.json"
SINGLE = "model.safetensors"
DEFAULT_ENDPOINT = "https://huggingface.co"
MAX_SAFETENSORS_HEADER = 100 * 2**20
DTYPE_BYTES = {
    "float64": 8, "float32": 4, "float": 4, "float16": 2, "half": 2, "bfloat16": 2,
    "float8_e4m3fn": 1, "float8_e5m2": 1, "int8": 1, "uint8": 1,
}
_HF_URL = re.compile(r"huggingface\.co/(?:models/)?([\w.-]+/[\w.-]+)")


def from_path(path: Path) -> ModelEntry:
    """A model from a config.json, a folder holding one (or one .gguf), or a .gguf file."""
    try:
        path.stat()
    except FileNotFoundError:
        raise ModelSourceError(path, "no such file or folder") from None
    except (OSError, ValueError) as e:
        raise ModelSourceError(path, f"cannot be read ({getattr(e, 'strerror', None) or e})") from None
    if path.is_dir():
        if (path / CONFIG).is_file():
            return from_config_file(path / CONFIG)
        ggufs = _model_ggufs(path)
        if len(ggufs) == 1:
            return from_gguf(ggufs[0])
        if ggufs:
            names = ", ".join(p.name for p in ggufs[:4])
            raise ModelSourceError(path, f"holds several GGUF models ({names}...): name one")
        raise ModelSourceError(path, f"holds no {CONFIG} and no .gguf file")
    if not path.is_file():
        raise ModelSourceError(path, "is neither a file nor a folder")
    if path.name.lower().endswith(".gguf") or _magic(path) == b"GGUF":
        return from_gguf(path)
    if path.name == INDEX:
        return from_config_file(path.parent / CONFIG)
    return from_config_file(path)


def _magic(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(4)
    except OSError:
        return b""


def _model_ggufs(folder: Path) -> list[Path]:
    """The .gguf models in a folder: one path per model (a split model's first shard), no mmproj files."""
    out = []
    for p in sorted(folder.glob("*.gguf")):
        m = SHARD.match(p.name)
        if m and int(m.group("no")) != 1:
            continue
        if "mmproj" in p.name.lower():
            continue
        out.append(p)
    return out


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as e:
        raise ModelSourceError(path, f"cannot be read ({e.strerror or e.__class__.__name__})") from None
    except UnicodeDecodeError:
        raise ModelSourceError(path, f"is not a {what} (not UTF-8 text)") from None
    except json.JSONDecodeError as e:
        raise ModelSourceError(path, f"is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if not isinstance(data, dict):
        raise ModelSourceError(path, f"is not a {what} (not a JSON object)")
    return data


def _architecture(cfg: dict[str, Any], source: Path | str) -> Architecture:
    try:
        return architecture_from_config(cfg)
    except ConfigError as e:
        raise ModelSourceError(source, f"{e.field} {e.problem}", field=e.field) from None


def _torch_dtype(cfg: dict[str, Any]) -> str:
    nested = cfg.get("text_config")
    text: dict[str, Any] = nested if isinstance(nested, dict) else {}
    for c in (cfg, text):
        for key in ("torch_dtype", "dtype"):
            if isinstance(c.get(key), str):
                return c[key].removeprefix("torch.")
    return ""


def _safetensors_elements(path: Path) -> int | None:
    """Elements of every tensor in a .safetensors file, from its JSON header (the weights are not read)."""
    try:
        with path.open("rb") as f:
            raw = f.read(8)
            if len(raw) < 8:
                return None
            (n,) = struct.unpack("<Q", raw)
            if n > MAX_SAFETENSORS_HEADER:
                return None
            header = json.loads(f.read(n))
    except (OSError, ValueError):
        return None
    total = 0
    for name, info in header.items():
        if name == "__metadata__" or not isinstance(info, dict):
            continue
        count = 1
        for d in info.get("shape", []):
            count *= int(d)
        total += count
    return total


def checkpoint_params(
    cfg: dict[str, Any], index: dict[str, Any] | None, folder: Path | None, computed: int
) -> tuple[int, bool, str]:
    """(parameters, exact?, how we know) for a checkpoint, best source first.

    1. the safetensors files' own headers, when they are all in `folder`;
    2. the index's metadata.total_parameters;
    3. the index's metadata.total_size ÷ bytes per parameter of torch_dtype (not for
       quantized checkpoints, whose tensors are of several types);
    4. the count computed from the architecture's shapes.
    """
    if folder is not None:
        wmap = index.get("weight_map") if index else None
        files = sorted({f for f in wmap.values() if isinstance(f, str)}) if isinstance(wmap, dict) else [SINGLE]
        paths = [folder / f for f in files if f and Path(f).name == f]  # plain names: never outside the folder
        if paths and len(paths) == len(files) and all(p.is_file() for p in paths):
            counts = [_safetensors_elements(p) for p in paths]
            if all(c is not None for c in counts):
                return sum(counts), True, "the safetensors headers"  # type: ignore[arg-type]
    meta = index.get("metadata", {}) if index else {}
    if not isinstance(meta, dict):
        meta = {}
    total = meta.get("total_parameters")
    if isinstance(total, int) and total > 0:
        return total, True, f"{INDEX} total_parameters"
    size = meta.get("total_size")
    per = DTYPE_BYTES.get(_torch_dtype(cfg))
    if isinstance(size, int) and size > 0 and per and "quantization_config" not in cfg and size % per == 0:
        # A torch_dtype that is not the files' dtype would be off by 2x or more: then trust the shapes.
        if 0.6 <= size / per / max(1, computed) <= 1.6:
            return size // per, True, f"{INDEX} total_size ÷ {per} bytes ({_torch_dtype(cfg)})"
    return computed, False, "computed from the config's shapes"


def _repo_from_config(cfg: dict[str, Any]) -> str | None:
    name = cfg.get("_name_or_path")
    if isinstance(name, str) and is_repo_id(name) and not _exists(Path(name)):
        return name
    return None


def from_config_file(path: Path, *, hub: dict[str, Any] | None = None) -> ModelEntry:
    """A model from a Hugging Face config.json, with the safetensors index beside it if there is one."""
    if not path.is_file():
        raise ModelSourceError(path, "no such file")
    cfg = _read_json(path, "config.json")
    a = _architecture(cfg, path)
    folder = path.parent
    index = _read_json(folder / INDEX, "safetensors index") if (folder / INDEX).is_file() else None
    computed = checkpoint_parameter_count(a)
    params, exact, how = checkpoint_params(cfg, index, None if hub else folder, computed)
    mt = str(cfg.get("model_type") or (cfg.get("architectures") or ["model"])[0])
    if hub is not None:
        repo = hub["repo"]
        if isinstance(hub.get("params"), int) and hub["params"] > 0:
            params, exact, how = hub["params"], True, "the Hub's safetensors total"
        endpoint = hub.get("endpoint", DEFAULT_ENDPOINT)
        try:
            released = dt.date.fromisoformat(hub["created"]) if isinstance(hub.get("created"), str) else None
        except ValueError:
            released = None
        return ModelEntry(
            id=slug(repo.split("/")[1]),
            name=repo.split("/")[1],
            hf_repo=repo,
            publisher=repo.split("/")[0],
            family=mt,
            params=params,
            source=f"{endpoint}/{repo}/blob/main/{CONFIG}",
            config=cfg,
            params_exact=exact,
            release_date=released,
            license=hub.get("license") or "",
            description=f"Fetched from {endpoint}; parameters from {how}.",
            verified_from=f"cached in {path.parent}",
            downloads=hub.get("downloads"),
            likes=hub.get("likes"),
        )
    repo = _repo_from_config(cfg)
    label = folder.name if path.name == CONFIG else path.stem
    return ModelEntry(
        id=slug(label),
        name=label,
        hf_repo=repo or f"local/{slug(label)}",
        publisher=repo.split("/")[0] if repo else "local",
        family=mt,
        params=params,
        source=str(path),
        config=cfg,
        params_exact=exact,
        description=f"Read from {path}; parameters from {how}.",
    )




# ---------------------------------------------------------------- GGUF files


def _gguf_repo(meta: dict[str, Any]) -> str | None:
    for key in ("general.source.huggingface.repository", "general.source.repo_url", "general.source.url",
                "general.base_model.0.repo_url", "general.url", "general.repo_url"):
        v = meta.get(key)
        if not isinstance(v, str):
            continue
        m = _HF_URL.search(v)
        candidate = m.group(1) if m else v
        if is_repo_id(candidate):
            return candidate
    return None


def from_gguf(path: Path) -> ModelEntry:
    """A model from a .gguf file's header (all shards of a split file): exact tensor types and shapes."""
    try:
        m = read_model(path)
    except GgufFormatError as e:
        raise ModelSourceError(e.path, e.problem) from None
    meta = m.metadata
    arch = m.architecture
    if arch == "clip" or meta.get("general.type") == "mmproj":
        raise ModelSourceError(path, "is a vision projector (mmproj), not a language model: open the model's .gguf")
    try:
        cfg = hf_config(m)
    except KeyError as e:
        key = str(e.args[0])
        raise ModelSourceError(path, f"metadata {key} is missing", field=key) from None
    _architecture(cfg, path)  # fails here, naming the field, rather than when the entry is used
    stem = path.name[: -len(".gguf")] if path.name.lower().endswith(".gguf") else path.name
    shard = SHARD.match(path.name)
    if shard:
        stem = shard.group("stem")
    repo = _gguf_repo(meta)
    name = meta.get("general.name") if isinstance(meta.get("general.name"), str) else stem
    f = m.file
    ftype = f.file_type or "unknown type"
    shards = f" in {f.shards} shards" if f.shards > 1 else ""
    return ModelEntry(
        id=slug(stem),
        name=str(name or stem),
        hf_repo=repo or f"local/{slug(stem)}",
        publisher=str(meta.get("general.organization") or (repo.split("/")[0] if repo else "local")),
        family=str(meta.get("general.basename") or arch),
        params=f.parameters,
        source=str(path),
        config=cfg,
        params_exact=True,
        license=str(meta.get("general.license") or ""),
        description=f"Read from {path.name}: {ftype}, {len(f.tensors)} tensors{shards}, GGUF architecture {arch}.",
        gguf_file=f,
    )
