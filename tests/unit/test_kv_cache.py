"""KV cache bytes, exact, per attention kind; arithmetic spelled out in each test."""

from __future__ import annotations

from configs import DEEPSEEK_R1, LLAMA_31_8B
from vramtui.core.arch import FULL, LINEAR, SLIDING
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.kv import kv_cache
from vramtui.core.tensors import gguf_tensors


def test_llama_31_8b_f16_exact() -> None:
    a = architecture_from_config(LLAMA_31_8B)
    # 32 layers × (K 8×128 + V 8×128) × 2 bytes = 131,072 bytes per token
    assert kv_cache(a, 256).total == 256 * 131_072
    assert kv_cache(a, 2048).total == 268_435_456
    assert kv_cache(a, 131072).total == 17_179_869_184


def test_llama_cpp_rounds_the_context_up_to_256_cells() -> None:
    a = architecture_from_config(LLAMA_31_8B)
    # llama_context: n_ctx = GGML_PAD(n_ctx, 256), so 1 token takes 256 cells and 1,000 take 1,024
    assert kv_cache(a, 1).total == kv_cache(a, 256).total == 256 * 131_072
    assert kv_cache(a, 1000).cells == 1024 and kv_cache(a, 1000).context == 1000
    assert kv_cache(a, 2049).total == 2304 * 131_072


def test_kv_types_and_sequences() -> None:
    a = architecture_from_config(LLAMA_31_8B)
    # q8_0 stores 32 values in 34 bytes, q4_0 in 18 bytes; fp8 one byte each
    assert kv_cache(a, 2048, "q8_0").total == 268_435_456 * 34 // 64
    assert kv_cache(a, 2048, "q4_0").total == 268_435_456 * 18 // 64
    assert kv_cache(a, 2048, "fp8").total == 268_435_456 // 2
    assert kv_cache(a, 2048, "f16", sequences=4).total == 4 * 268_435_456


GEMMA_3_27B = dict(
    model_type="gemma3_text", hidden_size=5376, intermediate_size=21504, num_hidden_layers=62,
    num_attention_heads=32, num_key_value_heads=16, head_dim=128, vocab_size=262208,
    max_position_embeddings=131072, sliding_window=1024, sliding_window_pattern=6,
)


def test_gemma3_sliding_window_layers_hold_the_window_and_a_micro_batch() -> None:
    a = architecture_from_config(GEMMA_3_27B)
    # pattern 6: layers 5, 11, ..., 59 are global -> 10 full, 52 sliding (window 1024)
    assert a.count(FULL) == 10 and a.count(SLIDING) == 52
    per_token_layer = 2 * 16 * 128 * 2  # K+V, 16 KV heads × 128, f16 = 8,192 bytes
    ctx = 32768
    # llama_kv_cache_iswa: a sliding layer gets pad256(min(n_ctx, n_swa + n_ubatch)) = 1024 + 512 cells
    expected = per_token_layer * (10 * ctx + 52 * 1536)
    assert kv_cache(a, ctx).total == expected == 3_338_665_984
    assert kv_cache(a, ctx).window_cells == 1536
    # below window + micro-batch every layer holds the whole (padded) context
    assert kv_cache(a, 512).total == per_token_layer * 62 * 512
    assert kv_cache(a, 1280).total == per_token_layer * 62 * 1280


def test_gpt_oss_window_of_128_takes_768_cells() -> None:
    a = architecture_from_config(dict(
        model_type="gpt_oss", hidden_size=2880, intermediate_size=2880, num_hidden_layers=24,
        num_attention_heads=64, num_key_value_heads=8, head_dim=64, vocab_size=201088,
        max_position_embeddings=131072, sliding_window=128, num_local_experts=32, num_experts_per_tok=4,
        layer_types=["sliding_attention", "full_attention"] * 12,
    ))
    kv = kv_cache(a, 4096)
    # 128 + 512 = 640 -> 768 cells; 12 full layers hold 4,096; K+V = 2 × 8 × 64 × 2 B = 2,048 B per cell
    assert kv.window_cells == 768
    assert kv.total == (12 * 4096 + 12 * 768) * 2048
    # with 4 sequences each has its own stream of cells (kv_unified = false)
    assert kv_cache(a, 4096, sequences=4).total == 4 * kv.total




def test_mla_caches_one_latent_per_layer() -> None:
    a = architecture_from_config(DEEPSEEK_R1)
    # 61 layers × (512 latent + 64 rope) × 2 bytes = 70,272 bytes per token,
    # not the 61 × 2 × 128 heads × 192 × 2 = 5,996,544 of a naive MHA formula.
    assert kv_cache(a, 256).total == 70_272 * 256
    assert kv_cache(a, 8192).total == 70_272 * 8192


QWEN3_NEXT = dict(
    model_type="qwen3_next", hidden_size=2048, intermediate_size=5120, moe_intermediate_size=512,
    shared_expert_intermediate_size=512, num_experts=512, num_experts_per_tok=10,
    num_hidden_layers=48, num_attention_heads=16, num_key_value_heads=2, head_dim=256,
    vocab_size=151936, max_position_embeddings=262144, full_attention_interval=4,
    linear_num_key_heads=16, linear_num_value_heads=32, linear_key_head_dim=128,
    linear_value_head_dim=128, linear_conv_kernel_dim=4,
)


def test_hybrid_linear_attention_counts_only_full_layers_and_fixed_state() -> None:
    a = architecture_from_config(QWEN3_NEXT)
    assert a.count(FULL) == 12 and a.count(LINEAR) == 36
    # 12 full layers × (2 × 2 × 256) × 2 bytes = 24,576 bytes per token
    per_token = 12 * 2 * 2 * 256 * 2
    # each linear layer: conv state 3 × (2×16×128 + 32×128) + recurrent 32 × 128 × 128, in f32
    state = 36 * (3 * (2 * 16 * 128 + 32 * 128) + 32 * 128 * 128) * 4
    kv = kv_cache(a, 8192)
    assert kv.attention_bytes == per_token * 8192
    assert kv.state_bytes == state
    # the state does not grow with context
    assert kv_cache(a, 65536).state_bytes == state


# ------------------------------------------------ architectures of 2025-2026, from their catalog configs
# Each: the config's keys, the layers that keep a cache, the elements per token, then exact bytes
# over llama.cpp's cells (contexts rounded up to 256; a sliding layer keeps window + 512, rounded up).


def kv_of(catalog, model_id, context, kv_type="f16", sequences=1):
    return kv_cache(catalog.models[model_id].architecture, context, kv_type, sequences)


def test_gemma4_global_layers_are_wider_and_share_kv_heads(catalog) -> None:
    # gemma-4-31B: 60 layers, layer_types 5 sliding then 1 full -> 10 full, 50 sliding (window 1024).
    # Sliding: 16 KV heads × head_dim 256, K and V -> 8,192 elements. Full: attention_k_eq_v, so
    # num_global_key_value_heads 4 × global_head_dim 512; V (from K's projection, normed, unroped) is
    # still cached -> 2 × 4 × 512 = 4,096 elements. Sliding cells: 1024 + 512 = 1,536.
    kv = kv_of(catalog, "gemma-4-31b-it", 32768)
    assert (kv.full_layers, kv.width, kv.sliding_layers, kv.sliding_width) == (10, 4096, 50, 8192)
    assert kv.total == (10 * 4096 * 32768 + 50 * 8192 * 1536) * 2 == 3_942_645_760
    # the global layers have no v_proj: k only
    names = {t.name for t in gguf_tensors(catalog.models["gemma-4-31b-it"].architecture) if t.layer == 5}
    assert "blk.5.attn_k.weight" in names and "blk.5.attn_v.weight" not in names


def test_gemma4_kv_sharing_layers_keep_no_cache(catalog) -> None:
    # gemma-4-E2B: 35 layers, num_kv_shared_layers 20 -> only layers 0-14 cache: full at 4, 9, 14.
    # Sliding 1 KV head × 256 × 2 = 512; full (global_head_dim 512, no k_eq_v) 1 × 512 × 2 = 1,024.
    # Sliding cells: window 512 + 512 = 1,024.
    kv = kv_of(catalog, "gemma-4-e2b-it", 8192)
    assert (kv.full_layers, kv.sliding_layers, kv.shared_layers) == (3, 12, 20)
    assert kv.total == (3 * 1024 * 8192 + 12 * 512 * 1024) * 2 == 62_914_560
    # per cell, the layers spelled out: 3 × 1,024 + 12 × 512 elements, f16 (256 cells for one token)
    assert kv_of(catalog, "gemma-4-e2b-it", 1).total == 256 * (3 * 1024 + 12 * 512) * 2 == 4_718_592


def test_gemma3n_per_layer_embeddings_and_kv_sharing(catalog) -> None:
    # gemma-3n-E4B: 35 layers, num_kv_shared_layers 15 -> layers 0-19 cache: every 5th full -> 4 full,
    # 16 sliding (window 512 -> 1,024 cells); 2 KV heads × 256 × 2 = 1,024 elements each.
    kv = kv_of(catalog, "gemma-3n-e4b-it", 8192)
    assert (kv.full_layers, kv.sliding_layers, kv.shared_layers) == (4, 16, 15)
    assert kv.total == (4 * 8192 + 16 * 1024) * 1024 * 2 == 100_663_296
    a = catalog.models["gemma-3n-e4b-it"].architecture
    table = next(t for t in gguf_tensors(a) if t.name == "per_layer_token_embd.weight")
    assert table.shape == (35 * 256, 262144)  # hidden_size_per_layer_input × layers, per-layer vocab


def test_dsa_indexer_caches_one_key_per_token_beside_the_mla_latent(catalog) -> None:
    # DeepSeek V3.2: 61 layers of MLA (512 + 64) and an index key of index_head_dim 128 in each
    # (llama.cpp's DSA cache: K only) -> 61 × (576 + 128) × 2 B = 85,888 bytes per token.
    kv = kv_of(catalog, "deepseek-v3.2", 256)
    assert (kv.width, kv.indexer_layers, kv.indexer_width) == (576, 61, 128)
    assert kv.total == 256 * 61 * (576 + 128) * 2 == 256 * 85_888
    # GLM-5.2: indexer_types "full" on 21 of its 78 layers ("shared" layers reuse the top-k, no key)
    kv = kv_of(catalog, "glm-5.2", 256)
    assert (kv.full_layers, kv.indexer_layers) == (78, 21)
    assert kv.total == 256 * (78 * 576 + 21 * 128) * 2 == 256 * 95_232


def test_minimax_m3_block_index_cache(catalog) -> None:
    # MiniMax M3: 60 GQA layers of 4 KV heads × 128 (K+V 1,024); sparse_attention_freq marks 57 layers,
    # each with one index head of sparse_index_dim 128, kept by llama.cpp's MSA cache as K + V (256).
    kv = kv_of(catalog, "minimax-m3", 256)
    assert (kv.full_layers, kv.width, kv.indexer_layers, kv.indexer_width) == (60, 1024, 57, 256)
    assert kv.total == 256 * (60 * 1024 + 57 * 256) * 2 == 256 * 152_064


def test_mimo_v2_global_and_sliding_layers_have_their_own_geometry(catalog) -> None:
    # MiMo-V2-Flash: hybrid_layer_pattern 0 = global (9 layers: 4 KV heads), 1 = sliding (39 layers:
    # swa_num_key_value_heads 8, window 128 + 512 -> 768 cells); K heads 192 wide, V heads 128 (v_head_dim).
    kv = kv_of(catalog, "mimo-v2-flash", 65536)
    assert (kv.full_layers, kv.width, kv.sliding_layers, kv.sliding_width) == (9, 4 * 320, 39, 8 * 320)
    assert kv.total == (9 * 1280 * 65536 + 39 * 2560 * 768) * 2 == 1_663_303_680


def test_nemotron_h_moe_caches_only_attention_layers(catalog) -> None:
    # Nemotron 3 Nano 30B-A3B: hybrid_override_pattern has 6 '*' (attention), 23 'M' (Mamba 2), 23 'E'.
    # Attention: 2 KV heads × 128 × 2 = 512 elements. Mamba 2 state per layer (F32): conv
    # (4 - 1) × (64 heads × 64 + 2 × 8 groups × 128) + 64 × 64 × 128.
    kv = kv_of(catalog, "nemotron-3-nano-30b-a3b", 8192)
    assert (kv.full_layers, kv.state_layers) == (6, 23)
    assert kv.attention_bytes == 6 * 512 * 8192 * 2
    assert kv.state_bytes == 23 * (3 * (4096 + 2048) + 4096 * 128) * 4 == 49_930_240


def test_falcon_h1_every_layer_has_attention_and_mamba(catalog) -> None:
    # Falcon-H1 0.5B: 36 layers, each attention (2 KV heads × 64) and Mamba 2 (24 heads × 64 = 1,536,
    # 1 group, state 128, conv 4) side by side.
    kv = kv_of(catalog, "falcon-h1-0.5b-instruct", 4096)
    assert (kv.full_layers, kv.state_layers) == (36, 36)
    assert kv.attention_bytes == 36 * (2 * 2 * 64) * 4096 * 2
    assert kv.state_bytes == 36 * (3 * (1536 + 2 * 128) + 1536 * 128) * 4 == 29_085_696


def test_decilm_no_op_attention_layers_keep_no_cache(catalog) -> None:
    # Llama-3.3-Nemotron-Super-49B: block_configs mark 31 of 80 layers attention.no_op; the other 49
    # have 64 / n_heads_in_group 8 = 8 KV heads × 128 -> 49 × 2 × 8 × 128 × 2 B = 200,704 per cell.
    kv = kv_of(catalog, "llama-3.3-nemotron-super-49b-v1", 256)
    assert kv.full_layers == 49 and kv.total == 256 * 200_704


def test_kimi_linear_caches_only_its_mla_layers(catalog) -> None:
    # Kimi Linear 48B: linear_attn_config.full_attn_layers lists 7 MLA layers (512 + 64 = 576 each);
    # its 20 kda_layers keep a fixed state: q, k, v convolutions 3 × (4 - 1) × 32 heads × 128, and
    # 32 heads × 128 × 128 (F32). Counting all 27 layers as MLA would be 27/7 = 3.9× too much.
    kv = kv_of(catalog, "kimi-linear-48b-a3b-instruct", 131072)
    assert kv.full_layers == 7 and kv.attention_bytes == 7 * 576 * 131072 * 2 == 1_056_964_608
    assert kv.state_bytes == 20 * (3 * 3 * 4096 + 32 * 128 * 128) * 4 == 44_892_160


def test_afmoe_global_every_fourth_layer(catalog) -> None:
    # Trinity Nano (AFMoE): global_attn_every_n_layers 4 -> 14 global, 42 sliding (window 2048 ->
    # 2,560 cells); 2 KV heads × 128 × 2 = 512 elements.
    kv = kv_of(catalog, "trinity-nano-preview", 32768)
    assert (kv.full_layers, kv.sliding_layers) == (14, 42)
    assert kv.total == (14 * 32768 + 42 * 2560) * 512 * 2 == 579_862_528


def test_hunyuan_per_layer_lists_and_gqa(catalog) -> None:
    # Hunyuan-A13B: moe_topk / num_shared_expert / moe_intermediate_size are per-layer lists (8 / 1 / 3072
    # on every layer); attention 32 layers × 8 KV heads × attention_head_dim 128 -> 131,072 B per cell.
    a = catalog.models["hunyuan-a13b-instruct"].architecture
    assert a.moe is not None and (a.moe.active, a.moe.expert_ff, a.moe.shared_ff) == (8, 3072, 3072)
    assert kv_cache(a, 256).total == 256 * 32 * 2 * 8 * 128 * 2 == 256 * 131_072


def test_glm_4_7_caches_its_mtp_layer_and_4_7_flash_is_mla(catalog) -> None:
    # GLM-4.7 (glm4moe): 92 layers + the NextN layer llama.cpp keeps in the GGUF and gives a cache,
    # 8 KV heads × 128 -> 93 × 2 × 8 × 128 × 2 B = 380,928 per cell.
    kv = kv_of(catalog, "glm-4.7", 256)
    assert kv.full_layers == 93 and kv.total == 256 * 93 * 2 * 8 * 128 * 2 == 256 * 380_928
    # GLM-4.7-Flash (glm4_moe_lite): MLA, kv_lora_rank 512 + qk_rope_head_dim 64, 47 layers; its
    # converter drops the MTP layer as DeepSeek's does -> 47 × 576 × 2 B = 54,144 per cell.
    kv = kv_of(catalog, "glm-4.7-flash", 256)
    assert (kv.full_layers, kv.width) == (47, 576) and kv.total == 256 * 47 * 576 * 2 == 256 * 54_144


def test_qwen3_coder_next_and_apertus(catalog) -> None:
    # Qwen3-Coder-Next: Qwen3-Next's layout (full_attention_interval 4: 12 of 48 layers, 2 KV heads × 256)
    # and its fixed delta-net state; the checkpoint has no MTP layer (mtp_layers = 0 on the entry).
    a = catalog.models["qwen3-coder-next"].architecture
    kv = kv_cache(a, 256)
    assert a.mtp_layers == 0 and kv.total - kv.state_bytes == 256 * 12 * 2 * 2 * 256 * 2
    assert kv.state_bytes == 36 * (3 * (2 * 16 * 128 + 32 * 128) + 32 * 128 * 128) * 4
    # Apertus 8B: plain GQA, 32 layers × 8 KV heads × 128 -> 131,072 B per cell (its MLP is ungated)
    assert kv_of(catalog, "apertus-8b-instruct-2509", 256).total == 256 * 32 * 2 * 8 * 128 * 2
