"""The serving model: vLLM's and SGLang's pools term by term, vLLM's KV-cache groups, batched
decode throughput and its inverse questions, and the server commands sized by the pool.

Exact figures are worked by hand in the comments; properties are drawn by hypothesis.
"""

from __future__ import annotations

import math
import os
from dataclasses import replace

import pytest
from configs import LLAMA_31_8B
from hypothesis import given, settings
from hypothesis import strategies as st
from vramtui.core.arch import FULL, LINEAR, SLIDING
from vramtui.core.estimate import Settings, on_target, parallel_plans
from vramtui.core.hardware import GPU, Hardware
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.launch import SGLANG, VLLM, launch
from vramtui.core.serving import (
    CUDA_GRAPH_BYTES,
    NON_TORCH_BYTES,
    NON_TORCH_PARALLEL_BYTES,
    SAMPLER_COPIES,
    EngineOptions,
    activation_bytes,
    batch_defaults,
    cuda_total_bytes,
    kv_layout,
    sglang_mem_fraction,
    sglang_pool,
    utilization_that_starts,
    vllm_pool,
)
from vramtui.core.throughput import batch_decode, gpus_for_users, max_sequences_at_rate
from vramtui.core.units import GIB, gib

EXAMPLES = int(os.environ.get("VRAMTUI_FUZZ_EXAMPLES", "25"))
LLAMA_8B = architecture_from_config(LLAMA_31_8B)
H100 = Hardware("NVIDIA H100 SXM", "NVIDIA", GPU, gib(80), 3350.0, 989.4, segment="datacenter")
A100 = Hardware("NVIDIA A100-SXM4-80GB", "NVIDIA", GPU, gib(80), 2039.0, 312.0, segment="datacenter")
RTX_4090 = Hardware("NVIDIA GeForce RTX 4090", "NVIDIA", GPU, gib(24), 1008.0, 165.2, segment="consumer")
B200 = Hardware("NVIDIA B200", "NVIDIA", GPU, gib(192), 8000.0, 2250.0, segment="datacenter")


@pytest.fixture(scope="module")
def bf16(catalog):
    return catalog.quants["BF16"].to_core()


def test_cuda_reports_a_little_under_the_marketed_size() -> None:
    # The four published totals the line was fitted to, each within 0.05 GiB.
    for marketed, reported in ((80, 79.18), (24, 23.58), (141, 139.81), (80, 79.15)):
        hw = replace(H100, memory_bytes=gib(marketed))
        assert cuda_total_bytes(hw) / GIB == pytest.approx(reported, abs=0.05)


def test_batch_defaults_follow_vllm_serve_tiers() -> None:
    assert batch_defaults(H100) == (8192, 1024)
    assert batch_defaults(A100) == (2048, 256)  # A100s stay in the small tier
    assert batch_defaults(RTX_4090) == (2048, 256)
    assert batch_defaults(B200) == (16384, 1024)


def test_activation_peak_is_the_sampler_plus_the_batch_hidden_states() -> None:
    # Llama 3.1 8B on an H100: 9.6 × 1,024 rows × 128,256 × 4 B + 8,192 × 4,096 × 2 B = 4.76 GiB,
    # the 4.76 GiB vLLM's profile printed (llm-d).
    expected = int(SAMPLER_COPIES * 1024 * 128256 * 4 + 8192 * 4096 * 2)
    assert activation_bytes(LLAMA_8B, 8192, 1024) == expected
    assert expected / GIB == pytest.approx(4.76, abs=0.01)
    # with a handful of sequences the MLP activations of the batch are the larger
    few = activation_bytes(LLAMA_8B, 8192, 2)
    assert few == 2 * 8192 * 3 * 14336 + 2 * 8192 * 4096


def test_vllm_pool_is_its_terms(bf16) -> None:
    p = vllm_pool(LLAMA_8B, bf16, H100, 16000, options=EngineOptions(0.9))
    assert p.usable_bytes == math.ceil(cuda_total_bytes(H100) * 0.9)
    assert p.kv_cache_bytes == (p.usable_bytes - p.weights_bytes - p.activation_bytes - p.non_torch_bytes
                                - p.cuda_graph_bytes)
    assert p.cuda_graph_bytes == CUDA_GRAPH_BYTES and p.non_torch_bytes == NON_TORCH_BYTES
    # one group of 32 layers; a block = 16 tokens × 32 layers × 2 × 8 heads × 128 × 2 B = 2 MiB
    assert p.layout.groups == (FULL,) and p.layout.bytes_per_block == 2 * 1024 * 1024
    assert p.num_blocks == p.kv_cache_bytes // (2 * 1024 * 1024)
    assert p.max_concurrency == p.num_blocks / 1000  # ceil(16,000 / 16) blocks a request
    assert p.kv_cache_tokens == int(p.max_concurrency * 16000)
    eager = vllm_pool(LLAMA_8B, bf16, H100, 16000, options=EngineOptions(0.9, cuda_graphs=False))
    assert eager.kv_cache_bytes - p.kv_cache_bytes == CUDA_GRAPH_BYTES


def test_tensor_parallel_splits_weights_and_kv_heads_then_replicates(bf16) -> None:
    one = vllm_pool(LLAMA_8B, bf16, H100, 8192)
    two = vllm_pool(LLAMA_8B, bf16, H100, 8192, tp=2)
    assert two.weights_bytes == -(-one.weights_bytes // 2)
    assert two.non_torch_bytes == NON_TORCH_BYTES + NON_TORCH_PARALLEL_BYTES
    assert two.layout.token_bytes * 2 == one.layout.token_bytes
    # 8 KV heads: past TP 8 each GPU keeps one head, so the per-token bytes stop shrinking
    assert kv_layout(LLAMA_8B, tp=16).token_bytes == kv_layout(LLAMA_8B, tp=8).token_bytes == 2 * 128 * 2


def test_fp8_kv_halves_the_bytes_per_token() -> None:
    assert kv_layout(LLAMA_8B, "fp8").token_bytes * 2 == kv_layout(LLAMA_8B).token_bytes
    assert kv_layout(LLAMA_8B, "q4_0").token_bytes == kv_layout(LLAMA_8B, "fp8").token_bytes  # servers: fp8


def test_mla_keeps_the_latent_on_every_gpu_in_64_token_blocks(catalog) -> None:
    a = catalog.models["deepseek-r1"].architecture
    for tp in (1, 8):
        lay = kv_layout(a, tp=tp)
        assert (lay.block_size, lay.token_bytes) == (64, (512 + 64) * 2)


def test_sliding_window_group_holds_its_window_plus_the_tokens_in_flight(catalog) -> None:
    # gpt-oss-20b: 12 sliding (window 128) + 12 full layers -> two groups of 12.
    a = catalog.models["gpt-oss-20b"].architecture
    lay = kv_layout(a, max_num_batched_tokens=8192)
    assert lay.groups == (FULL, SLIDING) and lay.group_size == 12
    # full: 131,072 / 16 blocks; sliding: ceil((128 − 1 + 2 × 8,192) / 16) + 1 = 1,033
    assert lay.blocks_per_request(131072) == 8192 + 1033
    # at a short context the window saves nothing: both groups pay for the whole request
    assert lay.blocks_per_request(4096) == 256 + 257


def test_hybrid_layers_are_grouped_and_the_state_sets_the_block(catalog) -> None:
    # Qwen3.5-27B: 16 full-attention + 48 gated-delta-net layers -> one full and three linear groups
    # of 16. A delta-net state: 3 × 10,240 conv values × 2 B + 48 × 128 × 128 × 4 B = 3,207,168 B;
    # one token of an attention layer 2 × 4 × 256 × 2 B = 4,096 B, so the block is raised to
    # 16 × ceil(3,207,168 / (16 × 4,096)) = 784 tokens (1,568 with an fp8 cache).
    a = catalog.models["qwen3.5-27b"].architecture
    lay = kv_layout(a)
    assert lay.groups == (FULL, LINEAR, LINEAR, LINEAR) and lay.group_size == 16
    assert (lay.state_bytes, lay.token_bytes, lay.block_size) == (3_207_168, 4096, 784)
    assert kv_layout(a, "fp8").block_size == 1568
    assert lay.blocks_per_request(32768) == math.ceil(32768 / 784) + 3
    # a state group costs one block whatever the length: concurrency beats counting every layer
    pool = 40 * GIB
    naive = pool / (64 * 4096 * 32768)
    assert lay.concurrency(pool, 32768) > 2 * naive


@settings(max_examples=EXAMPLES, deadline=None)
@given(pool_mib=st.integers(1, 200_000), length=st.integers(1, 300_000))
def test_longest_that_starts_is_the_boundary(pool_mib: int, length: int) -> None:
    lay = kv_layout(LLAMA_8B)
    pool = pool_mib * 1024 * 1024
    longest = lay.longest_that_starts(pool, length)
    if longest:
        assert lay.starts(pool, longest)
    if longest < length:
        assert not lay.starts(pool, longest + 1)


def test_vllm_refuses_when_one_request_and_the_null_block_do_not_fit() -> None:
    lay = kv_layout(LLAMA_8B)
    need = lay.blocks_per_request(8192) * lay.bytes_per_block
    assert lay.starts(need + lay.bytes_per_block, 8192)
    assert not lay.starts(need + lay.bytes_per_block - 1, 8192)
    assert not lay.starts(0, 1)


@settings(max_examples=EXAMPLES, deadline=None)
@given(low=st.floats(0.5, 0.97), step=st.floats(0.001, 0.03), length=st.sampled_from([2048, 32768, 131072]))
def test_more_utilization_never_means_a_smaller_pool(bf16, low: float, step: float, length: int) -> None:
    a = vllm_pool(LLAMA_8B, bf16, RTX_4090, length, options=EngineOptions(low))
    b = vllm_pool(LLAMA_8B, bf16, RTX_4090, length, options=EngineOptions(min(1.0, low + step)))
    assert b.kv_cache_bytes >= a.kv_cache_bytes and b.max_concurrency >= a.max_concurrency
    assert b.starts or not a.starts


def test_utilization_that_starts_is_the_first_hundredth_that_does(catalog) -> None:
    m = catalog.models["llama-3.3-70b-instruct"]
    fp8 = catalog.quants["FP8"].to_core()
    a = m.architecture
    assert utilization_that_starts(a, fp8, H100, 8192, tp=2) == 0.92  # vLLM's default already does
    # on one H100, 8,192 tokens (2.5 GiB of KV cache) fit only at a raised utilization
    util = utilization_that_starts(a, fp8, H100, 8192)
    assert util is not None and util > 0.92
    assert vllm_pool(a, fp8, H100, 8192, options=EngineOptions(util)).starts
    assert not vllm_pool(a, fp8, H100, 8192, options=EngineOptions(round(util - 0.01, 2))).starts
    # 32,768 tokens (10 GiB) never do
    assert utilization_that_starts(a, fp8, H100, 32768) is None


def test_sglang_default_fraction_by_gpu_size() -> None:
    # sglang 0.5.23 handle_gpu_memory_settings, worked values (accounting.md B.2)
    for mib, tp, expected in ((143_771, 1, 0.903), (24_564, 1, 0.704), (81_920, 8, 0.813),
                              (196_608, 1, 0.864), (40_960, 4, 0.807), (16_376, 2, 0.744)):
        assert sglang_mem_fraction(mib, tp) == expected


def test_sglang_pool_reproduces_its_log_from_the_logged_free_memory(catalog) -> None:
    # QwQ-32B, 4× L4, sglang 0.4.3.post4 (didier-durand/llms-in-clouds@2aa130c0:docs/sglang.md):
    #   "Load weight begin. avail mem=21.63 GB", "Load weight end. … mem usage=15.54 GB",
    #   mem_fraction_static=0.85, "KV Cache is allocated. #tokens: 46611".
    m = catalog.models["qwq-32b"]
    bf16 = catalog.quants["BF16"].to_core()
    pool = sglang_pool(m.architecture, bf16, RTX_4090, 131072, tp=4, options=EngineOptions(mem_fraction_static=0.85))
    assert pool.cell_bytes == 64 * 2 * 2 * 128 * 2  # 64 layers × (8 heads / 4) × K and V × 128 × 2 B
    logged = replace(pool, free_bytes=round(21.63 * GIB), weights_bytes=round(15.54 * GIB))
    assert logged.kv_cache_tokens == pytest.approx(46_611, rel=0.001)


# ---------------------------------------------------------------- throughput


@pytest.fixture(scope="module")
def llama(catalog):
    m = catalog.models["llama-3.1-8b-instruct"]
    return m.architecture, catalog.quants["BF16"].to_core(), m.params


def test_one_sequence_decodes_as_fast_as_the_single_stream_estimate(llama) -> None:
    a, q, params = llama
    one = batch_decode(a, q, H100, 1, 8192, params)
    alone = on_target(a, q, Settings(context=8192), H100, params)
    assert one.per_request_tokens_per_second == pytest.approx(alone.tokens_per_second)


@settings(max_examples=EXAMPLES, deadline=None)
@given(n=st.integers(1, 2000), context=st.sampled_from([1024, 8192, 65536]))
def test_adding_sequences_slows_each_and_speeds_the_whole(llama, n: int, context: int) -> None:
    a, q, params = llama
    d, more = batch_decode(a, q, H100, n, context, params), batch_decode(a, q, H100, n + 1, context, params)
    assert more.per_request_tokens_per_second <= d.per_request_tokens_per_second
    assert more.aggregate_tokens_per_second >= d.aggregate_tokens_per_second * (1 - 1e-9) or more.bound == "compute"
    assert d.step_s == max(d.memory_s, d.compute_s)


def test_a_big_batch_becomes_compute_bound(llama) -> None:
    a, q, params = llama
    short = batch_decode(a, q, H100, 4096, 16, params)  # tiny KV: only the FLOPs grow
    assert short.bound == "compute"
    assert short.compute_s == pytest.approx(4096 * 2 * short.compute.active_params
                                            / (989.4e12 * short.compute.utilisation))


def test_moe_reads_more_experts_as_sequences_are_added(catalog) -> None:
    m = catalog.models["qwen3-30b-a3b"]
    q = catalog.quants["BF16"].to_core()
    reads = [batch_decode(m.architecture, q, H100, n, 1024, m.params).memory.weights_bytes for n in (1, 8, 64, 512)]
    assert reads == sorted(reads) and reads[-1] > 5 * reads[0]


@pytest.mark.parametrize("rate", [5.0, 30.0, 80.0])
def test_most_sequences_at_a_rate_is_the_boundary(llama, rate: float) -> None:
    a, q, params = llama
    n = max_sequences_at_rate(a, q, H100, 16384, params, rate, 400)
    assert n >= 1
    assert batch_decode(a, q, H100, n, 16384, params).per_request_tokens_per_second >= rate
    if n < 400:
        assert batch_decode(a, q, H100, n + 1, 16384, params).per_request_tokens_per_second < rate


def test_fewest_gpus_for_users_is_the_smallest_that_holds_them(llama) -> None:
    a, q, params = llama
    users, context = 100, 32768
    plan = gpus_for_users(a, q, H100, users, context, params)
    assert plan is not None
    assert plan.replicas * math.floor(plan.pool.max_concurrency) >= users and plan.pool.starts
    for p in parallel_plans(a):  # no split with as many replicas as it needs uses fewer GPUs
        pool = vllm_pool(a, q, H100, context, tp=p.tp, pp=p.pp)
        if pool.starts and pool.max_concurrency >= 1:
            assert -(-users // math.floor(pool.max_concurrency)) * p.gpus >= plan.gpus
    slow = gpus_for_users(a, q, H100, users, context, params, min_tokens_per_second=60.0)
    assert slow is not None and slow.gpus >= plan.gpus
    assert slow.speed.per_request_tokens_per_second >= 60.0


# ---------------------------------------------------------------- the commands carry the pool


def test_server_commands_carry_the_pools_settings(catalog) -> None:
    m = catalog.models["llama-3.1-8b-instruct"]
    q = catalog.quants["BF16"].to_core()
    plan = launch(m.architecture, q, Settings(context=32768), H100, m.hf_repo)
    v, g = plan.vllm, plan.sglang
    assert v is not None and g is not None and v.starts
    text = plan.commands[VLLM].text
    assert f"--max-model-len 32768 --gpu-memory-utilization {v.utilization:.2f}" in text
    assert f"--max-num-seqs {v.max_num_seqs_that_fit}" in text
    assert v.max_num_seqs_that_fit == math.floor(v.max_concurrency)
    sg = plan.commands[SGLANG].text
    assert f"--mem-fraction-static {g.mem_fraction_static:.2f}" in sg
    assert f"--max-running-requests {g.max_running_requests}" in sg


def test_the_default_utilization_is_raised_only_when_one_request_would_not_fit(catalog) -> None:
    m = catalog.models["qwen3-32b"]
    q = catalog.quants["BF16"].to_core()
    roomy = launch(m.architecture, q, Settings(context=4096), H100, m.hf_repo)
    assert roomy.vllm.utilization == 0.92
    tight = launch(m.architecture, q, Settings(context=40960), H100, m.hf_repo)
    if tight.plan.gpus == 1:
        assert tight.vllm.starts and tight.vllm.utilization > 0.92
        assert any("--gpu-memory-utilization" in n for n in tight.commands[VLLM].notes)
    asked = launch(m.architecture, q, Settings(context=40960), H100, m.hf_repo,
                   engine=EngineOptions(gpu_memory_utilization=0.5))
    assert asked.vllm.utilization == 0.5  # the user's figure is kept, even when it refuses
