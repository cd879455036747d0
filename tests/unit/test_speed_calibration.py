"""Decode speed against published llama-bench results: Llama-2-7B Q4_0 (3.56 GiB), tg128.

Sources: llama.cpp's scoreboards — "Performance of llama.cpp with CUDA" (discussion #15013)
and "on Apple Silicon M-series" (discussion #4167) as summarised for 2025–26 builds, PR #4766
(P40), PR #4812. The model (bytes ÷ 0.9·bandwidth + a fixed cost per hardware class) was fitted
to these; this test keeps it honest: every device within ±20 %, the median within 8 %.
The broader decode reference (many models, depths, multi-GPU) is tests/unit/test_decode_runs.py.
"""

from __future__ import annotations

import statistics
from dataclasses import replace

import pytest
from vramtui.core.speed import active_params, prefill

from vramtui.answers import Resolved, Selection, answer

# catalog id, measured tokens/s (tg128)
MEASURED = [
    ("rtx-5090", 300.4), ("rtx-4090", 189.0), ("rtx-5080", 184.7), ("rtx-3090", 158.2),
    ("rtx-3060-12gb", 75.6), ("rtx-pro-6000-blackwell", 281.1), ("a100-pcie-80gb", 200.9),
    ("h100-sxm", 280.7), ("tesla-p40", 56.79),
    ("macbook-pro-14-m1-pro-32gb", 35.52), ("macbook-pro-14-m3-pro-18gb", 30.74),
    ("macbook-pro-16-m1-max-32gb", 61.19), ("mac-studio-m1-ultra-64gb", 83.7),
    ("mac-studio-m2-ultra-64gb", 94.3), ("mac-studio-m3-ultra-96gb", 92.1),
    ("mac-mini-m4-pro-24gb", 50.7), ("macbook-pro-16-m4-max-40-core-gpu-64gb", 83.1),
]


def predicted(res: Resolved, target: str) -> float:
    ans = answer(res, Selection("llama-2-7b", "Q4_0", context=128, target=target))
    on = ans.quant_row.on_target
    assert on is not None
    return on.tokens_per_second


@pytest.fixture(scope="module")
def res(catalog) -> Resolved:
    return Resolved(catalog)


@pytest.mark.parametrize("target,measured", MEASURED)
def test_each_device_within_20_percent(res, target, measured) -> None:
    assert abs(predicted(res, target) / measured - 1) <= 0.20


def test_median_error_is_small(res) -> None:
    errors = [abs(predicted(res, t) / m - 1) for t, m in MEASURED]
    assert statistics.median(errors) < 0.08


# catalog id, measured prompt tokens/s (pp512), same sources; the GPUs whose dense FP16 rate the catalog has
PREFILL_MEASURED = [
    ("rtx-5090", 14970), ("rtx-4090", 14771), ("rtx-5080", 9488), ("rtx-3090", 5175),
    ("rtx-3060-12gb", 2138), ("a100-pcie-80gb", 5286), ("h100-sxm", 11263),
]


@pytest.mark.parametrize("target,measured", PREFILL_MEASURED)
def test_prefill_within_35_percent(res, target, measured) -> None:
    ans = answer(res, Selection("llama-2-7b", "Q4_0", context=512, target=target))
    on = ans.quant_row.on_target
    assert on is not None and abs(on.prefill_tokens_per_second / measured - 1) <= 0.35


# Macs: Apple publishes no FP16 rate; vramtui's is the device's GPU cores × its generation's rate per core,
# taken from the scoreboard's pp512 of Llama-2-7B Q4_0 (core.speed.APPLE_PREFILL_TFLOPS_PER_CORE). These
# runs are other models on other builds, from other sources: (device, GPU cores, model, measured pp512, source)
GG17 = "github.com/geerlingguy/beowulf-ai-cluster/issues/17"
GG48 = "github.com/geerlingguy/ai-benchmarks/issues/48"
XD = "XiongjieDai/GPU-Benchmarks-on-LLM-Inference@aa72e0ec86c3 'LLaMA 3/*.ipynb' (build 2795-2797)"
APPLE_PREFILL = [
    ("macbook-pro-16-m1-max-64gb", 32, "llama-3-8b-instruct", 408.23, XD),
    ("macbook-pro-16-m1-max-64gb", 32, "llama-3-70b-instruct", 34.96, XD),
    ("mac-studio-m2-ultra-192gb", 76, "llama-3-8b-instruct", 994.04, XD),
    ("mac-studio-m2-ultra-192gb", 76, "llama-3-70b-instruct", 118.79, XD),
    ("macbook-pro-16-m3-max-40-core-gpu-64gb", 40, "llama-3-8b-instruct", 693.32, XD),
    ("macbook-pro-16-m3-max-40-core-gpu-64gb", 40, "llama-3-70b-instruct", 70.19, XD),
    ("mac-studio-m3-ultra-512gb", 80, "deepseek-r1", 168.9, GG17),
    ("mac-studio-m3-ultra-512gb", 80, "llama-3.3-70b-instruct", 162.3, GG17),
    ("mac-studio-m1-ultra-128gb", 64, "llama-3.2-3b-instruct", 2142.59, GG48),
    ("mac-studio-m1-ultra-128gb", 64, "tinyllama-1.1b-chat-v1.0", 5587.84, GG48),
]


def _apple_prefill_error(res: Resolved, target: str, cores: int, model_id: str, measured: float) -> float:
    hw = res.hardware(target)
    assert hw is not None and hw.kind == "apple"
    model = res.catalog.models[model_id]
    rate = prefill(replace(hw, gpu_cores=cores), active_params(model.architecture, model.params))
    return rate.tokens_per_second / measured - 1


def test_mac_prefill_from_gpu_cores(res) -> None:
    errors = [abs(_apple_prefill_error(res, t, c, m, x)) for t, c, m, x, _ in APPLE_PREFILL]
    # median 12 %; worst +43 %: the M1 Max on a 70B K-quant (the same M1 K-quant slowness as its decode)
    assert statistics.median(errors) <= 0.15 and max(errors) <= 0.45
