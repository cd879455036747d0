"""Properties of the core: more bits, context or sequences never mean less memory; a smaller
device never fits better. Random shapes drawn by hypothesis; examples bounded to keep `make test` fast."""

from __future__ import annotations

import os
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from vramtui.core.estimate import FIT_ORDER, Settings, fit_on, memory
from vramtui.core.hardware import GPU, Hardware
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.kv import KV_TYPES, kv_cache
from vramtui.core.quant_mix import Recipe
from vramtui.core.quantization import Quantization
from vramtui.core.units import gib

EXAMPLES = int(os.environ.get("VRAMTUI_FUZZ_EXAMPLES", "25"))

# K-quant ladder in increasing bits: each step never stores a tensor in fewer bits.
LADDER = ["Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "F16"]
QUANTS = [Quantization(f, 0.0, i, recipe=Recipe(f)) for i, f in enumerate(LADDER)]


@st.composite
def configs(draw):
    heads = draw(st.sampled_from([4, 8, 16, 32, 64]))
    kv = draw(st.sampled_from([h for h in (1, 2, 4, 8, 16, 32, 64) if heads % h == 0]))
    head_dim = draw(st.sampled_from([64, 128, 256]))
    cfg = dict(
        model_type=draw(st.sampled_from(["llama", "qwen2", "mistral", "gemma2"])),
        hidden_size=heads * head_dim, head_dim=head_dim,
        intermediate_size=draw(st.sampled_from([1024, 2816, 4864, 11008, 14336])),
        num_hidden_layers=draw(st.integers(1, 48)), num_attention_heads=heads,
        num_key_value_heads=kv, vocab_size=draw(st.integers(1000, 160000)),
        max_position_embeddings=draw(st.sampled_from([4096, 32768, 131072])),
        sliding_window=draw(st.sampled_from([512, 4096])),
    )
    if draw(st.booleans()):
        cfg.update(num_local_experts=draw(st.sampled_from([4, 8, 16])), num_experts_per_tok=2)
    return architecture_from_config(cfg)


@settings(max_examples=EXAMPLES, deadline=None)
@given(a=configs(), ctx=st.integers(1, 131072))
def test_more_bits_never_less_memory(a, ctx):
    s = Settings(context=min(ctx, a.context))
    totals = [memory(a, q, s).total_bytes for q in QUANTS]
    assert totals == sorted(totals)


@settings(max_examples=EXAMPLES, deadline=None)
@given(a=configs(), c1=st.integers(0, 200000), c2=st.integers(0, 200000),
       kv=st.sampled_from(sorted(KV_TYPES)), seqs=st.integers(1, 8))
def test_more_context_or_sequences_never_less_memory(a, c1, c2, kv, seqs):
    lo, hi = sorted((c1, c2))
    assert kv_cache(a, lo, kv, seqs).total <= kv_cache(a, hi, kv, seqs).total
    assert kv_cache(a, hi, kv, seqs).total <= kv_cache(a, hi, kv, seqs + 1).total
    q = QUANTS[2]
    assert memory(a, q, Settings(lo, kv, seqs)).total_bytes <= memory(a, q, Settings(hi, kv, seqs)).total_bytes


@settings(max_examples=EXAMPLES, deadline=None)
@given(a=configs(), big=st.floats(1, 200), shrink=st.floats(0.05, 1.0), ctx=st.integers(1, 65536))
def test_smaller_device_never_fits_better(a, big, shrink, ctx):
    large = Hardware("large", "NVIDIA", GPU, gib(big), 1000.0)
    small = replace(large, name="small", memory_bytes=gib(big * shrink))
    s = Settings(context=min(ctx, a.context))
    q = QUANTS[2]
    assert FIT_ORDER[fit_on(a, q, s, small)] <= FIT_ORDER[fit_on(a, q, s, large)]
