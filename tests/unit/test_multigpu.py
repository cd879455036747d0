"""Multi-GPU plans: tensor parallel within a node, pipeline stages across nodes."""

from __future__ import annotations

import pytest
from configs import DEEPSEEK_R1, LLAMA_31_8B
from vramtui.core.estimate import (
    FITS,
    GPUS_PER_NODE,
    NO,
    ParallelPlan,
    Settings,
    fit_on,
    gpus_needed,
    memory,
    on_target,
    parallel_plans,
    per_gpu_bytes,
    plan_needed,
    plan_settings,
    valid_tp_sizes,
)
from vramtui.core.hardware import GPU, MULTI_GPU, Hardware
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.quantization import Quantization
from vramtui.core.units import gib
from vramtui.core.weights import GpuFormat

QWEN25_7B = dict(
    architectures=["Qwen2ForCausalLM"],
    model_type="qwen2",
    hidden_size=3584,
    intermediate_size=18944,
    num_hidden_layers=28,
    num_attention_heads=28,
    num_key_value_heads=4,
    vocab_size=152064,
    max_position_embeddings=32768,
    tie_word_embeddings=False,
)
FP8 = Quantization("FP8", 8.0, 94, gpu_format=GpuFormat(8.0))
BF16 = Quantization("BF16-ckpt", 16.0, 99, gpu_format=GpuFormat(16.0))
# Vendor figures (catalog GPU entries h100-sxm, h200-sxm): memory sold as 80 / 141 GB.
H100 = Hardware("NVIDIA H100 SXM", "NVIDIA", GPU, gib(80), 3350.0, 989.4, segment="datacenter")
H200 = Hardware("NVIDIA H200", "NVIDIA", GPU, gib(141), 4800.0, 989.4, segment="datacenter")
DGX_H100 = Hardware(
    "NVIDIA DGX H100",
    "NVIDIA",
    MULTI_GPU,
    gib(80),
    3350.0,
    989.4,
    gpu_count=8,
    segment="datacenter",
)

DS = architecture_from_config(DEEPSEEK_R1)
LLAMA = architecture_from_config(LLAMA_31_8B)


def test_deepseek_r1_fp8_weights_are_the_published_size():
    # The FP8 checkpoint holds ~671B parameters at one byte, embeddings and head at two: ~673 GB.
    w = memory(DS, FP8, Settings()).weights_bytes
    assert 665e9 < w < 690e9


def test_deepseek_r1_fp8_needs_more_than_eight_h100():
    s = Settings()
    assert gpus_needed(DS, FP8, s, H100) > 8
    # 8 x 80 GB = 640 GiB holds the 627 GiB of weights with ~0.5 GiB per GPU to spare: no headroom.
    assert fit_on(DS, FP8, plan_settings(s, ParallelPlan(8)), H100) != FITS
    plan = plan_needed(DS, FP8, s, H100)
    assert plan == ParallelPlan(tp=8, pp=2) and plan.nodes == 2  # two 8-GPU nodes
    assert fit_on(DS, FP8, plan_settings(s, plan), H100) == FITS


def test_deepseek_r1_fp8_needs_exactly_eight_h200():
    s = Settings()
    assert gpus_needed(DS, FP8, s, H200) == 8
    assert plan_needed(DS, FP8, s, H200) == ParallelPlan(8)
    assert fit_on(DS, FP8, plan_settings(s, ParallelPlan(4)), H200) == NO


@pytest.mark.parametrize("context", [2048, 8192, 32768, 163840])
def test_deepseek_r1_verdict_holds_at_every_context(context):
    s = Settings(context=context)
    assert gpus_needed(DS, FP8, s, H100) == 16
    assert gpus_needed(DS, FP8, s, H200) == 8


def test_a_dgx_h100_does_not_hold_deepseek_r1_fp8():
    assert fit_on(DS, FP8, Settings(), DGX_H100) != FITS
    assert plan_needed(DS, FP8, Settings(), DGX_H100) is None  # a system is not multiplied


def test_tp_sizes_follow_vllm_head_rules():
    assert valid_tp_sizes(LLAMA, 64) == [1, 2, 4, 8, 16, 32]
    # Qwen2.5-7B: 28 query heads, 4 KV heads: 7 and 14 divide the heads but not the KV heads.
    assert valid_tp_sizes(architecture_from_config(QWEN25_7B), 64) == [1, 2, 4, 28]
    assert valid_tp_sizes(DS, 64) == [1, 2, 4, 8, 16, 32, 64]  # MLA: one latent shared by all heads


def test_plans_stay_in_a_node_then_add_nodes():
    plans = parallel_plans(DS)
    assert [p.gpus for p in plans[:6]] == [1, 2, 4, 8, 16, 24]
    assert all(p.pp == 1 and p.gpus <= GPUS_PER_NODE for p in plans[:4])
    assert plans[5] == ParallelPlan(8, 3) and plans[5].nodes == 3


def test_pipeline_stages_split_weights_and_kv_by_layer():
    s = Settings(context=32768)
    tp16 = per_gpu_bytes(DS, memory(DS, FP8, plan_settings(s, ParallelPlan(16))))
    tp8pp2 = per_gpu_bytes(DS, memory(DS, FP8, plan_settings(s, ParallelPlan(8, 2))))
    # Same weights per GPU; an MLA latent is replicated across TP ranks but split across stages.
    assert tp8pp2 < tp16


def test_pure_tensor_parallel_share_is_unchanged():
    s = Settings(context=8192, gpus=2)
    m = memory(LLAMA, BF16, s)
    expected = -(-m.weights_bytes // 2) + -(-m.kv_bytes // 2) + m.overhead_bytes // 2
    assert per_gpu_bytes(LLAMA, m) == expected


def test_pipeline_stages_add_no_single_stream_speed():
    s = Settings()
    tp8 = on_target(DS, FP8, plan_settings(s, ParallelPlan(8)), H200, 671_000_000_000)
    pp2 = on_target(DS, FP8, plan_settings(s, ParallelPlan(8, 2)), H200, 671_000_000_000)
    assert pp2.tokens_per_second == pytest.approx(tp8.tokens_per_second, rel=0.02)


def test_small_model_needs_one_gpu():
    assert gpus_needed(LLAMA, BF16, Settings(), H100) == 1
    assert plan_needed(LLAMA, BF16, Settings(), H100) == ParallelPlan(1)
