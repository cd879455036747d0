"""A hostile or broken Hub: whatever it replies, one clear line or a correct model; nothing
half-valid is cached, a damaged cache entry is recovered from, and nothing is written outside
the user's cache and config folders. Served by the local HTTP server of test_custom_models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import test_custom_models
from configs import LLAMA_31_8B
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_custom_models import COMMIT, LLAMA_PARAMS
from vramtui.core.errors import ModelSourceError

from vramtui.sources import hub as hub_source
from vramtui.sources import resolve_custom_model

EXAMPLES = int(os.environ.get("VRAMTUI_FUZZ_EXAMPLES", "15"))
ROOT = Path(__file__).resolve().parents[2]
REPO = "test-org/Llama-Shaped-8B"
GOOD = json.dumps(LLAMA_31_8B).encode()
hub = test_custom_models.hub  # the fixture: a local server in the Hub's layout


def cached(cache: Path, repo: str = REPO) -> Path:
    return hub_source.hub_cache(cache, repo)


def serve(hub, config: bytes, index: bytes | None = None) -> None:
    hub.files[REPO] = {"config.json": config, **({"model.safetensors.index.json": index} if index is not None else {})}


CAPTIVE_PORTAL = b"<!DOCTYPE html><html><body><form action=/login>Sign in to Hotel WiFi</form></body></html>"


def test_a_captive_portal_page_is_reported_and_never_cached(tmp_path, hub) -> None:
    serve(hub, CAPTIVE_PORTAL)
    with pytest.raises(ModelSourceError) as e:
        resolve_custom_model(REPO, tmp_path)
    msg = str(e.value)
    assert "HTML page" in msg and "config.json" in msg and "nothing was cached" in msg and "\n" not in msg
    assert not cached(tmp_path).exists()
    # the next run, once the network is right again, works: nothing poisoned the cache
    serve(hub, GOOD)
    entry = resolve_custom_model(REPO, tmp_path)
    assert entry.architecture.layers == 32 and (cached(tmp_path) / "config.json").read_bytes() == GOOD


hostile_bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([
        b"[" * 100_000, b'{"a":' * 50_000, b"{}", b"[]", b"null", b'"config"', b"NaN",
        json.dumps({**LLAMA_31_8B, "num_hidden_layers": 10**9}).encode(),
        json.dumps({**LLAMA_31_8B, "num_hidden_layers": "32"}).encode(),
        json.dumps({**LLAMA_31_8B, "tie_word_embeddings": "false"}).encode(),
        GOOD.replace(b'"vocab_size": 128256', b'"vocab_size": NaN'),
        GOOD.replace(b'"vocab_size": 128256', b'"vocab_size": 1e400'),
        GOOD[:-40], b"\xff\xfe" + GOOD, CAPTIVE_PORTAL,
    ]),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=hostile_bodies, which=st.sampled_from(["config.json", "model.safetensors.index.json"]))
def test_hostile_replies_give_one_line_and_leave_no_cache(tmp_path_factory, hub, body, which) -> None:
    cache = tmp_path_factory.mktemp("cache")
    if which == "config.json":
        serve(hub, body)
    else:
        serve(hub, GOOD, body)
    try:
        entry = resolve_custom_model(REPO, cache)
    except ModelSourceError as e:
        msg = str(e)
        assert msg.startswith(f"{REPO}: {which} from ") and "\n" not in msg and "nothing was cached" in msg
        assert not cached(cache).exists()
        assert not [p for p in cache.rglob("*") if p.is_file()], "a temporary file was left"
    else:  # a reply that is a valid config/index: the model, exactly
        assert entry.architecture.layers == 32 and entry.params > 0
        assert (cached(cache) / which).read_bytes() == body


def test_a_damaged_cache_entry_is_fetched_again_or_names_its_cure(tmp_path, hub) -> None:
    serve(hub, GOOD)
    resolve_custom_model(REPO, tmp_path)
    folder = cached(tmp_path)
    for damage in (b"[" * 10_000, b"garbage", json.dumps({**LLAMA_31_8B, "hidden_size": -1}).encode()):
        (folder / "config.json").write_bytes(damage)
        # online: fetched again, and the cache repaired
        assert resolve_custom_model(REPO, tmp_path).architecture.layers == 32
        assert (folder / "config.json").read_bytes() == GOOD
    (folder / "vramtui-hub.json").write_text('{"repo": 5}')
    hub.stop()
    # offline: one line that says what is wrong and the command that clears it
    with pytest.raises(ModelSourceError) as e:
        resolve_custom_model(REPO, tmp_path)
    msg = str(e.value)
    assert "damaged" in msg and f"rm -r {folder}" in msg and "\n" not in msg


def test_a_cache_folder_that_cannot_be_written_costs_only_the_cache(tmp_path, hub) -> None:
    serve(hub, GOOD)
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("not a folder")
    entry = resolve_custom_model(REPO, blocker)
    assert entry.architecture.layers == 32 and entry.verified_from.startswith("not cached")
    assert blocker.read_text() == "not a folder"


def test_replies_larger_than_the_cap_are_refused(tmp_path, hub, monkeypatch) -> None:
    monkeypatch.setattr(hub_source, "MAX_CONFIG", 1000)
    serve(hub, json.dumps({**LLAMA_31_8B, "padding": "x" * 5000}).encode())
    with pytest.raises(ModelSourceError, match="too large for a config.json; nothing was cached"):
        resolve_custom_model(REPO, tmp_path)
    assert not cached(tmp_path).exists()


class Trickle:
    """A server that sends the files in `whole` as they are, and answers any other request with
    headers and then one byte every 0.2 s, forever (`stalled` is set when it starts doing so)."""

    def __init__(self, whole: dict[str, bytes] | None = None) -> None:
        self.stop = threading.Event()
        self.stalled = threading.Event()
        trickle, whole = self, whole or {}

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _headers(self) -> bytes | None:
                data = whole.get(self.path.rsplit("/", 1)[-1])
                self.send_response(200)
                self.send_header("Content-Length", str(len(data) if data is not None else 1_000_000))
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{abs(hash(data)):016x}"')
                self.end_headers()
                return data

            def do_HEAD(self) -> None:
                self._headers()

            def do_GET(self) -> None:
                data = self._headers()
                if data is not None:
                    self.wfile.write(data)
                    return
                trickle.stalled.set()
                while not trickle.stop.wait(0.2):
                    try:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                    except OSError:
                        return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_server_that_trickles_bytes_cannot_hold_the_fetch(tmp_path, monkeypatch) -> None:
    server = Trickle()
    try:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        monkeypatch.setattr(hub_source, "HUB_DEADLINE_S", 1.0)
        monkeypatch.setattr(hub_source, "HUB_TIMEOUT_S", 30.0)  # each read stays within its own timeout
        with pytest.raises(ModelSourceError, match=r"did not answer completely within 1 s.*nothing was cached"):
            resolve_custom_model("org/slow", tmp_path)
        assert not cached(tmp_path, "org/slow").exists()
    finally:
        server.close()


def test_a_fetch_writes_nothing_outside_the_cache_and_config_folders(tmp_path, hub) -> None:
    """A whole `vramtui estimate REPO` process: TMPDIR and HOME stay empty; every file it writes
    is under XDG_CACHE_HOME (its own folder) or XDG_CONFIG_HOME."""
    serve(hub, GOOD, json.dumps({"metadata": {"total_size": 2 * LLAMA_PARAMS}, "weight_map": {}}).encode())
    dirs = {name: tmp_path / name for name in ("home", "tmp", "cache", "config")}
    for d in dirs.values():
        d.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "XDG_"))}
    env.update(HOME=str(dirs["home"]), TMPDIR=str(dirs["tmp"]), XDG_CACHE_HOME=str(dirs["cache"]),
               XDG_CONFIG_HOME=str(dirs["config"]), HF_ENDPOINT=hub.endpoint, HF_HUB_DISABLE_TELEMETRY="1")
    r = subprocess.run([sys.executable, "-m", "vramtui", "estimate", REPO, "--json"], capture_output=True,
                       text=True, timeout=120, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["model"]["hf_repo"] == REPO
    assert ("GET", f"/{REPO}/resolve/main/config.json") in hub.requests  # it did fetch
    assert list(dirs["tmp"].iterdir()) == [] and list(dirs["home"].iterdir()) == []
    written = [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all(p.parts[:2] == ("cache", "vramtui") for p in written), written
    assert cached(dirs["cache"] / "vramtui") / "config.json" in [tmp_path / p for p in written]
    # and the next run answers from the cache, with the server gone
    hub.stop()
    again = subprocess.run([sys.executable, "-m", "vramtui", "estimate", REPO, "--json"], capture_output=True,
                           text=True, timeout=120, env=env, cwd=tmp_path)
    assert again.returncode == 0 and json.loads(again.stdout)["model"]["params"] == json.loads(r.stdout)["model"][
        "params"]


def test_leftovers_of_a_killed_fetch_are_removed(tmp_path, hub) -> None:
    serve(hub, GOOD)
    parent = cached(tmp_path).parent
    stale = parent / f".{cached(tmp_path).name}.new-abc123"
    stale.mkdir(parents=True)
    (stale / "config.json").write_bytes(b"half")
    old = time.time() - 2 * hub_source.STALE_S
    os.utime(stale, (old, old))
    resolve_custom_model(REPO, tmp_path)
    assert sorted(p.name for p in parent.iterdir()) == [cached(tmp_path).name]


def test_a_fetch_killed_half_way_leaves_nothing_behind(tmp_path) -> None:
    """The process is killed after config.json has arrived, while the index is arriving: no
    download is anywhere (TMPDIR, HOME, the cache): replies are held in memory until validated."""
    server = Trickle(whole={"config.json": GOOD})
    dirs = {name: tmp_path / name for name in ("home", "tmp", "cache", "config")}
    for d in dirs.values():
        d.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "XDG_"))}
    env.update(HOME=str(dirs["home"]), TMPDIR=str(dirs["tmp"]), XDG_CACHE_HOME=str(dirs["cache"]),
               XDG_CONFIG_HOME=str(dirs["config"]), HF_ENDPOINT=server.endpoint, HF_HUB_DISABLE_TELEMETRY="1")
    # the catalog's cache is written before any fetch: warm it, so that only the fetch can write
    subprocess.run([sys.executable, "-m", "vramtui", "models", "--json"], env=env, capture_output=True, timeout=120)
    before = set(tmp_path.rglob("*"))
    proc = subprocess.Popen([sys.executable, "-m", "vramtui", "estimate", "org/slow", "--json"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        # the index is asked for only once config.json has been read whole (and, before, written)
        assert server.stalled.wait(60), "the fetch never reached the index"
    finally:
        proc.kill()
        proc.wait(30)
        server.close()
    assert set(tmp_path.rglob("*")) == before
