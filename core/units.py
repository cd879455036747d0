"""Byte units. Sizes are integers of bytes everywhere; these only convert for input and display."""

from __future__ import annotations

GIB = 1 << 30
MIB = 1 << 20
GB = 10**9


def gib(n: float) -> int:
    """`n` GiB in bytes (GPU memory sold as "24 GB" is 24 GiB of device memory)."""
    return int(round(n * GIB))


def fmt_gb(n_bytes: float, digits: int = 1) -> str:
    """Decimal gigabytes, as file sizes are published: '4.9 GB'."""
    return f"{n_bytes / GB:.{digits}f} GB"


def fmt_gib(n_bytes: float, digits: int = 1) -> str:
    """Binary gibibytes, as GPU memory is counted: '22.4 GiB'."""
    return f"{n_bytes / GIB:.{digits}f} GiB"
