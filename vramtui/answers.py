"""The answer to "can I run it": the catalog's entries run through the core for one selection.

Shared by the command line and the app so both show the same numbers. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from vramtui.catalog.entries import DeviceEntry, GpuEntry, ModelEntry, QuantEntry, RepoEntry
from vramtui.catalog.loader import Catalog
from vramtui.core.arch import Architecture
from vramtui.core.context import BeyondTrained, beyond_trained
from vramtui.core.estimate import (
    FITS,
    NO,
    RECOMMENDED_DEFAULT,
    Memory,
    Settings,
    TargetEstimate,
    default_context,
    gpus_needed,
    memory,
    native_quant,
    on_target,
    plan_settings,
    recommended_quant,
)
from vramtui.core.hardware import GPU, Hardware
from vramtui.core.offload import OffloadPlan
from vramtui.core.quantization import LOW_QUALITY, Quantization
from vramtui.core.runtimes import unloadable_reason
from vramtui.core.serving import EngineOptions


@dataclass(frozen=True)
class Selection:
    model_id: str
    quant: str = "Q4_K_M"
    context: int | None = None  # None: the default (8,192 capped at the model's maximum)
    kv_type: str = "f16"
    sequences: int = 1
    gpus: int = 1
    target: str | None = None  # a GPU or device id
    all_quants: bool = False
    # vLLM's --gpu-memory-utilization and --max-num-batched-tokens (None: vLLM's defaults)
    gpu_memory_utilization: float | None = None
    max_num_batched_tokens: int | None = None


@dataclass(frozen=True)
class QuantRow:
    entry: QuantEntry
    memory: Memory
    full_context_total_bytes: int
    recommended: bool
    on_target: TargetEstimate | None
    unloadable: str | None = None  # why no runtime loads this quant on the target (None: one does)

    @property
    def runs(self) -> bool:
        """On the target: some runtime loads it and it fits (with or without headroom)."""
        return self.on_target is not None and self.unloadable is None and self.on_target.fit != NO


@dataclass(frozen=True)
class TargetRow:
    id: str
    kind: str  # "gpu" or "device"
    entry: GpuEntry | DeviceEntry
    estimate: TargetEstimate
    gpus_needed: int | None  # for GPUs: fewest of this card that fit with headroom


@dataclass(frozen=True)
class Ways:
    """How one quant can still run on the target when it does not fit as selected.

    Derived from the same launch plan as the commands (core.launch), so the -ngl value and
    the GPU count shown here are the ones the commands use.
    """

    quant: str
    offload: OffloadPlan | None  # llama.cpp partial offload (-ngl N), the rest in system RAM
    gpus: int | None  # this many of the target GPU fit with headroom (vLLM/SGLang tensor parallel)
    gpus_tokens_per_second: float | None

    @property
    def any(self) -> bool:
        return self.offload is not None or self.gpus is not None


class Resolved:
    """A catalog and its entries as core values, built once and reused for every recompute."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @cached_property
    def quants(self) -> dict[str, Quantization]:
        return {name: q.to_core() for name, q in self.catalog.quants.items()}

    @cached_property
    def gpus(self) -> dict[str, Hardware]:
        return {gid: g.hardware() for gid, g in self.catalog.gpus.items()}

    @cached_property
    def devices(self) -> dict[str, Hardware]:
        return {did: d.hardware() for did, d in self.catalog.devices.items()}

    def hardware(self, target_id: str) -> Hardware | None:
        return self.gpus.get(target_id) or self.devices.get(target_id)

    def add_gpu(self, entry: GpuEntry) -> None:
        """Add a GPU that is not in the built-in catalog (this machine's unknown card) as a target."""
        self.catalog.gpus[entry.id] = entry
        self.gpus[entry.id] = entry.hardware()

    def add_device(self, entry: DeviceEntry) -> None:
        """Add a device that is not in the catalog (this machine's CPU and RAM) as a target."""
        self.catalog.devices[entry.id] = entry
        self.devices[entry.id] = entry.hardware()


def settings_for(a: Architecture, sel: Selection) -> Settings:
    # A context past the model's maximum is computed as asked (llama.cpp allocates it); Answer.beyond says so.
    context = default_context(a) if sel.context is None else sel.context
    return Settings(context=context, kv_type=sel.kv_type, sequences=sel.sequences, gpus=sel.gpus)


@dataclass(frozen=True)
class Answer:
    selection: Selection
    model: ModelEntry
    settings: Settings
    quants: tuple[QuantRow, ...]
    gpus: tuple[TargetRow, ...]
    devices: tuple[TargetRow, ...]
    recommended: str | None
    repos: tuple[RepoEntry, ...] = ()  # the model's published weights (GGUF repos, checkpoints)

    @property
    def quant_row(self) -> QuantRow:
        return next(r for r in self.quants if r.entry.name == self.selection.quant)

    def row(self, quant: str) -> QuantRow | None:
        return next((r for r in self.quants if r.entry.name == quant), None)

    def runnable(self, rows: tuple[TargetRow, ...]) -> list[TargetRow]:
        return [r for r in rows if r.estimate.fit != NO]

    @property
    def beyond(self) -> BeyondTrained | None:
        """Set when the context asked is longer than the model was trained for (computed as asked)."""
        return beyond_trained(self.model.architecture, self.settings.context)

    @property
    def target(self) -> TargetRow | None:
        """The target's row in the GPU or device list (None without a target)."""
        t = self.selection.target
        return next((r for r in (*self.gpus, *self.devices) if r.id == t), None) if t else None

    @cached_property
    def launch(self):  # -> core.launch.Launch
        """The launch plan of the selection (cached: the FAQ, the header and `y` all read it)."""
        return launch_for(self)

    def ways(self, quant: str | None = None) -> Ways | None:
        """How `quant` (default: the selected one) can run on the target although it does not fit; None
        without a target or when it fits."""
        row = self.quant_row if quant is None else self.row(quant)
        if row is None or row.on_target is None or row.on_target.fit != NO:
            return None
        plan = self.launch if row is self.quant_row else launch_for(self, row.entry.name)
        hw = row.on_target.hardware
        gpus = tps = None
        if plan.fit == FITS and plan.plan.gpus > row.on_target.gpus and hw.kind == GPU:
            gpus = plan.plan.gpus
            q = self.model.quantization(row.entry.to_core())
            tps = on_target(self.model.architecture, q, plan_settings(self.settings, plan.plan), hw,
                            self.model.params).tokens_per_second
        return Ways(row.entry.name, plan.offload, gpus, tps)

    @property
    def low_quality_pick(self) -> QuantRow | None:
        """The ★ when it is a 1–2-bit quant (core.quantization.LOW_QUALITY): worth a warning."""
        rec = self.row(self.recommended) if self.recommended else None
        return rec if rec is not None and rec.on_target is not None and rec.entry.quality < LOW_QUALITY else None

    @property
    def better_quant(self) -> QuantRow | None:
        """The quant to run instead of a low-quality ★: Q4_K_M, or the smallest shown above LOW_QUALITY."""
        good = [r for r in self.quants if r.entry.quality >= LOW_QUALITY and r.unloadable is None]
        return next((r for r in good if r.entry.name == RECOMMENDED_DEFAULT),
                    min(good, key=lambda r: r.memory.total_bytes, default=None))


def quant_names(res: Resolved, sel: Selection) -> list[str]:
    """The quantizations shown for a selection: the listed ones (or all), always including the
    selected one and the model's native one (gpt-oss: MXFP4_MOE)."""
    cat = res.catalog
    native = native_quant(cat.models[sel.model_id].architecture) if sel.model_id in cat.models else None
    return [n for n, q in cat.quants.items() if sel.all_quants or q.listed or n in (sel.quant, native)]


def answer(res: Resolved, sel: Selection) -> Answer:
    """Memory for every shown quant, and fit/speed of the selected quant on every GPU and device."""
    cat = res.catalog
    model = cat.models[sel.model_id]
    a = model.architecture
    s = settings_for(a, sel)
    names = quant_names(res, sel)
    if sel.quant not in cat.quants:
        raise KeyError(sel.quant)
    target = res.hardware(sel.target) if sel.target else None
    quants = [model.quantization(res.quants[n]) for n in names]
    rec = recommended_quant(a, quants, s, target)
    full = replace(s, context=a.context)
    rows = []
    for n, q in zip(names, quants):
        m = memory(a, q, s)
        full_total = memory(a, q, full).total_bytes
        t = on_target(a, q, s, target, model.params) if target else None
        why = unloadable_reason(q, target) if target else None
        rows.append(QuantRow(cat.quants[n], m, full_total, rec is not None and rec.name == n, t, why))
    rows.sort(key=lambda r: (r.memory.total_bytes, r.entry.name))
    q = model.quantization(res.quants[sel.quant])
    gpus = []
    for gid, hw in res.gpus.items():
        est = on_target(a, q, s, hw, model.params)
        needed = 1 if est.fit == FITS and est.gpus == 1 else gpus_needed(a, q, s, hw)
        gpus.append(TargetRow(gid, "gpu", cat.gpus[gid], est, needed))
    devices = tuple(
        TargetRow(did, "device", cat.devices[did], on_target(a, q, s, hw, model.params), None)
        for did, hw in res.devices.items()
    )
    return Answer(sel, model, s, tuple(rows), tuple(gpus), devices, rec.name if rec else None,
                  tuple(cat.repos_of(model.id)))


def _owner(repo: str) -> str:
    return repo.split("/")[0].lower()


def published_repo(model: ModelEntry, repos: tuple[RepoEntry, ...], quant: str) -> RepoEntry | None:
    """The repo to fetch `quant` of `model` from, if one is known to hold it.

    GGUF: ggml-org's, then the publisher's own, then bartowski, unsloth, LM Studio, then others;
    a checkpoint: the publisher's own first, then NVIDIA's and Red Hat's, then others.
    """
    own = _owner(model.hf_repo)
    gguf_rank = {"ggml-org": 0, own: 1, "bartowski": 2, "unsloth": 3, "lmstudio-community": 4}
    ckpt_rank = {own: 0, "nvidia": 1, "redhatai": 2, "neuralmagic": 3}
    held = [r for r in repos if r.serves(quant)]
    rank = gguf_rank if any(r.kind == "gguf" for r in held) else ckpt_rank
    return min(held, key=lambda r: (rank.get(_owner(r.repo), 9), r.repo.lower()), default=None)


def engine_options(sel: Selection) -> EngineOptions:
    """The server flags the selection sets (the rest are the engines' defaults)."""
    return EngineOptions(sel.gpu_memory_utilization, sel.max_num_batched_tokens)


def longest_context(ans: Answer) -> int:
    """The longest context at which the selected quant fits the target with headroom (0: none).

    Asks the core (max_context) with the selection's KV type, sequences and GPU count."""
    from vramtui.core.estimate import max_context

    t = ans.quant_row.on_target
    assert t is not None
    q = ans.model.quantization(ans.quant_row.entry.to_core())
    return max_context(ans.model.architecture, q, ans.settings, t.hardware)


def launch_for(ans: Answer, quant: str | None = None):  # -> core.launch.Launch
    """The launch plan for the selection (or for `quant` instead of the selected quant): the
    tensor-parallel/offload plan and each runtime's command.

    A quantization a known repo holds (catalog/data/repos.toml) is fetched from that repo.
    """
    from vramtui.core.launch import launch

    m = ans.model
    target = ans.target
    hw = target.estimate.hardware if target else None
    qc = m.config.get("quantization_config")
    fmt = qc.get("quant_method") if isinstance(qc, dict) else None
    row = ans.quant_row if quant is None else ans.row(quant)
    assert row is not None, quant
    q = m.quantization(row.entry.to_core())
    # A model read from a .gguf runs from that very file at its own quantization.
    path = m.source if m.gguf_file is not None and q.name == m.file_quant else None
    repo = published_repo(m, ans.repos, q.name) if path is None else None
    gguf_repo = repo.repo if repo is not None and repo.kind == "gguf" else None
    checkpoint = repo.repo if repo is not None and repo.kind != "gguf" else None
    return launch(m.architecture, q, ans.settings, hw, m.hf_repo, checkpoint_format=fmt, gguf_path=path,
                  gguf_repo=gguf_repo, checkpoint_repo=checkpoint, engine=engine_options(ans.selection))
