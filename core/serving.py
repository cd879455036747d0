"""What vLLM and SGLang allocate on each GPU: the KV-cache pool, its tokens and its concurrency.

vLLM's accounting is modelled on **vLLM 0.33.0** (V1 engine, `vllm serve`), per GPU worker:

    requested   = ceil(CUDA total × gpu_memory_utilization)             (default 0.92)
    KV pool     = requested − weights − activation peak − non-torch − CUDA-graph reserve
    blocks      = KV pool ÷ bytes per block (16 tokens × the layers of one KV-cache group)
    concurrency = blocks ÷ blocks one request of max_model_len needs      ("Maximum concurrency")
    tokens      = concurrency × max_model_len                             ("GPU KV cache size")

and vLLM refuses to start when one request of max_model_len needs more blocks than the pool
holds (less the one null block it keeps). SGLang (0.5.23) sizes its token pool from
`--mem-fraction-static` of the memory free before the weights load. README "Serving" walks
through both with numbers; /work/scratch/vllm/accounting.md cites the source lines.

The constants below are measured, not derived: each says where its figure comes from.
Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from vramtui.core.arch import CONV, FULL, LINEAR, MAMBA, SLIDING, Architecture
from vramtui.core.estimate import weights_per_gpu
from vramtui.core.hardware import Hardware
from vramtui.core.kv import kv_width_per_gpu, state_parts
from vramtui.core.quantization import Quantization, weights
from vramtui.core.units import GIB, MIB

VLLM_VERSION = "0.33.0"
SGLANG_VERSION = "0.5.23"

# ---------------------------------------------------------------- the GPU as CUDA reports it

# cudaMemGetInfo's total is a little under the marketed size (the driver keeps some for itself).
# A least-squares line through four published totals: H100 80 GB -> 79.18 GiB (llm-d vLLM logs),
# RTX 3090 -> 23.58 GiB (vllm#10517), H200 141 GB -> 139.81 GiB, A100 80 GB -> 79.15 GiB; it is
# within 0.05 GiB of each. Cards that ship with ECC on GDDR memory (A10, L4, L40S…) report a
# further 1/16 less; the catalog does not say which those are, so they are over-estimated.
CUDA_TOTAL_SCALE = 0.9934
CUDA_TOTAL_OFFSET = int(0.29 * GIB)


def cuda_total_bytes(hw: Hardware) -> int:
    """Device memory of one GPU of `hw` as CUDA reports it (what vLLM multiplies by its utilization)."""
    return max(0, int(hw.memory_bytes * CUDA_TOTAL_SCALE) - CUDA_TOTAL_OFFSET)


# ---------------------------------------------------------------- vLLM's defaults

DEFAULT_GPU_MEMORY_UTILIZATION = 0.92  # vllm/config/cache.py (0.90 up to 0.15)
BLOCK_SIZE = 16  # CacheConfig.DEFAULT_BLOCK_SIZE
MLA_BLOCK_SIZE = 64  # FlashMLA, the MLA backend on Hopper, needs 64-token blocks
# get_batch_defaults, `vllm serve`: (smallest CUDA total, max_num_batched_tokens, max_num_seqs);
# A100s stay in the last tier whatever their memory.
BATCH_TIERS = ((160 * GIB, 16384, 1024), (70 * GIB, 8192, 1024), (0, 2048, 256))
# Sequences admitted per engine step alongside the running ones: async scheduling keeps two
# batches in flight, so a sliding-window layer holds its window plus 2 × max_num_batched_tokens.
BATCHES_IN_FLIGHT = 2

# The profiling run's peak, fitted to vLLM's own logs on an H100 (llm-d, below). The sampler
# dominates: logits and their float32 copies for max_num_seqs rows × vocab; it runs after the
# forward pass, whose transients are freed by then, so the peak is the larger of the two plus
# the batch's hidden states. 9.6 copies fit gpt-oss-20b (7.38 GiB) and Qwen3-0.6B (5.56 GiB);
# Llama-3.1-8B (4.76), Qwen3-32B (5.64) and Llama-3.3-70B TP2 (4.84) then come out within 0.03 GiB.
SAMPLER_COPIES = 9.6
LOGIT_BYTES = 4  # the sampler works in float32
ACTIVATION_BYTES = 2  # bf16 hidden states and MLP activations
# Memory outside PyTorch that grows during profiling (attention workspaces; with several GPUs
# also NCCL and custom all-reduce buffers): 0.13 GiB on one H100, 0.55 GiB per GPU at TP=2 (llm-d).
NON_TORCH_BYTES = int(0.13 * GIB)
NON_TORCH_PARALLEL_BYTES = int(0.42 * GIB)
# vLLM 0.21+ subtracts an estimate of its CUDA graphs before sizing the KV cache:
# "Estimated CUDA graph memory: 0.73 GiB total" for the default capture sizes
# (PIECEWISE=51, FULL=35; vllm PR #39559). 0 with --enforce-eager.
CUDA_GRAPH_BYTES = int(0.73 * GIB)


@dataclass(frozen=True)
class EngineOptions:
    """The server flags the pool depends on; None means the engine's default for the GPU."""

    gpu_memory_utilization: float | None = None
    max_num_batched_tokens: int | None = None
    max_num_seqs: int | None = None
    # False: --enforce-eager, or VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=0 (which gives
    # the budgets of vLLM 0.20 and older, where graphs were captured after the KV cache).
    cuda_graphs: bool = True
    mem_fraction_static: float | None = None  # SGLang


DEFAULT_ENGINE = EngineOptions()


def batch_defaults(hw: Hardware) -> tuple[int, int]:
    """vLLM's (max_num_batched_tokens, max_num_seqs) for `vllm serve` on one GPU of `hw`."""
    total = cuda_total_bytes(hw)
    a100 = "A100" in hw.name.upper()
    for floor, tokens, seqs in BATCH_TIERS:
        if total >= floor and not (a100 and floor):
            return tokens, seqs
    return BATCH_TIERS[-1][1:]


def server_kv_dtype(kv_type: str) -> str:
    """The vLLM/SGLang KV cache for vramtui's KV type: 16-bit types are the model's own dtype
    ("auto"); the servers have nothing smaller than fp8, so every quantized type becomes fp8."""
    return "auto" if kv_type in ("f16", "bf16", "f32") else "fp8"


def server_kv_bytes(kv_type: str) -> int:
    """Bytes per cached value in vLLM/SGLang for vramtui's KV type (bf16 checkpoints: 2)."""
    return 2 if server_kv_dtype(kv_type) == "auto" else 1


def activation_bytes(a: Architecture, max_num_batched_tokens: int, max_num_seqs: int, tp: int = 1) -> int:
    """The peak of vLLM's profiling run on one GPU: the larger of the sampler and the MLP
    activations of a max_num_batched_tokens batch, plus that batch's hidden states."""
    rows = min(max_num_batched_tokens, max_num_seqs)
    sampler = SAMPLER_COPIES * rows * a.vocab * LOGIT_BYTES
    tp = max(1, tp)
    if a.moe is not None:
        # fused MoE: gate/up outputs of each routed copy of a token, and the routed outputs
        per_token = a.moe.active * (3 * a.moe.expert_ff // tp + a.hidden)
    else:
        per_token = 3 * a.ff_of_dense_layer() // tp  # gate + up, then the activated product
    mlp = ACTIVATION_BYTES * max_num_batched_tokens * per_token
    hidden = ACTIVATION_BYTES * max_num_batched_tokens * a.hidden
    return int(max(sampler, mlp) + hidden)


def non_torch_bytes(gpus: int) -> int:
    """Memory outside PyTorch that vLLM's profiling run sees grow (more with several GPUs)."""
    return NON_TORCH_BYTES + (NON_TORCH_PARALLEL_BYTES if gpus > 1 else 0)


# ---------------------------------------------------------------- KV-cache groups and blocks

_STATE_KINDS = (LINEAR, MAMBA, CONV)


@dataclass(frozen=True)
class KvLayout:
    """How vLLM lays the KV cache out on one GPU.

    Layers are bucketed by what they cache (full attention, sliding window, a recurrent
    state); each bucket is cut into groups of `group_size` layers (the smallest bucket's size,
    or the largest's when it is under 1.5× the smallest; a short last group is padded). All
    groups share one pool of blocks; a block holds `block_size` tokens of every layer of a
    group, so it costs group_size × page_bytes. A full-attention group needs
    ceil(L / block_size) blocks per request, a sliding-window group at most its window plus
    the tokens in flight, a state group one block (the state, padded to a page).
    """

    block_size: int
    page_bytes: int  # one block of one layer (a state padded to it)
    group_size: int  # layers per group, padding included
    groups: tuple[str, ...]  # the kind of each group (FULL, SLIDING or a state kind)
    token_bytes: int  # one token of one attention layer
    state_bytes: int  # one sequence's state in one recurrent layer (largest kind), unpadded
    window: int = 0
    in_flight_tokens: int = 0

    @property
    def bytes_per_block(self) -> int:
        return self.group_size * self.page_bytes

    def group_blocks(self, kind: str, max_model_len: int) -> int:
        """Blocks one request of `max_model_len` tokens needs in one group of `kind`."""
        if kind == FULL:
            return -(-max_model_len // self.block_size)
        if kind == SLIDING:
            held = min(self.window - 1 + self.in_flight_tokens, max_model_len)
            return -(-held // self.block_size) + 1
        return 1

    def blocks_per_request(self, max_model_len: int) -> int:
        return sum(self.group_blocks(k, max_model_len) for k in self.groups)

    def blocks(self, pool_bytes: int) -> int:
        """Blocks a pool of `pool_bytes` holds (the null block vLLM keeps among them)."""
        return max(0, pool_bytes) // self.bytes_per_block if self.bytes_per_block else 0

    def concurrency(self, pool_bytes: int, max_model_len: int) -> float:
        """Requests of `max_model_len` tokens the pool holds at once: vLLM's "Maximum concurrency"."""
        return self.blocks(pool_bytes) / max(1, self.blocks_per_request(max_model_len))

    def starts(self, pool_bytes: int, max_model_len: int) -> bool:
        """Whether vLLM starts: one request of max_model_len fits beside the null block."""
        need = self.blocks_per_request(max_model_len) * self.bytes_per_block
        return pool_bytes > 0 and need <= pool_bytes - self.bytes_per_block

    def longest_that_starts(self, pool_bytes: int, limit: int) -> int:
        """The largest max_model_len ≤ `limit` with which vLLM starts (0: none)."""
        if not self.starts(pool_bytes, 1):
            return 0
        lo, hi = 1, max(1, limit)
        if self.starts(pool_bytes, hi):
            return hi
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if self.starts(pool_bytes, mid) else (lo, mid)
        return lo


def state_bytes_per_gpu(a: Architecture, kind: str, tp: int = 1, dtype_bytes: int = 2) -> int:
    """One sequence's state in one layer of `kind` on one GPU, as vLLM keeps it: the
    convolution window in the model's dtype, the recurrent state in float32, heads split over TP."""
    conv, ssm = state_parts(a, kind)
    tp = max(1, tp)
    return -(-conv // tp) * dtype_bytes + -(-ssm // tp) * 4


def kv_layout(
    a: Architecture,
    kv_type: str = "f16",
    tp: int = 1,
    pp: int = 1,
    max_num_batched_tokens: int = 8192,
) -> KvLayout:
    """vLLM's KV-cache groups and block size for `a` on the busiest GPU of a tp × pp plan."""
    stage = a.layer_kinds[: -(-a.layers // max(1, pp))]  # the first pipeline stage is the largest
    buckets = {k: stage.count(k) for k in (FULL, SLIDING, *_STATE_KINDS) if stage.count(k)}
    token = kv_width_per_gpu(a, tp) * server_kv_bytes(kv_type)
    states = [state_bytes_per_gpu(a, k, tp) for k in buckets if k in _STATE_KINDS]
    state = max(states, default=0)
    align = MLA_BLOCK_SIZE if a.mla is not None else BLOCK_SIZE
    attention = FULL in buckets or SLIDING in buckets
    if attention and state:
        # _align_hybrid_block_size: an attention page must hold a whole state page
        block = align * -(-state // (align * token))
        page = block * token
    elif attention:
        block, page = align, align * token
    else:
        block, page = align, state
    if not buckets:
        return KvLayout(block, 0, 0, (), token, 0)
    small, large = min(buckets.values()), max(buckets.values())
    group_size = large if large < 1.5 * small else small
    groups = tuple(k for k, n in buckets.items() for _ in range(-(-n // group_size)))
    in_flight = max(BATCHES_IN_FLIGHT, pp) * max_num_batched_tokens
    return KvLayout(block, page, group_size, groups, token, state, a.sliding_window, in_flight)


# ---------------------------------------------------------------- vLLM's pool


@dataclass(frozen=True)
class VllmPool:
    """vLLM's memory on one GPU (the busiest of a tp × pp plan), term by term, in bytes:

    kv_cache_bytes = usable_bytes − weights_bytes − activation_bytes − non_torch_bytes − cuda_graph_bytes
    usable_bytes   = ceil(total_bytes × utilization)
    """

    total_bytes: int  # what CUDA reports for the GPU
    utilization: float
    usable_bytes: int
    weights_bytes: int
    activation_bytes: int
    non_torch_bytes: int
    cuda_graph_bytes: int
    layout: KvLayout
    max_model_len: int
    max_num_batched_tokens: int
    max_num_seqs: int
    tp: int = 1
    pp: int = 1
    model_max_len: int = 0  # the model's own longest context (bounds max_model_len_that_starts)

    @property
    def kv_cache_bytes(self) -> int:
        """The pool vLLM reports as "Available KV cache memory" (negative: nothing left)."""
        return (self.usable_bytes - self.weights_bytes - self.activation_bytes - self.non_torch_bytes
                - self.cuda_graph_bytes)

    @property
    def num_blocks(self) -> int:
        return self.layout.blocks(self.kv_cache_bytes)

    @property
    def max_concurrency(self) -> float:
        return self.layout.concurrency(self.kv_cache_bytes, self.max_model_len)

    @property
    def kv_cache_tokens(self) -> int:
        """vLLM's "GPU KV cache size: N tokens" (concurrency × max_model_len, as 0.20+ print it)."""
        return int(self.max_concurrency * self.max_model_len)

    @property
    def starts(self) -> bool:
        return self.layout.starts(self.kv_cache_bytes, self.max_model_len)

    @property
    def max_model_len_that_starts(self) -> int:
        """The longest max_model_len (up to the model's own, or the one asked for if longer) that starts."""
        return self.layout.longest_that_starts(self.kv_cache_bytes, max(self.max_model_len, self.model_max_len))

    @property
    def max_num_seqs_that_fit(self) -> int:
        """A --max-num-seqs for which every admitted request can grow to max_model_len (0: none fits)."""
        if not self.starts:
            return 0
        return max(1, min(self.max_num_seqs, math.floor(self.max_concurrency)))


def vllm_pool(
    a: Architecture,
    q: Quantization,
    hw: Hardware,
    max_model_len: int,
    kv_type: str = "f16",
    tp: int = 1,
    pp: int = 1,
    options: EngineOptions = DEFAULT_ENGINE,
) -> VllmPool:
    """vLLM's KV-cache pool on one GPU of `hw` (a discrete card, or one GPU of a system)
    serving `a` as `q` split tp × pp ways, at --max-model-len `max_model_len`."""
    gpu = hw.one_gpu()
    total = cuda_total_bytes(gpu)
    default_tokens, default_seqs = batch_defaults(gpu)
    mnbt = options.max_num_batched_tokens or default_tokens
    seqs = options.max_num_seqs or default_seqs
    util = options.gpu_memory_utilization or DEFAULT_GPU_MEMORY_UTILIZATION
    return VllmPool(
        total_bytes=total,
        utilization=util,
        usable_bytes=math.ceil(total * util),
        weights_bytes=weights_per_gpu(a, weights(a, q).total, tp, pp),
        activation_bytes=activation_bytes(a, mnbt, seqs, tp),
        non_torch_bytes=non_torch_bytes(tp * pp),
        cuda_graph_bytes=CUDA_GRAPH_BYTES if options.cuda_graphs else 0,
        layout=kv_layout(a, kv_type, tp, pp, mnbt),
        max_model_len=max_model_len,
        max_num_batched_tokens=mnbt,
        max_num_seqs=seqs,
        tp=tp,
        pp=pp,
        model_max_len=a.context,
    )


MAX_UTILIZATION = 0.98


def utilization_that_starts(
    a: Architecture, q: Quantization, hw: Hardware, max_model_len: int, kv_type: str = "f16",
    tp: int = 1, pp: int = 1, options: EngineOptions = DEFAULT_ENGINE,
) -> float | None:
    """The smallest --gpu-memory-utilization (in hundredths, from vLLM's default up to 0.98) at
    which vLLM starts; None if even 0.98 does not."""
    base = options.gpu_memory_utilization or DEFAULT_GPU_MEMORY_UTILIZATION
    for hundredths in range(math.ceil(base * 100 - 1e-9), round(MAX_UTILIZATION * 100) + 1):
        util = max(base, hundredths / 100)
        o = EngineOptions(util, options.max_num_batched_tokens, options.max_num_seqs, options.cuda_graphs)
        if vllm_pool(a, q, hw, max_model_len, kv_type, tp, pp, o).starts:
            return util
    return None


# ---------------------------------------------------------------- SGLang's pool

# handle_gpu_memory_settings (sglang 0.5.23): by the GPU's memory in MiB, the chunked-prefill
# size and the decode CUDA-graph batch (TP < 4, TP ≥ 4); the breakable prefill graphs are
# captured up to the chunk size (42 sizes for 2048 … 74 for 16384).
SGLANG_TIERS = (
    (20 * 1024, 2048, 8, 8),
    (35 * 1024, 4096, 48, 160),
    (60 * 1024, 4096, 32, 160),
    (90 * 1024, 8192, 256, 512),
    (160 * 1024, 8192, 256, 512),
    (math.inf, 16384, 512, 512),
)
SGLANG_PREFILL_GRAPHS = {2048: 42, 4096: 50, 8192: 58, 16384: 74}
SGLANG_MLA_PREFILL_MIB = 1536  # MLA models reserve a flat 1.5 GiB for prefill instead
SGLANG_BIG_GPU_MIB = 60 * 1024  # above this, at least 10 GiB is kept back
SGLANG_MIN_RESERVE_MIB = 10 * 1024
# Used before the weights load: the CUDA context, NCCL and cuBLAS handles. SGLang's own log on
# an L4 says "Init torch distributed ends. mem usage=0.13 GB"; the CUDA context takes ~0.3 GiB more.
SGLANG_STARTUP_BYTES = int(0.45 * GIB)


def sglang_mem_fraction(mib: float, tp: int = 1, pp: int = 1, mla: bool = False) -> float:
    """SGLang's default --mem-fraction-static for a GPU of `mib` MiB: what is left after a
    reserve for activations and CUDA graphs that grows with the chunk size and the GPU count."""
    chunk, small_bs, big_bs = next((c, s, b) for top, c, s, b in SGLANG_TIERS if mib < top)
    decode_bs = small_bs if tp < 4 else big_bs
    prefill = SGLANG_MLA_PREFILL_MIB if mla else max(chunk, 2048) * 1.5
    graphs = decode_bs * 2 + SGLANG_PREFILL_GRAPHS[chunk] * 8
    reserved = 512 + prefill + tp * pp / 8 * 1024 + graphs
    if mib > SGLANG_BIG_GPU_MIB:
        reserved = max(reserved, SGLANG_MIN_RESERVE_MIB)
    return round((mib - reserved) / mib, 3)


@dataclass(frozen=True)
class SglangPool:
    """SGLang's token pool on one GPU, in bytes:

    kv_cache_bytes = free_bytes × mem_fraction_static − weights_bytes
    kv_cache_tokens = kv_cache_bytes ÷ cell_bytes (every attention layer's K and V of one token,
                      plus, for recurrent layers, one state per request of `context` tokens)
    """

    total_bytes: int
    free_bytes: int  # free before the weights load
    mem_fraction_static: float
    weights_bytes: int
    cell_bytes: int
    state_bytes: int  # one request's recurrent state on this GPU (0 without recurrent layers)
    context: int
    model_max_len: int = 0

    @property
    def usable_bytes(self) -> int:
        return int(self.free_bytes * self.mem_fraction_static)

    @property
    def kv_cache_bytes(self) -> int:
        return self.usable_bytes - self.weights_bytes

    @property
    def kv_cache_tokens(self) -> int:
        if self.kv_cache_bytes <= 0 or self.cell_bytes + self.state_bytes <= 0:
            return 0
        per_token = Fraction(self.cell_bytes) + Fraction(self.state_bytes, max(1, self.context))
        return int(self.kv_cache_bytes / per_token)

    @property
    def max_concurrency(self) -> float:
        return self.kv_cache_tokens / max(1, self.context)

    @property
    def starts(self) -> bool:
        """SGLang starts with any pool; a request longer than the pool is refused when it comes."""
        return self.kv_cache_tokens > 0

    @property
    def max_model_len_that_starts(self) -> int:
        return min(self.kv_cache_tokens, max(self.context, self.model_max_len))

    @property
    def max_running_requests(self) -> int:
        """Requests of `context` tokens the pool holds at once (0: not one)."""
        return math.floor(self.max_concurrency)


def sglang_pool(
    a: Architecture,
    q: Quantization,
    hw: Hardware,
    context: int,
    kv_type: str = "f16",
    tp: int = 1,
    pp: int = 1,
    options: EngineOptions = DEFAULT_ENGINE,
) -> SglangPool:
    """SGLang's KV pool on one GPU of `hw` serving `a` as `q` split tp × pp ways."""
    gpu = hw.one_gpu()
    total = cuda_total_bytes(gpu)
    fraction = options.mem_fraction_static or sglang_mem_fraction(total / MIB, tp, pp, a.mla is not None)
    stage = a.layer_kinds[: -(-a.layers // max(1, pp))]
    attention_layers = sum(1 for k in stage if k in (FULL, SLIDING))
    cell = attention_layers * kv_width_per_gpu(a, tp) * server_kv_bytes(kv_type)
    state = sum(state_bytes_per_gpu(a, k, tp) for k in stage if k in _STATE_KINDS)
    return SglangPool(
        total_bytes=total,
        free_bytes=max(0, total - SGLANG_STARTUP_BYTES),
        mem_fraction_static=fraction,
        weights_bytes=weights_per_gpu(a, weights(a, q).total, tp, pp),
        cell_bytes=cell,
        state_bytes=state,
        context=context,
        model_max_len=a.context,
    )
