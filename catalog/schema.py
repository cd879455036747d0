"""The catalog's entries, validated by pydantic; each knows how to become a core value."""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.arch import Architecture
from core.hardware import APPLE, GPU, MULTI_GPU, UNIFIED, Hardware
from core.hf_config import ConfigError, architecture_from_config
from core.quant_mix import DEFAULT_TYPE, Recipe
from core.quantization import Quantization
from core.units import gib
from core.weights import GpuFormat
from core.ggml import TYPES

Slug = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=80)
Text = Field(min_length=1, max_length=200)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelEntry(_Entry):
    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    id: str = Slug
    name: str = Text
    hf_repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    publisher: str = Text
    family: str = Text
    params: int = Field(gt=0)
    params_exact: bool = False
    release_date: dt.date | None = None
    license: str = ""
    tags: list[str] = []
    description: str = ""
    source: str = Text
    verified_from: str = ""
    downloads: int | None = Field(default=None, ge=0)
    likes: int | None = Field(default=None, ge=0)
    vision_params: int = Field(default=0, ge=0)
    quants: list[str] = []
    config: dict[str, Any]

    @model_validator(mode="after")
    def _config_describes_a_model(self) -> "ModelEntry":
        try:
            architecture_from_config(self.config)
        except ConfigError as e:
            raise ValueError(f"config.{e.field} {e.problem}") from None
        return self

    @cached_property
    def architecture(self) -> Architecture:
        from dataclasses import replace

        a = architecture_from_config(self.config)
        return replace(a, extra_params=self.vision_params) if self.vision_params else a

    @property
    def architecture_name(self) -> str:
        archs = self.config.get("architectures") or [self.config.get("model_type", "?")]
        return str(archs[0])

    @property
    def context_length(self) -> int:
        return self.architecture.context


class QuantEntry(_Entry):
    name: str = Field(pattern=r"^[A-Za-z0-9_.+-]+$", max_length=40)
    kind: Literal["gguf", "gpu"]
    nominal_bits: float = Field(gt=0, le=32)
    quality: int = Field(ge=0, le=100)
    ftype: str | None = None
    imatrix: bool = True
    token_embd_type: str | None = None
    output_type: str | None = None
    bits: float | None = Field(default=None, gt=0, le=32)
    experts_only: bool = False
    head_bits: float = Field(default=16.0, gt=0, le=32)
    listed: bool = True  # shown in default tables
    runtimes: list[str] = []
    description: str = ""
    source: str = ""

    @model_validator(mode="after")
    def _complete(self) -> "QuantEntry":
        if self.kind == "gguf":
            if self.ftype not in DEFAULT_TYPE:
                raise ValueError(f"ftype must be one of llama.cpp's ftypes, not {self.ftype!r}")
            for field in ("token_embd_type", "output_type"):
                value = getattr(self, field)
                if value is not None and value not in TYPES:
                    raise ValueError(f"{field} {value!r} is not a GGML type")
        elif self.bits is None:
            raise ValueError("bits is required for a GPU format")
        return self

    def to_core(self) -> Quantization:
        if self.kind == "gguf":
            assert self.ftype is not None
            recipe = Recipe(self.ftype, self.imatrix, self.token_embd_type, self.output_type)
            return Quantization(self.name, self.nominal_bits, self.quality, recipe=recipe)
        assert self.bits is not None
        fmt = GpuFormat(self.bits, self.experts_only, self.head_bits)
        return Quantization(self.name, self.nominal_bits, self.quality, gpu_format=fmt)


class GpuEntry(_Entry):
    id: str = Slug
    name: str = Text
    vendor: Literal["NVIDIA", "AMD", "Intel", "Apple", "Other"]
    memory_gb: float = Field(gt=0, le=4096)
    bandwidth_gbps: float = Field(gt=0, le=100_000)
    fp16_tflops: float = Field(default=0.0, ge=0, le=100_000)
    segment: Literal["consumer", "workstation", "datacenter"]
    year: int = Field(ge=2010, le=2030)
    architecture: str = ""
    laptop: bool = False
    aliases: list[str] = []
    source: str = Text

    def hardware(self) -> Hardware:
        return Hardware(
            self.name, self.vendor, GPU, gib(self.memory_gb), self.bandwidth_gbps,
            self.fp16_tflops, segment=self.segment,
        )


class DeviceEntry(_Entry):
    id: str = Slug
    name: str = Text
    vendor: str = Text
    kind: Literal["apple", "unified", "multi_gpu"]
    chip: str = ""
    memory_gb: float = Field(gt=0, le=1_000_000)
    bandwidth_gbps: float = Field(gt=0, le=1_000_000)
    fp16_tflops: float = Field(default=0.0, ge=0)
    gpu_count: int = Field(default=1, ge=1, le=1024)
    gpu_memory_gb: float = Field(default=0.0, ge=0)
    year: int = Field(ge=2010, le=2030)
    aliases: list[str] = []
    source: str = Text

    @field_validator("gpu_count")
    @classmethod
    def _count(cls, v: int) -> int:
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "DeviceEntry":
        if self.kind == "multi_gpu" and self.gpu_count < 2:
            raise ValueError("a multi_gpu system needs gpu_count >= 2")
        if self.gpu_memory_gb > self.memory_gb:
            raise ValueError("gpu_memory_gb cannot exceed memory_gb")
        return self

    def hardware(self) -> Hardware:
        kind = {"apple": APPLE, "unified": UNIFIED, "multi_gpu": MULTI_GPU}[self.kind]
        if kind == MULTI_GPU:
            per_gpu = gib(self.memory_gb / self.gpu_count)
            return Hardware(
                self.name, self.vendor, kind, per_gpu, self.bandwidth_gbps, self.fp16_tflops,
                gpu_count=self.gpu_count, segment="datacenter",
            )
        return Hardware(
            self.name, self.vendor, kind, gib(self.memory_gb), self.bandwidth_gbps, self.fp16_tflops,
            gpu_memory_bytes=gib(self.gpu_memory_gb),
        )
