"""llama.cpp's per-tensor type choices, checked against the mixes GGUF-MIX.md lists for Llama-3.1-8B."""

from __future__ import annotations

from collections import Counter

import pytest
from configs import LLAMA_31_8B as LLAMA_31_8B_CONFIG
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.kv import kv_cache
from vramtui.core.quant_mix import Recipe, tensor_types, use_more_bits
from vramtui.core.quantization import weights

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


def _catalog_types(catalog, model_id: str, quant: str) -> dict[str, str]:
    model = catalog.models[model_id]
    q = model.quantization(catalog.quants[quant].to_core())
    assert q.recipe is not None
    return {t.name: ty for t, ty in tensor_types(model.architecture, q.recipe)}


@pytest.mark.parametrize("quant", ["F16", "Q8_0", "Q4_K_M", "Q2_K"])
def test_gpt_oss_experts_stay_mxfp4_whatever_the_recipe(catalog, quant) -> None:
    # The checkpoint ships its experts in MXFP4; llama.cpp's converter writes them as such and
    # llama-quantize will not re-quantize them (published F16/Q8_0/Q4_K_M files are all ~61-65 GB for 120b).
    t = _catalog_types(catalog, "gpt-oss-120b", quant)
    experts = {ty for name, ty in t.items() if "_exps.weight" in name}
    assert experts == {"MXFP4"}
    # the rest follows the recipe; 2880-wide rows cannot take 256-blocks (Q4_K -> Q5_0, output -> Q8_0)
    if quant == "Q4_K_M":
        assert t["blk.0.attn_q.weight"] == "Q5_0" and t["output.weight"] == "Q8_0"
        assert t["blk.0.attn_output.weight"] == "Q4_K"  # 64 heads × 64 = 4096 divides
    assert t["blk.0.ffn_gate_exps.bias"] == "F32"


def test_gpt_oss_recommends_its_native_mxfp4_file(catalog) -> None:
    from vramtui.answers import Resolved, Selection, answer

    ans = answer(Resolved(catalog), Selection("gpt-oss-120b", "Q4_K_M"))
    assert ans.recommended == "MXFP4_MOE"
    row = next(r for r in ans.quants if r.entry.name == "MXFP4_MOE")
    assert 63e9 < row.memory.download_bytes < 63.5e9  # ggml-org's file: 63,387,346,208 B
    assert answer(Resolved(catalog), Selection("llama-3.1-8b-instruct")).recommended == "Q4_K_M"


def test_glm_nextn_layer_is_in_the_file_but_not_loaded(catalog) -> None:
    model = catalog.models["glm-4.5-air"]
    a = model.architecture
    t = _catalog_types(catalog, "glm-4.5-air", "Q4_K_M")
    # 46 trunk layers + the NextN block 46, with its projection, own embedding and head
    assert "blk.46.nextn.eh_proj.weight" in t and "blk.46.ffn_down_exps.weight" in t
    assert t["blk.46.nextn.embed_tokens.weight"] == "Q4_K"  # category OTHER: the default type
    # use_more_bits counts 47 layers: 46 >= 7·47/8, so the NextN experts' ffn_down get Q6_K
    # (Q8_0 after the fallback: 1,408-long rows are not whole 256-blocks); layer 20 does not (Q4_K -> Q5_0)
    assert t["blk.46.ffn_down_exps.weight"] == "Q8_0" and t["blk.20.ffn_down_exps.weight"] == "Q5_0"
    w = weights(a, model.quantization(catalog.quants["Q4_K_M"].to_core()))
    assert 0.03 < w.unloaded_bytes / w.total < 0.04 and w.loaded == w.total - w.unloaded_bytes
    # ... and llama.cpp still gives the NextN layer a KV cache: 47 layers of 8 KV heads × 128
    assert kv_cache(a, 4096).total == 47 * 4096 * 2 * 8 * 128 * 2


def test_phi3_fuses_qkv_and_files_follow_the_quantizer_of_their_time(catalog) -> None:
    a = catalog.models["phi-4"].architecture
    names = {t.name for t, _ in tensor_types(a, Recipe("Q8_0"))}
    assert "blk.0.attn_qkv.weight" in names and "blk.0.attn_v.weight" not in names
    assert "blk.0.ffn_gate.weight" not in names  # gate and up are one ffn_up of twice the width
    # Current llama.cpp routes attn_qkv through the attn_v rules (Q6_K on use_more_bits layers) ...
    now = {t.name: ty for t, ty in tensor_types(a, Recipe("Q4_K_M"))}
    assert Counter(ty for n, ty in now.items() if "attn_qkv" in n) == Counter({"Q6_K": 20, "Q4_K": 20})
    # ... Phi-4 (January 2025) files were made by the older rule: Q5_K in every layer under Q4_K_M.
    then = _catalog_types(catalog, "phi-4", "Q4_K_M")
    assert {ty for n, ty in then.items() if "attn_qkv" in n} == {"Q5_K"}
    assert {ty for n, ty in _catalog_types(catalog, "phi-4", "Q2_K").items() if "attn_qkv" in n} == {"Q2_K"}


def test_iq2_counts_every_ffn_down_tensor_of_an_moe_with_shared_experts(catalog) -> None:
    # In the IQ1/IQ2 branch the first eighth is counted over ffn_down tensors (routed + shared),
    # not layers: Qwen3-Next has 48 layers × 2 ffn_down tensors, so only the first 6 tensors
    # (layers 0-2) get Q2_K, not layers 0-5.
    t = _catalog_types(catalog, "qwen3-next-80b-a3b-instruct", "IQ2_XXS")
    low = sorted(n for n, ty in t.items() if "ffn_down" in n and ty == "Q2_K")
    assert low == [f"blk.{i}.ffn_down_{k}.weight" for i in range(3) for k in ("exps", "shexp")]
