"""What can I run here? Every catalog model that runs on one target, each at its best quant.

Shared by `vramtui fit` and the app's fit list. Pure: no I/O (the target's Hardware is
resolved, or detected, by the caller).

For each model the quantizations are tried from the highest quality down (only those some
runtime loads on the target: GGUF on a Mac or a CPU); the first that fits with headroom is
the model's answer, or failing that the best that fits only tightly. Order: by the quant's
class (4-bit and better, then 3-bit, then 1–2-bit: core.quantization's GOOD_QUALITY and
LOW_QUALITY), then what fits with headroom, then larger models (more parameters: within a
generation, the usual proxy for capability), then better quants, then faster ones.

Speed: a quant far too big is skipped before its exact size is computed (core.weights
models every tensor of the GGUF file, ~3 ms a quant): its nominal size (parameters ×
headline bits) alone, scaled by NOMINAL_FLOOR, is more than the target holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from vramtui.answers import Resolved
from vramtui.catalog.entries import ModelEntry, QuantEntry
from vramtui.core.estimate import (
    FIT_ORDER,
    FITS,
    NO,
    TIGHT,
    Memory,
    Settings,
    TargetEstimate,
    default_context,
    fit_on,
    gpus_on,
    memory,
    on_target,
)
from vramtui.core.hardware import Hardware
from vramtui.core.kv import kv_cache
from vramtui.core.overhead import overhead_bytes
from vramtui.core.quantization import GOOD_QUALITY, LOW_QUALITY, Quantization, nominal_weights_bytes
from vramtui.core.runtimes import unloadable_reason

# A real file is never below 0.8 of its nominal size in the catalog (the least: Qwen3 0.6B at
# BF16, 0.797, whose published count includes its tied embedding once); 0.7 leaves a margin.
# tests/unit/test_fit.py checks the bound on the models nearest to it.
NOMINAL_FLOOR = 0.7


@dataclass(frozen=True)
class FitFilter:
    """Which models to consider: parameter range, family, tag (each None: any)."""

    min_params: int | None = None
    max_params: int | None = None
    family: str | None = None
    tag: str | None = None
    min_tokens_per_second: float | None = None

    def admits(self, m: ModelEntry) -> bool:
        if self.min_params is not None and m.params < self.min_params:
            return False
        if self.max_params is not None and m.params > self.max_params:
            return False
        if self.family is not None and m.family.lower() != self.family.lower():
            return False
        return self.tag is None or self.tag.lower() in (t.lower() for t in m.tags)


@dataclass(frozen=True)
class FitRow:
    """One model at its best quant on the target."""

    model: ModelEntry
    quant: QuantEntry
    memory: Memory
    estimate: TargetEstimate

    @property
    def fit(self) -> str:
        return self.estimate.fit

    @property
    def tokens_per_second(self) -> float:
        return self.estimate.tokens_per_second

    @property
    def low_quality(self) -> bool:
        return self.quant.quality < LOW_QUALITY


@dataclass(frozen=True)
class FitList:
    """The models that run on `hardware` (as `gpus` of it), best first, and how many were tried."""

    hardware: Hardware
    gpus: int
    context: int | None  # None: each model's default context (8,192 capped at its maximum)
    kv_type: str
    rows: tuple[FitRow, ...]
    considered: int  # models the filter admitted
    short_context: int = 0  # of those, models trained for less than the context asked: not listed


def quality_class(quality: int) -> int:
    """0: 4-bit and better; 1: 3-bit; 2: 1–2-bit."""
    return 0 if quality >= GOOD_QUALITY else (1 if quality >= LOW_QUALITY else 2)


def rank_key(r: FitRow) -> tuple:
    """Quant class first (4-bit and up), headroom before tight, larger models, better quants, faster."""
    return (quality_class(r.quant.quality), r.fit != FITS, -r.model.params, -r.quant.quality,
            -r.tokens_per_second, r.model.name)


def _cannot_fit(a, q: Quantization, s: Settings, hw: Hardware, params: int) -> bool:
    """True when even a generous lower bound of `q`'s memory is more than `hw` holds (one GPU or
    one unified memory: a split over several GPUs is always computed exactly)."""
    if gpus_on(hw, s) > 1:
        return False
    floor = (nominal_weights_bytes(params, q.nominal_bits) * NOMINAL_FLOOR
             + kv_cache(a, s.context, s.kv_type, s.sequences).total + overhead_bytes(a, s.context, s.overhead))
    return floor > max(hw.usable_bytes, hw.stretch_bytes)


def best_fit(res: Resolved, m: ModelEntry, candidates: Sequence[tuple[QuantEntry, Quantization]],
             s: Settings, hw: Hardware) -> FitRow | None:
    """`m` at the best candidate quant that fits `hw` with headroom, else the best that fits tightly."""
    a = m.architecture
    tight: tuple[QuantEntry, Quantization] | None = None
    for entry, q in candidates:
        if _cannot_fit(a, q, s, hw, m.params):
            continue
        state = fit_on(a, q, s, hw)
        if state == FITS:
            return FitRow(m, entry, memory(a, q, replace(s, gpus=gpus_on(hw, s))), on_target(a, q, s, hw, m.params))
        if state == TIGHT and tight is None:
            tight = (entry, q)
    if tight is None:
        return None
    entry, q = tight
    return FitRow(m, entry, memory(a, q, replace(s, gpus=gpus_on(hw, s))), on_target(a, q, s, hw, m.params))


def fit_list(
    res: Resolved,
    hw: Hardware,
    *,
    context: int | None = None,
    kv_type: str = "f16",
    gpus: int = 1,
    all_quants: bool = False,
    only: FitFilter = FitFilter(),
    models: Iterable[ModelEntry] | None = None,
) -> FitList:
    """Every model (of the catalog, or `models`) that runs on `hw`, at its best quant, best first."""
    cat = res.catalog
    quants = [
        (e, res.quants[n]) for n, e in cat.quants.items()
        if (all_quants or e.listed) and unloadable_reason(res.quants[n], hw) is None
    ]
    quants.sort(key=lambda eq: (-eq[1].quality, eq[1].name))
    rows = []
    considered = short = 0
    for m in (cat.models.values() if models is None else models):
        if m.unsupported or not only.admits(m):
            continue  # a model vramtui cannot size yet fits nowhere it can say
        considered += 1
        a = m.architecture
        if context is not None and context > a.context:
            # Not answered at a shorter context than asked: left out, and counted for the reader.
            short += 1
            continue
        s = Settings(context=default_context(a) if context is None else context, kv_type=kv_type, gpus=gpus)
        row = best_fit(res, m, [(e, m.quantization(q)) for e, q in quants], s, hw)
        if row is None or FIT_ORDER[row.fit] <= FIT_ORDER[NO]:
            continue
        if only.min_tokens_per_second is not None and row.tokens_per_second < only.min_tokens_per_second:
            continue
        rows.append(row)
    rows.sort(key=rank_key)
    return FitList(hw, gpus_on(hw, Settings(gpus=gpus)), context, kv_type, tuple(rows), considered, short)
