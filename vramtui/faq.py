"""The FAQ for one answer: the seed page's six questions and the ones users ask next.

Every number comes from the core (through the Answer, or core functions called here
for the inverse questions); nothing here re-derives a formula. Formulas are shown with
the core's own terms plugged in, so their products and sums equal the core's results
(tests/unit/test_faq.py checks that). Pure: no Textual, no I/O. The app only renders
these values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from vramtui.answers import Answer, QuantRow, Resolved, TargetRow
from vramtui.core.arch import FULL, SLIDING, Architecture
from vramtui.core.estimate import (
    FITS,
    NO,
    TIGHT,
    Settings,
    TargetEstimate,
    best_quant,
    fit_on,
    gpus_needed,
    max_context,
    memory,
)
from vramtui.core.hardware import APPLE, APPLE_OS_RESERVE, APPLE_SMALL_RAM_LIMIT, Hardware
from vramtui.core.kv import CELL_PAD, KvBreakdown
from vramtui.core.launch import LLAMA_CPP, OLLAMA, SGLANG, VLLM, Launch, LaunchCommand
from vramtui.core.overhead import ACT_BYTES, MASK_BYTES
from vramtui.core.quantization import LOW_QUALITY
from vramtui.core.units import GB, GIB
from vramtui.format import (
    FIT_WORDS,
    beyond_trained_text,
    bytes_per_element,
    duration,
    gb,
    gib,
    offload_text,
    short_ctx,
    target_name,
    tokens,
    tps,
)
from vramtui.serving import (
    Serving,
    concurrency_sentence,
    serving_for,
    sglang_formula,
    step_formula,
    vllm_formula,
)

TOOL_NAMES = {LLAMA_CPP: "llama.cpp", OLLAMA: "Ollama", VLLM: "vLLM", SGLANG: "SGLang"}
PROMPT_TOKENS = 1000  # "a typical prompt" for time to first token
FULL_PRECISION = ("BF16", "F16")
CHART_CONTEXTS = tuple(1024 << k for k in range(11))  # 1K … 1M
TOP_SPEEDS = 6


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown beside the bar
    mark: str = ""  # "★" for the recommended quant
    selected: bool = False


@dataclass(frozen=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    limit: float | None = None  # a vertical line, e.g. the target's usable memory
    limit_label: str = ""


Term = tuple[str, str]  # one formula line: (what, "= how much"); an empty `what` continues the line above


@dataclass(frozen=True)
class FaqItem:
    id: str
    question: str
    answer: str
    formula: tuple[Term, ...] = ()
    chart: Chart | None = None


@dataclass(frozen=True)
class Faq:
    items: tuple[FaqItem, ...]
    commands: tuple[LaunchCommand, ...]
    model_id: str = ""  # whose questions these are (the app scrolls back to the top for another model)

    def item(self, item_id: str) -> FaqItem:
        return next(i for i in self.items if i.id == item_id)


# ---------------------------------------------------------------- ways it can run


@dataclass(frozen=True)
class Way:
    """One way the selection can still run on its target: a phrase for the header, one for sentences."""

    short: str  # '-ngl 40 ~2 tok/s'
    long: str  # 'llama.cpp partial offload: -ngl 40 of 81 layers on the GPU, …'


def ways_to_run(ans: Answer) -> tuple[Way, ...]:
    """When the selected quant does not run on the target (too big, or no runtime loads it there):
    partial offload, more of the same GPU, and the best quant that fits as it is. Empty otherwise."""
    row = ans.quant_row
    e = row.on_target
    if e is None or row.runs:
        return ()
    out: list[Way] = []
    ways = ans.ways() if row.unloadable is None else None
    if ways is not None and ways.offload is not None:
        off = ways.offload
        out.append(Way(f"-ngl {off.gpu_layers} {tps(off.tokens_per_second)}",
                       f"llama.cpp partial offload: {offload_text(off)}"))
    if ways is not None and ways.gpus is not None and ways.gpus_tokens_per_second is not None:
        many = target_name(e.hardware, ways.gpus)
        # A GGUF file runs in llama.cpp, which splits the layers over the GPUs: they take turns, so
        # one sequence decodes at about one GPU's speed (vLLM's tensor parallelism would add bandwidth).
        split = "llama.cpp splits the layers" if row.entry.kind == "gguf" else "tensor parallel"
        out.append(Way(f"{ways.gpus}× GPUs {tps(ways.gpus_tokens_per_second)}",
                       f"{many} fit it with headroom ({split}), "
                       f"{tps(ways.gpus_tokens_per_second)}"))
    best = ans.row(ans.recommended) if ans.recommended else None
    how = "fits as it is"
    if best is None:  # nothing fits with headroom: the best quant that fits at all, said to be tight
        running = [r for r in ans.quants if r.runs]
        best = max(running, key=lambda r: (r.entry.quality, -r.memory.total_bytes), default=None)
        how = "fits, tightly"
    if best is not None and best.on_target is not None and best is not row:
        lost = " (very low quality)" if best.entry.quality < LOW_QUALITY else ""
        speed = tps(best.on_target.tokens_per_second)
        out.append(Way(f"{best.entry.name} {'fits' if how == 'fits as it is' else 'fits tightly'} {speed}",
                       f"{best.entry.name} {how}{lost}, {speed}"))
    return tuple(out)


def ways_sentence(ans: Answer) -> str:
    """'It can run: …; …; ….' or a sentence saying nothing in reach runs it."""
    ways = ways_to_run(ans)
    if ways:
        return "It can run instead: " + "; ".join(w.long for w in ways) + "."
    return "No listed quantization fits it, and neither partial offload nor more GPUs of this kind help."


def quality_warning(ans: Answer) -> str:
    """When the ★ is a 1–2-bit quant: what is lost, and how a better quant runs instead ('' otherwise)."""
    low = ans.low_quality_pick
    if low is None:
        return ""
    text = f"{low.entry.name} keeps about {effective_bits(low, ans.model.params):.1f} bits per weight"
    if low.entry.description:
        text += f": {low.entry.description[0].lower()}{low.entry.description[1:].rstrip('.')}"
    text += "."
    better = ans.better_quant
    ways = ans.ways(better.entry.name) if better is not None else None
    if better is not None and ways is not None and ways.any:
        options = []
        if ways.offload is not None:
            off = ways.offload
            options.append(f"with llama.cpp -ngl {off.gpu_layers} (the rest in RAM) at {tps(off.tokens_per_second)}")
        if ways.gpus is not None and ways.gpus_tokens_per_second is not None:
            e = better.on_target
            assert e is not None
            options.append(f"on {target_name(e.hardware, ways.gpus)} at {tps(ways.gpus_tokens_per_second)}")
        text += f" {better.entry.name} runs " + " or ".join(options) + "."
    return text


# ---------------------------------------------------------------- shared look-ups


def effective_bits(row: QuantRow, params: int) -> float:
    """The real average bits per weight of a quant's tensors (the file's mix, scales included)."""
    return row.memory.weights.tensor_bytes * 8 / params


@dataclass(frozen=True)
class _Ctx:
    """What every question needs, resolved once."""

    res: Resolved
    ans: Answer

    @property
    def name(self) -> str:
        return self.ans.model.name

    @property
    def a(self) -> Architecture:
        return self.ans.model.architecture

    @property
    def s(self) -> Settings:
        return self.ans.settings

    @property
    def quant(self) -> str:
        return self.ans.selection.quant

    @property
    def row(self) -> QuantRow:
        return self.ans.quant_row

    @property
    def target(self) -> TargetRow | None:
        t = self.ans.selection.target
        return next((r for r in (*self.ans.gpus, *self.ans.devices) if r.id == t), None) if t else None

    @property
    def target_label(self) -> str:
        """The target as assumed: '2 × NVIDIA GeForce RTX 4090' when split over copies of a GPU."""
        e = self.row.on_target
        assert e is not None
        return target_name(e.hardware, e.gpus)

    def quant_row(self, name: str) -> QuantRow | None:
        return next((r for r in self.ans.quants if r.entry.name == name), None)

    def at(self) -> str:
        """'at Q4_K_M with 8,192 tokens of context' (and sequences/KV type when not the default)."""
        extra = []
        if self.s.sequences > 1:
            extra.append(f"× {self.s.sequences} sequences")
        if self.s.kv_type != "f16":
            extra.append(f"{self.s.kv_type} KV cache")
        tail = f" ({', '.join(extra)})" if extra else ""
        return f"at {self.quant} with {tokens(self.s.context)} of context{tail}"

    def At(self) -> str:  # noqa: N802 - the sentence-initial form of at()
        text = self.at()
        return text[0].upper() + text[1:]


def _by_size(rows: Iterable[TargetRow]) -> list[TargetRow]:
    """Smallest first: by memory the model may use, then bandwidth, then name."""
    return sorted(rows, key=lambda r: (r.estimate.total_usable_bytes, r.entry.bandwidth_gbps, r.entry.name))


def _names(rows: Sequence[TargetRow], limit: int = 3) -> str:
    return ", ".join(r.entry.name for r in rows[:limit])


def _smallest_fitting(
    c: _Ctx, hardware: dict[str, Hardware], q_name: str, s: Settings
) -> tuple[str, Hardware] | None:
    """The target with the least memory on which `q_name` fits with headroom under `s`."""
    q = c.res.quants[q_name]
    ordered = sorted(hardware.items(), key=lambda kv: (kv[1].usable_bytes, kv[1].bandwidth_gbps, kv[1].name))
    for tid, hw in ordered:
        if fit_on(c.a, q, s, hw) == FITS:
            return tid, hw
    return None


# ---------------------------------------------------------------- formulas


def memory_formula(c: _Ctx) -> tuple[Term, ...]:
    """Memory = weights + KV cache + overhead, each term with the core's numbers."""
    m = c.row.memory
    w = m.weights
    parts = [f"{t} {gb(b)}" for t, b in w.by_type[:3]]
    rest = sum(b for _, b in w.by_type[3:])
    if rest:
        parts.append(f"other {gb(rest)}")
    if w.header_bytes:
        parts.append(f"header {gb(w.header_bytes)}")
    if w.extra_bytes:
        parts.append(f"extra {gb(w.extra_bytes)}")
    return (
        ("Memory", "= weights + KV cache + overhead"),
        ("", f"= {m.weights_bytes / GIB:.2f} + {m.kv_bytes / GIB:.2f} + {m.overhead_bytes / GIB:.2f}"
             f" = {m.total_bytes / GIB:.2f} GiB"),
        ("Weights", f"= {' + '.join(parts)} = {gb(w.total)}"
                    + (f" − {gb(w.unloaded_bytes)} of MTP layers llama.cpp skips = {gb(w.loaded)}"
                       if w.unloaded_bytes else "")),
        ("", f"({c.ans.model.params / 1e9:.2f}B params at {effective_bits(c.row, c.ans.model.params):.2f}"
             f" bits on average: each tensor at the type {c.quant} gives it)"),
        *kv_formula(c),
        overhead_formula(c),
    )


def kv_formula(c: _Ctx) -> list[Term]:
    """KV cache = tokens × layers × (K + V width) × bytes per value × sequences, with the core's terms."""
    a, kv = c.a, c.row.memory.kv
    lines: list[Term] = [("KV cache", "= cells × layers × K+V width × bytes per value × sequences")]
    if kv.full_layers + kv.sliding_layers == 0:
        lines.append(("", "(no attention layers: no per-token cache)"))
    else:
        uniform = kv.sliding_width == kv.width and not kv.indexer_layers
        terms = []
        if kv.full_layers:
            terms.append(f"{kv.cells:,} × {kv.full_layers} layers" + ("" if uniform else f" × {kv.width:,}"))
        if kv.indexer_layers:
            terms.append(f"{kv.cells:,} × {kv.indexer_layers} index keys × {kv.indexer_width:,}")
        if kv.sliding_layers:
            terms.append(f"{kv.window_cells:,} × {kv.sliding_layers} sliding layers"
                         + ("" if uniform else f" × {kv.sliding_width:,}"))
        tok = " + ".join(terms)
        if len(terms) > 1:
            tok = f"({tok})"
        width = f" × {kv.width:,}" if uniform else ""
        lines.append(("", f"= {tok}{width} × {bytes_per_element(c.s.kv_type)} × {kv.sequences}"
                          f" = {kv.attention_bytes / GIB:.2f} GiB"))
        lines.append(("K+V width", _width_text(a, kv)))
        cells_text = f"{kv.context:,} tokens rounded up to {CELL_PAD} = {kv.cells:,}"
        if kv.sliding_layers:
            cells_text += (f"; a sliding layer keeps its window {kv.window:,} + a {kv.ubatch}-token micro-batch,"
                           f" rounded up to {CELL_PAD} = {kv.window_cells:,}")
        lines.append(("Cells", cells_text + " (llama.cpp's allocation)"))
    if kv.shared_layers:
        lines.append(("", f"({kv.shared_layers} more layers reuse an earlier layer's cache: nothing of their own)"))
    if kv.state_bytes:
        lines.append(("", f"+ fixed recurrent state: {kv.state_layers} layers × {kv.sequences} = "
                          f"{kv.state_bytes / GIB:.2f} GiB"))
    return lines


def _width_text(a: Architecture, kv: KvBreakdown) -> str:
    """How the per-token widths come from the config: MLA latent, K+V per kind, index key."""
    if a.mla is not None:
        text = f"= {a.mla.kv_lora_rank} latent + {a.mla.qk_rope_head_dim} rope = {kv.width:,} (MLA)"
    else:
        parts = []
        for kind, label, width, layers in ((FULL, "full", kv.width, kv.full_layers),
                                           (SLIDING, "sliding", kv.sliding_width, kv.sliding_layers)):
            if not layers:
                continue
            s = a.attn_shape(kind)
            if s.head_dim == s.v_head_dim:
                part = f"2 × {s.kv_heads} KV heads × {s.head_dim} head dim = {width:,}"
            else:
                part = f"{s.kv_heads} KV heads × ({s.head_dim} K + {s.v_head_dim} V) = {width:,}"
            parts.append(part + (f" ({label})" if kv.sliding_width != kv.width else ""))
            if kv.sliding_width == kv.width:
                break
        text = "= " + "; ".join(parts)
    if kv.indexer_layers:
        text += f"; index key {kv.indexer_width:,} on {kv.indexer_layers} layers (sparse-attention indexer)"
    return text


def overhead_formula(c: _Ctx) -> Term:
    """Runtime constant + llama.cpp's compute buffer (the larger of its two stages), per GPU, with the core's terms."""
    o = c.row.memory.overhead
    per_gpu = f"{o.runtime_bytes / GB:.1f} GB runtime"
    if o.compute_bytes:
        output = f"{ACT_BYTES} B × ({o.output_rows:,} × {o.vocab:,} + {o.ubatch} × {o.hidden:,})"
        if o.flash_attention:
            layer = f"{MASK_BYTES} B × {o.ubatch} × {o.cells:,} cells + {ACT_BYTES} B × {o.ubatch} × {o.layer_width:,}"
        else:
            layer = (f"{ACT_BYTES} B × {o.ubatch} × {o.cells:,} cells × ({o.heads} heads + 1)"
                     f" + {ACT_BYTES} B × {o.ubatch} × {o.layer_width:,}")
        per_gpu += f" + compute max(output {output}, layer {layer})"
    if o.gpus > 1:
        per_gpu = f"({per_gpu}) × {o.gpus} GPUs"
    return ("Overhead", f"= {per_gpu} = {o.total / GIB:.2f} GiB")


def speed_formula(e: TargetEstimate) -> tuple[Term, ...]:
    """Decode speed as the core computed it for this target, term by term."""
    sp = e.speed
    bw_text = f"{sp.bandwidth_gbps:,.0f} GB/s"
    sync = ""
    if sp.tp > 1:
        bw_text = f"{sp.bandwidth_gbps:,.0f} GB/s × (1 + {sp.scaling} × {sp.tp - 1})"
        sync = f" + {sp.sync_s * 1000:.2f} ms all-reduces ({sp.layers} layers)"
    read = sp.weights_bytes * sp.dequant_cost + sp.kv_bytes
    weights = f"active weights {sp.weights_bytes / GB:.2f} GB"
    if sp.dequant_cost != 1:
        weights += f" × {sp.dequant_cost:.2f} (K-quant/low-bit dequantisation)"
    fixed = "per-layer costs" + (f", {sp.pipeline} GPUs in turn" if sp.pipeline > 1 else "")
    return (
        ("Bytes/token", f"= {weights} + KV cache {sp.kv_bytes / GB:.2f} GB = {read / GB:.2f} GB"),
        ("tok/s", "= 1 ÷ (bytes per token ÷ (k × bandwidth) + attention + " + fixed
                  + (" + all-reduces" if sync else "") + ")"),
        ("", f"= 1 ÷ ({read / GB:.2f} GB ÷ ({sp.efficiency} × {bw_text}) + {sp.attention_s * 1000:.1f} ms"
             f" + {sp.fixed_cost_s * 1000:.1f} ms{sync}) = {tps(sp.tokens_per_second)} on {e.hardware.name}"
             f" ({sp.hardware_class})"),
    )


def prefill_formula(e: TargetEstimate) -> tuple[Term, ...]:
    """Time to first token: prompt FLOPs over the usable share of peak FLOP/s, as the core computed it."""
    p = e.prefill
    gpus = f" × (1 + {p.scaling} × {p.tp - 1})" if p.tp > 1 else ""
    seconds = PROMPT_TOKENS / p.tokens_per_second
    return (
        ("First token", "= 2 × active params × prompt tokens ÷ (peak FLOP/s × utilisation)"),
        ("", f"= 2 × {p.active_params / 1e9:.2f}B × {PROMPT_TOKENS:,} ÷ ({p.tflops:,g} TFLOP/s{gpus}"
             f" × {p.utilisation}) = {duration(seconds)} on {e.hardware.name}"),
    )


# ---------------------------------------------------------------- charts


def memory_by_quant_chart(c: _Ctx) -> Chart:
    t = c.target
    bars = tuple(
        Bar(r.entry.name, r.memory.total_bytes, gib(r.memory.total_bytes),
            "★" if r.recommended else "", r.entry.name == c.quant)
        for r in c.ans.quants
    )
    limit, label = _limit(t)
    return Chart(f"Memory by quantization at {short_ctx(c.s.context)} context", bars, limit, label)


def memory_by_context_chart(c: _Ctx) -> Chart:
    a, s = c.a, c.s
    q = c.res.quants[c.quant]
    contexts = sorted({x for x in CHART_CONTEXTS if x <= a.context} | {s.context, a.context})
    bars = []
    for ctx in contexts:
        total = memory(a, q, replace(s, context=ctx)).total_bytes
        bars.append(Bar(short_ctx(ctx), total, gib(total), selected=ctx == s.context))
    limit, label = _limit(c.target)
    return Chart(f"Memory vs context at {c.quant}", tuple(bars), limit, label)


def _limit(t: TargetRow | None) -> tuple[float | None, str]:
    if t is None:
        return None, ""
    e = t.estimate
    return float(e.total_usable_bytes), f"{target_name(e.hardware, e.gpus)}: {gib(e.total_usable_bytes)} usable"


def speed_chart(c: _Ctx, rows: Sequence[TargetRow]) -> Chart:
    bars = tuple(
        Bar(r.entry.name, r.estimate.tokens_per_second, tps(r.estimate.tokens_per_second),
            selected=c.target is not None and r.id == c.target.id)
        for r in rows
    )
    return Chart(f"Decode speed at {c.quant}", bars)


# ---------------------------------------------------------------- the questions


def q_memory(c: _Ctx) -> FaqItem:
    m = c.row.memory
    text = (
        f"{c.name} needs {gib(m.total_bytes)} {c.at()}: {gib(m.weights_bytes)} of weights, "
        f"{gib(m.kv_bytes)} of KV cache and {gib(m.overhead_bytes)} of runtime overhead."
    )
    q8 = c.quant_row("Q8_0")
    if q8 is not None and c.quant != "Q8_0":
        text += f" At Q8_0 it needs {gib(q8.memory.total_bytes)}."
    if c.ans.beyond is not None:
        text += " " + beyond_trained_text(c.ans.beyond, c.name)
    elif c.s.context < c.a.context:
        more = c.row.full_context_total_bytes - m.total_bytes
        text += (
            f" The model's full context ({tokens(c.a.context)}) adds {gib(more)} of KV cache and buffers "
            f"({gib(c.row.full_context_total_bytes)} in total)."
        )
    return FaqItem("memory", f"How much VRAM does {c.name} need?", text, memory_formula(c),
                   memory_by_context_chart(c))


def q_best_quant(c: _Ctx) -> FaqItem:
    rows = c.ans.quants
    smallest = min(rows, key=lambda r: r.memory.total_bytes)
    rec = c.quant_row(c.ans.recommended) if c.ans.recommended else None
    t = c.target
    if t is None:
        if rec is None:
            text = "No quantization is marked as the best balance for this model."
        else:
            text = f"{rec.entry.name} ({gib(rec.memory.total_bytes)}) offers the best balance of quality and memory."
            better = _next_better(c, rec.entry.name)
            if better is not None:
                text += f" {better.entry.name} ({gib(better.memory.total_bytes)}) is better if you have the memory."
    elif rec is None:
        text = (
            f"No quantization fits {c.target_label} with headroom at {tokens(c.s.context)} of context;"
            f" even the smallest, {smallest.entry.name}, needs {gib(smallest.memory.total_bytes)}."
        )
    else:
        usable = c.row.on_target.total_usable_bytes if c.row.on_target else t.estimate.total_usable_bytes
        text = (
            f"On {c.target_label} ({gib(usable)} usable) the best quality that fits with headroom is "
            f"{rec.entry.name} ({gib(rec.memory.total_bytes)} at {tokens(c.s.context)})."
        )
        warning = quality_warning(c.ans)
        if warning:
            text += " " + warning
    if t is None or rec is not None:
        text += f" The smallest option is {smallest.entry.name} at {gib(smallest.memory.total_bytes)}."
    return FaqItem("best-quant", f"What's the best quantization for {c.name}?", text,
                   chart=memory_by_quant_chart(c))


def _next_better(c: _Ctx, name: str) -> QuantRow | None:
    """The shown quant with the next higher quality than `name` (ties broken by size)."""
    base = c.res.catalog.quants[name].quality
    better = [r for r in c.ans.quants if r.entry.quality > base]
    return min(better, key=lambda r: (r.entry.quality, r.memory.total_bytes), default=None)


def apple_rule() -> str:
    """The macOS GPU-memory rule the core applies, in words."""
    limit = APPLE_SMALL_RAM_LIMIT / GIB
    return (
        f"macOS lets the GPU use about 2/3 of RAM up to {limit:g} GB and 3/4 above (Metal's "
        f"recommendedMaxWorkingSetSize); `sudo sysctl iogpu.wired_limit_mb=…` raises it to all but "
        f"{APPLE_OS_RESERVE / GIB:g} GB"
    )


def q_mac(c: _Ctx) -> FaqItem:
    macs = [r for r in c.ans.devices if r.estimate.hardware.kind == APPLE]
    question = f"Can I run {c.name} on a Mac?"
    need = c.row.memory.total_bytes
    if not macs:
        return FaqItem("mac", question, "The catalog lists no Macs.")
    runnable = _by_size(r for r in macs if r.estimate.fit != NO)
    smallest_mac = _by_size(macs)[0]
    if runnable:
        first = runnable[0]
        e = first.estimate
        text = (
            f"Yes: {len(runnable)} of {len(macs)} Macs in the catalog run it {c.at()} "
            f"(it needs {gib(need)}). The smallest is the {first.entry.name}: the GPU may use "
            f"{gib(e.usable_bytes)} of its {gib(e.hardware.memory_bytes, 0)}"
        )
        text += ", so it fits with headroom." if e.fit == FITS else (
            ", so it fits only after raising the GPU's wired-memory limit."
            if e.required_bytes > e.usable_bytes else ", so it fits, without the recommended 10 % headroom."
        )
        if smallest_mac.estimate.fit == NO:
            best = _best_quant_name(c, smallest_mac)
            text += (
                f" The {smallest_mac.entry.name} ({gib(smallest_mac.estimate.usable_bytes)} usable) cannot"
                f" hold {c.quant} at this context"
                + (f"; it runs {best}." if best else "; no listed quantization fits it.")
            )
    else:
        big = _by_size(macs)[-1]
        text = (
            f"Not {c.at()}: it needs {gib(need)}, and the largest Mac in the catalog, the "
            f"{big.entry.name}, offers {gib(big.estimate.hardware.stretch_bytes)} even with the limit raised."
        )
    text += f" ({apple_rule()}.)"
    return FaqItem("mac", question, text)


def _best_quant_name(c: _Ctx, row: TargetRow) -> str | None:
    """The best shown quant that fits `row` with headroom at the current settings."""
    quants = [c.res.quants[r.entry.name] for r in c.ans.quants]
    hw = c.res.hardware(row.id)
    assert hw is not None
    q = best_quant(c.a, quants, c.s, hw)
    return q.name if q else None


def q_local(c: _Ctx) -> FaqItem:
    need = c.row.memory.total_bytes
    gpus = c.ans.runnable(c.ans.gpus)
    devices = c.ans.runnable(c.ans.devices)
    runtimes = ", ".join(c.row.entry.runtimes) or "its runtime"
    question = f"Can I run {c.name} locally?"
    if not gpus and not devices:
        text = (
            f"Not on one machine in the catalog {c.at()}: it needs {gib(need)}. "
            "Try a smaller quantization, a shorter context or more GPUs."
        )
        return FaqItem("local", question, text)
    counts = (f"{len(gpus)} of {len(c.ans.gpus)} GPUs and {len(devices)} of {len(c.ans.devices)} "
              "unified-memory devices in the catalog run it")
    if c.target is not None and not c.row.runs:
        text = f"Not on {c.target_label} {c.at()}: it needs {gib(need)}. Elsewhere, {counts}."
    else:
        text = f"Yes. {c.At()} it needs {gib(need)}: {counts}."
    consumer = _by_size(r for r in gpus if getattr(r.entry, "segment", "") == "consumer" and r.estimate.fit == FITS
                        and r.estimate.gpus == 1)
    if consumer:
        text += f" The smallest consumer GPU that fits it with headroom is the {consumer[0].entry.name}."
    text += f" Runtimes for {c.quant}: {runtimes}."
    return FaqItem("local", question, text)


def _fastest(rows: Iterable[TargetRow], n: int = TOP_SPEEDS) -> list[TargetRow]:
    """The fastest targets that run the model, leaving out multi-GPU systems (a 72-GPU rack is
    not what anyone compares a desktop card with)."""
    ok = [r for r in rows if r.estimate.fit != NO and r.estimate.hardware.gpu_count == 1]
    return sorted(ok, key=lambda r: (-r.estimate.tokens_per_second, r.entry.name))[:n]


def q_speed(c: _Ctx) -> FaqItem:
    question = f"How fast is {c.name}?"
    fastest = sorted(_fastest(c.ans.gpus, TOP_SPEEDS - 2) + _fastest(c.ans.devices, 2),
                     key=lambda r: -r.estimate.tokens_per_second)
    t = c.target
    rows = list(fastest)
    if t is not None and all(r.id != t.id for r in rows):
        rows.append(t)
    if t is not None:
        e = c.row.on_target
        assert e is not None
        if not c.row.runs:
            # Never a speed for a setup that does not run: the ways it can, with theirs.
            why = c.row.unloadable or f"it needs {gib(e.required_bytes)}, {c.target_label} offers {gib(e.usable_bytes)}"
            text = f"It does not run on {c.target_label} {c.at()} ({why}). {ways_sentence(c.ans)}"
            rows = [r for r in rows if r.id != t.id]
            return FaqItem("speed", question, text, chart=speed_chart(c, rows) if rows else None)
        text = f"{c.At()}, {c.name} generates {tps(e.tokens_per_second)} on {c.target_label}."
        shown = e
    elif fastest:
        text = (
            f"{c.At()}, it reaches {tps(fastest[0].estimate.tokens_per_second)} on "
            f"{fastest[0].entry.name}, the fastest single GPU or device in the catalog that runs it."
        )
        shown = fastest[0].estimate
    else:
        return FaqItem("speed", question, f"No GPU or device in the catalog runs it {c.at()}.")
    text += (
        " Decoding is limited by memory bandwidth: every token reads the active weights and the KV cache."
        " Expect real results within about ±20 %."
    )
    return FaqItem("speed", question, text, speed_formula(shown), speed_chart(c, rows) if rows else None)


def q_download(c: _Ctx) -> FaqItem:
    m = c.row.memory
    text = f"At {c.quant} the download is {gb(m.download_bytes)}."
    q8 = c.quant_row("Q8_0")
    if q8 is not None and c.quant != "Q8_0":
        text += f" Q8_0 is {gb(q8.memory.download_bytes)}."
    full = next((r for n in FULL_PRECISION if (r := c.quant_row(n)) is not None), None)
    if full is not None and c.quant != full.entry.name:
        text += f" Full precision ({full.entry.name}) is {gb(full.memory.download_bytes)}."
    smallest = min(c.ans.quants, key=lambda r: r.memory.download_bytes)
    if smallest.entry.name != c.quant:
        text += f" The smallest option ({smallest.entry.name}) is {gb(smallest.memory.download_bytes)}."
    if m.weights.unloaded_bytes:
        text += (f" llama.cpp loads {gb(m.weights_bytes)} of it: the file also holds the model's"
                 f" multi-token-prediction layer ({gb(m.weights.unloaded_bytes)}), which it skips.")
    else:
        text += " The file size is the weights figure: the whole file is loaded."
    return FaqItem("download", f"What's the download size of {c.name}?", text)


def q_longest_context(c: _Ctx) -> FaqItem:
    t = c.target
    question = "What's the longest context on my GPU?"
    if t is None:
        return FaqItem("max-context", question, "Choose a target GPU or device to see the longest context it holds.")
    hw = t.estimate.hardware
    q = c.res.quants[c.quant]
    fits = max_context(c.a, q, c.s, hw, FITS)
    tight = max_context(c.a, q, c.s, hw, TIGHT)
    question = f"What's the longest context on {c.target_label}?"
    where = f"{c.target_label} at {c.quant} with a {c.s.kv_type} KV cache"
    if c.row.unloadable:
        return FaqItem("max-context", question, f"No context: {c.row.unloadable}.")
    if tight == 0:
        text = f"No context fits: {c.quant} does not fit {c.target_label} even with a one-token context."
    elif fits == 0:
        text = f"Only tightly: up to {tokens(tight)} fit {where}, without the recommended headroom."
    else:
        text = (
            f"Up to {tokens(fits)} fit {where} with headroom"
            + (f", {tokens(tight)} tightly" if tight > fits else "")
            + f" (the model's maximum is {tokens(c.a.context)})."
        )
    if tight and c.s.kv_type == "f16" and fits < c.a.context:
        q8 = max_context(c.a, q, replace(c.s, kv_type="q8_0"), hw, FITS)
        if q8 > fits:
            text += f" A q8_0 KV cache stretches that to {tokens(q8)} with headroom."
    return FaqItem("max-context", question, text)


def q_gpu_count(c: _Ctx) -> FaqItem:
    question = "How many GPUs do I need?"
    t = c.target
    a = c.a
    if t is not None and t.kind == "gpu":
        n = t.gpus_needed
        question = f"How many {t.entry.name} GPUs do I need?"
        if n is None:
            text = f"More than 64: {c.quant} at {tokens(c.s.context)} does not fit any tensor-parallel group."
        else:
            text = f"{n}× {t.entry.name} {c.at()}" + (" (tensor parallel)." if n > 1 else ".")
            hw = t.estimate.hardware
            full = gpus_needed(a, c.res.quants[c.quant], replace(c.s, context=a.context), hw)
            if c.s.context < a.context:
                text += f" The full {tokens(a.context)} need " + (f"{full}×." if full else "more than 64.")
        text += f" Tensor-parallel sizes divide the {a.heads} attention heads."
        return FaqItem("gpus", question, text)
    if t is not None:
        return FaqItem("gpus", question, f"{t.entry.name} is one system: the model {FIT_WORDS[t.estimate.fit]} there.")
    groups: dict[int, list[TargetRow]] = {}
    for r in _by_size(c.ans.gpus):
        if r.gpus_needed:
            groups.setdefault(r.gpus_needed, []).append(r)
    if not groups:
        return FaqItem("gpus", question, "No GPU in the catalog holds it, even 64 of them.")
    parts = []
    for n in sorted(groups):
        rows = groups[n]
        count = f"{len(rows)} GPU{'s' if len(rows) > 1 else ''}"
        if n == 1:
            parts.append(f"one GPU is enough on {count} of the catalog's {len(c.ans.gpus)} "
                         f"(the smallest: {rows[0].entry.name})")
        else:
            parts.append(f"{n}× on {count} (e.g. {_names(rows[::-1], 2)})")
    text = f"{c.At()}: " + "; ".join(parts) + ". Choose a GPU as the target for its own answer."
    return FaqItem("gpus", question, text)


def q_first_token(c: _Ctx) -> FaqItem:
    question = f"How long until the first token of a {PROMPT_TOKENS:,}-token prompt?"
    t = c.target
    if t is not None:
        e = c.row.on_target
        assert e is not None
        if not c.row.runs:
            return FaqItem("ttft", question, f"No first token: it does not run on {c.target_label} {c.at()}.")
        if e.prefill_tokens_per_second <= 0:
            return FaqItem("ttft", question,
                           f"Unknown for {c.target_label}: the catalog has no FP16 FLOP/s figure for it.")
        return FaqItem("ttft", question,
                       f"About {duration(PROMPT_TOKENS / e.prefill_tokens_per_second)} on {c.target_label} "
                       f"({e.prefill_tokens_per_second:,.0f} prompt tokens/s). Prompt processing is compute-bound.",
                       prefill_formula(e))
    known = [r for r in _fastest((*c.ans.gpus, *c.ans.devices), 1000) if r.estimate.prefill_tokens_per_second > 0]
    if not known:
        return FaqItem("ttft", question, "Choose a target with a known FLOP/s figure to see this.")
    best = max(known, key=lambda r: r.estimate.prefill_tokens_per_second)
    e = best.estimate
    return FaqItem("ttft", question,
                   f"From {duration(PROMPT_TOKENS / e.prefill_tokens_per_second)} on {best.entry.name}, the fastest"
                   " single GPU or device in the catalog; choose a target for yours.", prefill_formula(e))


def q_step_up(c: _Ctx) -> FaqItem:
    """The next-better quant and twice the context: what it takes (smallest GPU/device, the target's verdict)."""
    parts = []
    gpus = c.res.gpus
    devices = c.res.devices
    t = c.target
    better = _next_better(c, c.quant)
    if better is None:
        parts.append(f"{c.quant} is already the best quality listed.")
    else:
        name = better.entry.name
        parts.append(f"{name} needs {gib(better.memory.total_bytes)}" + _where(c, name, c.s, gpus, devices, t))
    bigger = min(c.s.context * 2, c.a.context)
    if bigger > c.s.context:
        s2 = replace(c.s, context=bigger)
        total = memory(c.a, c.res.quants[c.quant], s2).total_bytes
        parts.append(f"{tokens(bigger)} at {c.quant} need {gib(total)}" + _where(c, c.quant, s2, gpus, devices, t))
    else:
        parts.append(f"The context is already the model's maximum ({tokens(c.a.context)}).")
    return FaqItem("step-up", "What would it take to go one step up?", " ".join(parts))


def _where(c: _Ctx, q_name: str, s: Settings, gpus: dict[str, Hardware], devices: dict[str, Hardware],
           t: TargetRow | None) -> str:
    bits = []
    g = _smallest_fitting(c, gpus, q_name, s)
    d = _smallest_fitting(c, devices, q_name, s)
    if g:
        bits.append(f"the smallest GPU that fits it with headroom is the {g[1].name}")
    if d:
        bits.append(f"the smallest device is the {d[1].name}")
    text = ": " + "; ".join(bits) if bits else ": nothing in the catalog fits it with headroom"
    if t is not None:
        hw = t.estimate.hardware
        text += f"; on {c.target_label} it {FIT_WORDS[fit_on(c.a, c.res.quants[q_name], s, hw)]}"
    return text + "."


def q_command(c: _Ctx, commands: Sequence[LaunchCommand]) -> FaqItem:
    question = "Which command runs it?"
    runnable = [cmd for cmd in commands if cmd.available]
    if not runnable:
        runtimes = ", ".join(c.row.entry.runtimes) or "no runtime we know"
        return FaqItem("command", question, f"{c.quant} loads in {runtimes}; vramtui has no command for it yet.")
    text = f"{c.At()}" + (f", on {c.target_label}" if c.target else "") + ":"
    plan = c.ans.launch
    if c.target is not None and plan.plan.gpus > c.s.gpus and plan.spec.tp * plan.spec.pp > 1:
        e = c.row.on_target
        assert e is not None
        text += (f" vLLM and SGLang need {target_name(e.hardware.one_gpu(), plan.plan.gpus)}"
                 f" (tensor parallel), more than the {c.s.gpus} selected (press + for more GPUs).")
    formula: list[Term] = []
    for cmd in commands:
        if cmd.available:
            formula.append((TOOL_NAMES[cmd.tool], cmd.text or ""))
            formula.extend(("", f"({note})") for note in cmd.notes)
        else:
            formula.append((TOOL_NAMES[cmd.tool], f"({cmd.notes[0] if cmd.notes else 'cannot run it'})"))
    return FaqItem("command", question, text, tuple(formula))


def _no_serving(c: _Ctx) -> str:
    """Why there are no vLLM/SGLang figures for the selection."""
    t = c.target
    if t is None:
        return "Choose a target GPU to see the KV cache vLLM and SGLang allocate on it."
    if t.estimate.hardware.is_unified:
        return f"vLLM and SGLang serve from NVIDIA and AMD GPUs; {t.entry.name} is not one they size this way."
    return f"Neither vLLM nor SGLang loads {c.quant}; choose BF16, FP8 or AWQ/GPTQ INT4 to serve it."


def q_concurrency(c: _Ctx, sv: Serving | None) -> FaqItem:
    question = "How many concurrent requests can a server hold?"
    if sv is None:
        return FaqItem("concurrency", question, _no_serving(c))
    question = f"How many concurrent requests on {target_name(sv.hardware, sv.gpus)}?"
    text = f"At --max-model-len {sv.context:,}: {concurrency_sentence(sv)}"
    if sv.curve:
        text += f" Keeping ≥ {sv.min_tokens_per_second:g} tok/s each: {sv.at_rate} requests."
    if sv.vllm is not None:
        text += (" vLLM gives its KV cache what --gpu-memory-utilization leaves after the weights, the peak of"
                 f" its profiling run and its CUDA graphs, in blocks of {sv.vllm.layout.block_size:,} tokens.")
    formula: list[Term] = [*(vllm_formula(sv.vllm) if sv.vllm else ())]
    if sv.sglang is not None:
        formula.append(sglang_formula(sv.sglang))
    return FaqItem("concurrency", question, text, tuple(formula))


def q_throughput(c: _Ctx, sv: Serving | None) -> FaqItem:
    question = "How fast is each request when many share the server?"
    if sv is None or not sv.curve:
        return FaqItem("throughput", question, _no_serving(c) if sv is None
                       else "Not one request of this context fits the server's KV cache.")
    one, full = sv.curve[0], sv.curve[-1]
    text = f"One request decodes at {tps(one.per_request_tokens_per_second)} on {target_name(sv.hardware, sv.gpus)}."
    if full.sequences > 1:
        text += (f" With {full.sequences} (all the KV cache holds at {tokens(sv.context)}), each gets "
                 f"{tps(full.per_request_tokens_per_second)} and together {tps(full.aggregate_tokens_per_second)}:"
                 " a step reads the weights once for every sequence, so sharing is cheap until the KV reads"
                 f" or the FLOPs catch up ({full.bound}-bound here).")
    bars = tuple(Bar(str(d.sequences), d.per_request_tokens_per_second, tps(d.per_request_tokens_per_second),
                     selected=d is full) for d in sv.curve)
    chart = Chart(f"Decode speed per request by concurrent requests at {short_ctx(sv.context)}", bars)
    return FaqItem("throughput", question, text, step_formula(full, sv.hardware.name), chart)


# ---------------------------------------------------------------- launch commands


def commands_of(plan: Launch) -> tuple[LaunchCommand, ...]:
    """The tools' commands, runnable ones first (llama.cpp, Ollama, vLLM, SGLang order otherwise)."""
    return tuple(sorted(plan.commands.values(), key=lambda c: not c.available))


# ---------------------------------------------------------------- entry points


def build_faq(res: Resolved, ans: Answer) -> Faq:
    """Every FAQ item for `ans` (computed with `res`'s core values), in the order the app shows them."""
    c = _Ctx(res, ans)
    plan = ans.launch
    commands = commands_of(plan)
    sv = serving_for(ans, plan=plan) if ans.selection.target else None
    items = (
        q_memory(c), q_best_quant(c), q_mac(c), q_local(c), q_speed(c), q_download(c),
        q_longest_context(c), q_gpu_count(c), q_concurrency(c, sv), q_throughput(c, sv), q_first_token(c),
        q_step_up(c), q_command(c, commands),
    )
    return Faq(items, commands, ans.model.id)


def answer_text(ans: Answer) -> str:
    """A short plain-text answer for the clipboard: memory breakdown, and fit/speed on the target."""
    s, row = ans.settings, ans.quant_row
    m = row.memory
    lines = [
        f"{ans.model.name} ({ans.model.hf_repo}) at {ans.selection.quant}, {tokens(s.context)} of context, "
        f"KV {s.kv_type}" + (f", {s.sequences} sequences" if s.sequences > 1 else "")
        + (f", {s.gpus} GPUs" if s.gpus > 1 else ""),
        f"Memory: {gib(m.total_bytes, 2)} = weights {gib(m.weights_bytes, 2)} + KV cache "
        f"{gib(m.kv_bytes, 2)} + overhead {gib(m.overhead_bytes, 2)}; download {gb(m.download_bytes)}",
    ]
    if row.on_target is not None:
        e = row.on_target
        where = f"On {target_name(e.hardware, e.gpus)}: "
        usage = f"{gib(e.required_bytes)} of {gib(e.usable_bytes)} usable" + (" per GPU" if e.gpus > 1 else "")
        if row.unloadable:
            lines.append(where + f"no runtime loads it ({row.unloadable}). {ways_sentence(ans)}")
        elif e.fit == NO:
            lines.append(where + f"does not fit, {usage}. {ways_sentence(ans)}")
        else:
            lines.append(where + f"{FIT_WORDS[e.fit]}, {usage}, {tps(e.tokens_per_second)}")
    return "\n".join(lines)
