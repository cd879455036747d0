"""A quantization as the core sees it: how its weights are stored, and how good it is."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from vramtui.core.arch import Architecture
from vramtui.core.gguf_file import GgufFile, file_weights
from vramtui.core.quant_mix import Recipe
from vramtui.core.weights import GpuFormat, WeightsBreakdown, format_weights, gguf_weights

# Quality ranks below this are the 1–2-bit quants (IQ1_*, IQ2_*, Q2_K*, EXL3 2 bpw), whose
# catalog descriptions say "very low" or "low quality": recommending one needs a warning.
LOW_QUALITY = 50
# From here up the 4-bit class and better (Q4_0 66 … BF16 99): what "keeps quality" means when
# models are ranked (vramtui.fit); 3-bit quants sit between the two.
GOOD_QUALITY = 65


@dataclass(frozen=True)
class Quantization:
    name: str
    nominal_bits: float  # the headline bits/weight people quote (the seed page's "Bits" column)
    quality: int  # higher is closer to full precision; orders "best quant that fits"
    recipe: Recipe | None = None  # a GGUF file made by llama-quantize
    gpu_format: GpuFormat | None = None  # a GPU checkpoint format
    gguf_file: GgufFile | None = None  # one GGUF file read from disk: its weights are exact

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.recipe, self.gpu_format, self.gguf_file)) != 1:
            raise ValueError(f"{self.name}: exactly one of recipe, gpu_format and gguf_file")

    @property
    def is_gguf(self) -> bool:
        return self.recipe is not None or self.gguf_file is not None

    @property
    def low_quality(self) -> bool:
        return self.quality < LOW_QUALITY


@lru_cache(maxsize=4096)
def weights(a: Architecture, q: Quantization) -> WeightsBreakdown:
    """Weight bytes of `a` stored as `q` (cached: architectures and quantizations are immutable)."""
    if q.recipe is not None:
        return gguf_weights(a, q.recipe)
    if q.gguf_file is not None:
        return file_weights(a, q.gguf_file)
    assert q.gpu_format is not None
    return format_weights(a, q.gpu_format)


def nominal_weights_bytes(params: int, bits: float) -> int:
    """The seed page's weights figure: every parameter at the headline bits (under-estimates GGUF files)."""
    return int(params * bits / 8)
