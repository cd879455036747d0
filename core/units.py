"""Byte units. Sizes are integers of bytes everywhere; these only convert for input and display."""

from __future__ import annotations

GIB = 1 << 30
MIB = 1 << 20
GB = 10**9


def gib(n: float) -> int:
    """`n` GiB in bytes (GPU memory sold as "24 GB" is 24 GiB of device memory)."""
    return int(round(n * GIB))
