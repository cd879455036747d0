"""Which GGML type llama.cpp's quantizer gives each tensor of a file.

A transcription of llama.cpp's `llama_tensor_get_type` (src/llama-quant.cpp, as of
commit 007dbbf3, build ~b10256): an "ftype" such as Q4_K_M is a default type plus
rules that keep sensitive tensors (output, attn_v-like, some ffn_down) at higher
precision. Tensors are visited in llama.cpp's order (globals, then layer by layer,
by name within a layer) because some rules count the tensors seen so far, and the
rules are kept in the order llama.cpp applies them, because the first match wins.

Two facts outside the quantizer decide a file too:
- A checkpoint may store MoE experts already quantized (gpt-oss ships them in MXFP4).
  llama.cpp's converter writes them as MXFP4 whatever `--outtype` says, and llama-quantize
  refuses to re-quantize them without `--allow-requantize`; every published gpt-oss GGUF
  (F16, Q8_0, Q4_K_M ...) keeps them so. `Architecture.expert_type` names that type.
- Fused tensors (Phi-3's `attn_qkv`, the gated delta-net's in-projection) follow the
  `attn_v` rules: the current quantizer tests "attn_v-like" categories before its own
  `attn_qkv` branch, which is therefore never reached.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import lru_cache

from vramtui.core.arch import Architecture
from vramtui.core.ggml import TYPES
from vramtui.core.tensors import Tensor, gguf_layers, gguf_tensors

# ftype -> the type most tensors get (llama_ftype_get_default_type).
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
# tensor_type_fallback: when a row does not split into whole blocks of the chosen type.
_FALLBACK = {
    "IQ1_S": "IQ4_NL", "IQ1_M": "IQ4_NL", "IQ2_XXS": "IQ4_NL", "IQ2_XS": "IQ4_NL", "IQ2_S": "IQ4_NL",
    "IQ3_XXS": "IQ4_NL", "IQ3_S": "IQ4_NL", "IQ4_XS": "IQ4_NL",
    "Q2_K": "Q4_0", "Q3_K": "Q4_0", "TQ1_0": "Q4_0", "TQ2_0": "Q4_0",
    "Q4_K": "Q5_0", "Q5_K": "Q5_1", "Q6_K": "Q8_0",
}

# tensor_get_category, by the same substring tests in the same order.
OUTPUT, TOKEN_EMBD, QKV, KV_B, ATTN_V, ATTN_K, ATTN_Q, ATTN_OUT = (
    "output", "token_embd", "attn_qkv", "attn_kv_b", "attn_v", "attn_k", "attn_q", "attn_output")
FFN_UP, FFN_GATE, FFN_DOWN, OTHER = "ffn_up", "ffn_gate", "ffn_down", "other"
_ATTN_V_LIKE = (QKV, KV_B, ATTN_V)


def category(name: str) -> str:
    """llama.cpp's tensor category for quantization rules."""
    if name == "output.weight":
        return OUTPUT
    if name in ("token_embd.weight", "per_layer_token_embd.weight"):
        return TOKEN_EMBD
    for needle, cat in (
        ("attn_qkv.weight", QKV), ("attn_kv_b.weight", KV_B), ("attn_v.weight", ATTN_V),
        ("attn_k.weight", ATTN_K), ("attn_q.weight", ATTN_Q), ("attn_output.weight", ATTN_OUT),
        ("ffn_up", FFN_UP), ("ffn_gate", FFN_GATE), ("ffn_down", FFN_DOWN),
    ):
        if needle in name:
            return cat
    return OTHER


# llama.cpp ec98e2002 (January 2026) still had the separate attn_qkv rule; files of models released
# before this date were made with it (Phi-3/3.5/4 GGUFs match it to the byte, the current rule misses
# them by up to 7.5 %). The exact commit of the change is not pinned: the date is the month after.
LEGACY_QKV_BEFORE = dt.date(2026, 2, 1)


@dataclass(frozen=True)
class Recipe:
    """How a file was made: llama-quantize's ftype, imatrix, and the two type overrides."""

    ftype: str
    imatrix: bool = True
    token_embd_type: str | None = None
    output_type: str | None = None
    # Files made before llama.cpp's 2026 quantizer refactor (ec98e2002 and older) gave a fused
    # attn_qkv its own rule: one step up under Q3_K_M/L, IQ3_M, Q4_K_M and Q5_K_M, default otherwise.
    legacy_qkv: bool = False


def recipe_for_release(recipe: Recipe, released: dt.date | None) -> Recipe:
    """`recipe` as the quantizer of a model's release time applied it (published files are made then)."""
    if released is not None and released < LEGACY_QKV_BEFORE and not recipe.legacy_qkv:
        return replace(recipe, legacy_qkv=True)
    return recipe


def use_more_bits(i: int, n: int) -> bool:
    """llama.cpp's choice of layers that get one step more precision (first and last eighth, every third between)."""
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def _quantizable(t: Tensor) -> bool:
    """tensor_allows_quantization: 2-D and 3-D weights, but not norms, routers, convolutions."""
    name = t.name
    return (
        name.endswith("weight")
        and t.dims >= 2
        and "_norm.weight" not in name
        and "ffn_gate_inp.weight" not in name
        and "ssm_conv1d" not in name
        and "shortconv.conv.weight" not in name
        and "altup" not in name
        and "laurel" not in name
        and "per_layer_model_proj" not in name
    )


class _State:
    """quantize_state_impl's counters: tensors of each kind seen so far, and how many there are."""

    def __init__(self, n_attention_wv: int, n_layer_all: int, has_output: bool) -> None:
        self.n_attention_wv = n_attention_wv
        self.n_ffn = n_layer_all  # n_ffn_down = n_ffn_gate = n_ffn_up = n_layer_all (MTP blocks included)
        self.has_tied_embeddings = not has_output
        self.i_attention_wv = self.i_ffn_down = self.i_ffn_gate = self.i_ffn_up = 0


def _layer(state_counter: int, n_expert: int, t: Tensor) -> int:
    # layer_info: with experts the layer is read from the name, otherwise the running count is used.
    return (t.layer or 0) if n_expert > 1 else state_counter


def _choose(a: Architecture, r: Recipe, t: Tensor, cat: str, qs: _State) -> str:  # noqa: C901 (llama.cpp's shape)
    ft = r.ftype
    new = DEFAULT_TYPE[ft]
    n_expert = a.moe.experts if a.moe else 0
    gqa = a.gqa
    n_ffn = qs.n_ffn

    if cat == OUTPUT or (qs.has_tied_embeddings and cat == TOKEN_EMBD):
        if r.output_type:
            return r.output_type
        if ft == "MXFP4_MOE":
            return "Q8_0"
        if a.arch == "falcon" or t.shape[0] % TYPES[new].block_size:
            return "Q8_0"
        if ft in _LOW_OUTPUT:
            return "Q5_K"
        return new if new == "Q8_0" else "Q6_K"
    if ft == "MXFP4_MOE":
        return "MXFP4" if len(t.shape) > 2 and t.shape[2] > 1 else "Q8_0"
    if cat == TOKEN_EMBD:
        if r.token_embd_type:
            return r.token_embd_type
        if ft in ("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ1_M"):
            return "Q2_K"
        if ft in ("IQ2_S", "IQ2_M", "IQ3_XXS"):
            return "IQ3_S"
        if ft in ("TQ1_0", "TQ2_0"):
            return "Q4_K"
        return new
    if cat == QKV and r.legacy_qkv:
        if ft in ("Q3_K_M", "Q3_K_L", "IQ3_M"):
            return "Q4_K"
        return {"Q4_K_M": "Q5_K", "Q5_K_M": "Q6_K"}.get(ft, new)
    if ft in _IQ1_IQ2:
        if cat in _ATTN_V_LIKE:
            qs.i_attention_wv += 1
            if gqa >= 4 or n_expert >= 4:
                return "Q4_K"
            return "IQ3_S" if ft in ("IQ2_S", "IQ2_M") else "Q2_K"
        if n_expert == 8 and cat == ATTN_K:
            return "Q4_K"
        if cat == FFN_DOWN:
            # This branch counts every ffn_down tensor (routed and shared experts alike).
            low = qs.i_ffn_down < n_ffn // 8
            qs.i_ffn_down += 1
            if low:
                return "IQ3_S" if ft in ("IQ2_S", "IQ2_M") else "Q2_K"
            return new
        if cat == ATTN_OUT:
            if n_expert == 8:
                return "Q5_K"
            if ft in ("IQ1_S", "IQ1_M"):
                return "IQ2_XXS"
            if ft in ("IQ2_S", "IQ2_M"):
                return "IQ3_S"
        return new
    if cat in _ATTN_V_LIKE:
        j = qs.i_attention_wv
        qs.i_attention_wv += 1
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
        elif ft in ("Q4_K_M", "Q5_K_M") and use_more_bits(j, qs.n_attention_wv):
            new = "Q6_K"
        elif ft == "Q4_K_S" and j < 4:
            new = "Q5_K"
        if _is_70b(a) and new in ("Q3_K", "Q4_K"):
            new = "Q5_K"
        if n_expert == 8:
            new = "Q8_0"
        return new
    if cat == ATTN_K:
        if n_expert == 8:
            return "Q8_0"
        if ft == "IQ3_XS":
            return "IQ3_XXS"
        if ft == "IQ3_XXS":
            return "IQ2_S"
        return new
    if cat == ATTN_Q:
        if ft == "IQ3_XS":
            return "IQ3_XXS"
        if ft == "IQ3_XXS":
            return "IQ2_S"
        return new
    if cat == FFN_DOWN:
        i = _layer(qs.i_ffn_down, n_expert, t)
        qs.i_ffn_down += 1
        return _ffn_down(a, r, i, n_ffn, n_expert, new)
    if cat == ATTN_OUT:
        if a.arch == "falcon":
            return "Q4_K" if ft == "Q3_K_L" else new
        if n_expert == 8:
            return "Q5_K" if ft in _ATTN_OUT_Q5K_8_EXPERTS else new
        return {"Q2_K": "Q3_K", "IQ3_XXS": "IQ3_S", "Q3_K_M": "Q4_K",
                "Q3_K_L": "Q5_K", "IQ3_M": "Q4_K"}.get(ft, new)
    if cat in (FFN_GATE, FFN_UP):
        if cat == FFN_GATE:
            i = _layer(qs.i_ffn_gate, n_expert, t)
            qs.i_ffn_gate += 1
        else:
            i = _layer(qs.i_ffn_up, n_expert, t)
            qs.i_ffn_up += 1
        if ft == "IQ3_XS" and n_ffn // 8 <= i < 7 * n_ffn // 8:
            return "IQ3_XXS"
        return new
    return new


def _ffn_down(a: Architecture, r: Recipe, i: int, n: int, n_expert: int, new: str) -> str:
    ft = r.ftype
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


def _is_70b(a: Architecture) -> bool:
    # llama.cpp's LLM_TYPE_70B: Llama-family models with 80 layers (Llama 2/3 70B, Qwen2 72B).
    return a.layers == 80 and a.arch in ("llama", "qwen2") and a.kv_heads < a.heads


def _fit_blocks(type_name: str, row: int) -> str:
    if row % TYPES[type_name].block_size == 0:
        return type_name
    fallback = _FALLBACK.get(type_name, "F16")
    return fallback if row % TYPES[fallback].block_size == 0 else "F16"


def _order(t: Tensor) -> tuple[int, str]:
    # llama_model_loader's weight_name_comparer: globals (layer -1) first, then by layer number, then by name.
    return (-1 if t.layer is None else t.layer, t.name)


@lru_cache(maxsize=256)
def _prepared(a: Architecture) -> tuple[tuple[tuple[Tensor, bool, str], ...], int, bool]:
    """`a`'s tensors in llama.cpp's order with whether each may be quantized and its category (once per model)."""
    tensors = sorted(gguf_tensors(a), key=_order)
    cats = [category(t.name) for t in tensors]
    n_attn_v = sum(1 for c in cats if c in _ATTN_V_LIKE)
    has_output = OUTPUT in cats
    return tuple((t, _quantizable(t), c) for t, c in zip(tensors, cats)), n_attn_v, has_output


def tensor_types(a: Architecture, recipe: Recipe) -> list[tuple[Tensor, str]]:
    """Each GGUF tensor of `a` (in llama.cpp's order) with the GGML type its file stores under `recipe`."""
    ft = recipe.ftype
    if ft not in DEFAULT_TYPE:
        raise KeyError(f"unknown llama.cpp ftype {ft!r}")
    tensors, n_attn_v, has_output = _prepared(a)
    qs = _State(n_attn_v, gguf_layers(a), has_output)
    out: list[tuple[Tensor, str]] = []
    for t, quantizable, cat in tensors:
        if not quantizable:
            out.append((t, "F32"))
        elif a.expert_type and "_exps." in t.name:
            out.append((t, a.expert_type))  # already quantized in the checkpoint: kept as is
        elif ft in UNQUANTIZED:
            out.append((t, DEFAULT_TYPE[ft]))
        else:
            out.append((t, _fit_blocks(_choose(a, recipe, t, cat, qs), t.shape[0])))
    return out
