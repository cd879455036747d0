"""Decode and prefill speed.

Decode is memory-bound: each new token reads the active weights once and the KV cache
filled so far; llama.cpp adds costs that bytes do not explain, and the model keeps each
as its own term (llama-bench tg runs, tests/unit/data/decode_runs.tsv, README "Accuracy"):

    seconds per token = (weights × dequant cost + KV cache) ÷ (k × bandwidth)
                        + attention FLOPs over the cache ÷ attention rate
                        + layers × t_layer + MoE layers × t_moe + recurrent layers × t_rec
                        + (GPUs in a layer split − 1) × t_hop

- k, t_layer and the attention rate belong to a hardware class, per chip family where the
  runs allow it (Apple base/Pro/Max/Ultra, NVIDIA Pascal, Volta/Turing, later consumer and
  datacenter parts, DGX Spark, Jetson, Strix Halo, AMD consumer and datacenter). t_layer is
  the per-layer cost of launching and synchronising kernels: it is why a 7B model on an H100
  reaches only a third of the bandwidth, and why 94-layer Qwen3-235B decodes slower than
  its bytes say. MoE layers pay extra for routing and gathering the chosen experts
  (t_moe), and gated delta-net / Mamba layers for their recurrence (t_rec).
- K-quants and 2–3-bit types cost more per byte than 8/16-bit and legacy types: their
  dequantisation is not free where compute is scarce (Apple, integrated GPUs).
- Attention over a long cache costs more than its bytes: its FLOPs (4 × heads × head dim
  per cached token and layer) run at the class's attention rate — the depth slowdown of
  llama-bench tg@dN runs.
- Several GPUs under llama.cpp's default layer split run one after another: one GPU's
  bandwidth and a hop per extra GPU. Tensor parallelism (vLLM, SGLang) adds bandwidth
  instead: each extra GPU at TP_SCALING, with two all-reduces per layer.
Active weights leave out the token-embedding table (one row is read per token) and, for
MoE models, all but the routed experts a token uses.

Prefill is compute-bound: 2 FLOPs per active parameter per prompt token at a fraction of the
peak FP16 tensor rate; on a Mac, where Apple publishes no FP16 rate, at the rate llama.cpp
reaches per GPU core of the chip's generation (README, "Prefill").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from vramtui.core.arch import FULL, LINEAR, MAMBA, SLIDING, Architecture
from vramtui.core.hardware import APPLE, CPU, UNIFIED, Hardware
from vramtui.core.weights import WeightsBreakdown

BANDWIDTH_EFFICIENCY = 0.9  # system RAM reads (partial offload, CPU): no fit, the old k


@dataclass(frozen=True)
class DecodeClass:
    """The fitted decode constants of one hardware class (least squares on log error over
    tests/unit/data/decode_runs.tsv, each source weighted 1/√runs; `runs` of them in this class)."""

    name: str
    efficiency: float  # k: share of spec bandwidth weight and cache reads reach
    layer_s: float  # per layer and token
    moe_layer_s: float  # extra per MoE layer and token
    attention_tflops: float  # attention over the cache, decode with flash attention
    kquant_cost: float  # per-byte cost of K-quants (Q4_K…Q6_K, IQ4_XS) against 8/16-bit and legacy types
    lowbit_cost: float  # per-byte cost of 2–3-bit types (Q2_K, Q3_K, IQ1–IQ3)
    runs: int  # reference runs in this class (0: constants borrowed, see the comment)


_NV_MOE_S = 0.0  # NVIDIA: per-layer costs already cover MoE layers (DGX Spark's gpt-oss, Qwen3 MoE)
_SPARK_ATTENTION = 25.0  # the only NVIDIA depth runs (DGX Spark); used for every NVIDIA and Apple class
DECODE_CLASSES: dict[str, DecodeClass] = {c.name: c for c in (
    DecodeClass("nvidia", 0.87, 39e-6, _NV_MOE_S, _SPARK_ATTENTION, 1.10, 1.0, 92),
    DecodeClass("nvidia-datacenter", 0.86, 74e-6, _NV_MOE_S, _SPARK_ATTENTION, 1.10, 1.0, 24),
    DecodeClass("nvidia-turing", 0.75, 55e-6, _NV_MOE_S, _SPARK_ATTENTION, 1.10, 1.0, 20),  # Volta, Turing
    DecodeClass("nvidia-pascal", 1.0, 290e-6, _NV_MOE_S, _SPARK_ATTENTION, 1.10, 1.0, 6),  # Pascal and older
    DecodeClass("dgx-spark", 0.84, 62e-6, _NV_MOE_S, _SPARK_ATTENTION, 1.10, 1.0, 25),  # GB10, Thor, GB300
    DecodeClass("jetson", 0.66, 10e-6, _NV_MOE_S, _SPARK_ATTENTION, 1.10, 1.0, 2),
    DecodeClass("apple-base", 1.0, 290e-6, 94e-6, _SPARK_ATTENTION, 1.04, 1.48, 15),
    DecodeClass("apple-pro", 0.90, 123e-6, 94e-6, _SPARK_ATTENTION, 1.04, 1.48, 19),
    DecodeClass("apple-max", 0.83, 105e-6, 94e-6, _SPARK_ATTENTION, 1.04, 1.48, 37),
    DecodeClass("apple-ultra", 0.82, 144e-6, 94e-6, _SPARK_ATTENTION, 1.04, 1.48, 21),
    DecodeClass("strix-halo", 0.84, 18e-6, 36e-6, 7.0, 1.06, 1.67, 54),  # Ryzen AI Max (Vulkan)
    DecodeClass("amd", 0.94, 99e-6, 36e-6, 16.0, 1.06, 1.67, 42),
    DecodeClass("amd-datacenter", 0.55, 221e-6, 36e-6, 16.0, 1.06, 1.67, 9),
    # No runs: Intel GPUs take AMD consumer cards' constants; a CPU the old bandwidth model's.
    DecodeClass("intel", 0.94, 99e-6, 36e-6, 16.0, 1.06, 1.67, 0),
    DecodeClass(CPU, BANDWIDTH_EFFICIENCY, 125e-6, 0.0, 7.0, 1.0, 1.0, 0),
)}
# Apple's M1 GPUs dequantise K-quants markedly slower than later generations (M1 Max:
# Llama 3 8B Q4_K_M at 0.4 of its bandwidth where Q4_0 and F16 reach 0.6-0.9).
APPLE_M1_KQUANT_COST = 1.38
RECURRENT_LAYER_S = 400e-6  # a gated delta-net or Mamba layer's recurrence, per token (any hardware)
PIPELINE_HOP_S = 0.12e-3  # per extra GPU in llama.cpp's layer split (-sm layer, its default)
KQUANT_TYPES = frozenset({"Q4_K", "Q5_K", "Q6_K", "IQ4_XS"})
LOWBIT_TYPES = frozenset({"Q2_K", "Q3_K", "IQ3_S", "IQ3_XXS", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ1_S", "IQ1_M",
                          "TQ1_0", "TQ2_0"})

# Fraction of the catalog's dense FP16 TFLOP/s that llama-bench pp512 reaches (Llama-2-7B Q4_0):
# GeForce cards ~1.0 (llama.cpp's int8/FP16-accumulate kernels beat the FP32-accumulate figure:
# 3060 1.11, 3090 0.96, 4090 1.18, 5080 1.11, 5090 0.94); datacenter parts far less of their
# huge tensor peaks at batch 512 (A100 0.22, H100 0.15). Other classes: no published data, 0.45.
PREFILL_UTILISATION = {"nvidia": 1.0, "nvidia-datacenter": 0.2}
DEFAULT_PREFILL_UTILISATION = 0.45
# Pascal cards (GTX 10, P40) run FP16 at 1/64 rate, and llama.cpp uses their FP32 and int8 units
# instead (a P40 prefills at ~12 TFLOP/s, its FP32 rate): their FP16 figure says nothing, so
# below this the time to first token is reported as unknown rather than 60x too slow.
CRIPPLED_FP16_TFLOPS = 1.0


# Apple publishes no FP16 rate: the FLOP/s llama.cpp reaches in prompt processing per GPU core,
# by chip generation — the median over llama.cpp's Apple Silicon scoreboard (discussion #4167,
# pp512 of Llama-2-7B Q4_0 = 6.74B parameters × 2 FLOPs) of every chip and GPU-core count
# listed: 5 M1, 7 M2, 6 M3, 5 M4 and 4 M5 configurations, each within 10 % of its median.
APPLE_PREFILL_TFLOPS_PER_CORE = {"M1": 0.217, "M2": 0.242, "M3": 0.253, "M4": 0.298, "M5": 0.334}


def prefill_utilisation(hw: Hardware) -> float:
    if apple_prefill_tflops(hw):
        return 1.0  # the per-core rate is already what llama.cpp reaches
    return PREFILL_UTILISATION.get(hardware_class(hw), DEFAULT_PREFILL_UTILISATION)


def apple_prefill_tflops(hw: Hardware) -> float:
    """A Mac's prompt-processing FLOP/s: its GPU cores × its generation's measured rate (0: unknown)."""
    if hw.kind != APPLE or not hw.gpu_cores:
        return 0.0
    generation = (hw.family or hw.name).split(" ")[0]
    return hw.gpu_cores * APPLE_PREFILL_TFLOPS_PER_CORE.get(generation, 0.0)


# Tensor parallelism: each extra GPU adds its bandwidth at this rate, and every layer
# then waits for two all-reduces (after attention and after the FFN) of ~20 µs each
# over NVLink at batch 1 — which is why 8 GPUs do not decode 8× faster.
TP_SCALING = 0.9
ALL_REDUCE_S = 20e-6


def _apple_tier(chip: str) -> str:
    for tier in ("Ultra", "Max", "Pro"):
        if tier in chip:
            return "apple-" + tier.lower()
    return "apple-base"


def hardware_class(hw: Hardware) -> str:
    """The decode class of `hw` (DECODE_CLASSES), by kind, vendor, segment and chip family."""
    family = hw.family
    if hw.kind == CPU:
        return CPU
    if hw.kind == APPLE:
        return _apple_tier(family or hw.name)
    if hw.kind == UNIFIED:
        if hw.vendor == "AMD":
            return "amd-datacenter" if "MI3" in family else "strix-halo"
        return "jetson" if "Orin" in family else "dgx-spark"
    if hw.vendor == "NVIDIA":
        if family in ("Pascal", "Maxwell", "Kepler"):
            return "nvidia-pascal"
        if family in ("Volta", "Turing"):
            return "nvidia-turing"
        return "nvidia-datacenter" if hw.segment == "datacenter" else "nvidia"
    if hw.vendor == "AMD":
        return "amd-datacenter" if hw.segment == "datacenter" else "amd"
    return "intel"


def decode_class(hw: Hardware) -> DecodeClass:
    """The fitted constants for `hw` (an M1-generation Mac pays its K-quant cost)."""
    c = DECODE_CLASSES[hardware_class(hw)]
    if hw.kind == APPLE and (hw.family or hw.name).split(" ")[0] == "M1":
        c = replace(c, kquant_cost=APPLE_M1_KQUANT_COST)
    return c


@dataclass(frozen=True)
class DecodeWork:
    """What one decode step costs, from the model: bytes by kind, attention FLOPs and layer counts."""

    kquant_bytes: int = 0  # active weight bytes in K-quant types
    lowbit_bytes: int = 0  # active weight bytes in 2-3-bit types
    attention_flops: float = 0.0  # over the cache filled so far, all attention layers
    layers: int = 0
    moe_layers: int = 0
    recurrent_layers: int = 0


def attention_flops(a: Architecture, tokens: int) -> float:
    """FLOPs of decode attention over `tokens` cached tokens: QK and PV, 2 FLOPs each, per query head."""
    if a.mla is not None:  # absorbed MLA: scores over the latent + rope, values over the latent
        per_token_head = 2 * (2 * a.mla.kv_lora_rank + a.mla.qk_rope_head_dim)
    else:
        per_token_head = 4 * a.head_dim
    window = min(tokens, a.sliding_window) if a.sliding_window else tokens
    return a.heads * per_token_head * (a.count(FULL) * tokens + a.count(SLIDING) * window)


def decode_work(a: Architecture, w: WeightsBreakdown, tokens: int, sequences: int = 1) -> DecodeWork:
    """The work of one decode step at `tokens` cached tokens (per sequence) for `sequences` sequences."""
    experts = dict(w.expert_by_type)
    share = 1.0
    if a.moe is not None:
        share = a.moe.active / a.moe.experts if sequences <= 1 else 1 - (1 - a.moe.active / a.moe.experts) ** sequences
    kquant = lowbit = 0.0
    for type_name, size in w.by_type:
        active = size - experts.get(type_name, 0) + experts.get(type_name, 0) * share
        if type_name in KQUANT_TYPES:
            kquant += active
        elif type_name in LOWBIT_TYPES:
            lowbit += active
    moe_layers = sum(a.moe_layers) if a.moe is not None else 0
    recurrent = a.count(LINEAR) + a.count(MAMBA)
    return DecodeWork(int(kquant), int(lowbit), attention_flops(a, tokens) * sequences, a.layers, moe_layers,
                      recurrent)


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

    seconds per token = (weights_bytes × dequant_cost + kv_bytes)
                        ÷ (efficiency × bandwidth × (1 + scaling × (tp − 1)))
                        + attention_s + fixed_cost_s + sync_s
    fixed_cost_s      = layers × layer_s + moe_layers × moe_layer_s + recurrent_layers × recurrent_s
                        + (pipeline − 1) × hop_s
    """

    tokens_per_second: float
    weights_bytes: int  # active weights read per token
    kv_bytes: int  # KV cache (and states) read per token
    bandwidth_gbps: float  # spec bandwidth of one GPU
    tp: int = 1  # tensor-parallel GPUs adding bandwidth
    fixed_cost_s: float = 0.0  # per-layer, MoE, recurrent and pipeline costs together
    sync_s: float = 0.0  # all-reduces per token under tensor parallelism
    efficiency: float = BANDWIDTH_EFFICIENCY
    scaling: float = TP_SCALING
    layers: int = 0
    dequant_cost: float = 1.0  # per-byte cost of the weights' types (K-quants and 2-3-bit types > 1)
    attention_s: float = 0.0  # attention FLOPs over the cache ÷ the class's attention rate
    pipeline: int = 1  # GPUs the layers are split over (llama.cpp -sm layer): they run in turn
    hardware_class: str = ""

    @property
    def bytes_per_token(self) -> int:
        return self.weights_bytes + self.kv_bytes

    @property
    def bandwidth_bytes(self) -> float:
        """Bytes per second the TP group offers at spec."""
        return self.bandwidth_gbps * 1e9 * (1 + self.scaling * (self.tp - 1))

    @property
    def seconds_per_token(self) -> float:
        read = self.weights_bytes * self.dequant_cost + self.kv_bytes
        return read / (self.efficiency * self.bandwidth_bytes) + self.attention_s + self.fixed_cost_s + self.sync_s

    @property
    def achieved(self) -> float:
        """Share of spec bandwidth reached, fixed cost included."""
        return self.tokens_per_second * self.bytes_per_token / self.bandwidth_bytes if self.bandwidth_bytes else 0.0


def decode_speed(
    hw: Hardware, weights_bytes: int, kv_bytes: int = 0, tp: int = 1, layers: int = 0,
    work: DecodeWork | None = None, pipeline: int = 1,
) -> Speed:
    """Decode tokens/s (per sequence) on `hw` — `tp` of it in tensor parallel, or `pipeline` of it
    in llama.cpp's layer split — for a step costing `work` (without it: `layers` plain layers)."""
    c = decode_class(hw)
    work = work or DecodeWork(layers=layers)
    weights_bytes = max(0, weights_bytes)
    dequant = 1.0
    if weights_bytes:
        extra = work.kquant_bytes * (c.kquant_cost - 1) + work.lowbit_bytes * (c.lowbit_cost - 1)
        dequant = 1 + extra / weights_bytes
    fixed = (work.layers * c.layer_s + work.moe_layers * c.moe_layer_s + work.recurrent_layers * RECURRENT_LAYER_S
             + (max(1, pipeline) - 1) * PIPELINE_HOP_S)
    sync = 2 * work.layers * ALL_REDUCE_S if tp > 1 else 0.0
    attention = work.attention_flops / (c.attention_tflops * 1e12 * (1 + TP_SCALING * (tp - 1)))
    speed = Speed(0.0, weights_bytes, kv_bytes, hw.bandwidth_gbps, tp, fixed, sync, c.efficiency, TP_SCALING,
                  work.layers, dequant, attention, max(1, pipeline), c.name)
    if speed.bytes_per_token <= 0 or speed.bandwidth_bytes <= 0:
        return speed
    return replace(speed, tokens_per_second=1 / speed.seconds_per_token)


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
    tflops = apple_prefill_tflops(hw) or hw.fp16_tflops
    p = Prefill(0.0, active, tflops, util, tp)
    if tflops < CRIPPLED_FP16_TFLOPS or active <= 0:
        return p
    flops = tflops * 1e12 * util * (1 + TP_SCALING * (tp - 1))
    return replace(p, tokens_per_second=flops / (2 * active))
