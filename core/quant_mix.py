"""Which GGML type llama.cpp's quantizer gives each tensor of a file.

A transcription of llama.cpp's `llama_tensor_get_type` (src/llama-quant.cpp):
an "ftype" such as Q4_K_M is a default type plus rules that keep sensitive
tensors (output, attn_v, some ffn_down) at higher precision. The rules are
kept in the order llama.cpp applies them, because the first match wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from vramtui.core.arch import Architecture
from vramtui.core.ggml import TYPES
from vramtui.core.tensors import Tensor, gguf_tensors

# ftype -> the type most tensors get.
DEFAULT_TYPE: dict[str, str] = {
    "F32": "F32", "F16": "F16", "BF16": "BF16",
    "Q4_0": "Q4_0", "Q4_1": "Q4_1", "Q5_0": "Q5_0", "Q5_1": "Q5_1", "Q8_0": "Q8_0",
    "Q2_K": "Q2_K", "Q2_K_S": "Q2_K",
    "Q3_K_S": "Q3_K", "Q3_K_M": "Q3_K", "Q3_K_L": "Q3_K",
    "Q4_K_S": "Q4_K", "Q4_K_M": "Q4_K",
    "Q5_K_S": "Q5_K", "Q5_K_M": "Q5_K",
    "Q6_K": "Q6_K",
    "IQ1_S": "IQ1_S", "IQ1_M": "IQ1_M",
    "IQ2_XXS": "IQ2_XXS", "IQ2_XS": "IQ2_XS", "IQ2_S": "IQ2_XS", "IQ2_M": "IQ2_S",
    "IQ3_XXS": "IQ3_XXS", "IQ3_XS": "IQ3_S", "IQ3_S": "IQ3_S", "IQ3_M": "IQ3_S",
    "IQ4_NL": "IQ4_NL", "IQ4_XS": "IQ4_XS",
    "TQ1_0": "TQ1_0", "TQ2_0": "TQ2_0",
    "MXFP4_MOE": "MXFP4",
}

UNQUANTIZED = ("F32", "F16", "BF16")
_IQ1_IQ2 = {"IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"}
_LOW_OUTPUT = {"IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"}
_ATTN_OUT_Q5K_8_EXPERTS = {
    "Q2_K", "IQ3_XS", "IQ3_XXS", "Q3_K_S", "Q3_K_M", "IQ4_NL",
    "Q4_K_S", "Q4_K_M", "IQ3_S", "IQ3_M", "IQ4_XS",
}
# When a row does not split into whole blocks of the chosen type.
_FALLBACK = {
    "TQ1_0": "Q4_0", "TQ2_0": "Q4_0",
    "IQ2_XXS": "IQ4_NL", "IQ2_XS": "IQ4_NL", "IQ2_S": "IQ4_NL", "IQ3_XXS": "IQ4_NL",
    "IQ3_S": "IQ4_NL", "IQ1_S": "IQ4_NL", "IQ1_M": "IQ4_NL", "Q2_K": "IQ4_NL",
    "Q3_K": "IQ4_NL", "IQ4_XS": "IQ4_NL",
    "Q4_K": "Q5_0", "Q5_K": "Q5_1", "Q6_K": "Q8_0",
}


@dataclass(frozen=True)
class Recipe:
    """How a file was made: llama-quantize's ftype, imatrix, and the two type overrides."""

    ftype: str
    imatrix: bool = True
    token_embd_type: str | None = None
    output_type: str | None = None


def use_more_bits(i: int, n: int) -> bool:
    """llama.cpp's choice of layers that get one step more precision (first and last eighth, every third between)."""
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def _quantizable(t: Tensor) -> bool:
    name = t.name
    return (
        name.endswith("weight")
        and t.dims >= 2
        and "_norm.weight" not in name
        and "ffn_gate_inp.weight" not in name
        and "ssm_conv1d.weight" not in name
        and "shortconv.conv.weight" not in name
    )


class _Counters:
    def __init__(self) -> None:
        self.attn_v = 0


def _choose(a: Architecture, r: Recipe, t: Tensor, c: _Counters, n_attn_v: int) -> str:
    ft = r.ftype
    new = DEFAULT_TYPE[ft]
    name = t.name
    n_expert = a.moe.experts if a.moe else 0
    gqa = a.gqa
    n = a.layers
    i = t.layer if t.layer is not None else 0
    has_output = not a.tied_embeddings

    if name == "output.weight" or (not has_output and name == "token_embd.weight"):
        if r.output_type:
            return r.output_type
        if ft == "MXFP4_MOE" or a.arch == "falcon" or t.shape[0] % TYPES[new].block_size:
            return "Q8_0"
        if ft in _LOW_OUTPUT:
            return "Q5_K"
        return new if new == "Q8_0" else "Q6_K"
    if ft == "MXFP4_MOE":
        return "MXFP4" if len(t.shape) > 2 and t.shape[2] > 1 else "Q8_0"
    if name == "token_embd.weight":
        if r.token_embd_type:
            return r.token_embd_type
        if ft in ("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ1_M"):
            return "Q2_K"
        if ft in ("IQ2_S", "IQ2_M", "IQ3_XXS"):
            return "IQ3_S"
        if ft in ("TQ1_0", "TQ2_0"):
            return "Q4_K"
        return new
    if ft in _IQ1_IQ2:
        if "attn_v.weight" in name:
            c.attn_v += 1
            if gqa >= 4 or n_expert >= 4:
                return "Q4_K"
            return "IQ3_S" if ft in ("IQ2_S", "IQ2_M") else "Q2_K"
        if n_expert == 8 and "attn_k.weight" in name:
            return "Q4_K"
        if "ffn_down" in name:
            if i < n // 8:
                return "IQ3_S" if ft in ("IQ2_S", "IQ2_M") else "Q2_K"
            return new
        if "attn_output.weight" in name:
            if n_expert == 8:
                return "Q5_K"
            if ft in ("IQ1_S", "IQ1_M"):
                return "IQ2_XXS"
            if ft in ("IQ2_S", "IQ2_M"):
                return "IQ3_S"
        return new
    if "attn_v.weight" in name:
        j = c.attn_v
        c.attn_v += 1
        if ft == "Q2_K":
            new = "Q4_K" if gqa >= 4 else "Q3_K"
        elif ft == "Q2_K_S" and gqa >= 4:
            new = "Q4_K"
        elif ft == "IQ3_XXS":
            new = "Q4_K" if gqa >= 4 else ("IQ3_XXS" if r.imatrix else "IQ3_S")
        elif ft in ("IQ3_XS", "IQ3_S") and gqa >= 4:
            new = "Q4_K"
        elif ft == "IQ3_M":
            new = "Q4_K"
        elif ft == "Q3_K_M":
            new = "Q5_K" if j < 2 else "Q4_K"
        elif ft == "Q3_K_L":
            new = "Q5_K"
        elif ft in ("IQ4_NL", "IQ4_XS") and gqa >= 4:
            new = "Q5_K"
        elif ft in ("Q4_K_M", "Q5_K_M") and use_more_bits(j, n_attn_v):
            new = "Q6_K"
        elif ft == "Q4_K_S" and j < 4:
            new = "Q5_K"
        if _is_70b(a) and new in ("Q3_K", "Q4_K"):
            new = "Q5_K"
        if n_expert == 8:
            new = "Q8_0"
        return new
    if "attn_k.weight" in name:
        if n_expert == 8:
            return "Q8_0"
        if ft == "IQ3_XS":
            return "IQ3_XXS"
        if ft == "IQ3_XXS":
            return "IQ2_S"
        return new
    if "attn_q.weight" in name:
        if ft == "IQ3_XS":
            return "IQ3_XXS"
        if ft == "IQ3_XXS":
            return "IQ2_S"
        return new
    if "ffn_down" in name:
        falcon = a.arch == "falcon"
        if ft == "Q2_K":
            return "Q3_K"
        if ft == "Q2_K_S":
            return "Q4_K" if i < n // 8 else new
        if ft == "IQ3_XXS" and not r.imatrix:
            return "Q4_K" if i < n // 8 else "Q3_K"
        if ft == "Q3_K_M":
            if i < n // 16:
                return "Q5_K"
            return "Q4_K" if not falcon or use_more_bits(i, n) else "Q3_K"
        if ft == "IQ3_M" and (i < n // 8 or (n_expert == 8 and use_more_bits(i, n))):
            return "Q4_K"
        if ft == "Q3_K_L":
            return "Q4_K" if falcon else "Q5_K"
        if ft == "Q4_K_M":
            if falcon:
                return "Q6_K" if i < n // 16 else ("Q5_K" if use_more_bits(i, n) else "Q4_K")
            return "Q6_K" if use_more_bits(i, n) else new
        if i < n // 8 and ft in ("IQ4_NL", "IQ4_XS") and not r.imatrix:
            return "Q5_K"
        if ft == "Q5_K_M" and use_more_bits(i, n):
            return "Q6_K"
        if ft == "Q4_K_S" and not falcon and i < n // 8:
            return "Q5_K"
        if ft in ("Q4_0", "Q5_0") and r.imatrix and i < n // 8:
            return "Q4_1" if ft == "Q4_0" else "Q5_1"
        return new
    if "attn_output.weight" in name:
        if a.arch == "falcon":
            return "Q4_K" if ft == "Q3_K_L" else new
        if n_expert == 8:
            return "Q5_K" if ft in _ATTN_OUT_Q5K_8_EXPERTS else new
        return {"Q2_K": "Q3_K", "IQ3_XXS": "IQ3_S", "Q3_K_M": "Q4_K",
                "Q3_K_L": "Q5_K", "IQ3_M": "Q4_K"}.get(ft, new)
    if "attn_qkv.weight" in name:
        if ft in ("Q3_K_M", "Q3_K_L", "IQ3_M"):
            return "Q4_K"
        return {"Q4_K_M": "Q5_K", "Q5_K_M": "Q6_K"}.get(ft, new)
    if "ffn_gate" in name or "ffn_up" in name:
        if ft == "IQ3_XS" and n // 8 <= i < 7 * n // 8:
            return "IQ3_XXS"
        return new
    return new


def _is_70b(a: Architecture) -> bool:
    # llama.cpp's LLM_TYPE_70B: Llama-family models with 80 layers (Llama 2/3 70B, Qwen2 72B).
    return a.layers == 80 and a.arch in ("llama", "qwen2") and a.kv_heads < a.heads


def _fit_blocks(type_name: str, row: int) -> str:
    if row % TYPES[type_name].block_size == 0:
        return type_name
    fallback = _FALLBACK.get(type_name, "F16")
    return fallback if row % TYPES[fallback].block_size == 0 else "F16"


@lru_cache(maxsize=256)
def _prepared(a: Architecture) -> tuple[tuple[tuple[Tensor, bool], ...], int]:
    """`a`'s tensors with whether llama-quantize may quantize each, and the attn_v count (once per model)."""
    tensors = gguf_tensors(a)
    n_attn_v = sum(1 for t in tensors if "attn_v.weight" in t.name or "attn_qkv.weight" in t.name)
    return tuple((t, _quantizable(t)) for t in tensors), n_attn_v


def tensor_types(a: Architecture, recipe: Recipe) -> list[tuple[Tensor, str]]:
    """Each GGUF tensor of `a` with the GGML type llama-quantize gives it under `recipe`."""
    ft = recipe.ftype
    if ft not in DEFAULT_TYPE:
        raise KeyError(f"unknown llama.cpp ftype {ft!r}")
    tensors, n_attn_v = _prepared(a)
    counters = _Counters()
    out: list[tuple[Tensor, str]] = []
    for t, quantizable in tensors:
        if not quantizable:
            out.append((t, "F32"))
            continue
        if ft in UNQUANTIZED:
            out.append((t, DEFAULT_TYPE[ft]))
            continue
        chosen = _choose(a, recipe, t, counters, n_attn_v)
        out.append((t, _fit_blocks(chosen, t.shape[0])))
    return out
