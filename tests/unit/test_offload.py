"""Partial offload (llama.cpp -ngl): layers on the GPU, the rest in RAM, speed from both bandwidths."""

from __future__ import annotations

import pytest
from configs import LLAMA_33_70B
from vramtui.core.estimate import NO, Settings, fit_on, memory
from vramtui.core.hardware import APPLE, GPU, Hardware
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.offload import DEFAULT_RAM_BANDWIDTH_GBPS, offload_plan, split_at
from vramtui.core.quant_mix import Recipe
from vramtui.core.quantization import Quantization
from vramtui.core.units import GIB, gib
from vramtui.core.weights import GpuFormat

QWEN3_30B_A3B = dict(
    architectures=["Qwen3MoeForCausalLM"],
    model_type="qwen3_moe",
    hidden_size=2048,
    intermediate_size=6144,
    moe_intermediate_size=768,
    num_hidden_layers=48,
    num_attention_heads=32,
    num_key_value_heads=4,
    head_dim=128,
    num_experts=128,
    num_experts_per_tok=8,
    vocab_size=151936,
    max_position_embeddings=40960,
    tie_word_embeddings=False,
)
Q4_K_M = Quantization("Q4_K_M", 4.8, 60, recipe=Recipe("Q4_K_M"))
RTX_4090 = Hardware(
    "NVIDIA GeForce RTX 4090", "NVIDIA", GPU, gib(24), 1008.0, 165.2, segment="consumer"
)
A70 = architecture_from_config(LLAMA_33_70B)


def test_70b_q4_k_m_on_one_24_gb_card_is_a_partial_offload():
    s = Settings()
    assert fit_on(A70, Q4_K_M, s, RTX_4090) == NO
    plan = offload_plan(A70, Q4_K_M, s, RTX_4090)
    assert plan is not None and not plan.all_on_gpu
    assert plan.total_layers == 81  # 80 repeating layers + the output layer, as llama.cpp counts
    assert 30 <= plan.gpu_layers <= 50
    assert plan.gpu_bytes <= plan.gpu_budget_bytes <= 24 * GIB
    # One more layer would not fit the GPU with headroom.
    assert split_at(A70, Q4_K_M, s, RTX_4090, plan.gpu_layers + 1).gpu_bytes > plan.gpu_budget_bytes
    # Between CPU-only and all-GPU speed, and slow: most bytes are read from RAM.
    cpu_only = split_at(A70, Q4_K_M, s, RTX_4090, 0).tokens_per_second
    assert cpu_only < plan.tokens_per_second < 5.0


def test_split_accounts_for_every_byte():
    s = Settings()
    m = memory(A70, Q4_K_M, s)
    plan = offload_plan(A70, Q4_K_M, s, RTX_4090)
    cpu_compute = split_at(A70, Q4_K_M, s, RTX_4090, 81).ram_bytes - m.weights.embedding_bytes
    assert cpu_compute == 0  # all layers on the GPU: only the embedding stays in RAM
    # GPU + RAM hold all the tensors, the KV cache, the GPU overhead and a CPU compute buffer.
    assert plan.gpu_bytes + plan.ram_bytes > m.total_bytes - m.weights.header_bytes


def test_more_ram_bandwidth_is_faster():
    s = Settings()
    slow = offload_plan(A70, Q4_K_M, s, RTX_4090, ram_bandwidth_gbps=40.0)
    fast = offload_plan(A70, Q4_K_M, s, RTX_4090, ram_bandwidth_gbps=200.0)
    assert slow.gpu_layers == fast.gpu_layers
    assert fast.tokens_per_second > 2 * slow.tokens_per_second
    assert offload_plan(A70, Q4_K_M, s, RTX_4090).ram_bandwidth_gbps == DEFAULT_RAM_BANDWIDTH_GBPS


def test_two_cards_hold_more_layers():
    s = Settings()
    one = offload_plan(A70, Q4_K_M, s, RTX_4090)
    two = offload_plan(A70, Q4_K_M, s, RTX_4090, gpus=2)
    assert two.gpu_layers > one.gpu_layers


def test_longer_context_leaves_fewer_layers_on_the_gpu():
    short = offload_plan(A70, Q4_K_M, Settings(context=4096), RTX_4090)
    long = offload_plan(A70, Q4_K_M, Settings(context=65536), RTX_4090)
    assert long.gpu_layers < short.gpu_layers


def test_a_model_that_fits_puts_every_layer_on_the_gpu():
    small = architecture_from_config(QWEN3_30B_A3B)
    big_card = Hardware("96 GB card", "NVIDIA", GPU, gib(96), 1800.0, segment="workstation")
    plan = offload_plan(small, Q4_K_M, Settings(), big_card)
    assert plan.all_on_gpu and plan.gpu_layers == 49


def test_moe_reads_only_active_experts():
    moe = architecture_from_config(QWEN3_30B_A3B)
    card = Hardware("8 GB card", "NVIDIA", GPU, gib(8), 448.0, segment="consumer")
    plan = offload_plan(moe, Q4_K_M, Settings(), card)
    assert 0 < plan.gpu_layers < plan.total_layers
    # 3B active parameters: far faster than a dense model of the same 17 GB would be from RAM.
    assert plan.tokens_per_second > 10


def test_fits_in_ram():
    s = Settings()
    assert offload_plan(A70, Q4_K_M, s, RTX_4090, ram_bytes=64 * GIB).fits_in_ram is True
    assert offload_plan(A70, Q4_K_M, s, RTX_4090, ram_bytes=16 * GIB).fits_in_ram is False
    assert offload_plan(A70, Q4_K_M, s, RTX_4090).fits_in_ram is None


@pytest.mark.parametrize(
    ("quant", "hw"),
    [
        (
            Quantization("FP8", 8.0, 94, gpu_format=GpuFormat(8.0)),
            RTX_4090,
        ),  # llama.cpp can't load it
        (
            Q4_K_M,
            Hardware("Mac", "Apple", APPLE, gib(32), 400.0),
        ),  # unified memory: nowhere to offload
    ],
)
def test_no_plan_where_offload_means_nothing(quant, hw):
    assert offload_plan(A70, quant, Settings(), hw) is None
