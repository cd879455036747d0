"""The data side of vramtui: catalog entries, their validation, loading and lookups."""

__version__ = "0.1.0"
