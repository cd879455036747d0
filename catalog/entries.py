"""Catalog entries as plain frozen values: what the rest of vramtui reads.

They are built by catalog.schema after pydantic has validated a file, or
restored from the validated-catalog cache (JSON): the hot path of `vramtui estimate`
never imports pydantic (~100 ms).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from vramtui.core.arch import Architecture
from vramtui.core.errors import Unsupported
from vramtui.core.gguf_file import GgufFile
from vramtui.core.hardware import APPLE, CPU, GPU, MULTI_GPU, UNIFIED, Hardware
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.quant_mix import Recipe, recipe_for_release
from vramtui.core.quantization import Quantization
from vramtui.core.units import gib
from vramtui.core.weights import GpuFormat


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, GgufFile):
        return {"file_type": value.file_type, "tensors": len(value.tensors),
                "header_bytes": value.header_bytes, "shards": value.shards}
    return value


class _Entry:
    def to_dict(self) -> dict[str, Any]:
        """The entry's fields as JSON-ready values."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class ModelEntry(_Entry):
    id: str
    name: str
    hf_repo: str
    publisher: str
    family: str
    params: int
    source: str
    config: dict[str, Any] = field(default_factory=dict)
    params_exact: bool = False
    release_date: dt.date | None = None
    license: str = ""
    tags: tuple[str, ...] = ()
    description: str = ""
    verified_from: str = ""
    downloads: int | None = None
    likes: int | None = None
    vision_params: int = 0
    mtp_layers: int | None = None  # the checkpoint's MTP layers where the config says otherwise
    unsupported: str = ""  # what vramtui lacks to size this model ("" when it can)
    quants: tuple[str, ...] = ()
    gguf_file: GgufFile | None = None  # a model read from a .gguf header: its own quant's weights are exact

    @cached_property
    def architecture(self) -> Architecture:
        """The model's shape; Unsupported (one line, exit 2) for a model vramtui cannot size yet."""
        if self.unsupported:
            raise Unsupported(self.name, self.unsupported)
        a = architecture_from_config(self.config)
        overrides: dict[str, Any] = {}
        if self.vision_params:
            overrides["extra_params"] = self.vision_params
        if self.mtp_layers is not None:
            overrides["mtp_layers"] = self.mtp_layers
        return dataclasses.replace(a, **overrides) if overrides else a

    @property
    def architecture_name(self) -> str:
        archs = self.config.get("architectures") or [self.config.get("model_type", "?")]
        return str(archs[0])

    @property
    def context_length(self) -> int:
        """The model's longest context (0 for a model vramtui cannot size yet)."""
        return 0 if self.unsupported else self.architecture.context

    @property
    def file_quant(self) -> str | None:
        """The quantization of the GGUF file this model was read from (e.g. Q4_K_M), or None."""
        return (self.gguf_file.file_type or None) if self.gguf_file is not None else None

    def quantization(self, q: Quantization) -> Quantization:
        """`q` for this model: the GGUF file itself (exact weights) when `q` is that file's quantization;
        otherwise `q` made by the llama-quantize of the model's release (see quant_mix.LEGACY_QKV_BEFORE)."""
        f = self.gguf_file
        if f is None or not f.file_type or q.name != f.file_type:
            if q.recipe is None:
                return q
            recipe = recipe_for_release(q.recipe, self.release_date)
            return q if recipe == q.recipe else dataclasses.replace(q, recipe=recipe)
        return Quantization(q.name, q.nominal_bits, q.quality, gguf_file=f)


@dataclass(frozen=True)
class QuantEntry(_Entry):
    name: str
    kind: str  # "gguf" or "gpu"
    nominal_bits: float
    quality: int
    ftype: str | None = None
    imatrix: bool = True
    token_embd_type: str | None = None
    output_type: str | None = None
    bits: float | None = None
    experts_only: bool = False
    head_bits: float = 16.0
    listed: bool = True
    runtimes: tuple[str, ...] = ()
    description: str = ""
    source: str = ""

    def to_core(self) -> Quantization:
        if self.kind == "gguf":
            assert self.ftype is not None
            recipe = Recipe(self.ftype, self.imatrix, self.token_embd_type, self.output_type)
            return Quantization(self.name, self.nominal_bits, self.quality, recipe=recipe)
        assert self.bits is not None
        fmt = GpuFormat(self.bits, self.experts_only, self.head_bits)
        return Quantization(self.name, self.nominal_bits, self.quality, gpu_format=fmt)


@dataclass(frozen=True)
class GpuEntry(_Entry):
    id: str
    name: str
    vendor: str
    memory_gb: float
    bandwidth_gbps: float
    segment: str
    year: int
    source: str
    fp16_tflops: float = 0.0
    architecture: str = ""
    laptop: bool = False
    aliases: tuple[str, ...] = ()

    def hardware(self) -> Hardware:
        return Hardware(
            self.name, self.vendor, GPU, gib(self.memory_gb), self.bandwidth_gbps,
            self.fp16_tflops, segment=self.segment, family=self.architecture,
        )


@dataclass(frozen=True)
class DeviceEntry(_Entry):
    id: str
    name: str
    vendor: str
    kind: str  # "apple", "unified" or "multi_gpu"; "cpu" only for this machine without a GPU (never in files)
    memory_gb: float
    bandwidth_gbps: float
    year: int
    source: str
    chip: str = ""
    fp16_tflops: float = 0.0
    gpu_count: int = 1
    gpu_memory_gb: float | None = None  # a documented fixed GPU allocation of unified memory; None: the rule
    gpu: str = ""  # multi-GPU systems: the catalog id of the GPU they are built from
    gpu_cores: int = 0  # Apple: the chip's GPU cores
    aliases: tuple[str, ...] = field(default=())

    def hardware(self) -> Hardware:
        kind = {"apple": APPLE, "unified": UNIFIED, "multi_gpu": MULTI_GPU, "cpu": CPU}[self.kind]
        if kind == MULTI_GPU:
            per_gpu = gib(self.memory_gb / self.gpu_count)
            return Hardware(
                self.name, self.vendor, kind, per_gpu, self.bandwidth_gbps, self.fp16_tflops,
                gpu_count=self.gpu_count, segment="datacenter", family=self.chip,
            )
        return Hardware(
            self.name, self.vendor, kind, gib(self.memory_gb), self.bandwidth_gbps, self.fp16_tflops,
            gpu_memory_bytes=gib(self.gpu_memory_gb or 0), family=self.chip, gpu_cores=self.gpu_cores,
        )


# A pre-quantized checkpoint kind -> the catalog quantization it serves.
CHECKPOINT_QUANTS = {"fp8": "FP8", "awq": "AWQ-INT4", "gptq-int4": "GPTQ-INT4", "nvfp4": "NVFP4", "mxfp4": "MXFP4",
                     "w8a8-int8": "INT8"}


@dataclass(frozen=True)
class RepoEntry(_Entry):
    """Published weights of a catalog model: a GGUF repo (with the quantizations seen in it) or a checkpoint."""

    model: str
    kind: str  # "gguf" or a checkpoint format (CHECKPOINT_QUANTS)
    repo: str
    source: str
    quants: tuple[str, ...] = ()

    def serves(self, quant: str) -> bool:
        """Whether this repo holds `quant` (a GGUF quantization listed in it, or the checkpoint's format)."""
        return quant in self.quants if self.kind == "gguf" else CHECKPOINT_QUANTS.get(self.kind) == quant
