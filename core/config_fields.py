"""Typed, bounded readers of config.json fields: where a config's values are checked, once.

core.hf_config reads every field through these, so an Architecture is only ever built
from whole numbers within bounds, real booleans and lists of the right kind; anything
else raises ConfigError naming the field. The bounds are generous (several times the
largest model released) but finite: they are checked before any per-layer value is
built, so 10⁶ layers or 10³⁰ heads fail at once instead of filling memory.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from vramtui.core.errors import ConfigError

Config = Mapping[str, Any]

MAX_LAYERS = 1024  # the deepest released model has 126 (Llama 3.1 405B)
MAX_DIM = 1 << 20  # any width: hidden, intermediate, expert, rank (the widest is 53,248)
MAX_HEADS = 4096  # attention or KV heads (the most is 128)
MAX_HEAD_DIM = 4096  # per head (the widest is 512)
MAX_EXPERTS = 8192  # routed experts (the most is 512)
MAX_VOCAB = 1 << 24  # 16.8M tokens (the largest is 262,208)
MAX_CONTEXT = 100_000_000  # tokens (the longest is 10,485,760); also the most --context takes
MAX_NAME = 200  # characters in a name (model_type, a layer type)


def _shown(v: Any) -> str:
    """A value as the error quotes it: repr, cut short (a hostile file can hold megabytes)."""
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."


def as_whole(key: str, v: Any, lo: int = 0, hi: int = MAX_DIM) -> int:
    """`v` as an int in [lo, hi]: an int, or a float with no fraction (4096.0); never a bool or a string."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(key, f"must be a whole number, not {_shown(v)}")
    if isinstance(v, float) and not (math.isfinite(v) and v.is_integer()):
        raise ConfigError(key, f"must be a whole number, not {_shown(v)}")
    n = int(v)
    if not lo <= n <= hi:
        raise ConfigError(key, f"must be between {lo:,} and {hi:,}, not {_shown(v)}")
    return n


def whole(c: Config, *keys: str, default: int | None = None, lo: int = 0, hi: int = MAX_DIM) -> int:
    """The first of `keys` that is set (not null), as an int in [lo, hi]; `default` when none is.

    ConfigError names the key when the value is of the wrong kind or out of bounds, and the
    first key when none is set and there is no default.
    """
    for k in keys:
        v = c.get(k)
        if v is not None:
            return as_whole(k, v, lo, hi)
    if default is None:
        raise ConfigError(keys[0])
    return default


def positive(c: Config, *keys: str, default: int | None = None, hi: int = MAX_DIM) -> int:
    """`whole` with 1 as the least value: a count or a width that cannot be zero."""
    return whole(c, *keys, default=default, lo=1, hi=hi)


def real(c: Config, key: str, default: float, lo: float = 0.0, hi: float = 1e6) -> float:
    """A finite number in [lo, hi] (a multiplier, a ratio); `default` when unset."""
    v = c.get(key)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ConfigError(key, f"must be a finite number, not {_shown(v)}")
    if not lo <= v <= hi:
        raise ConfigError(key, f"must be between {lo:g} and {hi:g}, not {_shown(v)}")
    return float(v)


def flag(c: Config, *keys: str, default: bool = False) -> bool:
    """The first of `keys` that is set, as a JSON boolean: the string "false" is an error, not true."""
    for k in keys:
        v = c.get(k)
        if v is None:
            continue
        if not isinstance(v, bool):
            raise ConfigError(k, f"must be true or false, not {_shown(v)}")
        return v
    return default


def text(c: Config, key: str, default: str = "") -> str:
    """A string field (a name); `default` when unset."""
    v = c.get(key)
    if v is None:
        return default
    if not isinstance(v, str) or len(v) > MAX_NAME:
        raise ConfigError(key, f"must be a name of at most {MAX_NAME} characters, not {_shown(v)}")
    return v


def texts(c: Config, key: str) -> list[str] | None:
    """A list of names (architectures, layer_types); None when unset."""
    v = c.get(key)
    if v is None:
        return None
    if not isinstance(v, list) or len(v) > MAX_LAYERS:
        raise ConfigError(key, f"must be a list of at most {MAX_LAYERS:,} names, not {_shown(v)}")
    for i, item in enumerate(v):
        if not isinstance(item, str) or len(item) > MAX_NAME:
            raise ConfigError(f"{key}[{i}]", f"must be a name, not {_shown(item)}")
    return v


def wholes(c: Config, key: str, lo: int = 0, hi: int = MAX_DIM) -> list[int] | None:
    """A list of whole numbers in [lo, hi] (layer indices); None when unset."""
    v = c.get(key)
    if v is None:
        return None
    if not isinstance(v, list) or len(v) > MAX_LAYERS:
        raise ConfigError(key, f"must be a list of at most {MAX_LAYERS:,} whole numbers, not {_shown(v)}")
    return [as_whole(f"{key}[{i}]", item, lo, hi) for i, item in enumerate(v)]


def section(c: Config, key: str) -> Config | None:
    """A nested object (text_config, vision_config); None when unset."""
    v = c.get(key)
    if v is None:
        return None
    if not isinstance(v, Mapping):
        raise ConfigError(key, f"must be an object, not {_shown(v)}")
    return v
