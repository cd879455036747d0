"""vramtui: can I run this LLM on this GPU? Memory, fit, speed and launch commands, in the terminal.

The package holds the entry points and the application layer; the estimation core, the
catalog and the app install beneath it as vramtui.core, vramtui.catalog and vramtui.tui.
"""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # The version is written once, in pyproject.toml; reading the installed metadata costs a few
    # milliseconds, so it is read only when asked for.
    if name == "__version__":
        from importlib.metadata import version

        return version("vramtui")
    raise AttributeError(name)
