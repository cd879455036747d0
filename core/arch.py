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
    gated: bool = True  # False: routed and shared experts are up + down only (Nemotron-H's relu²)
    latent: int = 0  # routed experts work in this narrower width, with a projection down and up (Nemotron 3)


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
    """Linear-attention layers with a fixed recurrent state per sequence: gated delta-net
    (Qwen3-Next, Qwen3.5) or Kimi delta attention ("kda": Kimi Linear, with a low-rank
    forget gate and output gate and one short convolution per q, k and v)."""

    key_heads: int
    value_heads: int
    key_head_dim: int
    value_head_dim: int
    conv_kernel: int
    kind: str = "gdn"  # "gdn" or "kda"


@dataclass(frozen=True)
class AttnShape:
    """Attention geometry of the full-attention layers where it differs from the sliding ones
    (Gemma 4's global layers, MiMo-V2's global layers)."""

    heads: int
    kv_heads: int
    head_dim: int  # width of one query and key head
    v_head_dim: int  # width of one value head
    v_proj: bool = True  # False: V comes from K's projection (Gemma 4's attention_k_eq_v), no v weights


@dataclass(frozen=True)
class Indexer:
    """A sparse-attention indexer (DeepSeek V3.2 / GLM-5 lightning indexer, MiniMax M3's block
    index): small per-layer projections that pick the keys attention reads, and one cached
    index key of `head_dim` per token in each layer that has one."""

    heads: int
    head_dim: int
    top_k: int  # tokens (DSA) or keys (block index: blocks × block size) a query attends to
    q_from_latent: bool = True  # query from the MLA query latent (DSA) or from the hidden state

    @property
    def cache_width(self) -> int:
        """Cached elements per token and indexed layer. llama.cpp's DSA cache holds the key alone (it
        sits beside an MLA cache, which has no V); its MSA cache (MiniMax M3) is a plain K+V cache of
        one head, so a value row of the same width is allocated beside each index key."""
        return self.head_dim if self.q_from_latent else 2 * self.head_dim


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
    norm: bool = True  # Mamba 2's gated RMSNorm before the output (Falcon-H1's mamba_rms_norm may drop it)


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
    mtp_blocks: tuple[str, ...] = ()  # kinds of the blocks one MTP layer stacks (empty: like the last layer)
    rope_freqs: bool = False  # llama3-style rope scaling adds a small F32 tensor to GGUF files
    fused_qkv: bool = False  # Phi-3: one attn_qkv tensor, and gate+up fused into one ffn_up
    expert_type: str = ""  # GGML type the checkpoint already stores routed experts in (gpt-oss: MXFP4)
    dense_ff: int = 0  # intermediate size of the dense FFN in non-MoE layers of an MoE model
    # Per-layer dense FFN widths where layers differ (Gemma 4's double-wide KV-sharing layers,
    # Gemma 3n, DeciLM's searched widths); 0 = that layer has no FFN. Empty: uniform.
    layer_ff: tuple[int, ...] = ()
    v_head_dim: int = 0  # width of one value head where it differs from head_dim (MiMo-V2)
    full_attn: AttnShape | None = None  # geometry of full-attention layers where it differs
    kv_shared_layers: int = 0  # the last N layers reuse an earlier layer's cache (Gemma 3n/4)
    per_layer_input: int = 0  # per-layer embedding width (Gemma 3n/4 E sizes; 0: none)
    per_layer_vocab: int = 0  # rows of the per-layer embedding table
    altup: int = 0  # Gemma 3n's AltUp: parallel copies of the residual stream (0: none)
    laurel_rank: int = 0  # Gemma 3n's LAuReL low-rank residual (0: none)
    indexer: Indexer | None = None
    indexer_layers: tuple[bool, ...] = ()  # which layers carry an indexer (empty: all when set)
    mamba_beside_attention: bool = False  # Falcon-H1: every layer runs attention and Mamba side by side
    extra_params: int = 0  # parameters of parts not modelled tensor by tensor (vision tower...)
    tokenizer: str = "bpe"  # "bpe" or "spm": decides the GGUF header's tokenizer size
    rope_scaling: RopeScaling | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.layer_kinds:
            object.__setattr__(self, "layer_kinds", (FULL,) * self.layers)
        if self.moe is not None and not self.moe_layers:
            object.__setattr__(self, "moe_layers", (True,) * self.layers)
        if self.indexer is not None and not self.indexer_layers:
            object.__setattr__(self, "indexer_layers", (True,) * self.layers)
        for name in ("layer_kinds", "moe_layers", "layer_ff", "indexer_layers"):
            n = len(getattr(self, name))
            if n and n != self.layers:
                raise ValueError(f"{n} entries in {name} for {self.layers} layers")
        if not 0 <= self.kv_shared_layers < max(1, self.layers):
            raise ValueError(f"{self.kv_shared_layers} KV-sharing layers of {self.layers}")

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

    def dense_ff_of(self, i: int) -> int:
        """Width of layer i's dense FFN (0: none): per layer where layers differ.

        On an MoE layer a non-zero layer_ff[i] is a dense FFN beside the experts (Gemma 4).
        """
        if self.layer_ff:
            return self.layer_ff[i]
        return self.ff_of_dense_layer() if self.is_moe else self.intermediate

    def attn_shape(self, kind: str) -> AttnShape:
        """The attention geometry of a layer of `kind` (FULL or SLIDING)."""
        if kind == FULL and self.full_attn is not None:
            return self.full_attn
        shape = self.__dict__.get("_default_attn")
        if shape is None:
            shape = AttnShape(self.heads, self.kv_heads, self.head_dim, self.v_head_dim or self.head_dim)
            object.__setattr__(self, "_default_attn", shape)
        return shape

    def has_cache(self, i: int) -> bool:
        """Whether attention layer i keeps its own cache (not one of the last KV-sharing layers)."""
        return i < self.layers - self.kv_shared_layers

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
