"""config.json shapes shared by the unit tests (values from each model's published config.json)."""

from __future__ import annotations

# meta-llama/Llama-3.1-8B-Instruct (and DeepSeek-R1-Distill-Llama-8B, same shapes)
LLAMA_31_8B = dict(
    architectures=["LlamaForCausalLM"], model_type="llama", hidden_size=4096, intermediate_size=14336,
    num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
    max_position_embeddings=131072, tie_word_embeddings=False,
    rope_scaling={"rope_type": "llama3", "factor": 8.0},
)

# meta-llama/Llama-3.3-70B-Instruct (Llama 3.1 70B: same shapes)
LLAMA_33_70B = dict(
    architectures=["LlamaForCausalLM"], model_type="llama", hidden_size=8192, intermediate_size=28672,
    num_hidden_layers=80, num_attention_heads=64, num_key_value_heads=8, vocab_size=128256,
    max_position_embeddings=131072, tie_word_embeddings=False,
    rope_scaling={"rope_type": "llama3", "factor": 8.0},
)

# deepseek-ai/DeepSeek-R1 (DeepSeek-V3 shapes): 671B parameters, MLA, 256 routed experts
DEEPSEEK_R1 = dict(
    architectures=["DeepseekV3ForCausalLM"], model_type="deepseek_v3", hidden_size=7168,
    num_hidden_layers=61, num_attention_heads=128, num_key_value_heads=128, kv_lora_rank=512,
    q_lora_rank=1536, qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128,
    n_routed_experts=256, num_experts_per_tok=8, n_shared_experts=1, moe_intermediate_size=2048,
    intermediate_size=18432, first_k_dense_replace=3, vocab_size=129280,
    max_position_embeddings=163840, tie_word_embeddings=False,
)
