"""What the user types, checked once where it enters: context lengths and bounded counts."""

from __future__ import annotations

import math
import re

from vramtui.core.errors import UsageError

MAX_CONTEXT = 100_000_000
MAX_GPUS = 1024
MAX_SEQUENCES = 4096
MAX = -1  # parse_context's answer to "max": the model's own maximum, resolved by the caller


def parse_context(text: str) -> int:
    """'2048', '8k', '128K', '1m' -> tokens; 'max' -> MAX. UsageError for anything else."""
    t = text.strip().lower().replace("_", "").replace(",", "")
    if t == "max":
        return MAX
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([km]?)", t)
    if not m:
        raise UsageError(f"context {text!r} is not a number of tokens (e.g. 2048, 8k, 128K, max)")
    value = float(m.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[m.group(2)]
    if not math.isfinite(value) or value < 1 or value > MAX_CONTEXT:
        raise UsageError(f"context {text!r} must be between 1 and {MAX_CONTEXT:,} tokens")
    return int(value)


def parse_count(name: str, text: str, hi: int) -> int:
    """A whole number between 1 and `hi` for option `name`; UsageError otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{name} must be a whole number, not {text!r}") from None
    if not 1 <= value <= hi:
        raise UsageError(f"{name} must be between 1 and {hi}")
    return value
