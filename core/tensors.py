"""The tensors of a GGUF file for an architecture, named as llama.cpp names them.

Shapes are in GGML order: ne0 (the row length, i.e. the input dimension of a
linear layer) first. Parameter counts and GGUF sizes are both sums over this list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vramtui.core.arch import CONV, FULL, LINEAR, MAMBA, MLP_ONLY, SLIDING, Architecture


@dataclass(frozen=True)
class Tensor:
    name: str
    shape: tuple[int, ...]
    layer: int | None = None
    # False for tensors that exist only in GGUF files (rope_freqs), not in the model's weights.
    is_param: bool = True

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    @property
    def dims(self) -> int:
        return sum(1 for d in self.shape if d > 1) or 1


def _attention(a: Architecture, i: int) -> list[Tensor]:
    p = f"blk.{i}."
    h, hd = a.hidden, a.head_dim
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
        return out
    q_out = a.heads * hd * (2 if a.gated_attention else 1)
    kv_out = a.kv_heads * hd
    out += [
        Tensor(p + "attn_q.weight", (h, q_out), i),
        Tensor(p + "attn_k.weight", (h, kv_out), i),
        Tensor(p + "attn_v.weight", (h, kv_out), i),
        Tensor(p + "attn_output.weight", (a.heads * hd, h), i),
    ]
    if a.qkv_bias:
        out += [
            Tensor(p + "attn_q.bias", (q_out,), i),
            Tensor(p + "attn_k.bias", (kv_out,), i),
            Tensor(p + "attn_v.bias", (kv_out,), i),
        ]
    if a.output_bias:
        out.append(Tensor(p + "attn_output.bias", (h,), i))
    if a.qk_norm:
        out += [
            Tensor(p + "attn_q_norm.weight", (hd,), i),
            Tensor(p + "attn_k_norm.weight", (hd,), i),
        ]
    if a.attn_sinks:
        out.append(Tensor(p + "attn_sinks.weight", (a.heads,), i))
    return out


def _linear_attention(a: Architecture, i: int) -> list[Tensor]:
    la = a.linear
    assert la is not None
    p = f"blk.{i}."
    qk = la.key_heads * la.key_head_dim
    v = la.value_heads * la.value_head_dim
    conv_dim = 2 * qk + v
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
        Tensor(p + "ssm_norm.weight", (m.d_inner,), i),
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
        ff = a.ff_of_dense_layer() if a.is_moe else a.intermediate
        if ff == 0:
            return []
        out = [Tensor(p + "ffn_up.weight", (h, ff), i), Tensor(p + "ffn_down.weight", (ff, h), i)]
        if a.ffn_gated:
            out.insert(0, Tensor(p + "ffn_gate.weight", (h, ff), i))
        return out
    moe = a.moe
    assert moe is not None
    e, ff = moe.experts, moe.expert_ff
    out = [
        Tensor(p + "ffn_gate_inp.weight", (h, e), i),
        Tensor(p + "ffn_gate_exps.weight", (h, ff, e), i),
        Tensor(p + "ffn_up_exps.weight", (h, ff, e), i),
        Tensor(p + "ffn_down_exps.weight", (ff, h, e), i),
    ]
    if moe.router_bias:
        out.append(Tensor(p + "exp_probs_b.bias", (e,), i))
    if moe.shared_ff:
        s = moe.shared_ff
        out += [
            Tensor(p + "ffn_gate_shexp.weight", (h, s), i),
            Tensor(p + "ffn_up_shexp.weight", (h, s), i),
            Tensor(p + "ffn_down_shexp.weight", (s, h), i),
        ]
    return out


_MIXERS = {
    FULL: _attention,
    SLIDING: _attention,
    LINEAR: _linear_attention,
    MAMBA: _mamba,
    CONV: _short_conv,
}


def gguf_tensors(a: Architecture) -> list[Tensor]:
    """Every tensor of the text model, in llama.cpp's order (globals, then layer by layer)."""
    h = a.hidden
    out = [Tensor("token_embd.weight", (h, a.vocab))]
    for i, kind in enumerate(a.layer_kinds):
        p = f"blk.{i}."
        out.append(Tensor(p + "attn_norm.weight", (h,), i))
        mixer = _MIXERS.get(kind)
        if mixer is not None:
            out += mixer(a, i)
        if a.post_norms:
            out.append(Tensor(p + "post_attention_norm.weight", (h,), i))
        ffn = _ffn(a, i)
        if ffn:
            out.append(Tensor(p + "ffn_norm.weight", (h,), i))
            out += ffn
            if a.post_norms:
                out.append(Tensor(p + "post_ffw_norm.weight", (h,), i))
    out.append(Tensor("output_norm.weight", (h,)))
    if not a.tied_embeddings:
        out.append(Tensor("output.weight", (h, a.vocab)))
    if a.rope_freqs:
        out.append(Tensor("rope_freqs.weight", (a.head_dim // 2,), is_param=False))
    return out


def parameter_count(a: Architecture) -> int:
    """Parameters a runtime loads: the text model's tensors plus any part not modelled here (vision tower)."""
    return sum(t.elements for t in gguf_tensors(a) if t.is_param) + a.extra_params


def checkpoint_parameter_count(a: Architecture) -> int:
    """Parameters in the published checkpoint: what runtimes load plus multi-token-prediction layers.

    An MTP layer is one more decoder layer (like the last one) plus a projection of
    the concatenated hidden states (2·hidden → hidden) and two norms; DeepSeek V3's
    also carries its own copy of the embedding and output head.
    """
    if not a.mtp_layers:
        return parameter_count(a)
    last = a.layers - 1
    layer = sum(t.elements for t in gguf_tensors(a) if t.layer == last)
    per_mtp = layer + 2 * a.hidden * a.hidden + 3 * a.hidden
    if a.mtp_copies_embeddings:
        per_mtp += 2 * a.vocab * a.hidden
    return parameter_count(a) + a.mtp_layers * per_mtp
