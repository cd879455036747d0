"""Reading the config keys of 2025-2026 architectures: what they mean, and the configs vramtui refuses
(a per-layer value it does not model) with the field named, never a guess."""

from __future__ import annotations

import pytest
from vramtui.core.arch import FULL, LINEAR, MLP_ONLY
from vramtui.core.errors import ConfigError
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.tensors import gguf_tensors

HUNYUAN = dict(
    model_type="hunyuan", hidden_size=256, intermediate_size=128, num_hidden_layers=4, num_attention_heads=4,
    num_key_value_heads=2, attention_head_dim=64, vocab_size=1000, max_position_embeddings=4096,
    num_experts=8, moe_topk=[2, 2, 2, 2], num_shared_expert=[1, 1, 1, 1], moe_intermediate_size=[64] * 4,
    use_mixed_mlp_moe=True, use_qk_norm=True, tie_word_embeddings=True,
)


def block(ffn_mult=None, group=8, attn_no_op=False, ffn_no_op=False):
    attn = {"no_op": True} if attn_no_op else {"n_heads_in_group": group, "no_op": False}
    ffn = {"no_op": True} if ffn_no_op else {"ffn_mult": ffn_mult, "no_op": False}
    return {"attention": attn, "ffn": ffn}


DECI = dict(
    model_type="nemotron-nas", hidden_size=1024, num_hidden_layers=3, num_attention_heads=16, vocab_size=1000,
    max_position_embeddings=4096, block_configs=[block(2.625), block(1.3, attn_no_op=True),
                                                 block(attn_no_op=True, ffn_no_op=True)],
)


def test_per_layer_lists_that_hold_one_value_are_read() -> None:
    a = architecture_from_config(HUNYUAN)
    assert a.moe is not None and (a.moe.active, a.moe.expert_ff, a.moe.shared_ff) == (2, 64, 128)
    assert a.qk_norm and a.head_dim == 64


def test_per_layer_lists_that_vary_are_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="moe_topk varies from layer to layer"):
        architecture_from_config(dict(HUNYUAN, moe_topk=[2, 2, 4, 2]))
    with pytest.raises(ConfigError, match="moe_layer_freq must list all 4 layers"):
        architecture_from_config(dict(HUNYUAN, moe_layer_freq=[0, 1, 1]))


def test_decilm_blocks_give_each_layer_its_ffn_and_attention() -> None:
    a = architecture_from_config(DECI)
    # int(2 × 2.625 × 1024 / 3) = 1792 -> multiple of 256: 1792; int(2 × 1.3 × 1024 / 3) = 887 -> 1024
    assert a.layer_ff == (1792, 1024, 0)
    assert a.layer_kinds == (FULL, MLP_ONLY, MLP_ONLY) and a.kv_heads == 16 // 8
    # the empty third layer holds nothing; the second has no attention and no attention norm
    assert not [t for t in gguf_tensors(a) if t.layer == 2]
    assert {t.name for t in gguf_tensors(a) if t.layer == 1} == {
        "blk.1.ffn_norm.weight", "blk.1.ffn_gate.weight", "blk.1.ffn_up.weight", "blk.1.ffn_down.weight"}


@pytest.mark.parametrize("blocks,message", [
    ([block(2.0), block(2.0, group=4), block(2.0)], "varies KV heads"),
    ([block(2.0), {"attention": {"replace_with_linear": True}, "ffn": {"ffn_mult": 1.0}}, block(2.0)],
     "replaces attention by a linear layer"),
    ([block(2.0), block(2.0)], "one object per layer"),
    ([block(2.0), block(2.0), block(-1.0)], "ffn_mult that must be between 0 and 1024, not -1.0"),
    ([block(2.0), block(2.0), {"attention": {"no_op": True}, "ffn": {"no_op": False}}], "positive ffn_mult"),
])
def test_decilm_blocks_vramtui_cannot_model_are_refused(blocks, message) -> None:
    with pytest.raises(ConfigError, match=message):
        architecture_from_config(dict(DECI, block_configs=blocks))


def test_nemotron_h_moe_latent_experts_are_up_and_down_only() -> None:
    cfg = dict(
        model_type="nemotron_h", hidden_size=512, num_hidden_layers=3, hybrid_override_pattern="M*E",
        num_attention_heads=4, num_key_value_heads=2, head_dim=128, vocab_size=1000, max_position_embeddings=4096,
        intermediate_size=256, moe_intermediate_size=64, n_routed_experts=8, num_experts_per_tok=2,
        moe_shared_expert_intermediate_size=96, moe_latent_size=128, mamba_num_heads=8, mamba_head_dim=64,
        ssm_state_size=16, n_groups=1, conv_kernel=4, mtp_hybrid_override_pattern="*E", num_nextn_predict_layers=1,
    )
    a = architecture_from_config(cfg)
    assert a.moe_layers == (False, False, True) and a.mtp_blocks == (FULL, MLP_ONLY)
    moe = {t.name.split(".", 2)[2]: t.shape for t in gguf_tensors(a) if t.layer == 2}
    # routed experts in the 128-wide latent (up + down, relu², no gate); shared expert at full width
    assert moe["ffn_up_exps.weight"] == (128, 64, 8) and "ffn_gate_exps.weight" not in moe
    assert moe["ffn_latent_down.weight"] == (512, 128) and moe["ffn_up_shexp.weight"] == (512, 96)
    assert "ffn_norm.weight" not in moe and "attn_norm.weight" in moe  # one norm per Nemotron-H layer


def test_kimi_linear_layers_come_from_its_linear_attn_config() -> None:
    cfg = dict(
        model_type="kimi_linear", hidden_size=256, num_hidden_layers=4, num_attention_heads=4, vocab_size=1000,
        model_max_length=8192, intermediate_size=512, kv_lora_rank=64, qk_rope_head_dim=16, qk_nope_head_dim=32,
        v_head_dim=32, linear_attn_config={"kda_layers": [1, 2, 3], "full_attn_layers": [4], "num_heads": 4,
                                           "head_dim": 32, "short_conv_kernel_size": 4},
    )
    a = architecture_from_config(cfg)
    assert a.layer_kinds == (LINEAR, LINEAR, LINEAR, FULL) and a.linear is not None and a.linear.kind == "kda"
    with pytest.raises(ConfigError, match="linear_attn_config does not assign each layer"):
        architecture_from_config(dict(cfg, linear_attn_config=dict(cfg["linear_attn_config"], kda_layers=[1, 2])))


def test_kv_sharing_must_leave_a_layer_with_its_own_cache() -> None:
    cfg = dict(model_type="gemma3n_text", hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
               head_dim=32, vocab_size=100, max_position_embeddings=512, intermediate_size=[128, 128],
               num_kv_shared_layers=2, layer_types=["sliding_attention", "full_attention"], sliding_window=16)
    with pytest.raises(ConfigError, match="num_kv_shared_layers must be between 0 and 1, not 2"):
        architecture_from_config(cfg)
    a = architecture_from_config(dict(cfg, num_kv_shared_layers=1, hidden_size_per_layer_input=8,
                                      vocab_size_per_layer_input=50, altup_num_inputs=4, laurel_rank=4))
    shapes = {t.name: t.shape for t in gguf_tensors(a)}
    assert shapes["per_layer_token_embd.weight"] == (2 * 8, 50) and shapes["altup_proj.weight"] == (64, 64, 3)
    assert shapes["blk.0.inp_gate.weight"] == (64, 8) and shapes["blk.0.proj.weight"] == (8, 64)
    assert shapes["blk.0.altup_predict_coef.weight"] == (4, 16) and shapes["blk.0.laurel_l.weight"] == (64, 4)
    assert a.kv_shared_layers == 1 and not a.has_cache(1)


def test_the_architecture_hash_is_computed_once() -> None:
    a = architecture_from_config(DECI)
    h = hash(a)
    assert a.__dict__["_hash"] == h and hash(a) == h
