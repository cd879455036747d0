"""Models from the Hugging Face Hub: config.json and the safetensors index of any repo id,
fetched over huggingface_hub's HTTP session (HF_ENDPOINT and HF_TOKEN honoured) and cached
under the user's cache folder, so the next lookup needs no network.

A fetch is bounded: every reply is read up to a size cap, and the whole fetch (every
request, DNS included) must finish within HUB_DEADLINE_S. Replies are held in memory and
validated exactly as a local config.json is; only then are they committed to the cache,
in one rename of a folder written beside the entry. So a captive portal's HTML page, a
half-sent reply or an absurd config is reported and never cached, and nothing is written
outside the cache folder. A cached entry that has been damaged since is reported with the
command that clears it, and fetched again when the network allows.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import shlex
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vramtui.catalog.entries import ModelEntry
from vramtui.catalog.files import MIB, BadFile, parse_json, read_bytes
from vramtui.core.errors import ConfigError, ModelSourceError
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.tensors import checkpoint_parameter_count
from vramtui.sources import is_repo_id, slug
from vramtui.sources.local import (
    CONFIG,
    DEFAULT_ENDPOINT,
    INDEX,
    MAX_CONFIG,
    MAX_INDEX,
    MAX_PARAMS,
    check_index,
    checkpoint_params,
    model_family,
)

HUB_INFO = "vramtui-hub.json"  # the Hub's page facts and where the entry came from
HUB_TIMEOUT_S = 10.0  # to connect, and between two reads of one reply
HUB_DEADLINE_S = 30.0  # for the whole fetch: a server that trickles bytes cannot hold vramtui longer
MAX_API_REPLY = 16 * MIB  # the model API's JSON (a repo with thousands of files lists them all)
MAX_INFO = 1 * MIB
STALE_S = 3600  # leftovers of a fetch killed half-way are removed after an hour


def hub_endpoint() -> str:
    """HF_ENDPOINT as set now (huggingface_hub reads it once, at import: we pass it on every call)."""
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def hub_cache(cache_dir: Path, repo: str) -> Path:
    owner, name = repo.lower().split("/")
    return Path(cache_dir) / "hub" / owner / name


@dataclass
class HubEntry:
    """A repo's config.json, safetensors index and page facts, each validated."""

    config: dict[str, Any]
    index: dict[str, Any] | None
    info: dict[str, Any]
    raw: dict[str, bytes] = field(default_factory=dict)  # the files as fetched, to be cached


def from_hub(repo: str, cache_dir: Path, *, refresh: bool = False) -> ModelEntry:
    """A model from a Hub repo's config.json (and safetensors index), fetched once and then cached."""
    folder = hub_cache(cache_dir, repo)
    damaged: ModelSourceError | None = None
    if not refresh and os.path.lexists(folder / HUB_INFO):
        try:
            return _model(_read_cached(folder), f"cached in {folder}")
        except ModelSourceError as e:
            damaged = e  # fetched again below, when the network allows
    try:
        entry = _fetch(repo)
    except ModelSourceError as e:
        if damaged is None:
            raise
        raise ModelSourceError(
            folder, f"the cached copy of {repo} is damaged ({_detail(damaged)}) and could not be fetched again "
            f"({_detail(e)}); remove it with: rm -r {shlex.quote(str(folder))}") from None
    return _model(entry, _commit(folder, entry))


def _detail(e: ModelSourceError) -> str:
    return str(e).removeprefix(f"{e.path}: ")


# ---------------------------------------------------------------- validation (fetched or cached alike)


def _validate(config: bytes, index: bytes | None, info: dict[str, Any], where: Callable[[str], str],
              after: str = "") -> HubEntry:
    """The entry these bytes describe; ModelSourceError naming the file (`where(name)`) if they describe none."""

    def fail(name: str, problem: str, field: str = "") -> ModelSourceError:
        return ModelSourceError(where(name), problem + after, field=field)

    def parsed(data: bytes, name: str) -> dict[str, Any]:
        if data.lstrip()[:1] == b"<":
            raise fail(name, "is an HTML page, not JSON (a captive portal or a proxy's login page?)")
        try:
            value = parse_json(data, where(name), name)
        except BadFile as e:
            raise fail(name, e.problem) from None
        if not isinstance(value, dict):
            raise fail(name, "is not a JSON object")
        return value

    cfg = parsed(config, CONFIG)
    try:
        architecture_from_config(cfg)
    except ConfigError as e:
        raise fail(CONFIG, f"{e.field} {e.problem}", e.field) from None
    idx = None
    if index is not None:
        try:
            idx = check_index(parsed(index, INDEX), where(INDEX))
        except ModelSourceError as e:
            raise fail(INDEX, _detail(e), e.field) from None
    raw = {CONFIG: config, **({INDEX: index} if index is not None else {})}
    return HubEntry(cfg, idx, info, raw)


def _read_cached(folder: Path) -> HubEntry:
    """The cached entry in `folder`, checked as a fresh reply is; ModelSourceError if it is damaged."""
    try:
        info = parse_json(read_bytes(folder / HUB_INFO, MAX_INFO, "vramtui cache file"), folder / HUB_INFO, HUB_INFO)
        if not isinstance(info, dict) or _facts_problem(info):
            raise ModelSourceError(folder / HUB_INFO, f"is damaged ({_facts_problem(info) or 'not a JSON object'})")
        config = read_bytes(folder / CONFIG, MAX_CONFIG, CONFIG)
        index = read_bytes(folder / INDEX, MAX_INDEX, INDEX) if info["has_index"] else None
    except BadFile as e:
        raise ModelSourceError(e.path, e.problem) from None
    return _validate(config, index, info, lambda name: str(folder / name))


def _facts_problem(info: Any) -> str:
    """What is wrong with a cache info file's fields ("" when nothing)."""
    if not isinstance(info, dict):
        return "not a JSON object"
    if not (isinstance(info.get("repo"), str) and is_repo_id(info["repo"])):
        return "repo is not a repo id"
    if not isinstance(info.get("endpoint"), str) or not isinstance(info.get("has_index"), bool):
        return "endpoint or has_index is missing"
    for key, hi in (("params", MAX_PARAMS), ("downloads", 10**15), ("likes", 10**15)):
        v = info.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= hi):
            return f"{key} is not a count"
    for key in ("license", "created"):
        if info.get(key) is not None and not isinstance(info[key], str):
            return f"{key} is not text"
    return ""


def _model(entry: HubEntry, where: str) -> ModelEntry:
    info, cfg = entry.info, entry.config
    repo, endpoint = info["repo"], info["endpoint"]
    computed = checkpoint_parameter_count(architecture_from_config(cfg))
    params, exact, how = checkpoint_params(cfg, entry.index, None, computed)
    if info.get("params"):
        params, exact, how = info["params"], True, "the Hub's safetensors total"
    try:
        released = dt.date.fromisoformat(info["created"]) if info.get("created") else None
    except ValueError:
        released = None
    owner, name = repo.split("/")
    return ModelEntry(
        id=slug(name),
        name=name,
        hf_repo=repo,
        publisher=owner,
        family=model_family(cfg),
        params=params,
        source=f"{endpoint}/{repo}/blob/main/{CONFIG}",
        config=cfg,
        params_exact=exact,
        release_date=released,
        license=info.get("license") or "",
        description=f"Fetched from {endpoint}; parameters from {how}.",
        verified_from=where,
        downloads=info.get("downloads"),
        likes=info.get("likes"),
    )


# ---------------------------------------------------------------- the cache


def _commit(folder: Path, entry: HubEntry) -> str:
    """Write `entry` to `folder` in one step (a folder written beside it, then renamed); where it went.

    A cache that cannot be written (read-only, or a file where the folder should be) costs only
    the offline copy: the model is still answered, and the entry says it was not cached.
    """
    parent = folder.parent
    staging: Path | None = None
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(parent)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{folder.name}.new-"))
        for name, data in entry.raw.items():
            (staging / name).write_bytes(data)
        (staging / HUB_INFO).write_bytes(json.dumps(entry.info, indent=2).encode())
        if os.path.lexists(folder):
            old = Path(tempfile.mkdtemp(dir=parent, prefix=f".{folder.name}.old-"))
            os.replace(folder, old / "entry")
            shutil.rmtree(old, ignore_errors=True)
        os.replace(staging, folder)
        return f"cached in {folder}"
    except OSError as e:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        return f"not cached: {folder} cannot be written ({e.strerror or e.__class__.__name__})"


def _remove_stale(parent: Path) -> None:
    """Folders left by a fetch that was killed between writing and renaming."""
    now = time.time()
    for p in parent.glob(".*.new-*"):
        try:
            if now - p.lstat().st_mtime > STALE_S:
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            continue


# ---------------------------------------------------------------- fetching


def _fetch(repo: str) -> HubEntry:
    """The repo's files, fetched within HUB_DEADLINE_S and validated; nothing is written."""
    endpoint = hub_endpoint()
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise ModelSourceError(repo, f"HF_HUB_OFFLINE is set, and {repo} is not in the cache yet")
    try:
        import huggingface_hub
    except ImportError:
        raise ModelSourceError(
            repo,
            "fetching a repo needs huggingface_hub: pip install 'vramtui[hub]' "
            "(or pass a local config.json or .gguf)",
        ) from None
    _quiet()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["files"] = _download(huggingface_hub, repo, endpoint)
        except BaseException as e:  # noqa: BLE001 - handed to the waiting thread, which raises it
            outcome["error"] = e

    # A worker thread bounds the whole fetch, name resolution included (no socket timeout covers
    # it). One that overruns is abandoned: it holds only bytes in memory and writes nothing.
    worker = threading.Thread(target=work, name=f"vramtui-hub {repo}", daemon=True)
    worker.start()
    worker.join(HUB_DEADLINE_S)
    if worker.is_alive():
        raise ModelSourceError(repo, f"{endpoint} did not answer completely within {HUB_DEADLINE_S:g} s "
                                     "(a slow or stalled connection?); nothing was cached")
    if "error" in outcome:
        raise outcome["error"]
    config, index, api = outcome["files"]
    info = {
        "repo": repo, "endpoint": endpoint, "has_index": index is not None,
        "fetched": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        **_page_facts(api, repo),
    }
    return _validate(config, index, info, lambda name: f"{repo}: {name} from {endpoint}", "; nothing was cached")


def _download(hub: Any, repo: str, endpoint: str) -> tuple[bytes, bytes | None, bytes | None]:
    """config.json, the index (None if the repo has none) and the model API's reply (None if it fails)."""
    session = hub.utils.get_session()
    token = os.environ.get("HF_TOKEN") or None  # None: huggingface_hub's own lookup (a saved login)
    headers = hub.utils.build_hf_headers(token=token, library_name="vramtui")
    got: dict[str, bytes | None] = {}
    for filename, required, cap in ((CONFIG, True, MAX_CONFIG), (INDEX, False, MAX_INDEX)):
        url = hub.hf_hub_url(repo, filename, endpoint=endpoint)
        try:
            got[filename] = _get(hub, session, url, headers, cap, filename)
        except ModelSourceError:
            raise
        except Exception as e:  # noqa: BLE001 - classified below into one clear line
            if not required and (_kind(e) == "entry" or _status(e) == 404):
                got[filename] = None
                continue
            raise ModelSourceError(repo, _hub_message(e, repo, endpoint, filename)) from None
    try:
        api = _get(hub, session, f"{endpoint}/api/models/{repo}/revision/main", headers, MAX_API_REPLY, "API")
    except Exception:  # noqa: BLE001 - best effort: config.json alone is enough
        api = None
    return got[CONFIG] or b"", got[INDEX], api


def _get(hub: Any, session: Any, url: str, headers: dict[str, str], cap: int, what: str) -> bytes:
    """The body of GET `url`, at most `cap` bytes; huggingface_hub's error classes for an error status."""
    with session.stream("GET", url, headers=headers, timeout=HUB_TIMEOUT_S, follow_redirects=True) as r:
        declared = r.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > cap:
            raise ModelSourceError(url, f"the reply is {int(declared):,} bytes: too large for a {what}; "
                                        "nothing was cached")
        body = bytearray()
        for chunk in r.iter_bytes():
            body += chunk
            if len(body) > cap:
                raise ModelSourceError(url, f"the reply is larger than {cap // MIB} MiB: too large for a {what}; "
                                            "nothing was cached")
        if r.status_code >= 400:
            # Classified by huggingface_hub's own rules, on a copy holding the body read so far.
            hub.utils.hf_raise_for_status(type(r)(r.status_code, headers=r.headers, content=bytes(body),
                                                  request=r.request))
        return bytes(body)


def _page_facts(api: bytes | None, repo: str) -> dict[str, Any]:
    """The Hub's parameter count and page facts from its model API reply; each kept only if well-formed."""
    try:
        doc = parse_json(api, "API", "model API reply") if api else None
    except BadFile:
        doc = None
    if not isinstance(doc, dict):
        return {}
    out: dict[str, Any] = {}

    def count(v: Any, hi: int) -> int | None:
        return v if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= hi else None

    st = doc.get("safetensors")
    total = count(st.get("total"), MAX_PARAMS) if isinstance(st, dict) else None
    if total:
        out["params"] = total
    for key in ("downloads", "likes"):
        if count(doc.get(key), 10**15) is not None:
            out[key] = doc[key]
    card = doc.get("cardData")
    lic = card.get("license") if isinstance(card, dict) else None
    if isinstance(lic, str) and len(lic) <= 100:
        out["license"] = lic
    created = doc.get("createdAt")
    if isinstance(created, str):
        try:
            out["created"] = dt.date.fromisoformat(created[:10]).isoformat()
        except ValueError:
            pass
    ident = doc.get("id")
    if isinstance(ident, str) and is_repo_id(ident) and ident.lower() == repo.lower():
        out["repo"] = ident  # the Hub's own spelling of the id
    return out


def _quiet() -> None:
    """No progress bars or warnings from huggingface_hub on the terminal (the app draws there)."""
    try:
        from huggingface_hub.utils import disable_progress_bars, logging

        disable_progress_bars()
        logging.set_verbosity_error()
    except ImportError:  # pragma: no cover - very old huggingface_hub
        pass


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
