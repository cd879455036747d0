"""Partial offload (llama.cpp `-ngl`): which layers fit on the GPU, the rest in system RAM, and the speed.

llama.cpp places layers as `src/llama-model.cpp` does in `load_tensors`:
`i_gpu_start = max(n_layer + 1 - n_gpu_layers, 0)`, so `-ngl k` puts the output layer
(the final norm and the LM head) and the last k - 1 repeating layers on the GPU, and
`-ngl n_layer + 1` puts everything there. The token embedding always stays in RAM (one row
is read per token), and each layer's KV cache lives where its layer does (KV offload is on
by default). The GPU also holds the runtime and compute buffer (core.overhead); the CPU
keeps a compute buffer of its own.

Decode reads every active weight and the cached KV once per token, each part at the
bandwidth of the memory it lives in, one after the other:

    seconds per token = GPU bytes ÷ (k × GPU bandwidth) + RAM bytes ÷ (k × RAM bandwidth) + t0

with k and t0 from core.speed. RAM bandwidth defaults to 60 GB/s: between dual-channel
DDR4-3200 (51.2 GB/s) and dual-channel DDR5-5600 (89.6 GB/s) spec figures; at k = 0.9 that
is 54 GB/s achieved, about 60 % of a DDR5-5600 system's spec, which is what llama.cpp's CPU
decode typically reaches. Pass the machine's own figure where it is known (8-channel
servers, Apple and Strix Halo unified memory are much faster).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from vramtui.core.arch import Architecture
from vramtui.core.estimate import FITS_MARGIN, Settings
from vramtui.core.ggml import tensor_bytes
from vramtui.core.hardware import Hardware
from vramtui.core.kv import layer_kv_bytes
from vramtui.core.overhead import overhead_bytes
from vramtui.core.quant_mix import tensor_types
from vramtui.core.quantization import Quantization
from vramtui.core.speed import BANDWIDTH_EFFICIENCY, decode_class
from vramtui.core.weights import GGUF_ALIGNMENT

DEFAULT_RAM_BANDWIDTH_GBPS = 60.0


@dataclass(frozen=True)
class LayerBytes:
    """One repeating layer: bytes stored, and bytes read per token (MoE: only the routed share)."""

    weights: int
    read: int
    kv: int


@dataclass(frozen=True)
class ModelBytes:
    layers: tuple[LayerBytes, ...]
    embedding: int  # token_embd, kept in RAM
    output: int  # output norm + LM head (the token embedding again when tied): llama.cpp's "output layer"


@dataclass(frozen=True)
class OffloadPlan:
    """A llama.cpp split: `gpu_layers` is the -ngl value, out of `total_layers` (repeating + output)."""

    gpu_layers: int
    total_layers: int
    gpu_bytes: int  # on the GPU(s): runtime, compute buffer, GPU layers and their KV cache
    ram_bytes: int  # in system RAM: embedding, CPU layers and their KV cache, CPU compute buffer
    gpu_budget_bytes: int
    tokens_per_second: float
    ram_bandwidth_gbps: float
    fits_in_ram: bool | None  # None when the machine's RAM is unknown

    @property
    def all_on_gpu(self) -> bool:
        return self.gpu_layers >= self.total_layers


def _padded(n: int) -> int:
    return -(-n // GGUF_ALIGNMENT) * GGUF_ALIGNMENT


@lru_cache(maxsize=256)
def _weights_by_layer(
    a: Architecture, q: Quantization
) -> tuple[tuple[tuple[int, int], ...], int, int]:
    """Per repeating layer (stored, read per token); the embedding; the output layer. GGUF only."""
    assert q.recipe is not None
    stored = [0] * a.layers
    read = [0] * a.layers
    embedding = output = 0
    for t, type_name in tensor_types(a, q.recipe):
        size = _padded(tensor_bytes(type_name, t.shape))
        if t.layer is not None:
            stored[t.layer] += size
            if "_exps." in t.name and a.moe is not None:
                read[t.layer] += size * a.moe.active // a.moe.experts
            else:
                read[t.layer] += size
        elif t.name == "token_embd.weight":
            embedding += size
            if a.tied_embeddings:
                output += size  # llama.cpp loads the tied matrix a second time as the LM head
        elif t.name == "per_layer_token_embd.weight":
            embedding += size  # an input-layer lookup table, like token_embd (Gemma 3n/4)
        elif t.name != "rope_freqs.weight":
            output += size
    return tuple(zip(stored, read)), embedding, output




def model_bytes(a: Architecture, q: Quantization, s: Settings) -> ModelBytes:
    """What each part of a GGUF model weighs, layer by layer, at settings `s`."""
    per_layer, embedding, output = _weights_by_layer(a, q)
    layers = tuple(
        LayerBytes(w, r, layer_kv_bytes(a, i, s.context, s.kv_type, s.sequences))
        for i, (w, r) in enumerate(per_layer)
    )
    return ModelBytes(layers, embedding, output)


def _seconds(read_bytes: int, bandwidth_gbps: float, efficiency: float = BANDWIDTH_EFFICIENCY) -> float:
    if read_bytes <= 0:
        return 0.0
    if bandwidth_gbps <= 0:
        return float("inf")
    return read_bytes / (efficiency * bandwidth_gbps * 1e9)


def _budget(hw: Hardware, gpus: int) -> int:
    """GPU memory the split may fill: the usable memory with the same 10 % headroom as "fits"."""
    return int(hw.usable_bytes * max(1, gpus) * FITS_MARGIN)


def split_at(
    a: Architecture,
    q: Quantization,
    s: Settings,
    hw: Hardware,
    gpu_layers: int,
    ram_bandwidth_gbps: float = DEFAULT_RAM_BANDWIDTH_GBPS,
    ram_bytes: int | None = None,
    gpus: int = 1,
) -> OffloadPlan:
    """The llama.cpp split for `-ngl gpu_layers` on `gpus` copies of `hw` (a GGUF quantization)."""
    if q.recipe is None:
        raise ValueError(f"{q.name} is not a GGUF quantization: llama.cpp cannot load it")
    mb = model_bytes(a, q, s)
    total = a.layers + 1
    k = max(0, min(gpu_layers, total))
    on_gpu = set(range(a.layers - (k - 1), a.layers)) if k > 1 else set()
    runtime = overhead_bytes(a, s.context, s.overhead, max(1, gpus))
    compute_cpu = overhead_bytes(a, s.context, replace(s.overhead, runtime_bytes=0), 1)
    gpu = runtime  # the CUDA/Metal context and compute buffer exist even at -ngl 0
    ram = mb.embedding + (compute_cpu if k < total else 0)
    gpu_read = ram_read = 0
    for i, layer in enumerate(mb.layers):
        if i in on_gpu:
            gpu += layer.weights + layer.kv
            gpu_read += layer.read + layer.kv
        else:
            ram += layer.weights + layer.kv
            ram_read += layer.read + layer.kv
    if k > 0:
        gpu += mb.output
        gpu_read += mb.output
    else:
        ram += mb.output
        ram_read += mb.output
    # Split across several GPUs, llama.cpp runs the layers one GPU after another (--split-mode
    # layer): one sequence sees a single GPU's bandwidth.
    c = decode_class(hw)
    seconds = (
        _seconds(gpu_read, hw.bandwidth_gbps, c.efficiency)
        + _seconds(ram_read, ram_bandwidth_gbps)
        + a.layers * c.layer_s  # the per-layer cost of the GPU's class (core.speed)
    )
    tps = 0.0 if seconds == float("inf") else 1 / seconds
    budget = _budget(hw, gpus)
    fits_ram = None if ram_bytes is None else ram <= ram_bytes * FITS_MARGIN
    return OffloadPlan(k, total, gpu, ram, budget, tps, ram_bandwidth_gbps, fits_ram)


def offload_plan(
    a: Architecture,
    q: Quantization,
    s: Settings,
    hw: Hardware,
    ram_bandwidth_gbps: float = DEFAULT_RAM_BANDWIDTH_GBPS,
    ram_bytes: int | None = None,
    gpus: int = 1,
) -> OffloadPlan | None:
    """The most layers llama.cpp can keep on `gpus` × `hw` with headroom, the rest in RAM.

    None when the quantization is not a GGUF file (llama.cpp cannot load it) or when `hw`
    is a unified-memory machine (GPU and CPU share the same RAM: nothing to offload to).
    The plan may put every layer on the GPU (`all_on_gpu`) when the model fits.
    """
    if q.recipe is None or hw.is_unified:
        return None
    budget = _budget(hw, gpus)
    best = split_at(a, q, s, hw, 0, ram_bandwidth_gbps, ram_bytes, gpus)
    lo, hi = 0, a.layers + 1  # GPU bytes grow with -ngl: find the largest k that fits the budget
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if split_at(a, q, s, hw, mid, ram_bandwidth_gbps, ram_bytes, gpus).gpu_bytes <= budget:
            lo = mid
        else:
            hi = mid - 1
    if lo > 0:
        best = split_at(a, q, s, hw, lo, ram_bandwidth_gbps, ram_bytes, gpus)
    return best
