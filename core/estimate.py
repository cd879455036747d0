"""Memory, fit and speed for one model × quantization × settings × hardware; and the inverse questions.

Everything here is a pure function of frozen values; results are frozen too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from vramtui.core.arch import Architecture
from vramtui.core.hardware import Hardware
from vramtui.core.kv import KvBreakdown, kv_cache, kv_read_bytes
from vramtui.core.overhead import Overhead, OverheadModel, overhead
from vramtui.core.quantization import Quantization, weights
from vramtui.core.runtimes import unloadable_reason
from vramtui.core.speed import (
    Prefill,
    Speed,
    active_params,
    active_weight_bytes,
    decode_speed,
    decode_work,
    prefill,
)
from vramtui.core.weights import WeightsBreakdown

DEFAULT_CONTEXT = 8192
FITS_MARGIN = 0.90  # "fits" leaves 10 % of usable memory free for fragmentation and other processes
FITS = "fits"
TIGHT = "tight"
NO = "no"
FIT_ORDER = {NO: 0, TIGHT: 1, FITS: 2}
RECOMMENDED_DEFAULT = "Q4_K_M"
MAX_GPUS = 64
# GPUs in one node (HGX/DGX boards, most cloud instances): the NVLink domain that a
# tensor-parallel group stays in.
GPUS_PER_NODE = 8


@dataclass(frozen=True)
class Settings:
    context: int = DEFAULT_CONTEXT
    kv_type: str = "f16"
    sequences: int = 1
    gpus: int = 1  # all GPUs the model is split over (tensor parallel × pipeline stages)
    overhead: OverheadModel = OverheadModel()
    pp: int = 1  # pipeline stages (one per node when one node is not enough); gpus // pp is the TP size


def default_context(a: Architecture) -> int:
    """8,192 tokens, or the model's maximum if that is smaller: never the full native context by default."""
    return min(DEFAULT_CONTEXT, a.context)


@dataclass(frozen=True)
class Memory:
    quant: str
    weights: WeightsBreakdown
    kv: KvBreakdown
    overhead: Overhead
    gpus: int = 1
    pp: int = 1

    @property
    def overhead_bytes(self) -> int:
        return self.overhead.total

    @property
    def weights_bytes(self) -> int:
        """Weights held in memory (the file less the tensors llama.cpp skips, such as MTP blocks)."""
        return self.weights.loaded

    @property
    def download_bytes(self) -> int:
        return self.weights.total

    @property
    def kv_bytes(self) -> int:
        return self.kv.total

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_bytes + self.overhead_bytes


@lru_cache(maxsize=8192)
def memory(a: Architecture, q: Quantization, s: Settings) -> Memory:
    """Weights + KV cache + overhead (overhead counted once per GPU). Cached: the inverse
    questions (GPUs needed on each of 150 cards, longest context) ask for the same settings often."""
    w = weights(a, q)
    kv = kv_cache(a, s.context, s.kv_type, s.sequences)
    return Memory(q.name, w, kv, overhead(a, s.context, s.overhead, s.gpus), s.gpus, s.pp)


def per_gpu_bytes(a: Architecture, m: Memory) -> int:
    """The largest share one GPU holds under tensor (and pipeline) parallelism.

    Tensor parallel: weights split evenly; KV heads split across GPUs but are replicated
    once there are more GPUs than KV heads, and an MLA latent is replicated on every GPU
    (vLLM, SGLang). Pipeline parallel: each stage holds its layers' weights and KV cache;
    the largest stage has ceil(layers / pp) layers (non-layer tensors are spread the same way).
    """
    n = m.gpus
    if n == 1:
        return m.total_bytes
    pp = max(1, min(m.pp, n))
    tp = max(1, n // pp)
    layers = max(1, a.layers)
    stage = -(-layers // pp)  # layers on the largest pipeline stage
    weights = weights_per_gpu(a, m.weights_bytes, tp, pp)
    kv_stage = -(-m.kv_bytes * stage // layers)
    if a.mla is not None:
        kv_share = kv_stage
    else:
        kv_share = -(-kv_stage // min(tp, max(1, a.kv_heads)))
    return weights + kv_share + m.overhead_bytes // n


def weights_per_gpu(a: Architecture, weights_bytes: int, tp: int = 1, pp: int = 1) -> int:
    """The weights one GPU holds: split evenly over the `tp` GPUs of a tensor-parallel group,
    and over `pp` pipeline stages by layers (the largest stage has ceil(layers / pp) of them;
    non-layer tensors are spread the same way)."""
    layers = max(1, a.layers)
    stage = -(-layers // max(1, pp))
    return -(-weights_bytes * stage // (layers * max(1, tp)))


def gpus_on(hw: Hardware, s: Settings) -> int:
    """GPUs the model is split over: a multi-GPU system uses all of its own, a discrete GPU `s.gpus` copies."""
    if hw.gpu_count > 1:
        return hw.gpu_count
    return 1 if hw.is_unified else s.gpus


def fit_state(a: Architecture, m: Memory, hw: Hardware) -> str:
    """fits (with 10 % headroom), tight (fits without it, or only after a documented tweak), or no.

    `m` must be computed for `gpus_on(hw, ...)` GPUs.
    """
    if m.gpus > 1:
        need, usable, stretch = per_gpu_bytes(a, m), hw.memory_bytes, hw.memory_bytes
    else:
        need, usable, stretch = m.total_bytes, hw.usable_bytes, hw.stretch_bytes
    if need <= usable * FITS_MARGIN:
        return FITS
    if need <= max(usable, stretch):
        return TIGHT
    return NO


def valid_tp_sizes(a: Architecture, limit: int = MAX_GPUS) -> list[int]:
    """GPU counts vLLM and SGLang accept for tensor parallelism.

    The attention heads must split evenly, and the KV heads must either split evenly or be
    replicated a whole number of times (vLLM's attention layers assert both); an MLA latent
    is shared by all heads, so only the first rule applies to it.
    """
    heads = max(1, a.heads)
    kv = max(1, a.kv_heads)

    def ok(n: int) -> bool:
        if heads % n:
            return False
        return a.mla is not None or (kv % n == 0 if kv >= n else n % kv == 0)

    return [n for n in range(1, limit + 1) if ok(n)]


@dataclass(frozen=True)
class ParallelPlan:
    """How a model is spread over identical GPUs: `tp`-way tensor parallel, `pp` pipeline stages.

    Within one node the plan is pure tensor parallelism (a size vLLM and SGLang accept:
    valid_tp_sizes). When one node is not enough, each node runs the same
    TP group and the nodes form pipeline stages (vLLM's multi-node recipe: TP = GPUs per node,
    PP = nodes; SGLang: --tp-size/--pp-size with --nnodes).

    Decode speed: tensor parallelism adds each extra GPU's bandwidth at core.speed.TP_SCALING
    (0.9: the all-reduces take the rest); pipeline stages run one after another for a single
    sequence, so they add memory, not single-stream tok/s (they help throughput with many
    sequences in flight).
    """

    tp: int
    pp: int = 1

    @property
    def gpus(self) -> int:
        return self.tp * self.pp

    @property
    def nodes(self) -> int:
        return -(-self.gpus // GPUS_PER_NODE)


@lru_cache(maxsize=1024)
def parallel_plans(
    a: Architecture, limit: int = MAX_GPUS, per_node: int = GPUS_PER_NODE
) -> tuple[ParallelPlan, ...]:
    """Valid ways to split `a` over up to `limit` GPUs, fewest GPUs first."""
    single = [ParallelPlan(n) for n in valid_tp_sizes(a, min(per_node, limit))]
    tp = single[-1].tp if single else 1
    multi = [ParallelPlan(tp, pp) for pp in range(2, limit // tp + 1) if pp <= max(1, a.layers)]
    seen: set[int] = set()
    out = []
    for plan in single + multi:
        if plan.gpus not in seen:
            seen.add(plan.gpus)
            out.append(plan)
    return tuple(out)


def plan_settings(s: Settings, plan: ParallelPlan) -> Settings:
    """`s` with the model spread as `plan` says."""
    return replace(s, gpus=plan.gpus, pp=plan.pp)


@lru_cache(maxsize=1024)
def plan_needs(a: Architecture, q: Quantization, s: Settings) -> tuple[tuple[ParallelPlan, int], ...]:
    """Each valid parallel plan with the bytes its busiest GPU holds (the same for every card)."""
    return tuple((plan, per_gpu_bytes(a, memory(a, q, plan_settings(s, plan)))) for plan in parallel_plans(a))


def plan_needed(a: Architecture, q: Quantization, s: Settings, hw: Hardware) -> ParallelPlan | None:
    """The smallest plan on identical copies of `hw` that fits with headroom; None if over MAX_GPUS.

    Only a discrete GPU can be multiplied: a unified-memory machine or a multi-GPU system
    either fits (a plan of 1) or not (None).
    """
    if hw.is_unified or hw.gpu_count > 1:
        return ParallelPlan(1) if fit_on(a, q, s, hw) == FITS else None
    if s.gpus == 1 and fit_state(a, memory(a, q, s), hw) == FITS:
        return ParallelPlan(1)
    limit = hw.memory_bytes * FITS_MARGIN
    return next((plan for plan, need in plan_needs(a, q, s) if need <= limit), None)


def gpus_needed(a: Architecture, q: Quantization, s: Settings, hw: Hardware) -> int | None:
    """Fewest identical GPUs (a valid parallel plan) that fit the model with headroom; None if > MAX_GPUS."""
    plan = plan_needed(a, q, s, hw)
    return plan.gpus if plan else None


@dataclass(frozen=True)
class TargetEstimate:
    hardware: Hardware
    fit: str
    required_bytes: int  # what the model needs on this target (per GPU when split)
    usable_bytes: int  # what the target offers by default (per GPU when split)
    speed: Speed  # decode, with its terms
    prefill: Prefill  # prompt processing, with its terms
    gpus: int = 1  # GPUs the model is split over (required/usable are per GPU when > 1)

    @property
    def tokens_per_second(self) -> float:
        return self.speed.tokens_per_second

    @property
    def prefill_tokens_per_second(self) -> float:
        return self.prefill.tokens_per_second

    @property
    def headroom_bytes(self) -> int:
        return (self.usable_bytes - self.required_bytes) * self.gpus

    @property
    def total_usable_bytes(self) -> int:
        return self.usable_bytes * self.gpus


def on_target(a: Architecture, q: Quantization, s: Settings, hw: Hardware, total_params: int) -> TargetEstimate:
    """Fit and speed of the model on one target."""
    gpus = gpus_on(hw, s)
    m = memory(a, q, replace(s, gpus=gpus))
    split = gpus > 1
    required = per_gpu_bytes(a, m) if split else m.total_bytes
    usable = hw.memory_bytes if split else hw.usable_bytes
    tp = max(1, gpus // max(1, s.pp))  # pipeline stages run in turn: only the TP group adds speed
    pipeline = 1
    if q.is_gguf and gpus > 1:
        # llama.cpp splits layers across GPUs by default (-sm layer): they run one after another.
        tp, pipeline = 1, gpus
    # One decode step reads the active weights and every cached token of every sequence.
    work = decode_work(a, m.weights, s.context, s.sequences)
    kv = kv_read_bytes(a, s.context, s.kv_type, s.sequences)
    speed = decode_speed(hw, active_weight_bytes(a, m.weights), kv, tp, a.layers, work, pipeline)
    return TargetEstimate(
        hw, fit_state(a, m, hw), required, usable, speed, prefill(hw, active_params(a, total_params), tp), gpus
    )


def fit_on(a: Architecture, q: Quantization, s: Settings, hw: Hardware) -> str:
    """The fit state of `a` as `q` under `s` on `hw`."""
    n = gpus_on(hw, s)
    return fit_state(a, memory(a, q, s if n == s.gpus else replace(s, gpus=n)), hw)


def max_context(a: Architecture, q: Quantization, s: Settings, hw: Hardware, state: str = FITS) -> int:
    """Longest context (≤ the model's maximum) at which the model reaches `state` on `hw`; 0 if none."""
    def ok(ctx: int) -> bool:
        return FIT_ORDER[fit_on(a, q, replace(s, context=ctx), hw)] >= FIT_ORDER[state]

    if not ok(1):
        return 0
    lo, hi = 1, a.context
    if ok(hi):
        return hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


def best_quant(
    a: Architecture, quants: Sequence[Quantization], s: Settings, hw: Hardware, state: str = FITS
) -> Quantization | None:
    """The highest-quality quantization that some runtime loads on `hw` and reaches `state` there, or None."""
    ranked = sorted(quants, key=lambda q: (-q.quality, q.name))
    for q in ranked:
        if unloadable_reason(q, hw) is None and FIT_ORDER[fit_on(a, q, s, hw)] >= FIT_ORDER[state]:
            return q
    return None


def native_quant(a: Architecture) -> str | None:
    """The GGUF quantization that keeps a checkpoint's own quantized experts and quantizes nothing
    else below Q8_0 (gpt-oss: MXFP4_MOE, the file its makers publish), or None."""
    return "MXFP4_MOE" if a.expert_type == "MXFP4" else None


def default_quant(a: Architecture) -> str:
    """The best balance of size and quality with no target: the native quant where there is one
    (gpt-oss's Q4_K_M saves 4 % over MXFP4_MOE by cutting its attention to 4-5 bits), else Q4_K_M."""
    return native_quant(a) or RECOMMENDED_DEFAULT


def recommended_quant(
    a: Architecture, quants: Sequence[Quantization], s: Settings, hw: Hardware | None = None
) -> Quantization | None:
    """The best balance (default_quant) without a target; with one, the best quant that fits with headroom."""
    if hw is None:
        name = default_quant(a)
        return next((q for q in quants if q.name == name), None)
    return best_quant(a, quants, s, hw)
