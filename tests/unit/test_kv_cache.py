"""KV cache bytes, exact, per attention kind; arithmetic spelled out in each test."""

from __future__ import annotations

from configs import DEEPSEEK_R1, LLAMA_31_8B
from vramtui.core.arch import FULL, LINEAR, SLIDING
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.kv import kv_cache


def test_llama_31_8b_f16_exact() -> None:
    a = architecture_from_config(LLAMA_31_8B)
    # 32 layers × (K 8×128 + V 8×128) × 2 bytes = 131,072 bytes per token
    assert kv_cache(a, 1).total == 131_072
    assert kv_cache(a, 2048).total == 268_435_456
    assert kv_cache(a, 131072).total == 17_179_869_184


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


def test_gemma3_sliding_window_layers_hold_only_the_window() -> None:
    a = architecture_from_config(GEMMA_3_27B)
    # pattern 6: layers 5, 11, ..., 59 are global -> 10 full, 52 sliding (window 1024)
    assert a.count(FULL) == 10 and a.count(SLIDING) == 52
    per_token_layer = 2 * 16 * 128 * 2  # K+V, 16 KV heads × 128, f16 = 8,192 bytes
    ctx = 32768
    expected = per_token_layer * (10 * ctx + 52 * 1024)
    assert kv_cache(a, ctx).total == expected == 3_120_562_176
    # below the window every layer holds the whole context
    assert kv_cache(a, 512).total == per_token_layer * 62 * 512




def test_mla_caches_one_latent_per_layer() -> None:
    a = architecture_from_config(DEEPSEEK_R1)
    # 61 layers × (512 latent + 64 rope) × 2 bytes = 70,272 bytes per token,
    # not the 61 × 2 × 128 heads × 192 × 2 = 5,996,544 of a naive MHA formula.
    assert kv_cache(a, 1).total == 70_272
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
