"""Validation of catalog files: one pydantic model per table; each builds a plain entry.

Imported only when a catalog file must be (re)validated; everything else reads the
frozen entries of catalog.entries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from vramtui.catalog import entries
from vramtui.core.ggml import TYPES
from vramtui.core.hf_config import ConfigError, architecture_from_config
from vramtui.core.quant_mix import DEFAULT_TYPE

Slug = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=80)
Text = Field(min_length=1, max_length=200)


class _Entry(BaseModel):
    # allow_inf_nan=False: an infinite FLOP rate would print as Infinity, which is not JSON.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def to_entry(self) -> Any:
        raise NotImplementedError

    def _fields(self) -> dict[str, Any]:
        return {k: tuple(v) if isinstance(v, list) else v for k, v in self.__dict__.items()}


class ModelSchema(_Entry):
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
    # MTP layers the checkpoint holds where its config says otherwise (Qwen3-Coder-Next ships
    # none although Qwen3-Next's config implies one; MiniMax M3 declares one and ships none).
    mtp_layers: int | None = Field(default=None, ge=0, le=16)
    # What vramtui lacks to size this model (e.g. DeepSeek V4's compressed attention): listed
    # and searchable, but `estimate` says so instead of printing a number.
    unsupported: str = Field(default="", max_length=300)
    quants: list[str] = []
    config: dict[str, Any] = {}

    @model_validator(mode="after")
    def _config_describes_a_model(self) -> ModelSchema:
        if self.unsupported:
            if not self.unsupported.strip():
                raise ValueError("unsupported must say what is missing")
            return self  # its config (if any) is kept as data; the core does not read it
        if not self.config:
            raise ValueError("config is required unless the entry says what is unsupported")
        try:
            architecture_from_config(self.config)
        except ConfigError as e:
            raise ValueError(f"config.{e.field} {e.problem}") from None
        return self

    def to_entry(self) -> entries.ModelEntry:
        f = self._fields()
        f["config"] = self.config  # the config keeps its lists: it is the model's own JSON
        return entries.ModelEntry(**f)


class QuantSchema(_Entry):
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
    def _complete(self) -> QuantSchema:
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

    def to_entry(self) -> entries.QuantEntry:
        return entries.QuantEntry(**self._fields())


class GpuSchema(_Entry):
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

    def to_entry(self) -> entries.GpuEntry:
        return entries.GpuEntry(**self._fields())


class DeviceSchema(_Entry):
    id: str = Slug
    name: str = Text
    vendor: str = Text
    kind: Literal["apple", "unified", "multi_gpu"]
    chip: str = ""
    memory_gb: float = Field(gt=0, le=1_000_000)
    bandwidth_gbps: float = Field(gt=0, le=1_000_000)
    fp16_tflops: float = Field(default=0.0, ge=0, le=10_000_000)
    gpu_count: int = Field(default=1, ge=1, le=1024)
    gpu_memory_gb: float | None = Field(default=None, gt=0, le=1_000_000)
    gpu: str = ""  # multi_gpu: the catalog id of its GPU (checked to exist and to agree)
    gpu_cores: int = Field(default=0, ge=0, le=1024)  # Apple: the chip's GPU cores (prompt speed scales with them)
    year: int = Field(ge=2010, le=2030)
    aliases: list[str] = []
    source: str = Text

    @model_validator(mode="after")
    def _consistent(self) -> DeviceSchema:
        if self.kind == "multi_gpu" and self.gpu_count < 2:
            raise ValueError("a multi_gpu system needs gpu_count >= 2")
        if self.gpu_memory_gb is not None and self.gpu_memory_gb > self.memory_gb:
            raise ValueError("gpu_memory_gb cannot exceed memory_gb")
        return self

    def to_entry(self) -> entries.DeviceEntry:
        return entries.DeviceEntry(**self._fields())


class RepoSchema(_Entry):
    model: str = Slug
    kind: Literal["gguf", "fp8", "awq", "gptq-int4", "nvfp4", "mxfp4", "w8a8-int8"]
    repo: str = Field(pattern=r"^[A-Za-z0-9][\w.-]*/[\w.-]+$", max_length=200)
    quants: list[str] = []
    source: str = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _quants_only_for_gguf(self) -> RepoSchema:
        if self.kind != "gguf" and self.quants:
            raise ValueError("quants are listed for GGUF repos only (a checkpoint is one format)")
        return self

    def to_entry(self) -> entries.RepoEntry:
        return entries.RepoEntry(**self._fields())


SCHEMAS: dict[str, type[_Entry]] = {
    "models": ModelSchema, "quants": QuantSchema, "gpus": GpuSchema, "devices": DeviceSchema, "repos": RepoSchema,
}
