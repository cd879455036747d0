"""Hostile config.json values: each is rejected with a ConfigError naming its field, or read as
the very number it is. Never a traceback, never a zero or a neighbour's value.

The class, not examples: every architecture field of a real config is set to values of every
wrong kind (NaN, ±inf, 10³⁰, negatives, zero, strings, booleans, lists, objects), and the
outcome is compared with the documented rule for that field. Bounded in `make test`;
`make fuzz` runs VRAMTUI_FUZZ_EXAMPLES of each.
"""

from __future__ import annotations

import math
import os

import pytest
from configs import DEEPSEEK_R1, LLAMA_31_8B
from hypothesis import given, settings
from hypothesis import strategies as st
from vramtui.core.arch import FULL, SLIDING
from vramtui.core.config_fields import MAX_CONTEXT, MAX_DIM, MAX_EXPERTS, MAX_HEAD_DIM, MAX_LAYERS, MAX_VOCAB
from vramtui.core.errors import ConfigError
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.kv import kv_cache

EXAMPLES = int(os.environ.get("VRAMTUI_FUZZ_EXAMPLES", "15"))
pytestmark = pytest.mark.fuzz

hostile_values = st.one_of(
    st.integers(-(2**70), 2**70),
    st.integers(-4, 300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 2, 7, 8, 16, 10**6, 10**30, 1e30, -1, 4096.0, 4096.5, 2**63, float("nan"),
                     float("inf"), -float("inf"), 1024, 1025, 100_000_001]),
    st.booleans(),
    st.text(max_size=8),
    st.sampled_from(["4096", "false", "true", "0", "nan", "", "full_attention"]),
    st.lists(st.one_of(st.integers(-2, 40), st.text(max_size=3)), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def whole_number(v) -> int | None:
    """`v` as the whole number a config may spell it as (8 or 8.0), else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return int(v)
    return None


# Llama 3.1 8B (32 heads, 8 KV heads, hidden 4096, no head_dim): the rule each field must follow,
# and the Architecture attribute that must then hold exactly the value given.
LLAMA_RULES = {
    "num_hidden_layers": ("layers", lambda n: 1 <= n <= MAX_LAYERS),
    "hidden_size": ("hidden", lambda n: 1 <= n <= MAX_DIM and n % 32 == 0),  # 32 heads, no head_dim
    "num_attention_heads": ("heads", lambda n: 1 <= n <= 4096 and n % 8 == 0 and 4096 % n == 0),
    "num_key_value_heads": ("kv_heads", lambda n: 1 <= n <= 32 and 32 % n == 0),
    "head_dim": ("head_dim", lambda n: 1 <= n <= MAX_HEAD_DIM),
    "vocab_size": ("vocab", lambda n: 1 <= n <= MAX_VOCAB),
    "max_position_embeddings": ("context", lambda n: 1 <= n <= MAX_CONTEXT),
    "intermediate_size": ("intermediate", lambda n: 1 <= n <= MAX_DIM),
}


SHAPE = {"hidden_size", "num_attention_heads", "num_key_value_heads"}


def outcome(cfg: dict):
    try:
        return architecture_from_config(cfg), None
    except ConfigError as e:
        return None, e


@settings(max_examples=EXAMPLES * 4, deadline=None)
@given(field=st.sampled_from(sorted(LLAMA_RULES)), value=hostile_values)
def test_whole_number_fields_follow_their_rule(field, value) -> None:
    attr, rule = LLAMA_RULES[field]
    a, err = outcome({**LLAMA_31_8B, field: value})
    n = whole_number(value)
    if n is not None and rule(n):
        assert err is None, err
        assert getattr(a, attr) == n
        assert kv_cache(a, 2048).total > 0  # an attention model never has an empty cache
    else:
        assert a is None, f"{field}={value!r} accepted"
        # a value that does not fit the others (32 heads, 8 KV heads) may be named with them
        assert err.field == field or (field in SHAPE and err.field in SHAPE and field in str(err)), err
        assert "\n" not in str(err)


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(field=st.sampled_from(["tie_word_embeddings", "attention_bias"]), value=hostile_values)
def test_booleans_are_json_booleans(field, value) -> None:
    a, err = outcome({**LLAMA_31_8B, field: value})
    if isinstance(value, bool):
        assert err is None
        assert (a.tied_embeddings if field == "tie_word_embeddings" else a.qkv_bias) is value
    else:  # "false" is not false, and must not be read as true either
        assert a is None and err.field == field


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(field=st.sampled_from(["num_experts_per_tok", "n_routed_experts"]), value=hostile_values)
def test_experts_follow_their_rule(field, value) -> None:
    a, err = outcome({**DEEPSEEK_R1, field: value})
    n = whole_number(value)
    if field == "num_experts_per_tok":
        ok = n is not None and 1 <= n <= 256
    else:  # 0 or 1 expert is a dense model; otherwise at least the 8 a token uses
        ok = n is not None and (0 <= n <= 1 or 8 <= n <= MAX_EXPERTS)
    if ok:
        assert err is None, err
        if field == "num_experts_per_tok":
            assert a.moe.active == n
        else:
            assert (a.moe.experts if a.moe else n) == n
    else:
        assert a is None and err.field in (field, "num_experts_per_tok")


MISTRAL_V01 = dict(LLAMA_31_8B, model_type="mistral", vocab_size=32000, max_position_embeddings=32768,
                   sliding_window=4096)


@settings(max_examples=EXAMPLES, deadline=None)
@given(value=hostile_values)
def test_sliding_window_is_a_number_of_tokens(value) -> None:
    a, err = outcome({**MISTRAL_V01, "sliding_window": value})
    n = whole_number(value)
    if n is not None and 0 <= n <= MAX_CONTEXT:
        assert err is None
        sliding = 0 < n < 32768
        assert a.count(SLIDING) == (32 if sliding else 0)
        assert a.sliding_window == (n if sliding else 0)
    else:
        assert a is None and err.field == "sliding_window"


QWEN35_LIKE = dict(LLAMA_31_8B, num_hidden_layers=4, sliding_window=512)


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(value=hostile_values)
def test_layer_types_is_a_list_of_known_names_one_per_layer(value) -> None:
    a, err = outcome({**QWEN35_LIKE, "layer_types": value})
    names = {"full_attention": FULL, "sliding_attention": SLIDING}
    if value is None or value == []:
        assert err is None and a.count(FULL) == 4
    elif isinstance(value, list) and len(value) == 4 and all(v in names for v in value if isinstance(v, str)) \
            and all(isinstance(v, str) for v in value):
        assert err is None and a.layer_kinds == tuple(names[v] for v in value)
    else:
        assert a is None and err.field.startswith("layer_types")


@pytest.mark.parametrize("field,value", [
    ("mlp_only_layers", 5), ("mlp_only_layers", ["1"]), ("mlp_only_layers", [10**9]),
    ("architectures", 5), ("architectures", [None]), ("model_type", 5), ("model_type", ["llama"]),
    ("text_config", 5), ("text_config", "x"), ("vision_config", [1]),
    ("first_k_dense_replace", float("nan")), ("q_lora_rank", "1536"), ("num_nextn_predict_layers", -1),
])
def test_fields_of_the_wrong_kind_are_named(field, value) -> None:
    base = DEEPSEEK_R1 if field in ("first_k_dense_replace", "q_lora_rank") else dict(
        LLAMA_31_8B, num_local_experts=8, num_experts_per_tok=2, model_type="qwen2_moe")
    a, err = outcome({**base, field: value})
    assert a is None and err.field.startswith(field), err


@pytest.mark.parametrize("missing", ["kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim"])
def test_mla_keys_come_together(missing) -> None:
    cfg = {k: v for k, v in DEEPSEEK_R1.items() if k != missing}
    a, err = outcome(cfg)
    assert a is None and err.field == missing and "together" in err.problem


@pytest.mark.parametrize("key", ["mamba_d_state", "mamba_n_heads"])
def test_ssm_keys_come_together(key) -> None:
    granite = dict(LLAMA_31_8B, model_type="granitemoehybrid", num_hidden_layers=4,
                   layer_types=["mamba", "mamba", "mamba", "attention"], mamba_n_heads=64, mamba_d_head=64,
                   mamba_d_state=128, mamba_n_groups=1)
    assert architecture_from_config(granite).mamba is not None
    a, err = outcome({k: v for k, v in granite.items() if k != key})
    assert a is None and err.field == key


@pytest.mark.parametrize("value", [0, -14, "14", 14.5, float("inf")])
def test_a_vision_tower_field_is_checked_when_given(value) -> None:
    cfg = dict(LLAMA_31_8B, vision_config={"hidden_size": 1152, "num_hidden_layers": 27, "patch_size": value})
    a, err = outcome(cfg)
    assert a is None and err.field == "vision_config.patch_size"


def test_absurd_sizes_fail_before_anything_is_built_per_layer() -> None:
    # 10⁹ layers would be a billion-entry tuple: refused on the number itself.
    for layers in (10**9, 10**30, 1e30, float("inf")):
        a, err = outcome({**LLAMA_31_8B, "num_hidden_layers": layers})
        assert a is None and err.field == "num_hidden_layers"
