"""KV cache bytes, exact, per attention kind; arithmetic spelled out in each test."""

from __future__ import annotations

from configs import DEEPSEEK_R1, LLAMA_31_8B
from vramtui.core.arch import FULL, LINEAR, SLIDING
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.kv import kv_cache


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
