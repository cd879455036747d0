"""A GGUF file as its header describes it: every tensor's GGML type and shape, and the header's size.

With these the weights figure is not an estimate: it is the file's own tensor bytes
(each padded to the file's alignment, as llama.cpp writes and loads them) plus its
real header. Reading the header is I/O and lives in vramtui.sources.gguf_reader; this module
only sums what was read.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from vramtui.core.arch import Architecture
from vramtui.core.ggml import tensor_bytes
from vramtui.core.tensors import Tensor
from vramtui.core.weights import WeightsBreakdown, _breakdown

_LAYER = re.compile(r"^blk\.(\d+)\.")
_NOT_PARAMS = ("rope_freqs.weight",)  # a precomputed table, not a weight of the model


@dataclass(frozen=True)
class GgufTensorInfo:
    name: str
    type: str  # GGML type name: F32, Q4_K, ...
    shape: tuple[int, ...]  # GGML order: ne0 (the row length) first

    @property
    def nbytes(self) -> int:
        return tensor_bytes(self.type, self.shape)

    @property
    def elements(self) -> int:
        return math.prod(self.shape)


# eq=False: a file is compared (and hashed, for the weights cache) by identity; its
# tensor list can hold thousands of entries.
@dataclass(frozen=True, eq=False)
class GgufFile:
    """The tensor index of one GGUF model (all shards of a split file together)."""

    tensors: tuple[GgufTensorInfo, ...]
    header_bytes: int  # bytes before the tensor data: the data offset, summed over the shards
    alignment: int = 32
    file_type: str = ""  # llama.cpp's ftype from general.file_type (Q4_K_M, ...); "" if unknown
    shards: int = 1

    def tensor_types(self) -> list[tuple[Tensor, str]]:
        """Each tensor with its GGML type, in the shape core.quant_mix.tensor_types returns."""
        out = []
        for t in self.tensors:
            m = _LAYER.match(t.name)
            layer = int(m.group(1)) if m else None
            out.append((Tensor(t.name, t.shape, layer, t.name not in _NOT_PARAMS), t.type))
        return out

    @property
    def parameters(self) -> int:
        return sum(t.elements for t in self.tensors if t.name not in _NOT_PARAMS)

    def padded(self, n: int) -> int:
        return -(-n // self.alignment) * self.alignment


def file_weights(a: Architecture, f: GgufFile) -> WeightsBreakdown:
    """The weights of the GGUF file `f` (whose architecture is `a`): exact, not estimated."""
    items = []
    for t, ty in f.tensor_types():
        if t.layer is not None and t.layer >= a.layers:  # an MTP block: in the file, skipped at load
            t = Tensor(t.name, t.shape, t.layer, t.is_param, loaded=False)
        items.append((t, ty, f.padded(tensor_bytes(ty, t.shape))))
    return _breakdown(a, items, f.header_bytes, 0)
