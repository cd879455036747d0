"""`vramtui receipt`: recorded vLLM and llama.cpp startup logs read back, beside vramtui's estimate.

The fixtures in fixtures/logs/ are excerpts of published logs, byte for byte (logs.md ids):
- vllm-gpt-oss-20b-a100.log      V21a https://myoceane.fr/index.php/ai-vllm-a100-gemma-4/ (vLLM 0.19.0, A100)
- vllm-qwen3-14b.log             V2   https://github.com/LMCache/LMCache/issues/1739 (vLLM 0.10.2)
- vllm-qwen3-30b-a3b-fp8-refused.log  V6 https://github.com/vllm-project/vllm/issues/25350 (fp8 KV)
- vllm-qwen3.6-27b-truncated.log V11  https://github.com/noonghunna/club-3090/issues/642 (first line only)
- llama-qwen3-0.6b-orin.log      L2   SunOfHomeBoy/blogSrc@8608947a (build 5489, Jetson Orin, -ngl 0)
- llama-mistral-7b-v0.2-32k.log  L1   fedora-copr/logdetective PR #106 @dac1e87c (the n_ctx 32768 side of the diff)
- llama-ollama-qwen2.5-7b.log    L5   index id 56818628539 (Ollama runner; Qwen2.5-7B inferred from its shapes)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vramtui.core.errors import ModelSourceError
from vramtui.core.units import GIB, MIB

from vramtui.receipt import receipt
from vramtui.sources.startup_log import LLAMA_CPP, MAX_LOG_BYTES, VLLM, parse_log, read_log

LOGS = Path(__file__).parent / "fixtures" / "logs"


def log(name: str):
    text, source = read_log(str(LOGS / name))
    return parse_log(text, source)


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vramtui", "receipt", *args], capture_output=True, text=True,
                          input=stdin, env=dict(os.environ), timeout=60)


# ---------------------------------------------------------------- parsing


def test_a_vllm_log_gives_its_model_settings_and_pool() -> None:
    g = log("vllm-gpt-oss-20b-a100.log")
    assert (g.engine, g.version, g.model) == (VLLM, "0.19.0", "openai/gpt-oss-20b")
    assert (g.context, g.gpu_memory_utilization) == (131072, 0.65)
    assert g.weights_bytes == round(13.72 * GIB) and g.kv_cache_bytes == round(36.56 * GIB)


def test_vllm_tokens_concurrency_and_refusals_are_read() -> None:
    g = log("vllm-qwen3-14b.log")
    assert (g.kv_cache_tokens, g.max_concurrency, g.context) == (42_656, 1.30, 32_768)
    r = log("vllm-qwen3-30b-a3b-fp8-refused.log")
    assert r.refused and r.context == 221_000 and r.longest == 122_080
    assert (r.needs_bytes, r.kv_cache_bytes) == (round(10.12 * GIB), round(5.59 * GIB))


def test_llama_cpp_buffers_are_summed_by_kind() -> None:
    o = log("llama-ollama-qwen2.5-7b.log")
    assert o.engine == LLAMA_CPP and o.context == 4096 and o.flash_attention == "enabled"
    assert o.weights_bytes == round((292.36 + 4168.09) * MIB) and o.gpu_weights_bytes == round(4168.09 * MIB)
    assert (o.kv_cache_bytes, o.kv_cache_tokens, o.kv_cache_dtype) == (224 * MIB, 4096, "f16")
    assert o.compute_bytes == 304 * MIB and o.host_compute_bytes == round(15.01 * MIB)
    orin = log("llama-qwen3-0.6b-orin.log")
    assert orin.gpu == "Orin" and orin.flash_attention == "0" and orin.gpu_weights_bytes == 0


@pytest.mark.parametrize(("text", "says"), [
    ("hello\nworld\n", "not a vLLM or llama.cpp startup log"),
    ("INFO 04-29 [gpu_model_runner.py:1347] Model loading took 14.2474 GiB and 558.868858 seconds\n",
     "stops before the KV cache was sized"),
    ("load_tensors:        CUDA0 model buffer size =  4073.34 MiB\n", "stops before the KV cache was allocated"),
    ("", "not a vLLM or llama.cpp startup log"),
])
def test_unknown_and_truncated_logs_say_what_was_not_found(text: str, says: str) -> None:
    with pytest.raises(ModelSourceError, match=says):
        parse_log(text, "x.log")


FRAGMENTS = ["Available KV cache memory: ", "GPU KV cache size: ", "Maximum concurrency for ", " tokens per request: ",
             "KV buffer size = ", "model buffer size = ", "n_ctx = ", "max seq len (", " GiB", " MiB", "x", ",", "-",
             "1", "9.5", "'max_model_len': ", "vllm serve ", "(", ")", "\n", "\x1b[31m", "\x00", "é"]


@settings(max_examples=int(os.environ.get("VRAMTUI_FUZZ_EXAMPLES", "25")) * 4, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=60))
def test_any_text_parses_or_says_why_in_one_line(parts: list[str]) -> None:
    try:
        parsed = parse_log("".join(parts), "fuzz.log")
    except ModelSourceError as e:
        assert "\n" not in str(e)
    else:
        assert parsed.engine in (VLLM, LLAMA_CPP)


def test_reading_is_bounded(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    with big.open("wb") as f:
        f.write((LOGS / "vllm-qwen3-14b.log").read_bytes())
        f.write(b"x" * (MAX_LOG_BYTES + 1024))
    text, _ = read_log(str(big))
    assert len(text) == MAX_LOG_BYTES and parse_log(text, "big.log").kv_cache_tokens == 42_656


# ---------------------------------------------------------------- the comparison


def test_vllm_receipt_resolves_the_model_and_follows_the_logs_release(catalog) -> None:
    r = receipt(catalog, log("vllm-gpt-oss-20b-a100.log"), gpu="a100 80gb")
    assert (r.model.id, r.quant) == ("gpt-oss-20b", "MXFP4")  # openai/gpt-oss-20b is an MXFP4 checkpoint
    settings = dict(r.settings)
    assert settings["gpu-memory-utilization"] == "0.65" and settings["CUDA graphs budgeted"].startswith("no")
    lines = {ln.what: ln for ln in r.lines}
    pool = lines["KV cache pool per GPU"]
    assert pool.engine == pytest.approx(36.56) and abs(pool.error) < 0.15
    assert abs(lines["Weights per GPU"].error) < 0.10


def test_without_a_gpu_tokens_and_concurrency_come_from_the_logged_pool(catalog) -> None:
    r = receipt(catalog, log("vllm-qwen3-14b.log"), model="qwen3-14b")
    lines = {ln.what: ln for ln in r.lines}
    assert lines["KV cache pool per GPU"].ours is None and r.gpu is None
    assert lines["KV cache tokens"].ours == pytest.approx(42_656, rel=0.001)
    assert lines["Max concurrency at 32,768"].error == pytest.approx(0, abs=0.01)
    assert r.engine_starts is True and r.ours_starts is True


def test_a_refusal_is_checked_line_by_line(catalog) -> None:
    r = receipt(catalog, log("vllm-qwen3-30b-a3b-fp8-refused.log"), model="qwen3-30b-a3b", quant="FP8", kv_type="fp8")
    lines = {ln.what: ln for ln in r.lines}
    assert r.engine_starts is False and r.ours_starts is False
    assert abs(lines["KV cache one request needs"].error) < 0.01
    assert abs(lines["Longest max-model-len that starts"].error) < 0.01


def test_llama_cpp_receipt_kv_is_exact_and_weights_close(catalog) -> None:
    r = receipt(catalog, log("llama-ollama-qwen2.5-7b.log"), model="qwen2.5-7b-instruct", quant="Q4_K_M")
    lines = {ln.what: ln for ln in r.lines}
    assert lines["KV cache"].error == 0
    assert abs(lines["Weights (all buffers)"].error) < 0.02
    assert abs(lines["Compute buffer (GPU)"].error) < 0.05  # flash attention on, as vramtui models it
    m = receipt(catalog, log("llama-mistral-7b-v0.2-32k.log"), model="mistral-7b-instruct-v0.2", quant="Q4_K_S")
    compute = next(ln for ln in m.lines if ln.what == "Compute buffer (GPU)")
    assert "flash attention off" in compute.note  # 2,144 MiB there: the f32 KQ matrix vramtui does not model
    assert next(ln for ln in m.lines if ln.what == "KV cache").error == 0


# ---------------------------------------------------------------- the command


def test_receipt_command_prints_both_columns_and_the_error() -> None:
    r = run(str(LOGS / "vllm-gpt-oss-20b-a100.log"), "--gpu", "a100 80gb")
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "vLLM 0.19.0" in out and "gpt-oss-20b" in out
    assert "KV cache pool per GPU 36.56 GiB" in out and "%" in out


def test_receipt_json_from_stdin() -> None:
    r = run("-", "--json", "-m", "qwen3-0.6b", "-q", "Q4_K_M",
            stdin=(LOGS / "llama-qwen3-0.6b-orin.log").read_text())
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["engine"] == "llama.cpp" and d["log"] == "stdin" and d["model"]["id"] == "qwen3-0.6b"
    kv = next(ln for ln in d["lines"] if ln["what"] == "KV cache")
    assert kv["engine"] == kv["vramtui"] == 448.0 and kv["error"] == 0


@pytest.mark.parametrize(("args", "says"), [
    (("vllm-qwen3.6-27b-truncated.log",), "stops before the KV cache was sized"),
    (("vllm-qwen3-14b.log",), "does not name its model"),
    (("llama-qwen3-0.6b-orin.log", "-m", "qwen3-0.6b"), "does not say the GGUF's quantization"),
    (("no-such.log",), "no such file"),
])
def test_receipt_misses_are_one_line_and_exit_2(args: tuple[str, ...], says: str) -> None:
    r = run(str(LOGS / args[0]), *args[1:])
    assert r.returncode == 2 and says in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_a_model_the_catalog_lacks_is_named_with_the_next_step() -> None:
    text = "vllm serve /models/zorblax-9000 --max-model-len 8192\nAvailable KV cache memory: 10.0 GiB\n"
    r = run("-", stdin=text)
    assert r.returncode == 2 and "zorblax-9000" in r.stderr and "--model" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
