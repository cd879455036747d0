"""llama.cpp's per-tensor type choices, checked against the mixes GGUF-MIX.md lists for Llama-3.1-8B."""

from __future__ import annotations

from collections import Counter

import pytest
from configs import LLAMA_31_8B as LLAMA_31_8B_CONFIG
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.quant_mix import Recipe, tensor_types, use_more_bits

LLAMA_31_8B = architecture_from_config(LLAMA_31_8B_CONFIG)


def types_of(ftype: str, imatrix: bool = True, **overrides: str) -> dict[str, str]:
    return {t.name: ty for t, ty in tensor_types(LLAMA_31_8B, Recipe(ftype, imatrix, **overrides))}


def by_role(types: dict[str, str], role: str) -> Counter:
    return Counter(ty for name, ty in types.items() if name.endswith(f".{role}.weight"))


def test_use_more_bits_selects_16_of_32_layers() -> None:
    chosen = [i for i in range(32) if use_more_bits(i, 32)]
    assert chosen == [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]
    assert sum(use_more_bits(i, 80) for i in range(80)) == 40


def test_q4_k_m_mix() -> None:
    t = types_of("Q4_K_M")
    assert t["output.weight"] == "Q6_K" and t["token_embd.weight"] == "Q4_K"
    assert by_role(t, "attn_v") == Counter({"Q6_K": 16, "Q4_K": 16})
    assert by_role(t, "ffn_down") == Counter({"Q6_K": 16, "Q4_K": 16})
    assert by_role(t, "attn_q") == Counter({"Q4_K": 32})
    assert t["blk.0.attn_norm.weight"] == "F32" and t["rope_freqs.weight"] == "F32"


def test_q3_k_m_and_q2_k_mixes() -> None:
    t = types_of("Q3_K_M")
    assert [t[f"blk.{i}.attn_v.weight"] for i in (0, 1, 2)] == ["Q5_K", "Q5_K", "Q4_K"]
    assert [t[f"blk.{i}.ffn_down.weight"] for i in (0, 1, 2)] == ["Q5_K", "Q5_K", "Q4_K"]
    assert by_role(t, "attn_output") == Counter({"Q4_K": 32}) and t["output.weight"] == "Q6_K"
    t = types_of("Q2_K")
    assert by_role(t, "attn_v") == Counter({"Q4_K": 32})  # n_gqa = 4
    assert by_role(t, "ffn_down") == Counter({"Q3_K": 32})
    assert by_role(t, "attn_output") == Counter({"Q3_K": 32})


def test_iq_mixes() -> None:
    t = types_of("IQ2_M")
    assert t["token_embd.weight"] == "IQ3_S" and t["output.weight"] == "Q5_K"
    assert by_role(t, "attn_v") == Counter({"Q4_K": 32})
    assert by_role(t, "ffn_down") == Counter({"IQ3_S": 4, "IQ2_S": 28})
    t = types_of("IQ3_XS")
    assert by_role(t, "ffn_gate") == Counter({"IQ3_XXS": 24, "IQ3_S": 8})
    assert by_role(t, "attn_q") == Counter({"IQ3_XXS": 32})


def test_imatrix_changes_q4_0_and_iq4_xs() -> None:
    assert by_role(types_of("Q4_0", imatrix=True), "ffn_down") == Counter({"Q4_1": 4, "Q4_0": 28})
    assert by_role(types_of("Q4_0", imatrix=False), "ffn_down") == Counter({"Q4_0": 32})
    assert by_role(types_of("IQ4_XS", imatrix=False), "ffn_down") == Counter({"Q5_K": 4, "IQ4_XS": 28})


def test_l_variants_override_embeddings_and_output() -> None:
    t = types_of("Q4_K_M", token_embd_type="Q8_0", output_type="Q8_0")
    assert t["token_embd.weight"] == t["output.weight"] == "Q8_0"


@pytest.mark.parametrize("ftype", ["F16", "BF16"])
def test_full_precision_has_no_mix(ftype: str) -> None:
    t = types_of(ftype)
    assert set(t.values()) == {ftype, "F32"}


def test_rows_not_divisible_by_256_fall_back() -> None:
    # Qwen2.5-0.5B-like: hidden 896 = 3.5 blocks of 256, so K-quants fall back per llama.cpp.
    a = architecture_from_config(dict(
        model_type="qwen2", hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
        num_attention_heads=14, num_key_value_heads=2, vocab_size=151936,
        max_position_embeddings=32768, tie_word_embeddings=True,
    ))
    t = {x.name: ty for x, ty in tensor_types(a, Recipe("Q4_K_M"))}
    assert t["blk.5.attn_q.weight"] == "Q5_0"  # Q4_K -> Q5_0
    assert t["token_embd.weight"] == "Q8_0"  # tied output: row not divisible -> Q8_0
    assert t["blk.0.ffn_down.weight"] == "Q6_K"  # 4864 = 19 blocks: no fallback
    assert t["blk.0.attn_v.weight"] == "Q8_0"  # Q6_K on an 896-long row -> Q8_0


def test_mixtral_eight_experts_bump_attention() -> None:
    a = architecture_from_config(dict(
        model_type="mixtral", hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
        num_attention_heads=32, num_key_value_heads=8, vocab_size=32000,
        max_position_embeddings=32768, num_local_experts=8, num_experts_per_tok=2,
    ))
    t = {x.name: ty for x, ty in tensor_types(a, Recipe("Q4_K_M"))}
    assert t["blk.3.attn_v.weight"] == "Q8_0" and t["blk.3.attn_k.weight"] == "Q8_0"
    assert t["blk.3.attn_output.weight"] == "Q5_K"
    assert t["blk.0.ffn_down_exps.weight"] == "Q6_K" and t["blk.4.ffn_down_exps.weight"] == "Q4_K"
    assert t["blk.0.ffn_gate_inp.weight"] == "F32"
