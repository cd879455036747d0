"""`vramtui estimate … --gpu G` serving figures, run as a user runs them: a subprocess, exit codes, JSON."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

from vramtui.core.serving import EngineOptions, sglang_pool, vllm_pool
from vramtui.core.throughput import gpus_for_users

MODEL = "llama-3.1-8b-instruct"
VLLM_KEYS = {"usable_bytes", "weights_bytes", "activation_bytes", "non_torch_bytes", "cuda_graph_bytes",
             "kv_cache_bytes", "kv_cache_tokens", "max_concurrency", "starts", "max_model_len_that_starts"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vramtui", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=60)


def test_estimate_json_carries_the_pools_the_core_computes(catalog) -> None:
    r = run("estimate", MODEL, "-q", "BF16", "--gpu", "h100", "--context", "16000",
            "--gpu-memory-utilization", "0.9", "--max-num-batched-tokens", "4096", "--users", "100", "--json")
    assert r.returncode == 0, r.stderr
    sv = json.loads(r.stdout)["serving"]
    v, g = sv["vllm"], sv["sglang"]
    assert VLLM_KEYS <= set(v) and VLLM_KEYS - {"activation_bytes", "non_torch_bytes", "cuda_graph_bytes"} <= set(g)
    m = catalog.models[MODEL]
    q = catalog.quants["BF16"].to_core()
    hw = catalog.gpus["h100-sxm"].hardware()
    core = vllm_pool(m.architecture, q, hw, 16000, options=EngineOptions(0.9, 4096))
    assert v["kv_cache_bytes"] == core.kv_cache_bytes == (
        v["usable_bytes"] - v["weights_bytes"] - v["activation_bytes"] - v["non_torch_bytes"] - v["cuda_graph_bytes"])
    assert v["kv_cache_tokens"] == core.kv_cache_tokens and v["starts"] is True
    assert v["max_num_batched_tokens"] == 4096 and v["gpu_memory_utilization"] == 0.9
    assert g["kv_cache_tokens"] == sglang_pool(m.architecture, q, hw, 16000, options=EngineOptions(0.9)).kv_cache_tokens
    # the vLLM command carries the same settings and a --max-num-seqs that fits
    cmd = json.loads(r.stdout)["commands"]["vllm"]["command"]
    assert "--max-model-len 16000 --gpu-memory-utilization 0.90" in cmd
    assert f"--max-num-seqs {math.floor(core.max_concurrency)}" in cmd
    # throughput: per request falls and the total rises with the sequences; the inverse questions
    rows = sv["throughput"]
    assert rows[0]["sequences"] == 1 and rows[-1]["sequences"] == math.floor(core.max_concurrency)
    assert [r["per_request_tokens_per_second"] for r in rows] == sorted(
        (r["per_request_tokens_per_second"] for r in rows), reverse=True)
    assert 1 <= sv["max_concurrency_at_min_tokens_per_second"] <= rows[-1]["sequences"]
    users = gpus_for_users(m.architecture, q, hw, 100, 16000, m.params, options=EngineOptions(0.9, 4096),
                           min_tokens_per_second=20.0)
    assert sv["users"]["gpus"] == users.gpus and sv["users"]["users"] == 100


def test_a_model_that_cannot_start_says_so_and_names_the_length_that_does() -> None:
    r = run("estimate", "qwen3-32b", "-q", "BF16", "--gpu", "h100", "--context", "32000",
            "--gpu-memory-utilization", "0.9", "--json")
    d = json.loads(r.stdout)
    v = d["serving"]["vllm"]
    assert d["serving"]["gpus"] == 1  # llama.cpp's estimate fits one H100; vLLM's pool does not
    assert v["starts"] is False and 0 < v["max_model_len_that_starts"] < 32000
    assert any("refuse to start" in n for n in d["commands"]["vllm"]["notes"])


def test_text_output_has_the_serving_section() -> None:
    r = run("estimate", MODEL, "-q", "BF16", "--gpu", "h100", "--context", "16000")
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "Serving at --max-model-len 16,000" in out and "vLLM 0.33.0 holds" in out
    assert "of KV cache per GPU" in out and "At ≥ 20 tok/s each" in out


def test_a_mac_target_has_no_serving_figures() -> None:
    d = json.loads(run("estimate", MODEL, "--gpu", "Mac Studio M3 Ultra 512GB", "--json").stdout)
    assert d["serving"] is None


def test_bad_serving_flags_are_one_line_and_exit_2() -> None:
    for flag, value in (("--gpu-memory-utilization", "1.5"), ("--gpu-memory-utilization", "nan"),
                        ("--max-num-batched-tokens", "0"), ("--users", "-3"), ("--min-tokens-per-second", "inf")):
        r = run("estimate", MODEL, "--gpu", "h100", flag, value)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and flag in r.stderr, (flag, r.stderr)
