"""GGML tensor types: how many weights one block holds and how many bytes it takes.

Values are ggml's block structs (ggml/src/ggml-common.h): every quantized type
stores its scales inside the block, so Q8_0 costs 34 bytes per 32 weights
(8.5 bits/weight), not 8 bits.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BlockType:
    name: str
    block_size: int  # weights per block
    type_size: int  # bytes per block

    @property
    def bits_per_weight(self) -> float:
        return self.type_size * 8 / self.block_size

    def row_bytes(self, row_length: int) -> int:
        """Bytes of one row of `row_length` weights (which must be a whole number of blocks)."""
        return row_length // self.block_size * self.type_size


_TYPES = [
    BlockType("F32", 1, 4),
    BlockType("F16", 1, 2),
    BlockType("BF16", 1, 2),
    BlockType("Q4_0", 32, 18),
    BlockType("Q4_1", 32, 20),
    BlockType("Q5_0", 32, 22),
    BlockType("Q5_1", 32, 24),
    BlockType("Q8_0", 32, 34),
    BlockType("Q2_K", 256, 84),
    BlockType("Q3_K", 256, 110),
    BlockType("Q4_K", 256, 144),
    BlockType("Q5_K", 256, 176),
    BlockType("Q6_K", 256, 210),
    BlockType("Q8_K", 256, 292),
    BlockType("IQ1_S", 256, 50),
    BlockType("IQ1_M", 256, 56),
    BlockType("IQ2_XXS", 256, 66),
    BlockType("IQ2_XS", 256, 74),
    BlockType("IQ2_S", 256, 82),
    BlockType("IQ3_XXS", 256, 98),
    BlockType("IQ3_S", 256, 110),
    BlockType("IQ4_NL", 32, 18),
    BlockType("IQ4_XS", 256, 136),
    BlockType("TQ1_0", 256, 54),
    BlockType("TQ2_0", 256, 66),
    BlockType("MXFP4", 32, 17),
    # Types that appear in GGUF files but that llama-quantize's ftypes do not produce.
    BlockType("Q8_1", 32, 36),
    BlockType("F64", 1, 8),
    BlockType("I8", 1, 1),
    BlockType("I16", 1, 2),
    BlockType("I32", 1, 4),
    BlockType("I64", 1, 8),
    BlockType("NVFP4", 64, 36),
    BlockType("Q1_0", 128, 18),
]

TYPES: dict[str, BlockType] = {t.name: t for t in _TYPES}


def tensor_bytes(type_name: str, shape: tuple[int, ...]) -> int:
    """Bytes of a tensor of GGML shape `shape` (ne0 first: the row length) in `type_name`."""
    t = TYPES[type_name]
    rows = 1
    for n in shape[1:]:
        rows *= n
    return rows * t.row_bytes(shape[0])
