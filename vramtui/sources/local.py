"""Models from local files: a Hugging Face config.json (or its folder) and GGUF files."""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path
from typing import Any

from vramtui.catalog.entries import ModelEntry
from vramtui.catalog.files import MIB, BadFile, open_regular, parse_json, read_json
from vramtui.core.arch import Architecture
from vramtui.core.config_fields import as_whole
from vramtui.core.errors import ConfigError, ModelSourceError
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.tensors import checkpoint_parameter_count
from vramtui.sources import _exists, is_repo_id, slug
from vramtui.sources.gguf_reader import SHARD, GgufFormatError, hf_config, read_model

CONFIG = "config.json"
INDEX = "model.safetensors.index.json"
SINGLE = "model.safetensors"
DEFAULT_ENDPOINT = "https://huggingface.co"
MAX_SAFETENSORS_HEADER = 32 * MIB  # the format allows 100; a single-file DeepSeek-V3 would need 14
MAX_CONFIG = 16 * MIB  # the largest config.json on the Hub is well under 1 MiB
MAX_INDEX = 64 * MIB  # DeepSeek-V3's safetensors index, 91,000 tensors, is 9 MiB
MAX_PARAMS = 10**14  # 100 trillion: no model is within a factor of 50 of it
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
        if os.path.lexists(path / CONFIG):
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
        with open_regular(path) as f:
            return f.read(4)
    except (BadFile, OSError):
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


def _read_json(path: Path, what: str, limit: int = MAX_CONFIG) -> dict[str, Any]:
    """The JSON object in `path`: a regular file of at most `limit` bytes, bounded in depth."""
    try:
        data = read_json(path, what, limit)
    except BadFile as e:
        raise ModelSourceError(e.path, e.problem) from None
    if not isinstance(data, dict):
        raise ModelSourceError(path, f"is not a {what} (not a JSON object)")
    return data


def _whole(source: object, field: str, value: Any, lo: int = 1, hi: int = MAX_PARAMS) -> int:
    """`value` as a whole number in [lo, hi]; ModelSourceError naming the file and field otherwise."""
    try:
        return as_whole(field, value, lo, hi)
    except ConfigError as e:
        raise ModelSourceError(source, f"{e.field} {e.problem}", field=e.field) from None


def check_index(index: dict[str, Any], source: object) -> dict[str, Any]:
    """A safetensors index whose metadata counts are whole numbers and whose weight_map names files."""
    meta = index.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise ModelSourceError(source, "metadata must be a JSON object", field="metadata")
    for key in ("total_parameters", "total_size"):
        if meta and meta.get(key) is not None:
            _whole(source, f"metadata.{key}", meta[key], hi=8 * MAX_PARAMS)
    wmap = index.get("weight_map")
    if wmap is not None and not (isinstance(wmap, dict) and all(isinstance(f, str) for f in wmap.values())):
        raise ModelSourceError(source, "weight_map must map tensor names to file names", field="weight_map")
    return index


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


_LFS_POINTER = b"version https://git-lfs"


def _safetensors_elements(path: Path) -> int | None:
    """Elements of every tensor in a .safetensors file, from its JSON header (the weights are not read).

    None for a Git LFS pointer (a clone without the weights); ModelSourceError for a header
    that is not one: too short, too long, not a JSON object, a shape of anything but whole numbers.
    """
    try:
        with open_regular(path) as f:
            head = f.read(len(_LFS_POINTER))
            if head == _LFS_POINTER:
                return None
            if len(head) < 8:
                raise ModelSourceError(path, "is too short to be a safetensors file")
            (n,) = struct.unpack("<Q", head[:8])
            f.seek(8)
            if n > MAX_SAFETENSORS_HEADER:
                raise ModelSourceError(path, f"declares a header of {n:,} bytes, more than the "
                                             f"{MAX_SAFETENSORS_HEADER // MIB} MiB vramtui reads")
            data = f.read(n)
    except BadFile as e:
        raise ModelSourceError(e.path, e.problem) from None
    except OSError as e:
        raise ModelSourceError(path, f"cannot be read ({e.strerror or e.__class__.__name__})") from None
    if len(data) < n:
        raise ModelSourceError(path, "is truncated inside its header")
    try:
        header = parse_json(data, path, "safetensors header")
    except BadFile as e:
        raise ModelSourceError(path, f"header {e.problem}") from None
    if not isinstance(header, dict):
        raise ModelSourceError(path, "header is not a JSON object")
    total = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        shape = info.get("shape") if isinstance(info, dict) else None
        field = f"{name[:60]}.shape"
        if not isinstance(shape, list) or len(shape) > 8:
            raise ModelSourceError(path, f"{field} must be a list of dimensions", field=field)
        count = 1
        for d in shape:
            count *= _whole(path, field, d, lo=0)
        total += count
    return _whole(path, "tensor elements", total)


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
        if paths and len(paths) == len(files) and all(os.path.lexists(p) for p in paths):
            counts = [_safetensors_elements(p) for p in paths]
            if all(c is not None for c in counts):
                return _whole(folder, "safetensors elements", sum(counts)), True, "the safetensors headers"  # type: ignore[arg-type]
    meta = (index.get("metadata") or {}) if index else {}  # checked by check_index: counts are whole
    total = meta.get("total_parameters")
    if total:
        return int(total), True, f"{INDEX} total_parameters"
    size = meta.get("total_size")
    per = DTYPE_BYTES.get(_torch_dtype(cfg))
    if size and per and "quantization_config" not in cfg and size % per == 0:
        # A torch_dtype that is not the files' dtype would be off by 2x or more: then trust the shapes.
        if 0.6 <= size / per / max(1, computed) <= 1.6:
            return int(size) // per, True, f"{INDEX} total_size ÷ {per} bytes ({_torch_dtype(cfg)})"
    return computed, False, "the config's shapes (computed, no published count found)"


def _repo_from_config(cfg: dict[str, Any]) -> str | None:
    name = cfg.get("_name_or_path")
    if isinstance(name, str) and is_repo_id(name) and not _exists(Path(name)):
        return name
    return None


def model_family(cfg: dict[str, Any]) -> str:
    """The family a config names: its model_type, else its first architecture (both checked as names)."""
    return str(cfg.get("model_type") or (cfg.get("architectures") or ["model"])[0])


def from_config_file(path: Path) -> ModelEntry:
    """A model from a Hugging Face config.json, with the safetensors index beside it if there is one."""
    cfg = _read_json(path, "config.json")
    a = _architecture(cfg, path)
    folder = path.parent
    index = None
    if os.path.lexists(folder / INDEX):
        index = check_index(_read_json(folder / INDEX, "safetensors index", MAX_INDEX), folder / INDEX)
    params, exact, how = checkpoint_params(cfg, index, folder, checkpoint_parameter_count(a))
    mt = model_family(cfg)
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
    except GgufFormatError as e:
        raise ModelSourceError(e.path, e.problem, field=e.field) from None
    a = _architecture(cfg, path)  # fails here, naming the field, rather than when the entry is used
    if m.file.parameters == 0:
        raise ModelSourceError(path, "holds no weights (no tensor has any element): nothing to size")
    last = max((t.layer for t, _ in m.file.tensor_types() if t.layer is not None), default=-1)
    if last >= a.layers:
        raise ModelSourceError(path, f"has tensors of layer {last}, but {arch}.block_count is {a.layers}",
                               field=f"{arch}.block_count")
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
