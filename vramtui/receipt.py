"""A receipt from a real startup: the engine's own figures beside vramtui's for the same settings.

The log (vramtui.sources.startup_log) names the model, the context and the flags; this finds
the model in the catalog, runs the same core the estimate uses with those settings, and pairs
each figure with its error. For a vLLM log the settings follow the log's release: before 0.20
the default --gpu-memory-utilization was 0.90, and before 0.21 CUDA graphs were not taken out
of the pool. Pure: the log is read by the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from vramtui.catalog.entries import CHECKPOINT_QUANTS, ModelEntry
from vramtui.catalog.loader import Catalog
from vramtui.core.errors import NotFound, UsageError
from vramtui.core.estimate import weights_per_gpu
from vramtui.core.hardware import GPU, Hardware
from vramtui.core.kv import KV_TYPES, kv_cache
from vramtui.core.overhead import OverheadModel, overhead
from vramtui.core.quantization import Quantization, weights
from vramtui.core.serving import (
    CUDA_TOTAL_OFFSET,
    CUDA_TOTAL_SCALE,
    DEFAULT_GPU_MEMORY_UTILIZATION,
    EngineOptions,
    VllmPool,
    kv_layout,
    vllm_pool,
)
from vramtui.resolve import find_model, find_quant, find_target
from vramtui.sources.startup_log import VLLM, StartupLog

GIB_UNIT, MIB_UNIT, TOKENS, TIMES = "GiB", "MiB", "tokens", "x"
OLD_DEFAULT_UTILIZATION = 0.90  # vLLM up to 0.15 (0.92 from 0.20)
SERVE_BATCHED_TOKENS = 8192  # vLLM's --max-num-batched-tokens for `vllm serve` on an H100

# vLLM's --quantization (and config quant_method) -> vramtui's quantization
_VLLM_QUANTS = {
    "fp8": "FP8", "fbgemm_fp8": "FP8", "awq": "AWQ-INT4", "awq_marlin": "AWQ-INT4", "gptq": "GPTQ-INT4",
    "gptq_marlin": "GPTQ-INT4", "mxfp4": "MXFP4", "modelopt_fp4": "NVFP4", "nvfp4": "NVFP4", "gguf": None,
}
_FLOAT_DTYPES = {"float16": "F16", "half": "F16", "bfloat16": "BF16", "auto": "BF16"}
# llama.cpp's printed file types ("Q4_K - Medium") -> GGUF quantization names
_SIZES = {"small": "S", "medium": "M", "large": "L"}


@dataclass(frozen=True)
class Line:
    """One figure: the engine's, vramtui's, and the error (vramtui − engine) ÷ engine."""

    what: str
    unit: str
    engine: float | None
    ours: float | None
    note: str = ""

    @property
    def error(self) -> float | None:
        if self.engine is None or self.ours is None or self.engine == 0:
            return None
        return (self.ours - self.engine) / abs(self.engine)


@dataclass(frozen=True)
class Receipt:
    log: StartupLog
    model: ModelEntry
    quant: str
    gpu: str | None  # the GPU the estimate used (None: no GPU, a llama.cpp log or an unknown card)
    context: int
    settings: tuple[tuple[str, str], ...]  # what the estimate was run with, as shown
    lines: tuple[Line, ...]
    engine_starts: bool | None = None  # vLLM: False when the log shows a refusal
    ours_starts: bool | None = None
    notes: tuple[str, ...] = ()


def _version(text: str | None) -> tuple[int, int, int] | None:
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)) if m else None


def _model(cat: Catalog, log: StartupLog, asked: str | None) -> tuple[ModelEntry, str | None]:
    """The catalog model the log (or --model) names, and the quantization a published checkpoint implies."""
    name = asked or log.model
    if not name:
        raise UsageError(f"{log.source}: the log does not name its model (no 'vllm serve MODEL', model=… or "
                         "general.name); pass --model NAME")
    if not asked:
        repo = cat.repos.get(name) or next((r for k, r in cat.repos.items() if k.lower() == name.lower()), None)
        if repo is not None and repo.kind != "gguf":
            return cat.models[repo.model], CHECKPOINT_QUANTS.get(repo.kind)
        name = _model_name(name)
    try:
        return find_model(cat, name), None
    except NotFound as e:
        if asked:
            raise
        raise NotFound(f"{log.source}: the log's model {log.model!r}: {e}; pass --model NAME",
                       candidates=e.candidates, ambiguous=e.ambiguous) from None


def _model_name(name: str) -> str:
    """A model name from what a log prints: a local path's folder, a GGUF file without its quant."""
    base = name.rstrip("/").split("/")[-1] if name.startswith(("/", "./", "~")) else name
    if base.lower().endswith(".gguf"):
        base = re.sub(r"(?:-\d{5}-of-\d{5})?\.gguf$", "", base, flags=re.IGNORECASE)
        base = re.sub(r"[-_.](?:I?Q\d\w*|BF16|F16|F32|MXFP4\w*)$", "", base, flags=re.IGNORECASE)
    return base


def _quant(cat: Catalog, log: StartupLog, asked: str | None, implied: str | None) -> str:
    if asked:
        return find_quant(cat, asked)
    if implied:
        return implied
    printed = (log.quant or "").strip()
    if log.engine == VLLM:
        if printed.lower() in _VLLM_QUANTS and _VLLM_QUANTS[printed.lower()]:
            return str(_VLLM_QUANTS[printed.lower()])
        if printed and printed.lower() not in ("none", "auto"):
            raise UsageError(f"{log.source}: vLLM ran quantization {printed!r}, which vramtui cannot tell "
                             "from its name; pass --quant (FP8, AWQ-INT4, GPTQ-INT4, NVFP4, MXFP4, INT8, BF16)")
        dtype = (log.dtype or "auto").lower().removeprefix("torch.")
        return _FLOAT_DTYPES.get(dtype, "BF16")
    m = re.match(r"(\w+?)(?:\s*-\s*(Small|Medium|Large))?(?:\s|$)", printed, re.IGNORECASE)
    if m:
        name = m.group(1).upper() + (f"_{_SIZES[m.group(2).lower()]}" if m.group(2) else "")
        found = next((q for q in cat.quants if q.upper() == name), None)
        if found:
            return found
    raise UsageError(f"{log.source}: the log does not say the GGUF's quantization"
                     + (f" (it printed {printed!r})" if printed else "") + "; pass --quant (e.g. Q4_K_M)")


def _gpu(cat: Catalog, log: StartupLog, asked: str | None) -> tuple[Hardware | None, str]:
    """The GPU for the pool estimate: --gpu, else the one the log names, else one of the total
    the log printed (vLLM's "Free memory on device (…/T GiB)"); (None, why) if none."""
    for query in (asked, log.gpu):
        if query:
            try:
                entry = find_target(cat, query)
            except NotFound:
                if query == asked:
                    raise
                continue
            return entry.hardware().one_gpu(), entry.name
    if log.total_bytes:
        # the card whose CUDA total is the one printed (core.serving's line, inverted)
        marketed = round((log.total_bytes + CUDA_TOTAL_OFFSET) / CUDA_TOTAL_SCALE)
        name = f"a GPU of {log.total_bytes / 2**30:.2f} GiB (from the log)"
        return Hardware(name, "NVIDIA", GPU, marketed, 0.0, segment="datacenter"), name
    return None, "not in the log"


def receipt(cat: Catalog, log: StartupLog, *, model: str | None = None, quant: str | None = None,
            gpu: str | None = None, context: int | None = None, kv_type: str | None = None) -> Receipt:
    """The log's figures beside vramtui's for the same model, quantization and settings."""
    entry, implied = _model(cat, log, model)
    q_name = _quant(cat, log, quant, implied)
    q = entry.quantization(cat.quants[q_name].to_core())
    ctx = context or log.context
    if not ctx:
        raise UsageError(f"{log.source}: the log does not say its context (max_model_len / n_ctx); pass --context N")
    if kv_type:
        log = replace(log, kv_cache_dtype=kv_type)
    if log.engine == VLLM:
        return _vllm(cat, log, entry, q_name, q, ctx, gpu)
    return _llama(log, entry, q_name, q, ctx)


def _vllm(cat: Catalog, log: StartupLog, entry: ModelEntry, q_name: str, q: Quantization, ctx: int,
          gpu: str | None) -> Receipt:
    a = entry.architecture
    version = _version(log.version)
    old = version is not None and version < (0, 20, 0)
    util = log.gpu_memory_utilization or (OLD_DEFAULT_UTILIZATION if old else DEFAULT_GPU_MEMORY_UTILIZATION)
    graphs = log.cuda_graphs_budgeted or version is None or version >= (0, 21, 0)
    kv_type = "f16" if (log.kv_cache_dtype or "auto").lower() in ("auto", "f16", "bf16", "float16", "bfloat16") \
        else "fp8"
    tp = log.tp or 1
    options = EngineOptions(util, log.max_num_batched_tokens, log.max_num_seqs, cuda_graphs=graphs)
    hw, gpu_name = _gpu(cat, log, gpu)
    notes = [] if hw is not None else ["the log names no GPU: pass --gpu NAME to estimate the pool"]
    pool: VllmPool | None = vllm_pool(a, q, hw, ctx, kv_type, tp, 1, options) if hw is not None else None
    g = 2**30
    lines = [Line("Weights per GPU", GIB_UNIT, _div(log.weights_bytes, g),
                  weights_per_gpu(a, weights(a, q).total, tp) / g)]
    ours_pool = pool.kv_cache_bytes if pool is not None else None
    lines.append(Line("KV cache pool per GPU", GIB_UNIT, _div(log.kv_cache_bytes, g), _div(ours_pool, g)))
    # tokens and concurrency: from vramtui's pool, or, without a GPU, from the pool the log printed
    layout_pool: int | None
    if pool is not None:
        layout, layout_pool = pool.layout, pool.kv_cache_bytes
    else:
        # the layout needs no GPU; max_num_batched_tokens (it matters for sliding windows) as on an H100
        layout = kv_layout(a, kv_type, tp, 1, log.max_num_batched_tokens or SERVE_BATCHED_TOKENS)
        layout_pool = log.kv_cache_bytes
        if layout_pool is not None:
            notes.append("tokens and concurrency below are vramtui's from the pool the log printed")
    conc = layout.concurrency(layout_pool, ctx) if layout_pool is not None else None
    lines.append(Line("KV cache tokens", TOKENS, log.kv_cache_tokens, None if conc is None else int(conc * ctx)))
    lines.append(Line(f"Max concurrency at {ctx:,}", TIMES, log.max_concurrency, conc))
    ours_starts = layout.starts(layout_pool, ctx) if layout_pool is not None else None
    if log.refused and layout_pool is not None:
        lines.append(Line("KV cache one request needs", GIB_UNIT, _div(log.needs_bytes, g),
                          layout.blocks_per_request(ctx) * layout.bytes_per_block / g))
        lines.append(Line("Longest max-model-len that starts", TOKENS, log.longest,
                          layout.longest_that_starts(layout_pool, ctx)))
    settings = (("engine", f"vLLM {log.version or '(version not in the log)'}"), ("model", entry.id),
                ("quant", q_name), ("GPU", gpu_name), ("max-model-len", f"{ctx:,}"), ("TP", str(tp)),
                ("gpu-memory-utilization", f"{util:.2f}"), ("KV cache", kv_type),
                ("CUDA graphs budgeted", "yes" if graphs else "no (before vLLM 0.21)"))
    engine_starts = False if log.refused else (True if log.kv_cache_tokens or log.max_concurrency else None)
    return Receipt(log, entry, q_name, gpu_name if hw is not None else None, ctx, settings, tuple(lines),
                   engine_starts, ours_starts, tuple(notes))


def _div(n: int | None, unit: int) -> float | None:
    return None if n is None else n / unit


def _llama(log: StartupLog, entry: ModelEntry, q_name: str, q: Quantization, ctx: int) -> Receipt:
    a = entry.architecture
    m = 2**20
    seqs = log.sequences or 1
    kv_type = (log.kv_cache_dtype or "f16").lower()
    notes = []
    if kv_type not in KV_TYPES:
        notes.append(f"KV cache type {kv_type} is not one vramtui models; f16 used")
        kv_type = "f16"
    kv = kv_cache(a, max(1, ctx // seqs), kv_type, seqs).total
    off = (log.flash_attention or "").lower() in ("0", "off", "disabled", "false")
    o = overhead(a, max(1, ctx // seqs), OverheadModel(flash_attention=not off))
    lines = [
        Line("Weights (all buffers)", MIB_UNIT, _div(log.weights_bytes, m), weights(a, q).loaded / m),
        Line("KV cache", MIB_UNIT, _div(log.kv_cache_bytes, m), kv / m),
    ]
    if log.compute_bytes is not None:
        note = "flash attention off: the KQ scores grow with n_ctx" if off else ""
        lines.append(Line("Compute buffer (GPU)", MIB_UNIT, log.compute_bytes / m, o.compute_bytes / m, note))
    if log.sequences is not None:
        lines.append(Line("Max concurrency (slots)", TIMES, log.max_concurrency, None, "set by -np"))
    settings = (("engine", "llama.cpp"), ("model", entry.id), ("quant", q_name), ("n_ctx", f"{ctx:,}"),
                ("sequences", str(seqs)), ("KV cache", kv_type),
                ("flash attention", log.flash_attention or "not in the log"))
    return Receipt(log, entry, q_name, None, ctx, settings, tuple(lines), notes=tuple(notes))
