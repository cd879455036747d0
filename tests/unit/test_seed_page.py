"""The seed page's own numbers, reproduced from the seed's own inputs: 8.0B parameters,
nominal bits per weight, KV at 2,048 tokens, a 0.3 GB framework constant, and
tok/s = bandwidth ÷ VRAM × efficiency. This proves the formula, not the inputs: the
real-file tests (test_gguf_sizes.py) show where those inputs are wrong."""

from __future__ import annotations

import pytest
from configs import LLAMA_31_8B
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.kv import kv_cache
from vramtui.core.overhead import SEED_OVERHEAD
from vramtui.core.quantization import nominal_weights_bytes
from vramtui.core.speed import seed_tokens_per_second

SEED_PARAMS = 8_000_000_000
# Quantization, seed's bits, seed's VRAM (GB, one decimal)
SEED_TABLE = [
    ("IQ2_XXS", 2.20, 2.8), ("IQ2_M", 2.70, 3.3), ("IQ3_XXS", 3.10, 3.7), ("IQ3_XS", 3.30, 3.9),
    ("Q2_K", 3.40, 4.0), ("Q3_K_S", 3.50, 4.1), ("IQ3_M", 3.60, 4.2), ("Q3_K_M", 3.90, 4.5),
    ("Q4_0", 4.00, 4.6), ("Q3_K_L", 4.10, 4.7), ("IQ4_XS", 4.30, 4.9), ("IQ4_NL", 4.50, 5.1),
    ("Q4_K_S", 4.50, 5.1), ("Q4_1", 4.50, 5.1), ("Q4_K_M", 4.80, 5.4), ("Q4_K_L", 4.90, 5.5),
    ("Q5_K_S", 5.50, 6.1), ("Q5_K_M", 5.70, 6.3), ("Q5_K_L", 5.80, 6.4), ("Q6_K", 6.60, 7.2),
    ("Q8_0", 8.00, 8.6),
]

ARCH = architecture_from_config(LLAMA_31_8B)


def seed_vram(bits: float, context: int) -> int:
    return (
        nominal_weights_bytes(SEED_PARAMS, bits)
        + kv_cache(ARCH, context).total
        + SEED_OVERHEAD.runtime_bytes
    )


@pytest.mark.parametrize("quant,bits,vram_gb", SEED_TABLE)
def test_seed_vram_table(quant: str, bits: float, vram_gb: float) -> None:
    assert round(seed_vram(bits, 2048) / 1e9, 1) == vram_gb


def test_seed_full_context_total_and_increase() -> None:
    at_2k = seed_vram(4.80, 2048)
    full = seed_vram(4.80, 131072)
    assert round(full / 1e9, 1) == 22.3  # "bringing total usage to 22.3 GB"
    assert round((full - at_2k) / 1e9, 1) == 16.9  # "can add up to 16.9 GB"
    assert round(seed_vram(8.0, 131072) / 1e9, 1) == 25.5  # Q8_0 "+ Context" column


def test_seed_speed_examples() -> None:
    vram = seed_vram(4.80, 2048)
    assert vram == 5_368_435_456  # 4.8 GB weights + 0.268 GB KV + 0.3 GB
    assert round(seed_tokens_per_second(5300, vram, 0.55)) == 543  # MI300X
    assert round(seed_tokens_per_second(1008, vram, 0.65)) == 122  # RTX 4090
