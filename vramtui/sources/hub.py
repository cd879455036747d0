"""Models from the Hugging Face Hub: config.json and the safetensors index of any repo id,
fetched with huggingface_hub (HF_ENDPOINT and HF_TOKEN honoured) and cached under the user's
cache folder, so the next lookup needs no network."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from vramtui.catalog.entries import ModelEntry
from vramtui.core.errors import ModelSourceError
from vramtui.sources import is_repo_id
from vramtui.sources.local import CONFIG, DEFAULT_ENDPOINT, INDEX, _read_json, from_config_file

HUB_INFO = "vramtui-hub.json"  # written last: a cached repo is complete when it exists
HUB_TIMEOUT_S = 10.0


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
        raise ModelSourceError(info_path, "is damaged: delete its folder to fetch the repo again")
    return from_config_file(folder / CONFIG, hub=info)


def _fetch(repo: str, folder: Path) -> None:
    endpoint = hub_endpoint()
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise ModelSourceError(repo, f"HF_HUB_OFFLINE is set, and {repo} is not in the cache yet ({folder})")
    try:
        import huggingface_hub
    except ImportError:
        raise ModelSourceError(
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
                raise ModelSourceError(repo, _hub_message(e, repo, endpoint, filename)) from None
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


def _status(e: BaseException) -> int | None:
    response = getattr(e, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Connection and timeout errors of the HTTP library huggingface_hub uses (httpx2 since 2.0, httpx before)."""
    found = []
    for name in ("httpx2", "httpx"):
        try:
            found.append(importlib.import_module(name).TransportError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def _kind(e: BaseException) -> str:
    """gated, missing (repo), entry (file), offline, or http: from huggingface_hub's own error classes
    and those of the HTTP library it runs on."""
    from huggingface_hub import errors as hf

    if isinstance(e, hf.GatedRepoError):
        return "gated"
    if isinstance(e, (hf.RepositoryNotFoundError, hf.RevisionNotFoundError)):
        return "missing"
    if isinstance(e, hf.RemoteEntryNotFoundError):
        return "entry"
    status = _status(e)
    if status in (401, 403):
        return "gated"
    if status == 404:
        return "missing"
    if isinstance(e, (hf.OfflineModeIsEnabled, hf.LocalEntryNotFoundError, OSError, *_transport_errors())):
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
