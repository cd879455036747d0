"""Models that are not in the catalog: a local config.json, a local .gguf file, or any Hub repo id.

- A config.json (or a folder holding one): the architecture from the config; the
  parameter count, exact where the folder says it (safetensors headers, or the
  safetensors index's total_parameters / total_size), else computed from the shapes.
- A .gguf file (or any shard of a split one): the header only, never the weights;
  every tensor's type and shape make the weights figure of the file's own
  quantization exact (ModelEntry.gguf_file, summed by core.gguf_file).
- A Hugging Face repo id: config.json and model.safetensors.index.json fetched with
  huggingface_hub (the optional `vramtui[hub]` extra; HF_ENDPOINT and HF_TOKEN
  honoured), kept under the cache directory so the next lookup needs no network.

Every failure is a CustomModelError (a CatalogError: the command line prints it on
one line and exits 2) naming the file or repo and, where there is one, the field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import struct
import tempfile
from pathlib import Path
from typing import Any

from catalog.entries import ModelEntry
from catalog.gguf_reader import SHARD, GgufFormatError, hf_config, read_model
from catalog.loader import Catalog, CatalogError
from core.arch import Architecture
from core.hf_config import ConfigError, architecture_from_config
from core.tensors import checkpoint_parameter_count

CONFIG = "config.json"
INDEX = "model.safetensors.index.json"
SINGLE = "model.safetensors"
HUB_INFO = "vramtui-hub.json"  # written last: a cached repo is complete when it exists
DEFAULT_ENDPOINT = "https://huggingface.co"
HUB_TIMEOUT_S = 10.0
MAX_SAFETENSORS_HEADER = 100 * 2**20
DTYPE_BYTES = {
    "float64": 8, "float32": 4, "float": 4, "float16": 2, "half": 2, "bfloat16": 2,
    "float8_e4m3fn": 1, "float8_e5m2": 1, "int8": 1, "uint8": 1,
}
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
_HF_URL = re.compile(r"huggingface\.co/(?:models/)?([\w.-]+/[\w.-]+)")


class CustomModelError(CatalogError):
    """A config.json, .gguf file or repo that cannot be sized: names it and, where known, the field."""

    def __init__(self, source: Path | str, message: str, field: str = "") -> None:
        Exception.__init__(self, f"{source}: {message}")
        self.path, self.entry, self.field = str(source), "", field


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
        return from_path(path)
    if is_repo_id(t):
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


# ---------------------------------------------------------------- local files


def from_path(path: Path) -> ModelEntry:
    """A model from a config.json, a folder holding one (or one .gguf), or a .gguf file."""
    try:
        path.stat()
    except FileNotFoundError:
        raise CustomModelError(path, "no such file or folder") from None
    except (OSError, ValueError) as e:
        raise CustomModelError(path, f"cannot be read ({getattr(e, 'strerror', None) or e})") from None
    if path.is_dir():
        if (path / CONFIG).is_file():
            return from_config_file(path / CONFIG)
        ggufs = _model_ggufs(path)
        if len(ggufs) == 1:
            return from_gguf(ggufs[0])
        if ggufs:
            names = ", ".join(p.name for p in ggufs[:4])
            raise CustomModelError(path, f"holds several GGUF models ({names}...): name one")
        raise CustomModelError(path, f"holds no {CONFIG} and no .gguf file")
    if not path.is_file():
        raise CustomModelError(path, "is neither a file nor a folder")
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
        raise CustomModelError(path, f"cannot be read ({e.strerror or e.__class__.__name__})") from None
    except UnicodeDecodeError:
        raise CustomModelError(path, f"is not a {what} (not UTF-8 text)") from None
    except json.JSONDecodeError as e:
        raise CustomModelError(path, f"is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if not isinstance(data, dict):
        raise CustomModelError(path, f"is not a {what} (not a JSON object)")
    return data


def _architecture(cfg: dict[str, Any], source: Path | str) -> Architecture:
    try:
        return architecture_from_config(cfg)
    except ConfigError as e:
        raise CustomModelError(source, f"{e.field} {e.problem}", field=e.field) from None


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
        raise CustomModelError(path, "no such file")
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
        raise CustomModelError(e.path, e.problem) from None
    meta = m.metadata
    arch = m.architecture
    if arch == "clip" or meta.get("general.type") == "mmproj":
        raise CustomModelError(path, "is a vision projector (mmproj), not a language model: open the model's .gguf")
    try:
        cfg = hf_config(m)
    except KeyError as e:
        key = str(e.args[0])
        raise CustomModelError(path, f"metadata {key} is missing", field=key) from None
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


# ---------------------------------------------------------------- the Hub


def hub_endpoint() -> str:
    """HF_ENDPOINT as set now (huggingface_hub reads it once, at import: we pass it on every call)."""
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def hub_cache(cache_dir: Path, repo: str) -> Path:
    owner, name = repo.lower().split("/")
    return Path(cache_dir) / "hub" / owner / name


def from_hub(repo: str, cache_dir: Path, *, refresh: bool = False) -> ModelEntry:
    """A model from a Hub repo's config.json (and safetensors index), fetched once and then cached."""
    folder = hub_cache(cache_dir, repo)
    info_path = folder / HUB_INFO
    if refresh or not info_path.is_file():
        _fetch(repo, folder)
    info = _read_json(info_path, "vramtui cache file")
    if not isinstance(info.get("repo"), str) or not is_repo_id(info["repo"]):
        raise CustomModelError(info_path, "is damaged: delete its folder to fetch the repo again")
    return from_config_file(folder / CONFIG, hub=info)


def _fetch(repo: str, folder: Path) -> None:
    endpoint = hub_endpoint()
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise CustomModelError(repo, f"HF_HUB_OFFLINE is set, and {repo} is not in the cache yet ({folder})")
    try:
        import huggingface_hub
    except ImportError:
        raise CustomModelError(
            repo,
            "fetching a repo needs huggingface_hub: pip install 'vramtui[hub]' "
            "(or pass a local config.json or .gguf)",
        ) from None
    _quiet(huggingface_hub)
    token = os.environ.get("HF_TOKEN") or None  # None: huggingface_hub's own lookup (a saved login)
    got: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="vramtui-hub-") as tmp:
        for filename, required in ((CONFIG, True), (INDEX, False)):
            try:
                # One HEAD first: it fails at once when offline (hf_hub_download would retry with
                # backoff for ~20 s) and tells a missing file from a missing or gated repo.
                url = huggingface_hub.hf_hub_url(repo, filename, endpoint=endpoint)
                huggingface_hub.get_hf_file_metadata(url, token=token, timeout=HUB_TIMEOUT_S)
                local = huggingface_hub.hf_hub_download(
                    repo, filename, cache_dir=tmp, endpoint=endpoint, token=token,
                    etag_timeout=HUB_TIMEOUT_S, library_name="vramtui",
                )
            except Exception as e:  # noqa: BLE001 - classified below into one clear line
                if not required and (_kind(e) == "entry" or _status(e) == 404):
                    continue
                raise CustomModelError(repo, _hub_message(e, repo, endpoint, filename)) from None
            got[filename] = Path(local).read_bytes()
    info: dict[str, Any] = {
        "repo": repo, "endpoint": endpoint, "fetched": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "has_index": INDEX in got,
    }
    info.update(_page_facts(huggingface_hub, repo, endpoint, token))
    # Replace the cached copy whole: the info file, written last, marks it complete.
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    for filename, data in got.items():
        _write_atomic(folder / filename, data)
    _write_atomic(folder / HUB_INFO, json.dumps(info, indent=2).encode())


def _quiet(hub: Any) -> None:
    """No progress bars or retry warnings on the terminal (the app draws there)."""
    try:
        from huggingface_hub.utils import disable_progress_bars, logging

        disable_progress_bars()
        logging.set_verbosity_error()
    except ImportError:  # pragma: no cover - very old huggingface_hub
        pass


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _page_facts(hub: Any, repo: str, endpoint: str, token: str | None) -> dict[str, Any]:
    """The Hub's own parameter count (safetensors total) and page facts; {} if the API does not answer."""
    try:
        mi = hub.HfApi(endpoint=endpoint, token=token).model_info(repo, revision="main", timeout=HUB_TIMEOUT_S)
    except Exception:  # noqa: BLE001 - best effort: config.json alone is enough
        return {}
    out: dict[str, Any] = {}
    st = getattr(mi, "safetensors", None)
    total = getattr(st, "total", None) if st is not None else None
    if isinstance(total, int) and total > 0:
        out["params"] = total
    for key in ("downloads", "likes"):
        v = getattr(mi, key, None)
        if isinstance(v, int) and v >= 0:
            out[key] = v
    card = getattr(mi, "card_data", None)
    lic = getattr(card, "license", None) if card is not None else None
    if isinstance(lic, str):
        out["license"] = lic
    created = getattr(mi, "created_at", None)
    if isinstance(created, dt.datetime):
        out["created"] = created.date().isoformat()
    if isinstance(getattr(mi, "id", None), str) and is_repo_id(mi.id) and mi.id.lower() == repo.lower():
        out["repo"] = mi.id  # the Hub's own spelling of the id
    return out


def _chain(e: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    while e is not None and e not in out:
        out.append(e)
        e = e.__cause__ or e.__context__  # type: ignore[assignment]
    return out


def _names(e: BaseException) -> set[str]:
    return {c.__name__ for x in _chain(e) for c in type(x).__mro__}


def _status(e: BaseException) -> int | None:
    for x in _chain(e):
        r = getattr(x, "response", None)
        code = getattr(r, "status_code", None)
        if isinstance(code, int):
            return code
    return None


def _kind(e: BaseException) -> str:
    """gated, missing (repo), entry (file), offline, or http."""
    names = _names(e)
    status = _status(e)
    if "GatedRepoError" in names:
        return "gated"
    if "RepositoryNotFoundError" in names or "RevisionNotFoundError" in names:
        return "missing"
    missing_file = "EntryNotFoundError" in names and "LocalEntryNotFoundError" not in names
    if "RemoteEntryNotFoundError" in names or missing_file:
        return "entry"
    if status in (401, 403):
        return "gated"
    if status == 404:
        return "missing"
    network = {"ConnectError", "ConnectTimeout", "TimeoutException", "ConnectionError", "OfflineModeIsEnabled",
               "LocalEntryNotFoundError", "NewConnectionError", "MaxRetryError", "ProxyError"}
    if names & network:
        return "offline"
    return "http"


def _hub_message(e: BaseException, repo: str, endpoint: str, filename: str) -> str:
    kind = _kind(e)
    if kind == "gated":
        if os.environ.get("HF_TOKEN"):
            return f"is gated or private on {endpoint}, and HF_TOKEN has no access: accept its terms on the model page"
        return f"is gated or private on {endpoint}: accept its terms on the model page and set HF_TOKEN"
    if kind == "missing":
        return f"no such model repo on {endpoint} (a private one needs HF_TOKEN)"
    if kind == "entry":
        return f"has no {filename} on {endpoint}: not a Transformers model? (pass a .gguf file instead)"
    if kind == "offline":
        return (f"cannot reach {endpoint} to fetch {filename} (offline?); "
                "pass a local config.json or .gguf, or try again online once: it is cached after that")
    status = _status(e)
    return f"fetching {filename} from {endpoint} failed ({f'HTTP {status}' if status else type(e).__name__})"
