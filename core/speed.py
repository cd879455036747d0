"""Decode and prefill speed.

Decode is memory-bound: each new token reads the active weights once and the
KV cache filled so far, plus a fixed per-token cost (kernel launches,
synchronisation, sampling) that does not shrink with the model:

    seconds per token = bytes read ÷ (k × bandwidth) + t0

k = 0.9 of spec bandwidth and t0 per hardware class are least-squares fits to
llama.cpp's published llama-bench tg128 results (README, "Speed"). A single
constant efficiency (the seed's 0.55) over-predicts small models on fast
hardware and under-predicts big ones; the fixed cost explains both.
Active weights leave out the token-embedding table (one row is read per token)
and, for MoE models, all but the routed experts a token uses.

Prefill is compute-bound: 2 FLOPs per active parameter per prompt token at a
fraction of the peak FP16 tensor rate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from vramtui.core.arch import Architecture
from vramtui.core.hardware import APPLE, CPU, Hardware
from vramtui.core.weights import WeightsBreakdown

BANDWIDTH_EFFICIENCY = 0.9  # k: fraction of spec bandwidth the weight reads reach
# t0, seconds per token, by hardware class (fits in README "Speed").
FIXED_COST_S = {
    "nvidia-consumer": 0.0015,
    "nvidia-datacenter": 0.0025,
    "amd": 0.0035,
    "intel": 0.0030,
    APPLE: 0.0050,
    "unified": 0.0040,
    # No published llama-bench runs of CPU decode were fitted: the unified-memory class's t0
    # is used. CPU decode is dominated by the bandwidth term (~20 ms per token for 1 GB at 54 GB/s).
    CPU: 0.0040,
}
# Fraction of the catalog's dense FP16 TFLOP/s that llama-bench pp512 reaches (Llama-2-7B Q4_0):
# GeForce cards ~1.0 (llama.cpp's int8/FP16-accumulate kernels beat the FP32-accumulate figure:
# 3060 1.11, 3090 0.96, 4090 1.18, 5080 1.11, 5090 0.94); datacenter parts far less of their
# huge tensor peaks at batch 512 (A100 0.22, H100 0.15). Other classes: no published data, 0.45.
PREFILL_UTILISATION = {"nvidia-consumer": 1.0, "nvidia-datacenter": 0.2}
DEFAULT_PREFILL_UTILISATION = 0.45
# Pascal cards (GTX 10, P40) run FP16 at 1/64 rate, and llama.cpp uses their FP32 and int8 units
# instead (a P40 prefills at ~12 TFLOP/s, its FP32 rate): their FP16 figure says nothing, so
# below this the time to first token is reported as unknown rather than 60x too slow.
CRIPPLED_FP16_TFLOPS = 1.0


def prefill_utilisation(hw: Hardware) -> float:
    return PREFILL_UTILISATION.get(hardware_class(hw), DEFAULT_PREFILL_UTILISATION)
# Tensor parallelism: each extra GPU adds its bandwidth at this rate, and every layer
# then waits for two all-reduces (after attention and after the FFN) of ~20 µs each
# over NVLink at batch 1 — which is why 8 GPUs do not decode 8× faster.
TP_SCALING = 0.9
ALL_REDUCE_S = 20e-6


def hardware_class(hw: Hardware) -> str:
    """The class whose fixed per-token cost applies to `hw`."""
    if hw.kind in (APPLE, CPU):
        return hw.kind
    if hw.is_unified:
        return "unified"
    if hw.vendor == "NVIDIA":
        return "nvidia-datacenter" if hw.segment == "datacenter" else "nvidia-consumer"
    if hw.vendor == "AMD":
        return "amd"
    if hw.vendor == "Intel":
        return "intel"
    return "unified"


def active_weight_bytes(a: Architecture, w: WeightsBreakdown, sequences: int = 1) -> int:
    """Weight bytes read in one decode step of `sequences` sequences (one token each).

    Every tensor is read once per step, however many sequences share it; of an MoE layer's
    routed experts, those that at least one sequence's token picks: a fraction
    1 − (1 − active/experts)^sequences of them (active/experts for one sequence).
    """
    read = w.tensor_bytes + w.extra_bytes - w.embedding_bytes - w.unloaded_bytes
    if a.moe is not None and w.expert_bytes:
        read -= w.expert_bytes
        if sequences <= 1:
            read += w.expert_bytes * a.moe.active // a.moe.experts
        else:
            read += int(w.expert_bytes * (1 - (1 - a.moe.active / a.moe.experts) ** sequences))
    return read


def active_params(a: Architecture, total_params: int) -> int:
    """Parameters a token passes through (MoE: shared parts plus its active experts)."""
    lookups = a.vocab * a.hidden * (0 if a.tied_embeddings else 1)
    lookups += a.per_layer_input * a.layers * (a.per_layer_vocab or a.vocab)  # Gemma 3n/4 per-layer tables
    if a.moe is None:
        return total_params - lookups
    per_expert = (3 if a.moe.gated else 2) * (a.moe.latent or a.hidden) * a.moe.expert_ff
    moe_layers = sum(a.moe_layers)
    idle = per_expert * (a.moe.experts - a.moe.active) * moe_layers
    return total_params - idle - lookups


@dataclass(frozen=True)
class Speed:
    """Decode speed and its terms:

    seconds per token = (weights_bytes + kv_bytes) ÷ (efficiency × bandwidth × (1 + scaling × (tp − 1)))
                        + fixed_cost_s + sync_s
    """

    tokens_per_second: float
    weights_bytes: int  # active weights read per token
    kv_bytes: int  # KV cache (and states) read per token
    bandwidth_gbps: float  # spec bandwidth of one GPU
    tp: int = 1  # tensor-parallel GPUs adding bandwidth
    fixed_cost_s: float = 0.0  # t0 of the hardware class
    sync_s: float = 0.0  # all-reduces per token under tensor parallelism
    efficiency: float = BANDWIDTH_EFFICIENCY
    scaling: float = TP_SCALING
    layers: int = 0

    @property
    def bytes_per_token(self) -> int:
        return self.weights_bytes + self.kv_bytes

    @property
    def bandwidth_bytes(self) -> float:
        """Bytes per second the TP group offers at spec."""
        return self.bandwidth_gbps * 1e9 * (1 + self.scaling * (self.tp - 1))

    @property
    def achieved(self) -> float:
        """Share of spec bandwidth reached, fixed cost included."""
        return self.tokens_per_second * self.bytes_per_token / self.bandwidth_bytes if self.bandwidth_bytes else 0.0


def decode_speed(hw: Hardware, weights_bytes: int, kv_bytes: int = 0, tp: int = 1, layers: int = 0) -> Speed:
    """Decode tokens/s (per sequence) on `hw`, or `tp` of it in tensor parallel over `layers` layers."""
    t0 = FIXED_COST_S[hardware_class(hw)]
    sync = 2 * layers * ALL_REDUCE_S if tp > 1 else 0.0
    speed = Speed(0.0, weights_bytes, kv_bytes, hw.bandwidth_gbps, tp, t0, sync, layers=layers)
    if speed.bytes_per_token <= 0 or speed.bandwidth_bytes <= 0:
        return speed
    seconds = speed.bytes_per_token / (BANDWIDTH_EFFICIENCY * speed.bandwidth_bytes) + t0 + sync
    return replace(speed, tokens_per_second=1 / seconds)


def seed_tokens_per_second(bandwidth_gbps: float, model_bytes: int, efficiency: float) -> float:
    """The seed page's formula: bandwidth ÷ model size × a constant efficiency (kept for comparison)."""
    return bandwidth_gbps * 1e9 / model_bytes * efficiency


@dataclass(frozen=True)
class Prefill:
    """Prompt processing: tokens/s = tflops × 1e12 × utilisation × (1 + scaling × (tp − 1)) ÷ (2 × active)."""

    tokens_per_second: float  # 0: unknown (no usable FP16 figure)
    active_params: int
    tflops: float
    utilisation: float
    tp: int = 1
    scaling: float = TP_SCALING


def prefill(hw: Hardware, active: int, tp: int = 1) -> Prefill:
    """Prompt tokens processed per second (0 when the hardware's FLOP/s are unknown)."""
    util = prefill_utilisation(hw)
    p = Prefill(0.0, active, hw.fp16_tflops, util, tp)
    if hw.fp16_tflops < CRIPPLED_FP16_TFLOPS or active <= 0:
        return p
    flops = hw.fp16_tflops * 1e12 * util * (1 + TP_SCALING * (tp - 1))
    return replace(p, tokens_per_second=flops / (2 * active))
