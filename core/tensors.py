"""The tensors of a GGUF file for an architecture, named as llama.cpp names them.

Shapes are in GGML order: ne0 (the row length, i.e. the input dimension of a
linear layer) first. Parameter counts and GGUF sizes are both sums over this list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vramtui.core.arch import CONV, FULL, LINEAR, MAMBA, MLP_ONLY, SLIDING, Architecture

# Architectures whose llama.cpp converter keeps the multi-token-prediction (NextN) layers in
# the GGUF, as extra blocks after the trunk (block_count = layers + nextn_predict_layers).
# llama.cpp skips their weights at load (file size, not memory) but, for these two, still
# gives them a KV cache (create_memory filters MTP layers out only for other architectures).
# DeepSeek V3/R1 (skip_mtp), Qwen3-Next and Nemotron-H converters drop them.
MTP_IN_GGUF = ("glm4moe",)
MTP_HAS_KV = ("glm4moe",)
# Gated delta-net layers as qwen35/qwen35moe files store them (qwen3next files: ssm_in + ssm_ba).
_SPLIT_DELTA_NET = ("qwen35", "qwen35moe")
# Shared experts with a learned scalar gate (ffn_gate_inp_shexp).
_GATED_SHARED_EXPERT = ("qwen2moe", "qwen3next", "qwen35moe")


@dataclass(frozen=True)
class Tensor:
    name: str
    shape: tuple[int, ...]
    layer: int | None = None
    # False for tensors that exist only in GGUF files (rope_freqs), not in the model's weights.
    is_param: bool = True
    # False for tensors the file holds but llama.cpp does not load (MTP/NextN layers).
    loaded: bool = True

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    @property
    def dims(self) -> int:
        return sum(1 for d in self.shape if d > 1) or 1


def _attention(a: Architecture, i: int) -> list[Tensor]:
    p = f"blk.{i}."
    h = a.hidden
    out: list[Tensor] = []
    if a.mla is not None:
        m = a.mla
        qk_head = m.qk_nope_head_dim + m.qk_rope_head_dim
        if m.q_lora_rank:
            out += [
                Tensor(p + "attn_q_a.weight", (h, m.q_lora_rank), i),
                Tensor(p + "attn_q_a_norm.weight", (m.q_lora_rank,), i),
                Tensor(p + "attn_q_b.weight", (m.q_lora_rank, a.heads * qk_head), i),
            ]
        else:
            out.append(Tensor(p + "attn_q.weight", (h, a.heads * qk_head), i))
        out += [
            Tensor(p + "attn_kv_a_mqa.weight", (h, m.kv_lora_rank + m.qk_rope_head_dim), i),
            Tensor(p + "attn_kv_a_norm.weight", (m.kv_lora_rank,), i),
            # Current llama.cpp splits HF's kv_b_proj into per-head K and V absorptions.
            Tensor(p + "attn_k_b.weight", (m.qk_nope_head_dim, m.kv_lora_rank, a.heads), i),
            Tensor(p + "attn_v_b.weight", (m.kv_lora_rank, m.v_head_dim, a.heads), i),
            Tensor(p + "attn_output.weight", (a.heads * m.v_head_dim, h), i),
        ]
        return out + _indexer(a, i)
    s = a.attn_shape(a.layer_kinds[i] if i < a.layers else FULL)  # past the trunk: an MTP block
    q_out = s.heads * s.head_dim * (2 if a.gated_attention else 1)
    k_out = s.kv_heads * s.head_dim
    v_out = s.kv_heads * s.v_head_dim
    if a.fused_qkv:
        out.append(Tensor(p + "attn_qkv.weight", (h, q_out + k_out + v_out), i))
    else:
        out += [Tensor(p + "attn_q.weight", (h, q_out), i), Tensor(p + "attn_k.weight", (h, k_out), i)]
        if s.v_proj:
            out.append(Tensor(p + "attn_v.weight", (h, v_out), i))
    out.append(Tensor(p + "attn_output.weight", (s.heads * s.v_head_dim, h), i))
    if a.qkv_bias:
        out += [
            Tensor(p + "attn_q.bias", (q_out,), i),
            Tensor(p + "attn_k.bias", (k_out,), i),
            Tensor(p + "attn_v.bias", (v_out,), i),
        ]
    if a.output_bias:
        out.append(Tensor(p + "attn_output.bias", (h,), i))
    if a.qk_norm:
        out += [
            Tensor(p + "attn_q_norm.weight", (s.head_dim,), i),
            Tensor(p + "attn_k_norm.weight", (s.head_dim,), i),
        ]
    if a.attn_sinks:
        out.append(Tensor(p + "attn_sinks.weight", (s.heads,), i))
    return out + _indexer(a, i)


def _indexer(a: Architecture, i: int) -> list[Tensor]:
    """A sparse-attention indexer's projections (llama.cpp's DSA names), where layer i has one."""
    ix = a.indexer
    if ix is None or i >= a.layers or not a.indexer_layers[i]:
        return []
    p = f"blk.{i}."
    q_in = a.mla.q_lora_rank if ix.q_from_latent and a.mla is not None else a.hidden
    out = [
        Tensor(p + "indexer.attn_q_b.weight", (q_in, ix.heads * ix.head_dim), i),
        Tensor(p + "indexer.attn_k.weight", (a.hidden, ix.head_dim), i),
        Tensor(p + "indexer.k_norm.weight", (ix.head_dim,), i),
    ]
    if ix.q_from_latent:  # DSA: a LayerNorm with bias, and per-head weights from the hidden state
        out += [
            Tensor(p + "indexer.k_norm.bias", (ix.head_dim,), i),
            Tensor(p + "indexer.proj.weight", (a.hidden, ix.heads), i),
        ]
    else:  # MiniMax M3's block index: RMS-normed q and k
        out.append(Tensor(p + "indexer.q_norm.weight", (ix.head_dim,), i))
    return out


def _linear_attention(a: Architecture, i: int) -> list[Tensor]:
    la = a.linear
    assert la is not None
    p = f"blk.{i}."
    qk = la.key_heads * la.key_head_dim
    v = la.value_heads * la.value_head_dim
    conv_dim = 2 * qk + v
    if la.kind == "kda":
        # Kimi delta attention (llama.cpp kimi-linear): q/k/v projections, a short convolution
        # each, low-rank forget (f) and output (g) gates, beta, A, dt bias, gated norm, output.
        d, n = la.key_head_dim, la.key_heads
        return [
            Tensor(p + "attn_q.weight", (a.hidden, qk), i),
            Tensor(p + "attn_k.weight", (a.hidden, qk), i),
            Tensor(p + "attn_v.weight", (a.hidden, v), i),
            Tensor(p + "ssm_conv1d_q.weight", (la.conv_kernel, qk), i),
            Tensor(p + "ssm_conv1d_k.weight", (la.conv_kernel, qk), i),
            Tensor(p + "ssm_conv1d_v.weight", (la.conv_kernel, v), i),
            Tensor(p + "ssm_f_a.weight", (a.hidden, d), i),
            Tensor(p + "ssm_f_b.weight", (d, qk), i),
            Tensor(p + "ssm_beta.weight", (a.hidden, n), i),
            Tensor(p + "ssm_a", (n,), i),
            Tensor(p + "ssm_dt.bias", (qk,), i),
            Tensor(p + "ssm_g_a.weight", (a.hidden, d), i),
            Tensor(p + "ssm_g_b.weight", (d, qk), i),
            Tensor(p + "ssm_norm.weight", (d,), i),
            Tensor(p + "attn_output.weight", (v, a.hidden), i),
        ]
    if a.arch in _SPLIT_DELTA_NET:
        # The q/k/v in-projection is one attn_qkv tensor, which llama-quantize treats like attn_v.
        return [
            Tensor(p + "attn_qkv.weight", (a.hidden, conv_dim), i),
            Tensor(p + "attn_gate.weight", (a.hidden, v), i),
            Tensor(p + "ssm_conv1d.weight", (la.conv_kernel, conv_dim), i),
            Tensor(p + "ssm_dt.bias", (la.value_heads,), i),
            Tensor(p + "ssm_a", (la.value_heads,), i),
            Tensor(p + "ssm_beta.weight", (a.hidden, la.value_heads), i),
            Tensor(p + "ssm_alpha.weight", (a.hidden, la.value_heads), i),
            Tensor(p + "ssm_norm.weight", (la.value_head_dim,), i),
            Tensor(p + "ssm_out.weight", (v, a.hidden), i),
        ]
    return [
        Tensor(p + "ssm_in.weight", (a.hidden, 2 * qk + 2 * v), i),
        Tensor(p + "ssm_ba.weight", (a.hidden, 2 * la.value_heads), i),
        Tensor(p + "ssm_conv1d.weight", (la.conv_kernel, conv_dim), i),
        Tensor(p + "ssm_dt.bias", (la.value_heads,), i),
        Tensor(p + "ssm_a", (la.value_heads,), i),
        Tensor(p + "ssm_norm.weight", (la.value_head_dim,), i),
        Tensor(p + "ssm_out.weight", (v, a.hidden), i),
    ]


def _mamba(a: Architecture, i: int) -> list[Tensor]:
    m = a.mamba
    assert m is not None
    p = f"blk.{i}."
    if m.version == 1:
        return [
            Tensor(p + "ssm_in.weight", (a.hidden, 2 * m.d_inner), i),
            Tensor(p + "ssm_conv1d.weight", (m.d_conv, m.d_inner), i),
            Tensor(p + "ssm_conv1d.bias", (m.d_inner,), i),
            Tensor(p + "ssm_x.weight", (m.d_inner, m.dt_rank + 2 * m.d_state), i),
            Tensor(p + "ssm_dt.weight", (m.dt_rank, m.d_inner), i),
            Tensor(p + "ssm_dt.bias", (m.d_inner,), i),
            Tensor(p + "ssm_a", (m.d_state, m.d_inner), i),
            Tensor(p + "ssm_d", (m.d_inner,), i),
            Tensor(p + "ssm_out.weight", (m.d_inner, a.hidden), i),
        ]
    conv_dim = m.d_inner + 2 * m.n_groups * m.d_state
    return [
        Tensor(p + "ssm_in.weight", (a.hidden, 2 * m.d_inner + 2 * m.n_groups * m.d_state + m.n_heads), i),
        Tensor(p + "ssm_conv1d.weight", (m.d_conv, conv_dim), i),
        Tensor(p + "ssm_conv1d.bias", (conv_dim,), i),
        Tensor(p + "ssm_dt.bias", (m.n_heads,), i),
        Tensor(p + "ssm_a", (m.n_heads,), i),
        Tensor(p + "ssm_d", (m.n_heads,), i),
        *([Tensor(p + "ssm_norm.weight", (m.d_inner,), i)] if m.norm else []),
        Tensor(p + "ssm_out.weight", (m.d_inner, a.hidden), i),
    ]


def _short_conv(a: Architecture, i: int) -> list[Tensor]:
    c = a.conv
    assert c is not None
    p = f"blk.{i}."
    return [
        Tensor(p + "shortconv.in_proj.weight", (a.hidden, 3 * a.hidden), i),
        Tensor(p + "shortconv.conv.weight", (c.l_cache, a.hidden), i),
        Tensor(p + "shortconv.out_proj.weight", (a.hidden, a.hidden), i),
    ]


def _ffn(a: Architecture, i: int) -> list[Tensor]:
    p = f"blk.{i}."
    h = a.hidden
    if not a.ffn_on_mixer_layers and a.layer_kinds[i] != MLP_ONLY:
        return []
    if not a.is_moe_layer(i):
        ff = a.dense_ff_of(i)
        if a.fused_qkv and ff:  # Phi-3 also fuses gate and up into one ffn_up of twice the width
            return [Tensor(p + "ffn_up.weight", (h, 2 * ff), i), Tensor(p + "ffn_down.weight", (ff, h), i)]
        return _dense_ffn(p, h, ff, a.ffn_gated, i)
    moe = a.moe
    assert moe is not None
    e, ff = moe.experts, moe.expert_ff
    width = moe.latent or h  # the width routed experts work in
    # Gemma 4's MoE layers keep a dense FFN beside the experts (its per-layer width).
    out = _dense_ffn(p, h, a.layer_ff[i], a.ffn_gated, i) if a.layer_ff else []
    out.append(Tensor(p + "ffn_gate_inp.weight", (h, e), i))
    if moe.latent:
        out += [
            Tensor(p + "ffn_latent_down.weight", (h, moe.latent), i),
            Tensor(p + "ffn_latent_up.weight", (moe.latent, h), i),
        ]
    if moe.gated:
        out.append(Tensor(p + "ffn_gate_exps.weight", (width, ff, e), i))
    out += [
        Tensor(p + "ffn_up_exps.weight", (width, ff, e), i),
        Tensor(p + "ffn_down_exps.weight", (ff, width, e), i),
    ]
    if moe.router_bias:
        out.append(Tensor(p + "exp_probs_b.bias", (e,), i))
    if moe.expert_biases:
        out += [
            Tensor(p + "ffn_gate_inp.bias", (e,), i),
            Tensor(p + "ffn_gate_exps.bias", (ff, e), i),
            Tensor(p + "ffn_up_exps.bias", (ff, e), i),
            Tensor(p + "ffn_down_exps.bias", (h, e), i),
        ]
    if moe.shared_ff:
        s = moe.shared_ff
        if a.arch in _GATED_SHARED_EXPERT:
            out.append(Tensor(p + "ffn_gate_inp_shexp.weight", (h,), i))
        if moe.gated:
            out.append(Tensor(p + "ffn_gate_shexp.weight", (h, s), i))
        out += [
            Tensor(p + "ffn_up_shexp.weight", (h, s), i),
            Tensor(p + "ffn_down_shexp.weight", (s, h), i),
        ]
    return out


def _dense_ffn(p: str, h: int, ff: int, gated: bool, i: int) -> list[Tensor]:
    if ff == 0:
        return []
    out = [Tensor(p + "ffn_up.weight", (h, ff), i), Tensor(p + "ffn_down.weight", (ff, h), i)]
    if gated:
        out.insert(0, Tensor(p + "ffn_gate.weight", (h, ff), i))
    return out


def _per_layer_input(a: Architecture, i: int) -> list[Tensor]:
    """Gemma 3n/4's per-layer embedding gate and projection, and Gemma 3n's AltUp and LAuReL."""
    p = f"blk.{i}."
    h, w = a.hidden, a.per_layer_input
    out: list[Tensor] = []
    if w:
        out += [
            Tensor(p + "inp_gate.weight", (h, w), i),
            Tensor(p + "proj.weight", (w, h), i),
            Tensor(p + "post_norm.weight", (h,), i),
        ]
    if a.altup:
        n = a.altup
        out += [
            Tensor(p + "altup_correct_coef.weight", (n, n), i),
            Tensor(p + "altup_correct_scale.weight", (h,), i),
            Tensor(p + "altup_predict_coef.weight", (n, n * n), i),
            Tensor(p + "altup_router.weight", (h, n), i),
            Tensor(p + "altup_router_norm.weight", (h,), i),
        ]
    if a.laurel_rank:
        r = a.laurel_rank
        out += [
            Tensor(p + "laurel_l.weight", (h, r), i),
            Tensor(p + "laurel_r.weight", (r, h), i),
            Tensor(p + "laurel_post_norm.weight", (h,), i),
        ]
    return out


_MIXERS = {
    FULL: _attention,
    SLIDING: _attention,
    LINEAR: _linear_attention,
    MAMBA: _mamba,
    CONV: _short_conv,
}


def gguf_mtp_layers(a: Architecture) -> int:
    """Multi-token-prediction blocks llama.cpp's converter keeps in the GGUF (after the trunk)."""
    return a.mtp_layers if a.arch in MTP_IN_GGUF else 0


def gguf_layers(a: Architecture) -> int:
    """The GGUF's block_count (llama.cpp's n_layer_all): the trunk plus kept MTP blocks."""
    return a.layers + gguf_mtp_layers(a)


def kv_mtp_layers(a: Architecture) -> int:
    """MTP blocks llama.cpp gives a KV cache although it never runs them in the main context."""
    return gguf_mtp_layers(a) if a.arch in MTP_HAS_KV else 0


def _block(a: Architecture, i: int, kind: str, ffn_of: int) -> list[Tensor]:
    p = f"blk.{i}."
    h = a.hidden
    # Nemotron-H layers hold a mixer or an FFN under one norm; a DeciLM layer without attention has
    # no attention norm.
    single_norm = not a.ffn_on_mixer_layers
    mixer = _MIXERS.get(kind)
    out = [Tensor(p + "attn_norm.weight", (h,), i)] if mixer is not None or single_norm else []
    if mixer is not None:
        out += mixer(a, i)
        if a.mamba_beside_attention and kind in (FULL, SLIDING):
            out += _mamba(a, i)  # Falcon-H1: attention and Mamba side by side
        if a.post_norms:
            out.append(Tensor(p + "post_attention_norm.weight", (h,), i))
    ffn = [Tensor(t.name.replace(f"blk.{ffn_of}.", p), t.shape, i) for t in _ffn(a, ffn_of)]
    if ffn:
        if not single_norm:
            out.append(Tensor(p + "ffn_norm.weight", (h,), i))
        out += ffn
        if a.post_norms:
            out.append(Tensor(p + "post_ffw_norm.weight", (h,), i))
    if i < a.layers:
        out += _per_layer_input(a, i)
    return out


def _mtp_block(a: Architecture, i: int) -> list[Tensor]:
    """A NextN block: a full-attention decoder layer like the last one, the projection of
    [embedding; hidden] (2·hidden → hidden), its norms, and its own embedding and head."""
    p = f"blk.{i}."
    h = a.hidden
    last = a.layers - 1
    out = _block(a, i, FULL, last)
    out += [
        Tensor(p + "nextn.eh_proj.weight", (2 * h, h), i),
        Tensor(p + "nextn.enorm.weight", (h,), i),
        Tensor(p + "nextn.hnorm.weight", (h,), i),
        Tensor(p + "nextn.embed_tokens.weight", (h, a.vocab), i),
        Tensor(p + "nextn.shared_head_head.weight", (h, a.vocab), i),
        Tensor(p + "nextn.shared_head_norm.weight", (h,), i),
    ]
    return [Tensor(t.name, t.shape, t.layer, t.is_param, loaded=False) for t in out]


def gguf_tensors(a: Architecture) -> list[Tensor]:
    """Every tensor of the text model's GGUF file (globals, then layer by layer, then kept MTP blocks)."""
    h = a.hidden
    out = [Tensor("token_embd.weight", (h, a.vocab))]
    if a.altup:
        out += [
            Tensor("altup_proj.weight", (h, h, a.altup - 1)),
            Tensor("altup_unembd_proj.weight", (h, h, a.altup - 1)),
        ]
    if a.per_layer_input:
        w = a.per_layer_input * a.layers
        out += [
            # Looked up one row per token, like token_embd (llama.cpp keeps it with the input layer).
            Tensor("per_layer_token_embd.weight", (w, a.per_layer_vocab or a.vocab)),
            Tensor("per_layer_model_proj.weight", (h, w)),
            Tensor("per_layer_proj_norm.weight", (a.per_layer_input,)),
        ]
    for i, kind in enumerate(a.layer_kinds):
        out += _block(a, i, kind, i)
    for i in range(a.layers, gguf_layers(a)):
        out += _mtp_block(a, i)
    out.append(Tensor("output_norm.weight", (h,)))
    if not a.tied_embeddings:
        out.append(Tensor("output.weight", (h, a.vocab)))
    if a.rope_freqs:
        out.append(Tensor("rope_freqs.weight", (a.head_dim // 2,), is_param=False))
    if a.rope_scaling is not None and a.rope_scaling.kind == "longrope":
        # Phi-3.5/4-mini: per-dimension LongRoPE factors for short and long contexts.
        out += [Tensor(f"rope_factors_{n}.weight", (a.head_dim // 2,), is_param=False) for n in ("long", "short")]
    return out


def parameter_count(a: Architecture) -> int:
    """Parameters a runtime loads: the text model's tensors plus any part not modelled here (vision tower)."""
    return sum(t.elements for t in gguf_tensors(a) if t.is_param and t.loaded) + a.extra_params


def checkpoint_parameter_count(a: Architecture) -> int:
    """Parameters in the published checkpoint: what runtimes load plus multi-token-prediction layers.

    An MTP layer is one more decoder layer (like the last one; or, for hybrids that name
    them, one block of each kind in `mtp_blocks`, as Nemotron 3's attention + MoE) plus a
    projection of the concatenated hidden states (2·hidden → hidden) and two norms;
    DeepSeek V3's and GLM-4.7's also carry their own copy of the embedding and output head.
    """
    if not a.mtp_layers:
        return parameter_count(a)
    tensors = gguf_tensors(a)
    if a.mtp_blocks:
        blocks = [_first_layer(a, kind) for kind in a.mtp_blocks]
    else:
        blocks = [a.layers - 1]
    layer = sum(t.elements for t in tensors if t.layer in blocks)
    per_mtp = layer + 2 * a.hidden * a.hidden + 3 * a.hidden
    if a.mtp_copies_embeddings:
        per_mtp += 2 * a.vocab * a.hidden
    return parameter_count(a) + a.mtp_layers * per_mtp


def _first_layer(a: Architecture, kind: str) -> int:
    """The first layer of `kind`; for MLP layers of an MoE model, the first routed one."""
    for i, k in enumerate(a.layer_kinds):
        if k == kind and (kind != MLP_ONLY or not a.is_moe or a.is_moe_layer(i)):
            return i
    raise ValueError(f"no {kind} layer")
