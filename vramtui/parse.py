"""What the user types, checked once where it enters: context lengths and bounded counts."""

from __future__ import annotations

import math
import re
from fractions import Fraction

from vramtui.core.config_fields import MAX_CONTEXT
from vramtui.core.errors import UsageError

MAX_GPUS = 1024
MAX_SEQUENCES = 4096
MAX_BATCHED_TOKENS = 1 << 20
MAX_USERS = 1_000_000
MAX_TOKENS_PER_SECOND = 100_000.0
MAX = -1  # parse_context's answer to "max": the model's own maximum, resolved by the caller


def parse_context(text: str) -> int:
    """'2048', '8k', '128K', '1m' -> tokens; 'max' -> MAX. UsageError for anything else."""
    t = text.strip().lower().replace("_", "").replace(",", "")
    if t == "max":
        return MAX
    m = re.fullmatch(r"([0-9]{1,12}(?:\.[0-9]{1,12})?)([km]?)", t)
    if not m:
        raise UsageError(f"context {text!r} is not a number of tokens (e.g. 2048, 8k, 128K, max)")
    value = Fraction(m.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[m.group(2)]  # exact: 1.5k is 1,536
    if value.denominator != 1:
        raise UsageError(f"context {text!r} is not a whole number of tokens")
    if not 1 <= value <= MAX_CONTEXT:
        raise UsageError(f"context {text!r} must be between 1 and {MAX_CONTEXT:,} tokens")
    return int(value)


def parse_name(option: str, text: str) -> str:
    """`text` for an option that names something (--gpu, --quant, --catalog): UsageError when it is blank."""
    if not text.strip():
        raise UsageError(f"{option} needs a value, not an empty string")
    return text


def parse_count(name: str, text: str, hi: int) -> int:
    """A whole number between 1 and `hi` for option `name`; UsageError otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{name} must be a whole number, not {text!r}") from None
    if not 1 <= value <= hi:
        raise UsageError(f"{name} must be between 1 and {hi}")
    return value


def parse_fraction(name: str, text: str) -> float:
    """A share of GPU memory for option `name`: more than 0, at most 1 ('0.9'). UsageError otherwise."""
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{name} must be a number such as 0.9, not {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= 1):
        raise UsageError(f"{name} must be more than 0 and at most 1 (e.g. 0.9), not {text!r}")
    return value


def parse_rate(name: str, text: str) -> float:
    """Tokens per second for option `name`: more than 0 and at most MAX_TOKENS_PER_SECOND."""
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{name} must be a number of tokens per second, not {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= MAX_TOKENS_PER_SECOND):
        raise UsageError(f"{name} must be more than 0 and at most {MAX_TOKENS_PER_SECOND:,.0f} tokens per second")
    return value


def parse_params(name: str, text: str) -> int:
    """A parameter count for option `name`: '8B', '8b', '500M', '1.5T' or a bare number of billions."""
    t = text.strip().lower().replace(",", "").replace("_", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([mbt]?)", t)
    if not m:
        raise UsageError(f"{name} {text!r} is not a parameter count (e.g. 8B, 500M, 70)")
    value = float(m.group(1)) * {"": 1e9, "m": 1e6, "b": 1e9, "t": 1e12}[m.group(2)]
    if not math.isfinite(value) or value > 1e14:
        raise UsageError(f"{name} {text!r} is more than any model has")
    return int(value)
