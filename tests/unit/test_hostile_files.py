"""Hostile local files: config.json, the safetensors index and headers, GGUF headers, folders.

Each class of bad file is generated, not listed: the command exits 2 with one line naming the
file (and the field where there is one), or answers with the correct number. Never a
traceback, never a hang (FIFOs), never a count that is not a positive whole number.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from configs import LLAMA_31_8B
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_custom_models import ARR, F32, I32, STR, U32, U64, llama_kv, llama_tensors, write_gguf
from vramtui.catalog.files import MAX_DEPTH

import vramtui.__main__ as cli
from vramtui.sources.local import from_path

EXAMPLES = int(os.environ.get("VRAMTUI_FUZZ_EXAMPLES", "15"))
pytestmark = pytest.mark.fuzz
ROOT = Path(__file__).resolve().parents[2]
FUZZ = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


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


def strict_json(text: str):
    def no_constants(name):
        raise AssertionError(f"{name} in --json output")

    return json.loads(text, parse_constant=no_constants)


def assert_one_line_naming(err: str, *names: str) -> None:
    assert err.startswith("vramtui: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for name in names:
        assert name in err, (name, err)


def assert_sound_answer(out: str, params: int | None = None) -> None:
    doc = strict_json(out)
    assert isinstance(doc["model"]["params"], int) and not isinstance(doc["model"]["params"], bool)
    assert doc["model"]["params"] > 0 and (params is None or doc["model"]["params"] == params)
    for q in doc["quants"]:
        assert q["weights_bytes"] > 0 and q["kv_cache_bytes"] >= 0 and q["total_bytes"] > 0


# ---------------------------------------------------------------- nesting, size, non-finite numbers


def nested(depth: int, kind: str) -> str:
    return {"list": "[" * depth + "]" * depth, "object": '{"a":' * depth + "1" + "}" * depth,
            "open": "[" * depth}[kind]


@settings(max_examples=EXAMPLES, **FUZZ)
@given(depth=st.one_of(st.integers(MAX_DEPTH + 1, 3000), st.sampled_from([100_000, 1_000_000])),
       kind=st.sampled_from(["list", "object", "open"]),
       where=st.sampled_from(["config", "config-field", "index", "safetensors"]))
def test_deeply_nested_json_is_one_line_never_a_recursion_error(tmp_path_factory, depth, kind, where) -> None:
    d = tmp_path_factory.mktemp("model")
    value = nested(depth, kind)
    config = json.dumps(LLAMA_31_8B)
    if where == "config":
        config = value
    elif where == "config-field":
        config = config[:-1] + f', "rope_scaling": {value}}}'
    (d / "config.json").write_text(config)
    bad = d / "config.json"
    if where == "index":
        bad = d / "model.safetensors.index.json"
        bad.write_text('{"weight_map": {}, "metadata": ' + value + "}")
    elif where == "safetensors":
        bad = d / "model.safetensors"
        header = value.encode()
        bad.write_bytes(struct.pack("<Q", len(header)) + header)
    code, _, err = run_main(["estimate", str(d), "--json"])
    assert code == 2
    assert_one_line_naming(err, str(bad))
    assert "nested more than" in err or "not valid JSON" in err or "more than 1,000,000 arrays" in err


@pytest.mark.parametrize("body", ["[" + "[]," * 1_000_000 + "[]]", '{"a": [' + '{},' * 1_000_000 + "{}]}"])
def test_millions_of_empty_arrays_are_refused_before_they_are_built(tmp_path, body) -> None:
    (tmp_path / "config.json").write_text(body)
    code, _, err = run_main(["estimate", str(tmp_path), "--json"])
    assert code == 2 and "more than 1,000,000 arrays and objects" in err
    assert_one_line_naming(err, str(tmp_path / "config.json"))


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "9" * 5000])
def test_numbers_json_does_not_allow_are_refused(tmp_path, literal) -> None:
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_31_8B)[:-1] + f', "rope_scaling": {{"factor": {literal}}}}}')
    code, _, err = run_main(["estimate", str(tmp_path), "--json"])
    assert code == 2
    assert_one_line_naming(err, str(tmp_path / "config.json"))
    if len(literal) < 100:
        assert "rope_scaling.factor is not a finite number" in err


def test_a_config_larger_than_the_limit_is_refused_unread(tmp_path) -> None:
    (tmp_path / "config.json").write_bytes(b" " * (17 << 20) + json.dumps(LLAMA_31_8B).encode())
    code, _, err = run_main(["estimate", str(tmp_path), "--json"])
    assert code == 2 and "larger than 16 MiB" in err
    assert_one_line_naming(err, str(tmp_path / "config.json"))


# ---------------------------------------------------------------- not regular files


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("name", ["x.gguf", "config.json", "model.safetensors.index.json", "model.safetensors"])
def test_a_fifo_in_a_model_folder_is_named_never_waited_on(tmp_path, name) -> None:
    """Run as a process with a timeout: a regression would hang, and must fail instead."""
    d = tmp_path / "d"
    d.mkdir()
    if name != "x.gguf":
        (d / "config.json").write_text(json.dumps(LLAMA_31_8B))
    if name == "model.safetensors":
        (d / "model.safetensors.index.json").write_text('{"weight_map": {"w": "model.safetensors"}}')
    (d / name).unlink(missing_ok=True)
    os.mkfifo(d / name)
    r = subprocess.run([sys.executable, "-m", "vramtui", "estimate", str(d), "--json"], capture_output=True,
                       text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 2, r.stdout
    assert_one_line_naming(r.stderr, str(d / name), "named pipe")


def test_a_link_loop_and_a_device_are_named(tmp_path) -> None:
    loop = tmp_path / "loop.gguf"
    loop.symlink_to(loop)
    for path in (loop, Path("/dev/zero"), tmp_path):
        code, _, err = run_main(["estimate", str(path) if path != tmp_path else str(tmp_path / "x.json"), "--json"])
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err


# ---------------------------------------------------------------- safetensors headers and the index

dims = st.one_of(st.integers(0, 5000), st.integers(-5, -1), st.floats(allow_nan=True), st.booleans(),
                 st.text(max_size=3), st.none(), st.integers(2**60, 2**70))
tensor_info = st.one_of(
    st.fixed_dictionaries({"dtype": st.just("BF16"), "shape": st.lists(dims, max_size=3),
                           "data_offsets": st.just([0, 0])}),
    st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2),
    st.fixed_dictionaries({"dtype": st.just("BF16"), "shape": st.one_of(st.integers(), st.text(max_size=3))}),
)
headers = st.one_of(
    st.dictionaries(st.text(min_size=1, max_size=6).filter(lambda k: k != "__metadata__"), tensor_info,
                    max_size=4),
    st.lists(st.integers(), max_size=3), st.integers(), st.text(max_size=5),
)


def expected_elements(header) -> int | None:
    """What the header counts, by the format's rules; None when it is not a safetensors header."""
    if not isinstance(header, dict):
        return None
    total = 0
    for info in header.values():
        shape = info.get("shape") if isinstance(info, dict) else None
        if not isinstance(shape, list):
            return None
        n = 1
        for d in shape:
            if isinstance(d, bool) or not isinstance(d, (int, float)):
                return None
            if isinstance(d, float) and not (math.isfinite(d) and d.is_integer()):
                return None
            if not 0 <= d <= 2**20:
                return None
            n *= int(d)
        total += n
    return total if 0 < total <= 10**14 else None


@settings(max_examples=EXAMPLES, **FUZZ)
@given(header=headers)
def test_safetensors_headers_give_their_exact_count_or_one_line(tmp_path_factory, header) -> None:
    d = tmp_path_factory.mktemp("model")
    (d / "config.json").write_text(json.dumps(LLAMA_31_8B))
    raw = json.dumps(header).encode()
    (d / "model.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw)
    code, out, err = run_main(["estimate", str(d), "--json"])
    want = expected_elements(header)
    if want is None:
        assert code == 2
        assert_one_line_naming(err, str(d / "model.safetensors"))
    else:
        assert code == 0, err
        assert_sound_answer(out, want)


@pytest.mark.parametrize("data", [b"", b"\x01\x02", struct.pack("<Q", 2**62) + b"{}", struct.pack("<Q", 100) + b"{}"])
def test_safetensors_files_too_short_or_lying_about_their_header(tmp_path, data) -> None:
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_31_8B))
    (tmp_path / "model.safetensors").write_bytes(data)
    code, _, err = run_main(["estimate", str(tmp_path), "--json"])
    assert code == 2
    assert_one_line_naming(err, str(tmp_path / "model.safetensors"))


def test_a_git_lfs_pointer_is_not_weights_and_not_an_error(tmp_path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_31_8B))
    (tmp_path / "model.safetensors").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 16060522496\n")
    entry = from_path(tmp_path)
    assert entry.params == 8030261248 and not entry.params_exact  # from the shapes, said so


index_values = st.one_of(st.integers(-10, 10**15), st.floats(allow_nan=True), st.booleans(), st.text(max_size=4),
                         st.lists(st.integers(), max_size=2), st.none())


@settings(max_examples=EXAMPLES, **FUZZ)
@given(key=st.sampled_from(["total_parameters", "total_size"]), value=index_values)
def test_index_counts_are_whole_numbers_or_one_line(tmp_path_factory, key, value) -> None:
    d = tmp_path_factory.mktemp("model")
    (d / "config.json").write_text(json.dumps({**LLAMA_31_8B, "torch_dtype": "bfloat16"}))
    (d / "model.safetensors.index.json").write_text(json.dumps({"metadata": {key: value}, "weight_map": {}}))
    code, out, err = run_main(["estimate", str(d), "--json"])
    ok = value is None or (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 8 * 10**14) or (
        isinstance(value, float) and math.isfinite(value) and value.is_integer() and 1 <= value <= 8 * 10**14)
    if ok:
        assert code == 0, err
        params = strict_json(out)["model"]["params"]
        if key == "total_parameters" and value is not None:
            assert params == int(value)  # `true` is never echoed as "params": true
        assert_sound_answer(out)
    else:
        assert code == 2
        assert_one_line_naming(err, str(d / "model.safetensors.index.json"), f"metadata.{key}")


# ---------------------------------------------------------------- GGUF headers

gguf_values = st.one_of(
    st.tuples(st.just(U32), st.integers(0, 2**32 - 1)),
    st.tuples(st.just(I32), st.integers(-(2**31), 2**31 - 1)),
    st.tuples(st.just(U64), st.sampled_from([0, 2**63, 10**18])),
    st.tuples(st.just(F32), st.sampled_from([float("nan"), float("inf"), 2.5, 4.0])),
    st.tuples(st.just(STR), st.sampled_from(["4", "", "x" * 50])),
    st.tuples(st.just(ARR), st.tuples(st.just(STR), st.lists(st.sampled_from(["a", "1"]), max_size=3))),
    st.tuples(st.just(ARR), st.tuples(st.just(I32), st.lists(st.integers(-3, 8), min_size=0, max_size=3))),
)
GGUF_FIELDS = ["block_count", "embedding_length", "context_length", "feed_forward_length", "attention.head_count",
               "attention.head_count_kv", "attention.key_length", "expert_count", "expert_used_count",
               "attention.sliding_window", "attention.kv_lora_rank", "ssm.inner_size", "ssm.time_step_rank"]


@settings(max_examples=EXAMPLES, **FUZZ)
@given(field=st.sampled_from(GGUF_FIELDS), value=gguf_values)
def test_gguf_metadata_of_any_type_gives_one_line_or_a_sound_answer(tmp_path_factory, field, value) -> None:
    path = tmp_path_factory.mktemp("gguf") / "tiny.gguf"
    write_gguf(path, llama_kv(**{f"llama.{field}": value}), llama_tensors())
    code, out, err = run_main(["estimate", str(path), "--json"])
    if code == 2:
        assert_one_line_naming(err, str(path))
    else:
        assert code == 0, err
        assert_sound_answer(out)


@pytest.mark.parametrize("shape", [(0, 256), (256, 0), (0,)])
def test_a_gguf_tensor_of_zero_elements_is_named(tmp_path, shape) -> None:
    path = tmp_path / "zero.gguf"
    tensors = llama_tensors()
    tensors[1] = (tensors[1][0], "F32", shape)
    write_gguf(path, llama_kv(), tensors)
    code, _, err = run_main(["estimate", str(path), "--json"])
    assert code == 2
    assert_one_line_naming(err, str(path), tensors[1][0])


def test_a_gguf_with_no_tensors_is_named(tmp_path) -> None:
    path = tmp_path / "empty.gguf"
    write_gguf(path, llama_kv(), [])
    code, _, err = run_main(["estimate", str(path), "--json"])
    assert code == 2
    assert_one_line_naming(err, str(path), "no weights")


@pytest.mark.parametrize("depth", [4, 50, 2000])
def test_gguf_arrays_nested_deep_are_refused(tmp_path, depth) -> None:
    # an array of arrays of ... of u32, `depth` levels: each level one element
    body = struct.pack("<IQ", U32, 1) + struct.pack("<I", 7)
    for _ in range(depth - 1):
        body = struct.pack("<IQ", ARR, 1) + body
    path = tmp_path / "deep.gguf"
    write_gguf(path, llama_kv(), llama_tensors())
    data = bytearray(path.read_bytes())
    # append one more key by rewriting the header: key count + 1, the key inserted after the counts
    n_kv = struct.unpack_from("<Q", data, 16)[0]
    struct.pack_into("<Q", data, 16, n_kv + 1)
    key = b"x.deep"
    entry = struct.pack("<Q", len(key)) + key + struct.pack("<I", ARR) + body
    path.write_bytes(bytes(data[:24]) + entry + bytes(data[24:]))
    code, _, err = run_main(["estimate", str(path), "--json"])
    assert code == 2
    assert_one_line_naming(err, str(path))


@pytest.mark.parametrize("count", [2**40, 2**63])
def test_gguf_counts_that_lie_are_refused_at_once(tmp_path, count) -> None:
    path = tmp_path / "liar.gguf"
    write_gguf(path, llama_kv(), llama_tensors())
    data = bytearray(path.read_bytes())
    struct.pack_into("<Q", data, 8, count)  # tensor count
    path.write_bytes(bytes(data))
    code, _, err = run_main(["estimate", str(path), "--json"])
    assert code == 2
    assert_one_line_naming(err, str(path), "corrupt")


def test_gguf_mla_and_ssm_keys_half_present_are_named(tmp_path) -> None:
    mla = llama_kv(arch="deepseek2", layers=2, heads=4, kv_heads=4, **{
        "deepseek2.attention.kv_lora_rank": (U32, 512), "deepseek2.rope.dimension_count": (U32, 64)})
    write_gguf(tmp_path / "mla.gguf", mla, llama_tensors())
    code, _, err = run_main(["estimate", str(tmp_path / "mla.gguf"), "--json"])
    assert code == 2
    assert_one_line_naming(err, "mla.gguf", "key_length_mla")
    ssm = llama_kv(arch="granitehybrid", layers=2, **{"granitehybrid.ssm.inner_size": (U32, 512)})
    write_gguf(tmp_path / "ssm.gguf", ssm, llama_tensors())
    code, _, err = run_main(["estimate", str(tmp_path / "ssm.gguf"), "--json"])
    assert code == 2
    assert_one_line_naming(err, "ssm.gguf", "time_step_rank")
