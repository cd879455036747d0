"""Where vramtui looks for user files (XDG base directories)."""

from __future__ import annotations

import os
from pathlib import Path


def config_dir() -> Path:
    """$XDG_CONFIG_HOME/vramtui, defaulting to ~/.config/vramtui."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "vramtui"


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/vramtui, defaulting to ~/.cache/vramtui."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vramtui"
