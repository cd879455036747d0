"""KV cache (and recurrent state) bytes for a context length and number of sequences.

Per layer and token, attention layers store K and V of width kv_heads × head_dim
each (full and sliding layers may differ: Gemma 4, MiMo-V2); MLA layers store one
compressed latent of kv_lora_rank + qk_rope_head_dim; a sparse-attention indexer adds
one index key per token (llama.cpp's DSA cache: the key alone, in the cache's type);
sliding-window layers keep at most the window; the last KV-sharing layers of Gemma
3n/4 keep nothing of their own; recurrent layers (Mamba, gated delta-net, Kimi delta
attention, short convolution) keep a fixed F32 state per sequence, whatever the
context. llama.cpp keeps those states in F32 whatever the KV cache type.

Cells, as llama.cpp allocates them (llama_context, llama_kv_cache_iswa): the context is
rounded up to a multiple of 256 cells per sequence; a sliding-window layer holds
pad256(min(cells, window + n_ubatch)) cells — the window plus one micro-batch of 512
tokens, because a batch is written before the oldest tokens are evicted (gpt-oss's
128-token window takes 768 cells, not 128). Each sequence has its own stream (llama.cpp's
default, kv_unified = false). MTP layers that llama.cpp keeps in the GGUF get a cache
too for GLM-4.5/4.6 (core.tensors.kv_mtp_layers).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from vramtui.core.arch import CONV, FULL, LINEAR, MAMBA, SLIDING, Architecture
from vramtui.core.tensors import kv_mtp_layers

# Bytes per cached element, as exact fractions (q8_0 stores 32 values in 34 bytes).
KV_TYPES: dict[str, Fraction] = {
    "f32": Fraction(4),
    "f16": Fraction(2),
    "bf16": Fraction(2),
    "fp8": Fraction(1),
    "q8_0": Fraction(34, 32),
    "q5_1": Fraction(24, 32),
    "q5_0": Fraction(22, 32),
    "q4_1": Fraction(20, 32),
    "q4_0": Fraction(18, 32),
    "iq4_nl": Fraction(18, 32),
}
STATE_BYTES = 4  # recurrent states are F32
CELL_PAD = 256  # llama.cpp rounds every cache (and the context) up to this many cells
UBATCH = 512  # llama.cpp's default micro-batch (n_ubatch)


def cells(context: int) -> int:
    """Cells llama.cpp allocates for `context` tokens of one sequence (GGML_PAD(n_ctx, 256))."""
    return -(-context // CELL_PAD) * CELL_PAD


def window_cells(context: int, window: int, ubatch: int = UBATCH) -> int:
    """Cells of a sliding-window layer: pad256(min(cells(context), window + ubatch))."""
    return cells(min(cells(context), window + ubatch))


@dataclass(frozen=True)
class KvBreakdown:
    """The KV cache and the terms it was computed from:

    attention_bytes = (cells × (full_layers × width + indexer_layers × indexer_width)
                       + window_cells × sliding_layers × sliding_width)
                      × bytes_per_element × sequences
    state_bytes     = state_elements × 4 B × sequences (over state_layers)

    full_layers and sliding_layers count the layers that keep a cache of their own
    (shared_layers reuse another layer's).
    """

    attention_bytes: int  # grows with context
    state_bytes: int  # fixed per sequence
    full_layers: int  # MTP layers that get a cache included
    sliding_layers: int
    state_layers: int
    context: int = 0  # tokens asked for, per sequence
    cells: int = 0  # cells a full-attention layer holds per sequence (context rounded up to 256)
    window_cells: int = 0  # cells a sliding-window layer holds per sequence
    window: int = 0  # the model's sliding window
    ubatch: int = UBATCH
    width: int = 0  # cached elements per token and full layer (K and V together, or the MLA latent)
    bytes_per_element: Fraction = Fraction(2)
    sequences: int = 1
    sliding_width: int = 0  # cached elements per token and sliding layer
    indexer_layers: int = 0  # layers that also cache an index key per token
    indexer_width: int = 0
    shared_layers: int = 0  # attention layers that reuse another layer's cache

    @property
    def total(self) -> int:
        return self.attention_bytes + self.state_bytes


def kv_width(a: Architecture, kind: str = FULL) -> int:
    """Cached elements per token per attention layer of `kind` (K and V together, or the MLA latent)."""
    if a.mla is not None:
        return a.mla.kv_lora_rank + a.mla.qk_rope_head_dim
    s = a.attn_shape(kind)
    # V is cached even when it is computed from K's projection (Gemma 4): it is normed, K is roped.
    return s.kv_heads * (s.head_dim + s.v_head_dim)


def layer_cache_width(a: Architecture, i: int) -> int:
    """Cached elements per token of layer i: its K+V (or latent) and index key; 0 without a cache."""
    kind = a.layer_kinds[i]
    if kind not in (FULL, SLIDING) or not a.has_cache(i):
        return 0
    width = kv_width(a, kind)
    if a.indexer is not None and a.indexer_layers[i]:
        width += a.indexer.cache_width
    return width


def kv_heads_per_gpu(a: Architecture, tp: int) -> int:
    """KV heads one GPU of a `tp`-way tensor-parallel group keeps (vLLM and SGLang): the heads
    are split, and replicated once there are more GPUs than heads; an MLA latent is one
    "head" that every GPU keeps whole."""
    if a.mla is not None:
        return 1
    return max(1, a.kv_heads // max(1, tp))


def kv_width_per_gpu(a: Architecture, tp: int) -> int:
    """Cached elements per token per attention layer on one GPU of a `tp`-way group."""
    if a.mla is not None:
        return kv_width(a)
    return 2 * kv_heads_per_gpu(a, tp) * a.head_dim


def state_parts(a: Architecture, kind: str) -> tuple[int, int]:
    """(convolution elements, recurrent-state elements) of one sequence in one layer of `kind`.

    Kept apart because servers store them differently (vLLM: the convolution window in the
    model's dtype, the recurrent state in F32); llama.cpp keeps both in F32.
    """
    if kind == LINEAR and a.linear is not None:
        la = a.linear
        conv_channels = 2 * la.key_heads * la.key_head_dim + la.value_heads * la.value_head_dim
        return (la.conv_kernel - 1) * conv_channels, la.value_heads * la.key_head_dim * la.value_head_dim
    if kind == MAMBA and a.mamba is not None:
        m = a.mamba
        if m.version == 1:
            return (m.d_conv - 1) * m.d_inner, m.d_inner * m.d_state
        conv_channels = m.d_inner + 2 * m.n_groups * m.d_state
        return (m.d_conv - 1) * conv_channels, m.d_inner * m.d_state
    if kind == CONV and a.conv is not None:
        return (a.conv.l_cache - 1) * a.hidden, 0
    return 0, 0


def state_elements(a: Architecture, kind: str) -> int:
    """Elements of one sequence's recurrent state in one layer of `kind`."""
    return sum(state_parts(a, kind))


def kv_read_bytes(a: Architecture, tokens: int, kv_type: str = "f16", sequences: int = 1) -> int:
    """Bytes one decode step reads from the cache with `tokens` tokens cached per sequence: every
    full-attention layer's tokens, a sliding layer's window at most, and the recurrent states."""
    per_elem = KV_TYPES[kv_type]
    window = min(tokens, a.sliding_window) if a.sliding_window else tokens
    held = a.count(FULL) * tokens + a.count(SLIDING) * window  # the MTP layer's cache is never read
    elements = kv_width(a) * held * sequences
    state, _ = _states(a)
    return elements * per_elem.numerator // per_elem.denominator + state * STATE_BYTES * sequences


@lru_cache(maxsize=1024)
def _states(a: Architecture) -> tuple[int, int]:
    """(state elements of one sequence over all recurrent layers, how many layers keep a state)."""
    states = [layer_state_elements(a, i) for i in range(a.layers)]
    return sum(states), sum(1 for s in states if s)


def layer_state_elements(a: Architecture, i: int) -> int:
    """Elements of one sequence's recurrent state in layer i (Falcon-H1: beside its attention)."""
    kind = a.layer_kinds[i]
    if kind in (FULL, SLIDING):
        return state_elements(a, MAMBA) if a.mamba_beside_attention else 0
    return state_elements(a, kind)


@lru_cache(maxsize=1024)
def _cache_layout(a: Architecture) -> tuple[int, int, int, int, int, int]:
    """(full layers with a cache, their K+V width, sliding ones, their width, indexed layers,
    KV-sharing layers), once per architecture."""
    full = sliding = indexed = shared = 0
    for i, kind in enumerate(a.layer_kinds):
        if kind not in (FULL, SLIDING):
            continue
        if not a.has_cache(i):
            shared += 1
        elif kind == FULL:
            full += 1
            indexed += 1 if a.indexer is not None and a.indexer_layers[i] else 0
        else:
            sliding += 1
            if a.indexer is not None and a.indexer_layers[i]:
                raise ValueError("an indexer on a sliding-window layer is not modelled")
    return full, kv_width(a, FULL), sliding, kv_width(a, SLIDING), indexed, shared


def layer_kv_bytes(
    a: Architecture, i: int, context: int, kv_type: str = "f16", sequences: int = 1, ubatch: int = UBATCH
) -> int:
    """KV cache (or recurrent state) of layer i alone, from the same terms as the whole cache."""
    tokens = window_cells(context, a.sliding_window, ubatch) if a.layer_kinds[i] == SLIDING else cells(context)
    per_elem = KV_TYPES[kv_type]
    attention = layer_cache_width(a, i) * tokens * sequences * per_elem.numerator // per_elem.denominator
    return attention + layer_state_elements(a, i) * STATE_BYTES * sequences


@lru_cache(maxsize=8192)
def kv_cache(
    a: Architecture, context: int, kv_type: str = "f16", sequences: int = 1, ubatch: int = UBATCH
) -> KvBreakdown:
    """KV cache of `sequences` sequences of `context` tokens each, with llama.cpp's micro-batch of
    `ubatch` tokens (it sizes sliding-window layers); cached: estimates ask repeatedly."""
    if context < 0 or sequences < 1:
        raise ValueError("context must be >= 0 and sequences >= 1")
    per_elem = KV_TYPES[kv_type]
    full, width, sliding, sliding_width, indexed, shared = _cache_layout(a)
    full += kv_mtp_layers(a)
    indexer_width = a.indexer.cache_width if a.indexer is not None else 0
    full_cells = cells(context)
    swa_cells = window_cells(context, a.sliding_window, ubatch) if sliding else 0
    per_cell = full * width + indexed * indexer_width
    elements = (per_cell * full_cells + sliding * sliding_width * swa_cells) * sequences
    attention = elements * per_elem.numerator // per_elem.denominator
    state, state_layers = _states(a)
    return KvBreakdown(attention, state * STATE_BYTES * sequences, full, sliding, state_layers,
                       context, full_cells, swa_cells, a.sliding_window, ubatch, width, per_elem, sequences,
                       sliding_width, indexed, indexer_width, shared)
