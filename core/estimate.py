"""Memory, fit and speed for one model × quantization × settings × hardware; and the inverse questions.

Everything here is a pure function of frozen values; results are frozen too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from core.arch import Architecture
from core.hardware import Hardware
from core.kv import KvBreakdown, kv_cache
from core.overhead import OverheadModel, overhead_bytes
from core.quantization import Quantization, weights
from core.speed import active_params, active_weight_bytes, decode_speed, prefill_tokens_per_second
from core.weights import WeightsBreakdown

DEFAULT_CONTEXT = 8192
FITS_MARGIN = 0.90  # "fits" leaves 10 % of usable memory free for fragmentation and other processes
FITS = "fits"
TIGHT = "tight"
NO = "no"
FIT_ORDER = {NO: 0, TIGHT: 1, FITS: 2}
RECOMMENDED_DEFAULT = "Q4_K_M"
MAX_GPUS = 64


@dataclass(frozen=True)
class Settings:
    context: int = DEFAULT_CONTEXT
    kv_type: str = "f16"
    sequences: int = 1
    gpus: int = 1
    overhead: OverheadModel = OverheadModel()


def default_context(a: Architecture) -> int:
    """8,192 tokens, or the model's maximum if that is smaller: never the full native context by default."""
    return min(DEFAULT_CONTEXT, a.context)


@dataclass(frozen=True)
class Memory:
    quant: str
    weights: WeightsBreakdown
    kv: KvBreakdown
    overhead_bytes: int
    gpus: int = 1

    @property
    def weights_bytes(self) -> int:
        return self.weights.total

    @property
    def kv_bytes(self) -> int:
        return self.kv.total

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_bytes + self.overhead_bytes


def memory(a: Architecture, q: Quantization, s: Settings) -> Memory:
    """Weights + KV cache + overhead (overhead counted once per GPU)."""
    w = weights(a, q)
    kv = kv_cache(a, s.context, s.kv_type, s.sequences)
    return Memory(q.name, w, kv, overhead_bytes(a, s.context, s.overhead, s.gpus), s.gpus)


def per_gpu_bytes(a: Architecture, m: Memory) -> int:
    """The largest share one GPU holds under tensor parallelism.

    Weights split evenly; KV heads split across GPUs but are replicated once there are
    more GPUs than KV heads, and an MLA latent is replicated on every GPU (vLLM, SGLang).
    """
    n = m.gpus
    if n == 1:
        return m.total_bytes
    if a.mla is not None:
        kv_share = m.kv_bytes
    else:
        kv_share = -(-m.kv_bytes // min(n, max(1, a.kv_heads)))
    return -(-m.weights_bytes // n) + kv_share + m.overhead_bytes // n


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
    """GPU counts vLLM and SGLang accept for tensor parallelism: divisors of the attention heads."""
    heads = max(1, a.heads)
    return [n for n in range(1, limit + 1) if heads % n == 0]


def gpus_needed(a: Architecture, q: Quantization, s: Settings, hw: Hardware) -> int | None:
    """Fewest identical GPUs (a valid tensor-parallel size) on which the model fits with headroom; None if > MAX_GPUS."""
    for n in valid_tp_sizes(a):
        if fit_on(a, q, replace(s, gpus=n), hw) == FITS:
            return n
    return None


@dataclass(frozen=True)
class TargetEstimate:
    hardware: Hardware
    fit: str
    required_bytes: int  # what the model needs on this target (per GPU when split)
    usable_bytes: int  # what the target offers by default (per GPU when split)
    tokens_per_second: float
    prefill_tokens_per_second: float
    gpus: int = 1  # GPUs the model is split over (required/usable are per GPU when > 1)

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
    # One decode step reads the active weights and every cached token of every sequence.
    bytes_per_token = active_weight_bytes(a, m.weights) + m.kv.total
    speed = decode_speed(hw, bytes_per_token, gpus)
    prefill = prefill_tokens_per_second(hw, active_params(a, total_params), gpus)
    return TargetEstimate(
        hw, fit_state(a, m, hw), required, usable, speed.tokens_per_second, prefill, gpus
    )


def fit_on(a: Architecture, q: Quantization, s: Settings, hw: Hardware) -> str:
    """The fit state of `a` as `q` under `s` on `hw`."""
    return fit_state(a, memory(a, q, replace(s, gpus=gpus_on(hw, s))), hw)


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
    """The highest-quality quantization that reaches `state` on `hw`, or None."""
    ranked = sorted(quants, key=lambda q: (-q.quality, q.name))
    for q in ranked:
        if FIT_ORDER[fit_on(a, q, s, hw)] >= FIT_ORDER[state]:
            return q
    return None


def recommended_quant(
    a: Architecture, quants: Sequence[Quantization], s: Settings, hw: Hardware | None = None
) -> Quantization | None:
    """Q4_K_M (the best balance) without a target; with one, the best quant that fits with headroom."""
    if hw is None:
        return next((q for q in quants if q.name == RECOMMENDED_DEFAULT), None)
    return best_quant(a, quants, s, hw)


def count_fitting(a: Architecture, q: Quantization, s: Settings, targets: Iterable[Hardware]) -> int:
    """How many targets run the model (fits or tight)."""
    return sum(1 for hw in targets if fit_on(a, q, s, hw) != NO)
