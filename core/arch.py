"""A model's shape: everything the estimates need, and nothing about where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

# What each layer does for the sequence dimension. Attention layers keep a KV
# cache that grows with the context ("full"), or up to a window ("sliding");
# recurrent layers keep a fixed state per sequence; "mlp" layers keep nothing.
FULL = "full"
SLIDING = "sliding"
LINEAR = "linear"  # gated delta-net / linear attention (Qwen3-Next)
MAMBA = "mamba"  # Mamba 1 or 2 selective state space (Jamba, Granite 4, Nemotron-H)
CONV = "conv"  # short convolution (LFM2)
MLP_ONLY = "mlp"
LAYER_KINDS = (FULL, SLIDING, LINEAR, MAMBA, CONV, MLP_ONLY)


@dataclass(frozen=True)
class Moe:
    experts: int
    active: int
    expert_ff: int  # intermediate size of one routed expert
    shared_ff: int = 0  # total intermediate size of the always-on shared expert(s)
    router_bias: bool = False
    expert_biases: bool = False  # gpt-oss: biases on the router and on every expert's projections


@dataclass(frozen=True)
class Mla:
    """Multi-head latent attention (DeepSeek V2/V3, Kimi K2)."""

    kv_lora_rank: int
    qk_rope_head_dim: int
    qk_nope_head_dim: int
    v_head_dim: int
    q_lora_rank: int = 0  # 0: queries are projected directly, without a low-rank step


@dataclass(frozen=True)
class LinearAttention:
    """Gated delta-net layers (Qwen3-Next): a fixed recurrent state per sequence."""

    key_heads: int
    value_heads: int
    key_head_dim: int
    value_head_dim: int
    conv_kernel: int


@dataclass(frozen=True)
class Mamba:
    """Selective state-space layers. version 1 (Jamba, Falcon Mamba) or 2 (Granite 4, Nemotron-H)."""

    version: int
    d_inner: int
    d_state: int
    d_conv: int
    n_heads: int = 0  # Mamba 2 only
    n_groups: int = 1  # Mamba 2 only
    dt_rank: int = 0  # Mamba 1 only


@dataclass(frozen=True)
class ShortConv:
    """LFM2's gated short convolution."""

    l_cache: int


@dataclass(frozen=True)
class RopeScaling:
    """How the config stretches RoPE past the trained context (its `rope_scaling` block)."""

    kind: str  # yarn, linear, dynamic, longrope, llama3 ...
    factor: float = 0.0
    original_context: int = 0  # the context the scaling starts from (original_max_position_embeddings)


@dataclass(frozen=True)
class Architecture:
    """The text model's shape, per layer where layers differ."""

    arch: str  # llama.cpp architecture name (llama, qwen2, gemma3, deepseek2, gpt-oss, ...)
    layers: int
    hidden: int
    intermediate: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    context: int
    tied_embeddings: bool = False
    layer_kinds: tuple[str, ...] = ()
    sliding_window: int = 0
    moe: Moe | None = None
    moe_layers: tuple[bool, ...] = ()  # which layers route to experts (empty: all when moe is set)
    mla: Mla | None = None
    linear: LinearAttention | None = None
    mamba: Mamba | None = None
    conv: ShortConv | None = None
    qkv_bias: bool = False
    output_bias: bool = False  # attention output projection bias (gpt-oss)
    qk_norm: bool = False
    attn_sinks: bool = False
    gated_attention: bool = False  # query projection also emits an output gate (Qwen3-Next)
    post_norms: bool = False  # extra norms after attention and FFN (Gemma 2/3, OLMo 2)
    ffn_gated: bool = True  # SwiGLU/GeGLU: gate + up + down; False: up + down only
    ffn_on_mixer_layers: bool = True  # False: only "mlp" layers have an FFN (Nemotron-H)
    mtp_layers: int = 0  # multi-token-prediction layers: in the checkpoint, not in GGUF files
    mtp_copies_embeddings: bool = False  # DeepSeek V3's MTP layer stores its own embedding and head
    rope_freqs: bool = False  # llama3-style rope scaling adds a small F32 tensor to GGUF files
    fused_qkv: bool = False  # Phi-3: one attn_qkv tensor, and gate+up fused into one ffn_up
    expert_type: str = ""  # GGML type the checkpoint already stores routed experts in (gpt-oss: MXFP4)
    dense_ff: int = 0  # intermediate size of the dense FFN in non-MoE layers of an MoE model
    extra_params: int = 0  # parameters of parts not modelled tensor by tensor (vision tower...)
    tokenizer: str = "bpe"  # "bpe" or "spm": decides the GGUF header's tokenizer size
    rope_scaling: RopeScaling | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.layer_kinds:
            object.__setattr__(self, "layer_kinds", (FULL,) * self.layers)
        if self.moe is not None and not self.moe_layers:
            object.__setattr__(self, "moe_layers", (True,) * self.layers)
        if len(self.layer_kinds) != self.layers:
            raise ValueError(f"{len(self.layer_kinds)} layer kinds for {self.layers} layers")

    def __hash__(self) -> int:
        # Hashed on every cached estimate: compute it once (the per-layer tuples make it costly).
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash(tuple(getattr(self, f.name) for f in fields(self) if f.compare))
            object.__setattr__(self, "_hash", h)
        return h

    @property
    def gqa(self) -> int:
        """Query heads per KV head (llama.cpp's n_gqa)."""
        return max(1, self.heads // max(1, self.kv_heads))

    def is_moe_layer(self, i: int) -> bool:
        return self.moe is not None and self.moe_layers[i]

    def ff_of_dense_layer(self) -> int:
        return self.dense_ff or self.intermediate

    @property
    def is_moe(self) -> bool:
        return self.moe is not None

    def count(self, kind: str) -> int:
        """Layers of `kind` (counted once per architecture: estimates ask this in hot loops)."""
        counts = self.__dict__.get("_kind_counts")
        if counts is None:
            counts = {k: self.layer_kinds.count(k) for k in LAYER_KINDS}
            object.__setattr__(self, "_kind_counts", counts)
        return counts.get(kind, 0)
