"""Decode speed against published llama-bench results: Llama-2-7B Q4_0 (3.56 GiB), tg128.

Sources: llama.cpp's scoreboards — "Performance of llama.cpp with CUDA" (discussion #15013)
and "on Apple Silicon M-series" (discussion #4167) as summarised for 2025–26 builds, PR #4766
(P40), PR #4812. The model (bytes ÷ 0.9·bandwidth + a fixed cost per hardware class) was fitted
to these; this test keeps it honest: every device within ±20 %, the median within 8 %.
"""

from __future__ import annotations

import statistics

import pytest

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
