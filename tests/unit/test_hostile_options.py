"""Hostile options and user catalogs: empty or fractional values, non-finite figures, files that
are not files, deep TOML, a tampered cache. Each is one line and exit 2, or a correct answer."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vramtui.catalog.files import MAX_DEPTH
from vramtui.catalog.loader import CatalogError, load_catalog
from vramtui.core.errors import UsageError

import vramtui.__main__ as cli
from vramtui.parse import MAX_CONTEXT, parse_context

EXAMPLES = int(os.environ.get("VRAMTUI_FUZZ_EXAMPLES", "15"))
pytestmark = pytest.mark.fuzz
ROOT = Path(__file__).resolve().parents[2]
FUZZ = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MODEL = "llama-3.1-8b-instruct"


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _one_catalog_cache(shared_cache, monkeypatch) -> None:
    # The validated built-in catalog is cached once for the module, not once per test: these
    # tests are about the files they write, and the cache is keyed by the files it holds.
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared_cache))


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = cli.main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def one_line(err: str) -> bool:
    return err.startswith("vramtui") and err.count("\n") == 1 and "Traceback" not in err


# ---------------------------------------------------------------- options


@pytest.mark.parametrize("argv", [
    ["estimate", MODEL, "--context", ""], ["estimate", MODEL, "--quant", ""], ["estimate", MODEL, "--gpu", " "],
    ["estimate", MODEL, "--catalog", ""], ["gpus", "--catalog", ""], ["--model", "", "--gpu", "4090"],
    ["--gpu", ""], ["--context", " "],
])
def test_empty_option_values_are_refused_not_ignored(argv) -> None:
    code, _, err = run_main(argv)
    assert code == 2 and one_line(err) and "empty" in err


@settings(max_examples=EXAMPLES * 4, deadline=None)
@given(whole=st.integers(0, 10**9), frac=st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=4)),
       unit=st.sampled_from(["", "k", "K", "m", "M"]))
def test_a_context_is_a_whole_number_of_tokens_or_refused(whole, frac, unit) -> None:
    text = f"{whole}.{frac}{unit}" if frac else f"{whole}{unit}"
    exact = Fraction(f"{whole}.{frac}" if frac else str(whole)) * {"": 1, "k": 1024, "m": 1024**2}[unit.lower()]
    if exact.denominator == 1 and 1 <= exact <= MAX_CONTEXT:
        assert parse_context(text) == exact  # 1.5k is 1,536 tokens, exactly
    else:
        with pytest.raises(UsageError):  # 1.5 is not 1 token
            parse_context(text)


def test_a_fractional_context_exits_2_on_the_command_line() -> None:
    code, _, err = run_main(["estimate", MODEL, "--context", "1.5", "--json"])
    assert code == 2 and one_line(err) and "whole number of tokens" in err
    code, out, _ = run_main(["estimate", MODEL, "--context", "1.5k", "--json"])
    assert code == 0 and json.loads(out)["context"] == 1536


# ---------------------------------------------------------------- user catalogs

GPU_ENTRY = {"id": "x", "name": "X", "vendor": "NVIDIA", "memory_gb": 8, "bandwidth_gbps": 100,
             "segment": "consumer", "year": 2020, "source": "s"}
DEVICE_ENTRY = {"id": "y", "name": "Y", "vendor": "Me", "kind": "multi_gpu", "memory_gb": 96, "bandwidth_gbps": 936,
                "gpu_count": 4, "year": 2021, "source": "s"}


def toml_table(table: str, entry: dict, raw: dict[str, str]) -> str:
    lines = [f"[[{table}]]"] + [f"{k} = {json.dumps(v)}" for k, v in entry.items() if k not in raw]
    return "\n".join(lines + [f"{k} = {v}" for k, v in raw.items()]) + "\n"


@settings(max_examples=EXAMPLES * 2, **FUZZ)
@given(table_field=st.sampled_from([("gpus", "memory_gb"), ("gpus", "bandwidth_gbps"), ("gpus", "fp16_tflops"),
                                    ("devices", "fp16_tflops"), ("devices", "memory_gb"),
                                    ("devices", "gpu_memory_gb"), ("devices", "bandwidth_gbps")]),
       literal=st.sampled_from(["nan", "inf", "-inf", "+inf", "1e400", "-nan"]))
def test_non_finite_figures_are_named(tmp_path_factory, table_field, literal) -> None:
    table, field = table_field
    d = tmp_path_factory.mktemp("cat")
    entry = GPU_ENTRY if table == "gpus" else DEVICE_ENTRY
    (d / "mine.toml").write_text(toml_table(table, entry, {field: literal}))
    with pytest.raises(CatalogError) as e:
        load_catalog([d], builtin=False)
    assert str(d / "mine.toml") in str(e.value) and f"{table}[0].{field}" in str(e.value)


def test_an_infinite_flop_rate_never_reaches_json_output(tmp_path) -> None:
    (tmp_path / "mine.toml").write_text(toml_table("devices", DEVICE_ENTRY, {"fp16_tflops": "inf"}))
    code, out, err = run_main(["devices", "--json", "--catalog", str(tmp_path)])
    assert code == 2 and one_line(err) and out == "" and "fp16_tflops" in err


def deep_toml(kind: str, depth: int) -> str:
    if kind == "array":
        return "a = " + "[" * depth + "]" * depth + "\n"
    if kind == "table":
        return "a = " + "{b = " * depth + "1" + "}" * depth + "\n"
    if kind == "hidden":  # a multi-line string that ends in four quotes, then the nesting
        return 'a = ["""x"""", ' + "[" * depth + "]" * depth + "]\n"
    return "a = " + "[" * depth + "\n"  # never closed


@settings(max_examples=EXAMPLES, **FUZZ)
@given(kind=st.sampled_from(["array", "table", "hidden", "open"]),
       depth=st.one_of(st.integers(MAX_DEPTH + 1, 600), st.sampled_from([5000, 200_000])))
def test_deeply_nested_toml_is_one_line_never_a_recursion_error(tmp_path_factory, kind, depth) -> None:
    d = tmp_path_factory.mktemp("cat")
    (d / "deep.toml").write_text("[[gpus]]\n" + deep_toml(kind, depth))
    with pytest.raises(CatalogError) as e:
        load_catalog([d], builtin=False)
    assert str(d / "deep.toml") in str(e.value) and "\n" not in str(e.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_named_toml_is_reported_never_opened(tmp_path) -> None:
    os.mkfifo(tmp_path / "pipe.toml")
    r = subprocess.run([sys.executable, "-m", "vramtui", "gpus", "--catalog", str(tmp_path)], capture_output=True,
                       text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 2 and one_line(r.stderr)
    assert str(tmp_path / "pipe.toml") in r.stderr and "named pipe" in r.stderr


@pytest.mark.parametrize("make", ["loop", "dangling", "folder"])
def test_toml_names_that_are_not_files_are_reported(tmp_path, make) -> None:
    p = tmp_path / "odd.toml"
    if make == "loop":
        p.symlink_to(p)
    elif make == "dangling":
        p.symlink_to(tmp_path / "gone.toml")
    else:
        p.mkdir()
    code, _, err = run_main(["gpus", "--catalog", str(tmp_path)])
    assert code == 2 and one_line(err) and str(p) in err


class _Payload:
    """Unpickling this would create `marker`: the cache must never be unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_the_catalog_cache_cannot_run_code_or_smuggle_values(tmp_path) -> None:
    cache = tmp_path / "cache"
    fresh = load_catalog(cache_dir=cache)
    [cached] = list(cache.glob("catalog-*.json"))
    # a pickle planted where the old cache lived is never loaded
    marker = tmp_path / "ran"
    (cache / "catalog-0123456789abcdef.pickle").write_bytes(pickle.dumps(_Payload(marker)))
    assert load_catalog(cache_dir=cache).gpus.keys() == fresh.gpus.keys()
    assert not marker.exists()
    # a cache whose values are of the wrong type, or nested too deep, is ignored and rebuilt
    doc = json.loads(cached.read_text())
    for damage in ("memory_gb", "aliases", "deep"):
        tampered = json.loads(json.dumps(doc))
        gpu = tampered["tables"]["gpus"][0]
        if damage == "memory_gb":
            gpu["memory_gb"] = "-1"
        elif damage == "aliases":
            gpu["aliases"] = [1, 2]
        else:
            tampered["tables"]["models"][0]["config"]["x"] = json.loads("[" * 500 + "]" * 500)
        cached.write_text(json.dumps(tampered))
        again = load_catalog(cache_dir=cache)
        g = next(iter(again.gpus.values()))
        assert g == next(iter(fresh.gpus.values())) and "x" not in next(iter(again.models.values())).config
