"""Turn a Hugging Face config.json (already parsed into a dict) into an Architecture.

Configs spell the same fact many ways (n_layer / num_hidden_layers, layer_types /
sliding_window_pattern / full_attention_interval / attn_layer_period ...): every
spelling the supported families use is read here, in one place, because reading
one of them wrong is how peers end up with a KV cache 4x too big or zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vramtui.core import config_fields as fields
from vramtui.core.arch import (
    CONV,
    FULL,
    LINEAR,
    MAMBA,
    MLP_ONLY,
    SLIDING,
    Architecture,
    AttnShape,
    Indexer,
    LinearAttention,
    Mamba,
    Mla,
    Moe,
    RopeScaling,
    ShortConv,
)
from vramtui.core.config_fields import MAX_CONTEXT, MAX_EXPERTS, MAX_HEAD_DIM, MAX_HEADS, MAX_LAYERS, MAX_VOCAB
from vramtui.core.errors import ConfigError

# Every field is read through core.config_fields' typed, bounded readers (short names: they are
# on every line below): a value of the wrong kind or out of bounds is a ConfigError naming it.
_int, _pos, _bool, _real = fields.whole, fields.positive, fields.flag, fields.real
_str, _strs, _ints, _section = fields.text, fields.texts, fields.wholes, fields.section

# model_type -> llama.cpp architecture name, where they differ.
_LLAMA_CPP_ARCH = {
    "mistral": "llama", "mixtral": "llama", "llama": "llama", "granite": "granite",
    "qwen2": "qwen2", "qwen2_moe": "qwen2moe", "qwen3": "qwen3", "qwen3_moe": "qwen3moe",
    "qwen3_next": "qwen3next", "qwen3_5_text": "qwen35", "qwen3_5_moe_text": "qwen35moe",
    "qwen3_5": "qwen35", "qwen3_5_moe": "qwen35moe", "qwen3_vl": "qwen3vl", "qwen3_vl_moe": "qwen3vlmoe",
    "qwen3_vl_text": "qwen3vl", "qwen3_vl_moe_text": "qwen3vlmoe",
    "qwen2_5_vl": "qwen2vl", "gemma": "gemma", "gemma2": "gemma2", "gemma3": "gemma3",
    "gemma3_text": "gemma3", "gemma3n": "gemma3n", "gemma3n_text": "gemma3n",
    "phi3": "phi3", "phimoe": "phimoe", "deepseek_v2": "deepseek2", "deepseek_v3": "deepseek2",
    "kimi_k2": "deepseek2", "gpt_oss": "gpt-oss", "cohere": "command-r", "cohere2": "cohere2",
    "olmo2": "olmo2", "olmoe": "olmoe", "falcon": "falcon", "glm4": "glm4", "glm4_moe": "glm4moe",
    "jamba": "jamba", "granitemoehybrid": "granitehybrid", "lfm2": "lfm2", "lfm2_moe": "lfm2moe",
    "nemotron_h": "nemotron_h", "mamba": "mamba", "falcon_mamba": "mamba", "falcon_h1": "falcon-h1",
    "llama4": "llama4", "llama4_text": "llama4", "internlm2": "internlm2", "internlm3": "llama",
    "minimax_m2": "minimax-m2", "ernie4_5": "ernie4_5", "ernie4_5_moe": "ernie4_5-moe",
    "starcoder2": "starcoder2", "exaone4": "exaone4", "mistral3": "llama", "smollm3": "smollm3", "exaone": "exaone",
    "gemma4": "gemma4", "gemma4_text": "gemma4", "deepseek_v32": "deepseek32", "glm_moe_dsa": "glm-dsa",
    "glm4_moe_lite": "deepseek2", "nemotron-nas": "deci", "mimo_v2_flash": "mimo2", "hunyuan": "hunyuan-moe",
    "hunyuan_v1_moe": "hunyuan-moe", "minimax_m3": "minimax-m3", "minimax_m3_vl": "minimax-m3",
    "kimi_linear": "kimi-linear", "apertus": "apertus", "arcee": "arcee", "afmoe": "afmoe",
    "bailing_moe": "bailingmoe2", "dots1": "dots1", "seed_oss": "seed_oss", "exaone4_5": "exaone4",
    "exaone4_5_text": "exaone4", "ministral3": "mistral3", "mistral4": "mistral4",
}
# HF's default for tie_word_embeddings differs by family; configs often omit it.
_TIED_BY_DEFAULT = {
    "gemma", "gemma2", "gemma3", "gemma3_text", "gemma3n", "gemma3n_text", "gemma4", "gemma4_text", "cohere", "cohere2",
    "lfm2", "lfm2_moe", "falcon_mamba", "mamba", "starcoder2",
    "smollm3",  # transformers' SmolLM3Config: tie_word_embeddings=True, and SmolLM3-3B's config omits it
}
# Feed-forward blocks with up + down projections only (no gate).
_UNGATED_FFN = {
    "nemotron_h", "starcoder2", "gpt_bigcode", "falcon", "phi", "gpt2", "gpt_neox", "mpt", "bloom",
    "apertus", "arcee",  # Apertus (xIELU) and Arcee AFM (relu²): up and down projections only
}
_GATED_ATTENTION = {"qwen3_next", "qwen3_5", "qwen3_5_text", "qwen3_5_moe", "qwen3_5_moe_text"}
_QK_NORM = {
    "qwen3", "qwen3_moe", "olmo2", "gemma3", "gemma3_text", "olmoe", "qwen3_vl", "qwen3_vl_moe",
    "gemma3n", "gemma3n_text", "gemma4", "gemma4_text", "afmoe", "minimax_m3", "minimax_m3_vl",
    *_GATED_ATTENTION,
}
# Gemma 2 onwards norm the attention and FFN outputs too.
_POST_NORMS = {"gemma2", "gemma3", "gemma3_text", "gemma3n", "gemma3n_text", "gemma4", "gemma4_text", "olmo2", "afmoe"}
# MoE routers with a per-expert score-correction bias (DeepSeek V3's noaux_tc and its heirs).
_ROUTER_BIAS = {
    "deepseek_v3", "deepseek_v32", "kimi_k2", "kimi_linear", "glm4_moe", "glm4_moe_lite", "glm_moe_dsa",
    "minimax_m2", "nemotron_h", "afmoe", "mimo_v2_flash",
}
# MTP layers that store their own embedding and output head (DeepSeek V3, GLM-4.7-Flash). GLM-4.5/4.7's
# do too but GLM-4.5-Air's do not, and no config key tells them apart: glm4_moe counts none (-0.4 %).
_MTP_COPIES_EMBEDDINGS = {"deepseek_v3", "kimi_k2", "glm4_moe_lite"}
# SentencePiece vocabularies carry scores and no merges in GGUF.
# (and any vocab <= 32,768)
_SPM = {"gemma", "gemma2", "gemma3", "gemma3_text", "gemma3n", "gemma3n_text", "gemma4", "gemma4_text"}


# transformers' Gemma3TextConfig defaults: Gemma 3 configs on the Hub omit the keys that equal them.
_GEMMA3_TEXT_DEFAULTS = {
    "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256,
    "sliding_window": 4096, "sliding_window_pattern": 6, "max_position_embeddings": 131072,
    "vocab_size": 262208,
}


def _lfm2_ff(c: Mapping[str, Any]) -> int:
    """LFM2's feed-forward width: block_ff_dim, shrunk to 2/3 and rounded as its modelling code does."""
    ff = _pos(c, "block_ff_dim")
    if _bool(c, "block_auto_adjust_ff_dim", default=True):
        ff = int(2 * ff / 3)
        if c.get("block_ffn_dim_multiplier") is not None:
            ff = int(_real(c, "block_ffn_dim_multiplier", 1.0, hi=64.0) * ff)
        step = _pos(c, "block_multiple_of", default=256)
        ff = step * -(-ff // step)
    return ff


def _merged(cfg: Mapping[str, Any]) -> dict[str, Any]:
    text = _section(cfg, "text_config")
    out = dict(cfg)
    if text is not None:
        out.update(text)
        if "model_type" in text:
            out["model_type"] = text["model_type"]
        elif _str(cfg, "model_type").endswith("_vl"):
            out["model_type"] = _str(cfg, "model_type").removesuffix("_vl")  # MiniMax M3's text_config has none
    llm = _section(cfg, "llm_config")
    if llm is not None:
        out.update(llm)
    if out.get("num_hidden_layers") is None and isinstance(out.get("layers_block_type"), list):
        out["num_hidden_layers"] = len(out["layers_block_type"])  # Nemotron 3 Ultra lists its layers instead
    if out.get("model_type") in ("gemma3", "gemma3_text"):
        for k, v in _GEMMA3_TEXT_DEFAULTS.items():
            out.setdefault(k, v)
    if _str(out, "model_type").startswith("lfm2") and "intermediate_size" not in out and "block_ff_dim" in out:
        out["intermediate_size"] = _lfm2_ff(out)
    return out


def _per_layer(c: Mapping[str, Any], key: str, n: int) -> list[int] | None:
    """A per-layer list of whole numbers under `key` (None when absent); ConfigError unless it has n."""
    v = _ints(c, key)
    if v is not None and len(v) != n:
        raise ConfigError(key, f"lists {len(v)} layers, not {n}")
    return v


# Keys that some configs give per layer (Hunyuan-A13B's release config); elsewhere a list is an error.
_PER_LAYER_LISTS = {"moe_topk", "moe_intermediate_size", "num_shared_expert"}


def _uniform(c: Mapping[str, Any], *keys: str, default: int | None = None, hi: int = fields.MAX_DIM) -> int:
    """A whole number that configs give either once or per layer (Hunyuan's moe_topk list):
    a list must hold one value (zeros, layers without experts, aside)."""
    for k in keys:
        if isinstance(c.get(k), list) and k in _PER_LAYER_LISTS:
            values = {x for x in _ints(c, k, hi=hi) or [] if x}
            if len(values) != 1:
                raise ConfigError(k, "varies from layer to layer, which vramtui does not model")
            return values.pop()
        if c.get(k) is not None:
            return _int(c, k, hi=hi)
    return _int(c, *keys, default=default, hi=hi)


def _flags(c: Mapping[str, Any], key: str, n: int, true: set[Any]) -> tuple[bool, ...]:
    """A per-layer list of markers (1/0, "sparse"/"dense") as booleans; all n layers listed."""
    v = c.get(key)
    if not isinstance(v, list) or len(v) != n or not all(isinstance(x, (int, str)) for x in v):
        raise ConfigError(key, f"must list all {n} layers")
    return tuple(x in true for x in v)


def _deci_blocks(c: Mapping[str, Any], n: int) -> list[Mapping[str, Any]] | None:
    """DeciLM / Llama-Nemotron NAS block_configs: one object per layer (None when absent)."""
    blocks = c.get("block_configs")
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) != n or not all(isinstance(b, Mapping) for b in blocks):
        raise ConfigError("block_configs", f"must hold one object per layer ({n})")
    for b in blocks:
        for part in ("attention", "ffn"):
            if not isinstance(b.get(part) or {}, Mapping):
                raise ConfigError("block_configs", f"has a {part} that is not an object")
    return blocks


def _deci_ff(block: Mapping[str, Any], hidden: int) -> int:
    """A DeciLM layer's FFN width: int(2·ffn_mult·hidden/3) rounded up to 256 (its _ffn_mult_to_intermediate_size)."""
    ffn = block.get("ffn") or {}
    if _bool(ffn, "no_op"):
        return 0
    if _bool(ffn, "replace_with_linear"):
        raise ConfigError("block_configs", "replaces an FFN by a linear layer, not modelled")
    try:
        mult = _real(ffn, "ffn_mult", 0.0, hi=1024.0)
    except ConfigError as e:
        raise ConfigError("block_configs", f"has an ffn_mult that {e.problem}") from None
    if mult <= 0:
        raise ConfigError("block_configs", "has an FFN without a positive ffn_mult")
    ff = int(2 * mult * hidden / 3)
    return -(-ff // 256) * 256


def _deci_kv_heads(blocks: list[Mapping[str, Any]], heads: int) -> int:
    """KV heads of a DeciLM model's attention layers (heads / n_heads_in_group; one value for all)."""
    groups = {
        _int(b.get("attention") or {}, "n_heads_in_group", default=0, hi=fields.MAX_HEADS) for b in blocks
        if not _bool(b.get("attention") or {}, "no_op")
    }
    if len(groups) != 1:
        raise ConfigError("block_configs", "varies KV heads from layer to layer, which vramtui does not model")
    group = groups.pop()
    if group <= 0 or heads % group:
        raise ConfigError("block_configs", "has an n_heads_in_group that does not divide num_attention_heads")
    return heads // group


def _layer_kinds(c: dict[str, Any], mt: str, n: int) -> tuple[str, ...]:
    key = "layer_types" if c.get("layer_types") is not None else "layers_block_type"
    types = _strs(c, key)
    if types:
        names = {
            "full_attention": FULL, "attention": FULL, "global": FULL, "full": FULL,
            "sliding_attention": SLIDING, "sliding": SLIDING, "local": SLIDING,
            "chunked_attention": SLIDING, "linear_attention": LINEAR, "mamba": MAMBA,
            "conv": CONV, "mlp": MLP_ONLY, "moe": MLP_ONLY,
        }
        kinds = []
        for i, t in enumerate(types):
            if t not in names:
                raise ConfigError(f"{key}[{i}]", f"is an unknown layer type {t[:40]!r}")
            kinds.append(names[t])
        if len(kinds) != n:
            raise ConfigError(key, f"lists {len(kinds)} layers, not {n}")
        return tuple(kinds)
    blocks = _deci_blocks(c, n)
    if blocks is not None:
        kinds = []
        for b in blocks:
            attn = b.get("attention") or {}
            if _bool(attn, "replace_with_linear"):
                raise ConfigError("block_configs", "replaces attention by a linear layer, not modelled")
            kinds.append(MLP_ONLY if _bool(attn, "no_op") else FULL)
        return tuple(kinds)
    pattern_list = _per_layer(c, "hybrid_layer_pattern", n)
    if pattern_list is not None:  # MiMo-V2: 0 = global attention, 1 = sliding window
        return tuple(SLIDING if x else FULL for x in pattern_list)
    linear_cfg = _section(c, "linear_attn_config")
    if linear_cfg is not None and linear_cfg.get("kda_layers") is not None:
        kda = set(_ints(linear_cfg, "kda_layers", hi=MAX_LAYERS) or [])  # Kimi Linear numbers layers from 1
        full = set(_ints(linear_cfg, "full_attn_layers", hi=MAX_LAYERS) or [])
        if kda & full or len(kda | full) != n or not (kda | full) <= set(range(1, n + 1)):
            raise ConfigError("linear_attn_config", "does not assign each layer to KDA or full attention once")
        return tuple(LINEAR if i + 1 in kda else FULL for i in range(n))
    if c.get("global_attn_every_n_layers"):  # AFMoE: every n-th layer global, the rest sliding
        every = _pos(c, "global_attn_every_n_layers", hi=MAX_LAYERS)
        return tuple(FULL if (i + 1) % every == 0 else SLIDING for i in range(n))
    idxs = _ints(c, "full_attn_idxs", hi=n - 1) if mt.startswith("lfm2") else None
    if idxs is not None:
        full = set(idxs)
        return tuple(FULL if i in full else CONV for i in range(n))
    pattern = c.get("hybrid_override_pattern")
    if pattern is not None and not isinstance(pattern, str):
        raise ConfigError("hybrid_override_pattern", "must be a string of layer symbols (M, *, -)")
    if pattern:
        symbols = {"M": MAMBA, "*": FULL, "-": MLP_ONLY, "E": MLP_ONLY}
        if len(pattern) != n or set(pattern) - set(symbols):
            raise ConfigError("hybrid_override_pattern", "does not describe every layer")
        return tuple(symbols[s] for s in pattern)
    if mt in ("mamba", "falcon_mamba"):
        return (MAMBA,) * n
    if c.get("full_attention_interval"):
        k = _pos(c, "full_attention_interval", hi=MAX_LAYERS)
        return tuple(FULL if (i + 1) % k == 0 else LINEAR for i in range(n))
    if c.get("attn_layer_period"):
        period = _pos(c, "attn_layer_period", hi=MAX_LAYERS)
        offset = _int(c, "attn_layer_offset", default=0, hi=period - 1)
        return tuple(FULL if i % period == offset else MAMBA for i in range(n))
    window = _int(c, "sliding_window", default=0, hi=MAX_CONTEXT)
    if mt == "gemma2":
        return tuple(SLIDING if i % 2 == 0 else FULL for i in range(n))
    if mt in ("gemma3", "gemma3_text", "cohere2"):
        every = _pos(c, "sliding_window_pattern", default=6 if mt != "cohere2" else 4, hi=MAX_LAYERS)
        return tuple(FULL if (i + 1) % every == 0 else SLIDING for i in range(n))
    if mt == "llama4":
        # Llama 4: every 4th layer is global (no RoPE); the rest attend within chunks.
        every = _pos(c, "no_rope_layer_interval", default=4, hi=MAX_LAYERS)
        return tuple(FULL if (i + 1) % every == 0 else SLIDING for i in range(n))
    if mt == "mistral" and window and window < _int(c, "max_position_embeddings", default=1 << 30, hi=MAX_CONTEXT):
        return (SLIDING,) * n
    return (FULL,) * n


def _moe(c: dict[str, Any], mt: str, n: int) -> tuple[Moe | None, tuple[bool, ...], int]:
    experts = _int(c, "num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts", default=0,
                   hi=MAX_EXPERTS)
    if experts <= 1 or (mt.startswith("gemma4") and not _bool(c, "enable_moe_block")):
        return None, (), 0
    active = _uniform(
        c, "num_experts_per_tok", "experts_per_token", "moe_top_k", "num_experts_per_token", "moe_k",
        "top_k_experts", "moe_topk", hi=experts,
    )
    if active == 0:
        raise ConfigError("num_experts_per_tok", "must be at least 1, not 0")
    inter = _int(c, "intermediate_size", default=0)
    expert_ff = _uniform(c, "moe_intermediate_size", "expert_intermediate_size", default=inter)
    if expert_ff == 0:
        raise ConfigError("moe_intermediate_size")
    shared = 0
    if c.get("moe_shared_expert_intermediate_size"):  # Nemotron-H: the shared expert's own width
        shared = _int(c, "moe_shared_expert_intermediate_size")
    elif c.get("n_shared_experts") or c.get("moe_num_shared_experts") or c.get("num_shared_experts"):
        per = _int(c, "shared_intermediate_size", default=expert_ff) if mt.startswith("minimax_m3") else expert_ff
        shared = _int(c, "n_shared_experts", "moe_num_shared_experts", "num_shared_experts", hi=MAX_EXPERTS) * per
    elif c.get("num_shared_expert") and _bool(c, "use_mixed_mlp_moe"):  # Hunyuan: shared MLP(s) of intermediate_size
        shared = _uniform(c, "num_shared_expert", hi=MAX_EXPERTS) * inter
    elif c.get("shared_expert_intermediate_size") or c.get("shared_intermediate_size"):
        shared = _int(c, "shared_expert_intermediate_size", "shared_intermediate_size")
    elif mt in ("llama4", "llama4_text"):
        shared = expert_ff
    if mt in ("llama4", "llama4_text"):
        dense_ff = _int(c, "intermediate_size_mlp", default=inter)
    else:
        dense_ff = _int(c, "dense_intermediate_size", default=inter)
    first_dense = _int(c, "first_k_dense_replace", "num_dense_layers", "moe_layer_start_index", default=0,
                       hi=MAX_LAYERS)
    mlp_only = set(_ints(c, "mlp_only_layers", hi=MAX_LAYERS) or [])
    moe_listed = _ints(c, "moe_layers", hi=MAX_LAYERS) if mt in ("llama4", "llama4_text") else None
    pattern = c.get("layers_block_type") or c.get("hybrid_override_pattern")
    if isinstance(c.get("moe_layer_freq"), list):  # MiMo-V2, MiniMax M3: 1 where a layer routes to experts
        layers = _flags(c, "moe_layer_freq", n, {1})
    elif isinstance(c.get("mlp_layer_types"), list):  # GLM-5.2: "dense" / "sparse" per layer
        layers = _flags(c, "mlp_layer_types", n, {"sparse"})
    elif mt == "nemotron_h" and pattern:  # the layer pattern says which layers are MoE ("E" / "moe")
        layers = tuple(x in ("E", "moe") for x in pattern)
    elif c.get("expert_layer_period"):
        period = _pos(c, "expert_layer_period", hi=MAX_LAYERS)
        offset = _int(c, "expert_layer_offset", default=0, hi=period - 1)
        layers = tuple(i % period == offset for i in range(n))
    elif moe_listed is not None:
        moe_set = set(moe_listed)
        layers = tuple(i in moe_set for i in range(n))
    else:
        step = _int(c, "interleave_moe_layer_step", "decoder_sparse_step", "moe_layer_freq", default=1,
                    hi=MAX_LAYERS) or 1
        layers = tuple(
            i >= first_dense and (i + 1) % step == 0 and i not in mlp_only for i in range(n)
        )
    bias = mt in _ROUTER_BIAS or bool(
        c.get("topk_method") == "noaux_tc" or c.get("use_routing_bias") is True
        or c.get("moe_router_enable_expert_bias") is True
    )
    latent = _int(c, "moe_latent_size", default=0)
    return Moe(experts, active, expert_ff, shared, bias, expert_biases=mt == "gpt_oss",
               gated=mt not in _UNGATED_FFN, latent=latent), layers, dense_ff


def _indexer(c: Mapping[str, Any], n: int) -> tuple[Indexer | None, tuple[bool, ...]]:
    """A sparse-attention indexer: DeepSeek V3.2 / GLM-5 (index_* keys) or MiniMax M3's block index."""
    if c.get("index_n_heads"):
        ix = Indexer(_pos(c, "index_n_heads", hi=MAX_HEADS), _pos(c, "index_head_dim", hi=MAX_HEAD_DIM),
                     _pos(c, "index_topk", hi=MAX_CONTEXT))
        if c.get("indexer_types") is None:
            return ix, ()
        # GLM-5.2: "shared" layers reuse the previous full layer's top-k and keep no index key
        return ix, _flags(c, "indexer_types", n, {"full"})
    sparse = _section(c, "sparse_attention_config")
    if sparse is not None and _bool(sparse, "use_sparse_attention"):
        ix = Indexer(
            _pos(sparse, "sparse_num_index_heads", hi=MAX_HEADS), _pos(sparse, "sparse_index_dim", hi=MAX_HEAD_DIM),
            _pos(sparse, "sparse_topk_blocks", hi=MAX_CONTEXT) * _pos(sparse, "sparse_block_size", hi=MAX_CONTEXT),
            q_from_latent=False,
        )
        if sparse.get("sparse_attention_freq") is None:
            return ix, ()
        return ix, _flags(sparse, "sparse_attention_freq", n, {1})
    return None, ()


def vision_params_estimate(cfg: Mapping[str, Any], text_hidden: int) -> int:
    """Parameters of a ViT vision tower and its projector, from vision_config (0 without one).

    Per layer: attention 4h² + MLP 2h·ff (+ biases and norms); plus the patch and
    position embeddings and a projector into the text model's width. An estimate:
    vision towers are ~1 % of the models that carry them.
    """
    v = _section(cfg, "vision_config")
    widths, depths = ("hidden_size", "embed_dim", "width"), ("num_hidden_layers", "depth", "num_layers")
    if v is None or not any(v.get(k) is not None for k in widths) or not any(v.get(k) is not None for k in depths):
        return 0  # no tower described: nothing to add
    try:
        h = _pos(v, *widths)
        ff = _int(v, "intermediate_size", default=4 * h)
        layers = _int(v, *depths, hi=MAX_LAYERS) + _int(v, "num_global_layers", default=0, hi=MAX_LAYERS)
        patch = _pos(v, "patch_size", default=14)
        image = _pos(v, "image_size", default=336)
        out_dim = _int(v, "projector_output_dim", "vision_output_dim", "out_hidden_size", default=h)
    except ConfigError as e:
        raise ConfigError(f"vision_config.{e.field}", e.problem) from None
    per_layer = 4 * h * h + 2 * h * ff + ff + 9 * h
    return layers * per_layer + 3 * patch * patch * h + (image // patch) ** 2 * h + out_dim * text_hidden


_MLA_KEYS = ("kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim")


def _all_or_none(c: Mapping[str, Any], keys: tuple[str, ...], what: str) -> bool:
    """Whether the group `keys` is set; ConfigError names the first missing key when only some are."""
    present = [k for k in keys if c.get(k) not in (None, 0)]
    if present and len(present) < len(keys):
        missing = next(k for k in keys if k not in present)
        raise ConfigError(missing, f"is missing: {what} needs {', '.join(keys)} together")
    return bool(present)


def _check_attention(
    heads: int, kv_heads: int, hidden: int, head_dim: int, explicit_head_dim: bool, mla: bool = False
) -> None:
    """Attention layers need heads, KV heads that group them evenly, and a head size (MLA heads take
    theirs from the MLA keys: hidden need not split into them, as in GLM-4.7-Flash)."""
    if heads == 0:
        raise ConfigError("num_attention_heads")
    if not 1 <= kv_heads <= heads or heads % kv_heads:
        raise ConfigError("num_key_value_heads", f"({kv_heads}) must divide num_attention_heads ({heads})")
    if mla:
        return
    if explicit_head_dim and head_dim == 0:
        raise ConfigError("head_dim", "must be at least 1, not 0")
    if not explicit_head_dim and hidden % heads:
        raise ConfigError("hidden_size", f"({hidden}) is not a multiple of num_attention_heads ({heads}), "
                                         "and there is no head_dim")


def _rope_scaling(rope: object, c: Mapping[str, Any]) -> RopeScaling | None:
    """The config's RoPE scaling (None when it declares none, or only a plain rope_theta)."""
    if not isinstance(rope, Mapping):
        return None
    kind = rope.get("rope_type") or rope.get("type")
    if not isinstance(kind, str) or kind == "default":
        return None
    factor = rope.get("factor")
    original = rope.get("original_max_position_embeddings") or c.get("original_max_position_embeddings")
    return RopeScaling(
        kind,
        float(factor) if isinstance(factor, (int, float)) and not isinstance(factor, bool) else 0.0,
        int(original) if isinstance(original, int) and not isinstance(original, bool) and original > 0 else 0,
    )


def architecture_from_config(cfg: Mapping[str, Any]) -> Architecture:
    """The Architecture a config.json describes; ConfigError names the first field that is missing or wrong."""
    if not isinstance(cfg, Mapping):
        raise ConfigError("config", "is not a JSON object")
    c = _merged(cfg)
    mt = _str(c, "model_type")
    _str(cfg, "model_type")  # the outer one names the model when text_config has its own
    if not _strs(cfg, "architectures") and not mt:
        raise ConfigError("model_type")
    # Bounded before anything is built per layer.
    n = _pos(c, "num_hidden_layers", "n_layer", "num_layers", "n_layers", hi=MAX_LAYERS)
    hidden = _pos(c, "hidden_size", "d_model", "n_embd", "dim")
    heads = _int(c, "num_attention_heads", "n_head", "n_heads", default=0, hi=MAX_HEADS)
    kv_heads = _int(c, "num_key_value_heads", "n_head_kv", "num_kv_heads", default=heads, hi=MAX_HEADS)
    if _bool(c, "multi_query") and c.get("num_kv_heads") is None:
        kv_heads = 1
    explicit_head_dim = c.get("head_dim") is not None or c.get("attention_head_dim") is not None
    head_dim = _int(c, "head_dim", "attention_head_dim", default=0, hi=MAX_HEAD_DIM)
    kinds = _layer_kinds(c, mt, n)
    blocks = _deci_blocks(c, n)
    if blocks is not None:
        kv_heads = _deci_kv_heads(blocks, heads)
    # v_head_dim alone is not MLA (MiMo-V2 sets it for its plain attention); any other MLA key is.
    mla_keys = any(c.get(k) not in (None, 0) for k in _MLA_KEYS[:3]) and _all_or_none(
        c, _MLA_KEYS, "multi-head latent attention")
    if any(k in (FULL, SLIDING) for k in kinds):
        _check_attention(heads, kv_heads, hidden, head_dim, explicit_head_dim, mla=mla_keys)
    if not explicit_head_dim and heads:
        head_dim = hidden // heads
    vocab = _pos(c, "vocab_size", "padded_vocab_size", hi=MAX_VOCAB)
    context = _pos(
        c, "max_position_embeddings", "max_sequence_length", "seq_length", "n_positions",
        "model_max_length", "n_ctx", hi=MAX_CONTEXT,
    )
    layer_ff: tuple[int, ...] = ()
    per_layer_ff = mt.startswith("gemma3n") and isinstance(c.get("intermediate_size"), list)
    ff_list = _per_layer(c, "intermediate_size", n) if per_layer_ff else None
    if ff_list is not None:  # Gemma 3n: one FFN width per layer
        layer_ff = tuple(ff_list)
        intermediate = max(layer_ff)
    elif blocks is not None:  # DeciLM: each layer's own FFN (0 where it is a no-op)
        layer_ff = tuple(_deci_ff(b, hidden) for b in blocks)
        intermediate = max(layer_ff)
    else:
        intermediate = _int(c, "intermediate_size", "ffn_hidden_size", "n_inner", "ffn_dim", default=0)
    if mt in ("mamba", "falcon_mamba"):
        intermediate = 0
    elif intermediate == 0 and not any(c.get(k) for k in ("num_local_experts", "num_experts", "n_routed_experts")):
        raise ConfigError("intermediate_size")
    tied = _bool(c, "tie_word_embeddings", default=mt in _TIED_BY_DEFAULT)
    moe, moe_layers, dense_ff = _moe(c, mt, n)
    if moe is not None and mt in ("mixtral", "gpt_oss", "phimoe", "olmoe", "minimax_m2"):
        dense_ff = 0  # these models have no dense FFN layers
    window = 0
    if SLIDING in kinds:
        window = _int(c, "sliding_window", "attention_chunk_size", "sliding_window_size", default=0, hi=MAX_CONTEXT)
        if window == 0:
            raise ConfigError("sliding_window")

    mla = None
    if mla_keys:
        mla = Mla(
            kv_lora_rank=_pos(c, "kv_lora_rank"),
            qk_rope_head_dim=_pos(c, "qk_rope_head_dim", hi=MAX_HEAD_DIM),
            qk_nope_head_dim=_pos(c, "qk_nope_head_dim", hi=MAX_HEAD_DIM),
            v_head_dim=_pos(c, "v_head_dim", hi=MAX_HEAD_DIM),
            q_lora_rank=_int(c, "q_lora_rank", default=0),
        )
    linear = None
    lac = _section(c, "linear_attn_config")
    if LINEAR in kinds and lac is not None:
        # Kimi delta attention: as many key as value heads, all of one width
        kda_heads, kda_dim = _pos(lac, "num_heads", hi=MAX_HEADS), _pos(lac, "head_dim", hi=MAX_HEAD_DIM)
        conv_kernel = _pos(lac, "short_conv_kernel_size", default=4, hi=1024)
        linear = LinearAttention(kda_heads, kda_heads, kda_dim, kda_dim, conv_kernel, kind="kda")
    elif LINEAR in kinds:
        linear = LinearAttention(
            key_heads=_pos(c, "linear_num_key_heads", hi=MAX_HEADS),
            value_heads=_pos(c, "linear_num_value_heads", hi=MAX_HEADS),
            key_head_dim=_pos(c, "linear_key_head_dim", hi=MAX_HEAD_DIM),
            value_head_dim=_pos(c, "linear_value_head_dim", hi=MAX_HEAD_DIM),
            conv_kernel=_pos(c, "linear_conv_kernel_dim", default=4, hi=1024),
        )
    mamba = None
    beside = mt == "falcon_h1"  # Falcon-H1: attention and Mamba 2 side by side in every layer
    if MAMBA in kinds or beside:
        expand = _pos(c, "mamba_expand", "expand", default=2, hi=64)
        if c.get("mamba_n_heads") or mt in ("granitemoehybrid", "nemotron_h", "falcon_h1"):
            m_heads = _pos(c, "mamba_n_heads", "mamba_num_heads", hi=MAX_HEADS)
            d_head = _int(c, "mamba_d_head", "mamba_head_dim", default=0, hi=MAX_HEAD_DIM)
            mamba = Mamba(
                version=2,
                d_inner=_pos(c, "mamba_d_ssm", default=m_heads * d_head if d_head else expand * hidden),
                d_state=_pos(c, "mamba_d_state", "ssm_state_size", "state_size", hi=MAX_HEAD_DIM),
                d_conv=_pos(c, "mamba_d_conv", "conv_kernel", default=4, hi=1024),
                n_heads=m_heads,
                n_groups=_pos(c, "mamba_n_groups", "n_groups", default=1, hi=MAX_HEADS),
                norm=_bool(c, "mamba_rms_norm", default=True),
            )
        else:
            pure_ssm = mt in ("mamba", "falcon_mamba")
            d_inner = _pos(c, "intermediate_size", default=expand * hidden) if pure_ssm else expand * hidden
            mamba = Mamba(
                version=1,
                d_inner=d_inner,
                d_state=_pos(c, "mamba_d_state", "state_size", default=16, hi=MAX_HEAD_DIM),
                d_conv=_pos(c, "mamba_d_conv", "conv_kernel", default=4, hi=1024),
                dt_rank=_pos(c, "mamba_dt_rank", "time_step_rank", default=-(-hidden // 16)),
            )
    conv = ShortConv(_pos(c, "conv_L_cache", default=3, hi=1024)) if CONV in kinds else None

    v_head_dim = 0
    full_attn = None
    if mt.startswith("gemma4") and c.get("global_head_dim") is not None:
        # Gemma 4's global layers: wider heads; with attention_k_eq_v, fewer KV heads and no v_proj.
        k_eq_v = _bool(c, "attention_k_eq_v")
        g_dim = _pos(c, "global_head_dim", hi=MAX_HEAD_DIM)
        g_kv = _pos(c, "num_global_key_value_heads", default=kv_heads, hi=heads) if k_eq_v else kv_heads
        full_attn = AttnShape(heads, g_kv, g_dim, g_dim, v_proj=not k_eq_v)
    elif c.get("swa_num_key_value_heads") is not None:
        # MiMo-V2: the keys without a prefix shape the global layers, swa_* the sliding ones.
        full_attn = AttnShape(heads, kv_heads, head_dim, _pos(c, "v_head_dim", default=head_dim, hi=MAX_HEAD_DIM))
        heads = _pos(c, "swa_num_attention_heads", default=heads, hi=MAX_HEADS)
        kv_heads = _pos(c, "swa_num_key_value_heads", hi=heads)
        head_dim = _pos(c, "swa_head_dim", default=head_dim, hi=MAX_HEAD_DIM)
        v_head_dim = _pos(c, "swa_v_head_dim", default=head_dim, hi=MAX_HEAD_DIM)
    kv_shared = _int(c, "num_kv_shared_layers", default=0, hi=max(0, n - 1))
    if mt.startswith("gemma4"):
        if moe is not None:
            layer_ff = (intermediate,) * n  # the dense FFN beside the experts
        elif _bool(c, "use_double_wide_mlp") and kv_shared:
            layer_ff = tuple(intermediate * (2 if i >= n - kv_shared else 1) for i in range(n))
    indexer, indexer_layers = _indexer(c, n)
    if indexer is not None and any(k == SLIDING and x for k, x in zip(kinds, indexer_layers or (True,) * n)):
        raise ConfigError("index_n_heads", "on a sliding-window layer is not modelled")
    per_layer_input = _int(c, "hidden_size_per_layer_input", default=0, hi=MAX_HEAD_DIM)

    rope = c.get("rope_scaling") or c.get("rope_parameters") or {}
    rope_type = rope.get("rope_type") or rope.get("type") if isinstance(rope, Mapping) else None
    qc = cfg.get("quantization_config")
    native_mxfp4 = isinstance(qc, Mapping) and qc.get("quant_method") == "mxfp4" and mt == "gpt_oss"
    return Architecture(
        arch=_LLAMA_CPP_ARCH.get(mt, mt or "llama"),
        layers=n,
        hidden=hidden,
        intermediate=intermediate if moe is None else (dense_ff or 0),
        heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        vocab=vocab,
        context=context,
        tied_embeddings=tied,
        layer_kinds=kinds,
        sliding_window=window,
        moe=moe,
        moe_layers=moe_layers,
        mla=mla,
        linear=linear,
        mamba=mamba,
        conv=conv,
        qkv_bias=mt in ("qwen2", "qwen2_moe", "qwen2_5_vl", "qwen2_vl") or _bool(c, "attention_bias"),
        output_bias=mt == "gpt_oss",
        qk_norm=mt in _QK_NORM or _bool(c, "use_qk_norm") or c.get("qk_norm") is True,
        attn_sinks=mt == "gpt_oss" or _bool(c, "add_swa_attention_sink_bias"),
        gated_attention=mt in _GATED_ATTENTION or mt == "afmoe",
        post_norms=mt in _POST_NORMS,
        rope_freqs=rope_type == "llama3",
        ffn_gated=mt not in _UNGATED_FFN,
        ffn_on_mixer_layers=mt not in ("nemotron_h",),
        mtp_layers=_int(c, "num_nextn_predict_layers", "mtp_num_hidden_layers", default=1 if mt == "qwen3_next" else 0,
                        hi=MAX_LAYERS),
        mtp_copies_embeddings=mt in _MTP_COPIES_EMBEDDINGS,
        mtp_blocks=_mtp_blocks(c),
        dense_ff=dense_ff if moe is not None else 0,
        fused_qkv=mt == "phi3",
        expert_type="MXFP4" if native_mxfp4 else "",
        rope_scaling=_rope_scaling(rope, c),
        layer_ff=layer_ff,
        v_head_dim=v_head_dim,
        full_attn=full_attn,
        kv_shared_layers=kv_shared,
        per_layer_input=per_layer_input,
        per_layer_vocab=_pos(c, "vocab_size_per_layer_input", default=vocab, hi=MAX_VOCAB) if per_layer_input else 0,
        altup=_int(c, "altup_num_inputs", default=0, hi=64),
        laurel_rank=_int(c, "laurel_rank", default=0),
        indexer=indexer,
        indexer_layers=indexer_layers,
        mamba_beside_attention=beside,
        tokenizer="spm" if mt in _SPM or vocab <= 32768 else "bpe",
        extra_params=vision_params_estimate(cfg, hidden),
    )


def _mtp_blocks(c: Mapping[str, Any]) -> tuple[str, ...]:
    """The blocks of a hybrid's MTP layer (Nemotron 3: attention then MoE), empty when not given."""
    names = {"*": FULL, "attention": FULL, "E": MLP_ONLY, "moe": MLP_ONLY, "-": MLP_ONLY, "mlp": MLP_ONLY,
             "M": MAMBA, "mamba": MAMBA}
    key = "mtp_layers_block_type" if c.get("mtp_layers_block_type") is not None else "mtp_hybrid_override_pattern"
    spec = c.get(key)
    if spec is None:
        return ()
    items = list(spec) if isinstance(spec, str) else spec
    if not isinstance(items, list) or len(items) > 16 or any(not isinstance(x, str) or x not in names for x in items):
        raise ConfigError(key, "names a block vramtui does not know")
    return tuple(names[x] for x in items)
