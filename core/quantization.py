"""A quantization as the core sees it: how its weights are stored, and how good it is."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from core.arch import Architecture
from core.quant_mix import Recipe
from core.weights import GpuFormat, WeightsBreakdown, format_weights, gguf_weights


@dataclass(frozen=True)
class Quantization:
    name: str
    nominal_bits: float  # the headline bits/weight people quote (the seed page's "Bits" column)
    quality: int  # higher is closer to full precision; orders "best quant that fits"
    recipe: Recipe | None = None  # a GGUF file made by llama-quantize
    gpu_format: GpuFormat | None = None  # a GPU checkpoint format

    def __post_init__(self) -> None:
        if (self.recipe is None) == (self.gpu_format is None):
            raise ValueError(f"{self.name}: exactly one of recipe and gpu_format")

    @property
    def is_gguf(self) -> bool:
        return self.recipe is not None


@lru_cache(maxsize=4096)
def weights(a: Architecture, q: Quantization) -> WeightsBreakdown:
    """Weight bytes of `a` stored as `q` (cached: architectures and quantizations are immutable)."""
    if q.recipe is not None:
        return gguf_weights(a, q.recipe)
    assert q.gpu_format is not None
    return format_weights(a, q.gpu_format)


def nominal_weights_bytes(params: int, bits: float) -> int:
    """The seed page's weights figure: every parameter at the headline bits (under-estimates GGUF files)."""
    return int(params * bits / 8)
