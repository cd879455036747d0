"""The FAQ's answers agree with the core: every figure, formula and chart bar is checked
against vramtui.answers.answer() or the core function the question is about."""

from __future__ import annotations

import re

import pytest
from vramtui.core.estimate import FITS, NO, fit_on, gpus_needed, max_context
from vramtui.core.hardware import APPLE
from vramtui.core.kv import kv_cache
from vramtui.core.speed import APPLE_PREFILL_TFLOPS_PER_CORE

from vramtui.answers import Resolved, Selection, answer, launch_for
from vramtui.faq import (
    PROMPT_TOKENS,
    answer_text,
    build_faq,
    commands_of,
    speed_formula,
)
from vramtui.format import duration, gib, short_ctx, tokens, tps

SEED = "deepseek-r1-distill-llama-8b"


@pytest.fixture(scope="module")
def res(catalog) -> Resolved:
    return Resolved(catalog)


def faq_for(res: Resolved, **kw):
    ans = answer(res, Selection(SEED, **kw))
    return ans, build_faq(res, ans)


def test_every_question_of_the_seed_page_and_the_next_ones_is_answered(res) -> None:
    _, faq = faq_for(res)
    ids = [i.id for i in faq.items]
    assert ids[:6] == ["memory", "best-quant", "mac", "local", "speed", "download"]  # the seed's six
    assert {"max-context", "gpus", "concurrency", "throughput", "ttft", "step-up", "command"} <= set(ids)
    assert all(i.question and i.answer for i in faq.items)


def test_memory_answer_and_formula_add_up_to_the_core(res) -> None:
    ans, faq = faq_for(res)
    m = ans.quant_row.memory
    item = faq.item("memory")
    assert gib(m.total_bytes) in item.answer and gib(ans.quant_row.full_context_total_bytes) in item.answer
    lines = dict((w, h) for w, h in item.formula if w)
    assert lines["Memory"].startswith("= weights + KV cache + overhead")
    sums = [h for w, h in item.formula if h.startswith(f"= {m.weights_bytes / 2**30:.2f} + ")]
    assert sums and sums[0].endswith(f"= {m.total_bytes / 2**30:.2f} GiB")
    assert f"{m.kv_bytes / 2**30:.2f} GiB" in " ".join(h for _, h in item.formula)


def test_overhead_formula_evaluates_to_the_cores_overhead(res) -> None:
    for kw in ({}, {"context": 32768}, {"gpus": 2, "target": "rtx-4090"}):
        ans, faq = faq_for(res, **kw)
        text = dict(faq.item("memory").formula)["Overhead"]
        nums = [float(x.replace(",", "")) for x in re.findall(r"[\d.,]*\d", text)]
        runtime, b4, rows, vocab, ubatch, hidden, b2, ubatch2, cells, b4b, ubatch3, width = nums[:12]
        output = b4 * (rows * vocab + ubatch * hidden)
        layer = b2 * ubatch2 * cells + b4b * ubatch3 * width
        per_gpu = runtime * 1e9 + max(output, layer)
        gpus = ans.settings.gpus
        assert round(per_gpu * gpus) == ans.quant_row.memory.overhead_bytes


def test_kv_formula_terms_reproduce_the_core_for_every_model(catalog) -> None:
    """cells × layers × width × bytes × sequences, as shown, equals the core's KV bytes (all attention
    kinds: full and sliding layers of different widths, sparse-attention index keys)."""
    for model in catalog.models.values():
        if model.unsupported:
            continue
        a = model.architecture
        for context, kv_type, sequences in ((8192, "f16", 1), (a.context, "q8_0", 3)):
            kv = kv_cache(a, context, kv_type, sequences)
            elements = (kv.cells * (kv.full_layers * kv.width + kv.indexer_layers * kv.indexer_width)
                        + kv.window_cells * kv.sliding_layers * kv.sliding_width)
            shown = int(elements * kv.sequences * kv.bytes_per_element)
            assert shown == kv.attention_bytes, model.id
    ans, faq = faq_for(Resolved(catalog), context=4096)
    kv = ans.quant_row.memory.kv
    text = " ".join(h for _, h in faq.item("memory").formula)
    assert f"= 4,096 × {kv.full_layers} layers × {kv.width:,} × 2 B × 1 = {kv.attention_bytes / 2**30:.2f} GiB" in text


def test_speed_formula_reproduces_every_targets_tokens_per_second(res) -> None:
    ans = answer(res, Selection(SEED))
    for row in (*ans.gpus, *ans.devices):
        e = row.estimate
        sp = e.speed
        shown = speed_formula(e)[-1][1]
        assert shown.endswith(f"{tps(e.tokens_per_second)} on {e.hardware.name} ({sp.hardware_class})"), row.id
        read = sp.weights_bytes * sp.dequant_cost + sp.kv_bytes
        assert f"{read / 1e9:.2f} GB ÷ ({sp.efficiency} × {sp.bandwidth_gbps:,.0f} GB/s" in shown
        seconds = read / (sp.efficiency * sp.bandwidth_bytes) + sp.attention_s + sp.fixed_cost_s + sp.sync_s
        assert 1 / seconds == pytest.approx(e.tokens_per_second)
        assert sp.bytes_per_token == sp.weights_bytes + ans.quant_row.memory.kv_bytes


def test_speed_answer_names_the_target_and_its_speed(res) -> None:
    gpu = next(r for r in answer(res, Selection(SEED)).gpus if r.estimate.fit != NO)
    ans, faq = faq_for(res, target=gpu.id)
    item = faq.item("speed")
    assert gpu.entry.name in item.answer and tps(ans.quant_row.on_target.tokens_per_second) in item.answer
    on = ans.quant_row.on_target
    assert item.formula[-1][1].endswith(f"{tps(on.tokens_per_second)} on {gpu.entry.name} ({on.speed.hardware_class})")
    assert gpu.entry.name in [b.label for b in item.chart.bars]


def test_mac_answer_agrees_with_the_device_list(res) -> None:
    """The seed says 2.8 GB 'exceeds the unified memory of most consumer Macs' while listing an 8 GB
    MacBook Air among the devices that run it. Here the answer is the device list, counted."""
    for kw in ({}, {"context": 2048}, {"quant": "BF16", "context": 131072}):
        ans, faq = faq_for(res, **kw)
        macs = [r for r in ans.devices if r.estimate.hardware.kind == APPLE]
        runnable = [r for r in macs if r.estimate.fit != NO]
        text = faq.item("mac").answer
        if runnable:
            assert text.startswith(f"Yes: {len(runnable)} of {len(macs)} Macs")
            smallest = min(runnable, key=lambda r: (r.estimate.total_usable_bytes, r.entry.bandwidth_gbps))
            assert smallest.entry.name in text
        else:
            assert text.startswith("Not ")
        assert "recommendedMaxWorkingSetSize" in text


def test_best_quant_is_the_answers_recommendation(res) -> None:
    ans, faq = faq_for(res)
    assert faq.item("best-quant").answer.startswith(f"{ans.recommended} (")
    chart = faq.item("best-quant").chart
    assert [(b.label, b.value) for b in chart.bars] == [(r.entry.name, r.memory.total_bytes) for r in ans.quants]
    assert [b.label for b in chart.bars if b.mark == "★"] == [ans.recommended]
    small = min(answer(res, Selection(SEED)).gpus, key=lambda r: r.estimate.usable_bytes)
    ans, faq = faq_for(res, target=small.id)
    text = faq.item("best-quant").answer
    if ans.recommended:
        assert f"the best quality that fits with headroom is {ans.recommended} " in text
    else:
        assert text.startswith("No quantization fits")
    assert faq.item("best-quant").chart.limit == small.estimate.total_usable_bytes


def test_memory_vs_context_chart_matches_answers_at_each_context(res) -> None:
    ans, faq = faq_for(res, quant="Q8_0")
    chart = faq.item("memory").chart
    assert any(b.selected and b.label == short_ctx(ans.settings.context) for b in chart.bars)
    for bar in chart.bars:
        context = int(bar.label[:-1]) * (1024 if bar.label.endswith("K") else 1 << 20)
        at = answer(res, Selection(SEED, quant="Q8_0", context=context))
        assert bar.value == at.quant_row.memory.total_bytes


def test_longest_context_on_the_target_is_the_cores(res) -> None:
    ans0 = answer(res, Selection(SEED))
    tight = next((r for r in ans0.devices if r.estimate.hardware.kind == APPLE and r.estimate.fit == NO), None)
    some = [r for r in (*ans0.gpus, *ans0.devices) if r.estimate.fit == FITS][:3] + ([tight] if tight else [])
    for row in some:
        ans, faq = faq_for(res, target=row.id)
        hw = res.hardware(row.id)
        q = res.quants[ans.selection.quant]
        fits = max_context(ans.model.architecture, q, ans.settings, hw, FITS)
        text = faq.item("max-context").answer
        assert row.entry.name in faq.item("max-context").question
        if fits:
            assert f"Up to {tokens(fits)} fit" in text
    _, faq = faq_for(res)
    assert "Choose a target" in faq.item("max-context").answer


def test_gpu_count_on_a_gpu_target_is_gpus_needed(res) -> None:
    ans0 = answer(res, Selection(SEED, quant="BF16", context=131072))
    row = next((r for r in ans0.gpus if r.gpus_needed and r.gpus_needed > 1), None)
    assert row is not None, "some GPU in the catalog needs more than one card for BF16 at 128K"
    ans, faq = faq_for(res, quant="BF16", context=131072, target=row.id)
    assert faq.item("gpus").answer.startswith(f"{row.gpus_needed}× {row.entry.name}")
    a, q = ans.model.architecture, res.quants["BF16"]
    assert gpus_needed(a, q, ans.settings, res.hardware(row.id)) == row.gpus_needed


def test_time_to_first_token_is_prompt_over_prefill_rate(res) -> None:
    rows = answer(res, Selection(SEED)).gpus
    row = next(r for r in rows if r.estimate.prefill_tokens_per_second > 0 and r.estimate.fit != NO)
    ans, faq = faq_for(res, target=row.id)
    e = ans.quant_row.on_target
    item = faq.item("ttft")
    assert duration(PROMPT_TOKENS / e.prefill_tokens_per_second) in item.answer
    assert item.formula[-1][1].endswith(f"{duration(PROMPT_TOKENS / e.prefill_tokens_per_second)} on {row.entry.name}")
    # Apple publishes no FP16 figure: a Mac's rate is its GPU cores × its generation's measured rate
    mac = next(r for r in ans.devices if r.estimate.hardware.kind == APPLE and r.estimate.fit != NO)
    ans, faq = faq_for(res, target=mac.id)
    e = ans.quant_row.on_target
    assert e.prefill.tflops == pytest.approx(e.hardware.gpu_cores * APPLE_PREFILL_TFLOPS_PER_CORE[
        e.hardware.family.split(" ")[0]])
    assert duration(PROMPT_TOKENS / e.prefill_tokens_per_second) in faq.item("ttft").answer
    # A target it does not fit gets no time at all: it would not run.
    small = next(r for r in rows if r.estimate.prefill_tokens_per_second > 0 and r.estimate.fit == NO)
    _, faq = faq_for(res, target=small.id)
    assert faq.item("ttft").answer.startswith("No first token: it does not run on") and not faq.item("ttft").formula


def test_one_step_up_names_the_smallest_gpu_that_fits_the_next_quant(res) -> None:
    ans, faq = faq_for(res)
    text = faq.item("step-up").answer
    better = re.match(r"(\S+) needs", text).group(1)
    q = res.quants[better]
    assert q.quality > res.quants[ans.selection.quant].quality
    a, s = ans.model.architecture, ans.settings
    # smallest by memory; among equal memory, the slowest (the least GPU that does it), then by name
    fitting = [(hw.usable_bytes, hw.bandwidth_gbps, hw.name) for hw in res.gpus.values() if fit_on(a, q, s, hw) == FITS]
    if fitting:
        smallest = min(fitting)
        assert f"the smallest GPU that fits it with headroom is the {smallest[2]}" in text
        assert all(u >= smallest[0] for u, _, _ in fitting)
    bigger = min(2 * s.context, a.context)
    assert f"{tokens(bigger)} at {ans.selection.quant} need" in text


def test_commands_are_core_commands_for_the_selection(res) -> None:
    ans, faq = faq_for(res, kv_type="q8_0", sequences=2)
    cmds = commands_of(launch_for(ans))
    shown = [h for _, h in faq.item("command").formula]
    for c in cmds:
        if c.available:
            assert c.text in shown
    llama = next(c for c in cmds if c.tool == "llama.cpp")
    assert "--cache-type-k q8_0" in llama.text and f"-c {2 * ans.settings.context}" in llama.text
    assert cmds[0].available


def test_answer_text_for_the_clipboard(res) -> None:
    gpu = next(iter(answer(res, Selection(SEED)).gpus))
    ans, _ = faq_for(res, target=gpu.id)
    text = answer_text(ans)
    m = ans.quant_row.memory
    assert gib(m.total_bytes, 2) in text and ans.model.hf_repo in text
    assert gpu.entry.name in text and ans.quant_row.on_target.fit in text


def test_every_kind_of_model_gets_answers_without_error(catalog, res) -> None:
    """One model of each architecture shape, with no target and with a rotating target (GPU, Mac, system)."""
    kinds = {}
    for m in catalog.models.values():
        if m.unsupported:
            continue
        a = m.architecture
        shape = (a.arch, a.mla is not None, a.moe is not None, frozenset(a.layer_kinds), a.indexer is not None,
                 a.kv_shared_layers > 0, a.full_attn is not None, a.mamba_beside_attention, bool(a.layer_ff))
        kinds.setdefault(shape, m.id)
    devices = list(catalog.devices)
    targets = [None, *list(catalog.gpus)[:1], *devices[:1], *devices[-1:]]
    for i, model_id in enumerate(kinds.values()):
        ans = answer(res, Selection(model_id, target=targets[i % len(targets)]))
        faq = build_faq(res, ans)
        assert len(faq.items) == 13
        for item in faq.items:
            assert "None" not in item.answer, (model_id, item.id, item.answer)


def test_concurrency_answer_is_the_servers_pools(res) -> None:
    ans, faq = faq_for(res, quant="BF16", context=16000, target="h100-sxm")
    plan = launch_for(ans)
    v, g = plan.vllm, plan.sglang
    item = faq.item("concurrency")
    assert f"{v.max_concurrency:.2f} requests of {tokens(16000)}" in item.answer
    assert f"{v.kv_cache_tokens:,} tokens" in item.answer and f"{g.max_concurrency:.2f}" in item.answer
    lines = dict(item.formula)
    pool = lines["vLLM 0.33.0"]
    # the terms shown add up to the pool shown (GiB to two places)
    terms = [float(x) for x in re.findall(r"(?:weights|activations|non-torch|CUDA graphs) (\d+\.\d+)", pool)]
    usable = float(re.search(r"0\.92 × (\d+\.\d+) GiB", pool).group(1)) * 0.92
    assert usable - sum(terms) == pytest.approx(v.kv_cache_bytes / 2**30, abs=0.03)
    assert f"= {v.kv_cache_bytes / 2**30:.2f} GiB of KV cache per GPU" in pool
    assert f"{v.num_blocks:,} blocks ÷ 1,000 per request" in lines["Concurrency"]
    assert f"{g.kv_cache_tokens:,} tokens" in lines["SGLang 0.5.23"]


def test_throughput_answer_and_chart_are_the_decode_curve(res) -> None:
    from vramtui.serving import serving_for

    ans, faq = faq_for(res, quant="BF16", context=16000, target="h100-sxm")
    sv = serving_for(ans)
    item = faq.item("throughput")
    assert [b.label for b in item.chart.bars] == [str(d.sequences) for d in sv.curve]
    assert [b.value for b in item.chart.bars] == [d.per_request_tokens_per_second for d in sv.curve]
    full = sv.curve[-1]
    assert tps(full.aggregate_tokens_per_second) in item.answer
    assert f"= {full.step_s * 1000:.1f} ms ({full.bound}-bound)" in item.formula[1][1]


def test_serving_questions_without_a_gpu_target_say_what_is_missing(res) -> None:
    _, faq = faq_for(res)
    assert "Choose a target GPU" in faq.item("concurrency").answer
    _, mac = faq_for(res, target=next(d for d in res.devices if "mac" in d))
    assert "NVIDIA and AMD GPUs" in mac.item("throughput").answer
