"""vramtui: can I run this LLM on this GPU? Memory, fit, speed and launch commands, in the terminal.

The package holds the entry points and the application layer; the estimation core, the
catalog and the app install beneath it as vramtui.core, vramtui.catalog and vramtui.tui.
"""

from __future__ import annotations

import os
import sys


def installed_version() -> str:
    """The version in the installed metadata (written once, in pyproject.toml).

    Read from the first vramtui-*.dist-info/METADATA on sys.path, as importlib.metadata would
    find it, without importing importlib.metadata (~20 ms: `vramtui --version` is a hot path).
    """
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.startswith("vramtui-") and name.endswith(".dist-info"):
                try:
                    with open(os.path.join(entry or ".", name, "METADATA"), encoding="utf-8") as f:
                        for line in f:
                            if line.startswith("Version:"):
                                return line.split(":", 1)[1].strip()
                            if not line.strip():
                                break
                except OSError:
                    continue
    return "unknown (not installed)"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return installed_version()
    raise AttributeError(name)
