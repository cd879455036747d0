"""Weights bytes: what the file takes on disk and in memory.

Two ways to store a model:
- a GGUF file made by llama-quantize: each tensor in the type llama.cpp's rules
  give it (core.quant_mix), plus the header (tokenizer, tensor index);
- a GPU checkpoint format (FP8, AWQ/GPTQ INT4, MXFP4, NVFP4, EXL2...): linear
  layers at the format's bits per weight (scales included), embeddings, norms
  and routers kept at 16 bits, as those toolchains do by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from vramtui.core.arch import Architecture
from vramtui.core.ggml import tensor_bytes
from vramtui.core.quant_mix import Recipe, tensor_types
from vramtui.core.tensors import Tensor, gguf_tensors

GGUF_ALIGNMENT = 32


@dataclass(frozen=True)
class GpuFormat:
    """A checkpoint format with one bit width for its quantized linear layers."""

    bits: float  # per weight, scales and zero points included
    experts_only: bool = False  # MXFP4 in gpt-oss checkpoints: only MoE experts are quantized
    head_bits: float = 16.0  # output projection (EXL2 keeps it at 6 bits by default)


@dataclass(frozen=True)
class WeightsBreakdown:
    tensor_bytes: int
    header_bytes: int
    by_type: tuple[tuple[str, int], ...]  # GGML type (or format) -> bytes, largest first
    expert_bytes: int  # bytes of routed-expert tensors (MoE); 0 for dense models
    embedding_bytes: int  # lookup tables (token_embd when it is not also the output matrix, per-layer embeddings)
    extra_bytes: int = 0  # parts not modelled tensor by tensor (e.g. a vision tower), at 16 bits
    unloaded_bytes: int = 0  # tensors in the file that llama.cpp skips at load (MTP/NextN blocks)
    expert_by_type: tuple[tuple[str, int], ...] = ()  # routed-expert bytes by GGML type (or format)

    @property
    def total(self) -> int:
        """The file: what is downloaded."""
        return self.tensor_bytes + self.header_bytes + self.extra_bytes

    @property
    def loaded(self) -> int:
        """What the runtime holds in memory: the file without the tensors it skips."""
        return self.total - self.unloaded_bytes


# BPE merge-rule counts of common tokenizers, by vocabulary size (from their GGUF files):
# Llama 3's tiktoken vocabulary has 2.2 merges per token; most others about one.
KNOWN_MERGES = {128256: 280_147, 151936: 151_387, 152064: 151_387, 129280: 127_741}


def gguf_header_bytes(a: Architecture, n_tensors: int) -> int:
    """An estimate of the GGUF header: key/values, tokenizer and the tensor index.

    Per vocabulary entry: the token string (8-byte length + ~6.5 bytes of text) and its
    int32 type (18.5 bytes), plus an f32 score for SentencePiece vocabularies or, for BPE
    vocabularies, merge rules of ~19.3 bytes each. Each tensor record holds its name,
    shape, type and offset (~80 bytes); 64 KiB covers the other metadata and the chat
    template. Calibrated on published files: Llama 3.1 8B 7.84 MB (estimate 7.87),
    Qwen2.5-7B 5.95 MB (5.83), Gemma 2 9B 6.06 MB (6.10), Mistral 7B v0.3 0.76 MB (0.83).
    """
    if a.tokenizer == "spm":
        tokenizer = a.vocab * 23.5
    else:
        tokenizer = a.vocab * 18.5 + KNOWN_MERGES.get(a.vocab, a.vocab) * 19.3
    return int(tokenizer) + n_tensors * 80 + 64 * 1024


def _padded(n: int) -> int:
    return -(-n // GGUF_ALIGNMENT) * GGUF_ALIGNMENT


def _breakdown(
    a: Architecture, items: list[tuple[Tensor, str, int]], header: int, extra_bytes: int
) -> WeightsBreakdown:
    by_type: dict[str, int] = {}
    expert_types: dict[str, int] = {}
    experts = embedding = unloaded = 0
    for t, type_name, size in items:
        by_type[type_name] = by_type.get(type_name, 0) + size
        if not t.loaded:
            unloaded += size
        elif "_exps." in t.name:
            experts += size
            expert_types[type_name] = expert_types.get(type_name, 0) + size
        elif t.name == "token_embd.weight" and not a.tied_embeddings:
            embedding += size
        elif t.name == "per_layer_token_embd.weight":
            embedding += size  # Gemma 3n/4's per-layer embeddings: one row read per token
    ordered = tuple(sorted(by_type.items(), key=lambda kv: -kv[1]))
    total = sum(s for _, _, s in items)
    return WeightsBreakdown(total, header, ordered, experts, embedding, extra_bytes, unloaded,
                            tuple(sorted(expert_types.items(), key=lambda kv: -kv[1])))


def gguf_weights(a: Architecture, recipe: Recipe) -> WeightsBreakdown:
    """Bytes of the GGUF file llama-quantize makes from `a` with `recipe` (tensor data padded to 32 bytes)."""
    items = [(t, ty, _padded(tensor_bytes(ty, t.shape))) for t, ty in tensor_types(a, recipe)]
    # A vision tower ships as a separate mmproj file, loaded only for images: not counted here.
    return _breakdown(a, items, gguf_header_bytes(a, len(items)), 0)


def _is_linear(t: Tensor) -> bool:
    return (
        t.name.endswith("weight")
        and t.dims >= 2
        and "_norm" not in t.name
        and "ffn_gate_inp" not in t.name
        and "conv" not in t.name
        and not t.name.endswith("token_embd.weight")  # lookup tables stay at 16 bits
        and t.name != "output.weight"
    )


def format_weights(a: Architecture, fmt: GpuFormat) -> WeightsBreakdown:
    """Bytes of a checkpoint in a GPU format (safetensors: no meaningful header)."""
    items = []
    for t in gguf_tensors(a):
        if not t.is_param:
            continue
        if t.name == "output.weight":
            bits = fmt.head_bits
        elif _is_linear(t) and (not fmt.experts_only or "_exps." in t.name):
            bits = fmt.bits
        else:
            bits = 16.0
        items.append((t, f"{bits:g}-bit", int(t.elements * bits / 8)))
    return _breakdown(a, items, 0, a.extra_params * 2)
