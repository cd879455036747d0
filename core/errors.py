"""One root for every error a user can fix: the front-ends print it as one line and exit 2.

Each layer raises the subclass that says where the problem lies; anything else that
escapes is a bug (the app writes a crash log for it, the CLI a traceback).
"""

from __future__ import annotations


class VramtuiError(Exception):
    """Something the user can fix: a bad option, a name the catalog lacks, a malformed file."""


class UsageError(VramtuiError):
    """A bad option value or typed input: '--context 1.5', an empty --gpu."""


class NotFound(VramtuiError):
    """A name that matches no entry, or several equally well (then `ambiguous` is true)."""

    def __init__(self, message: str, *, candidates: tuple[str, ...] = (), ambiguous: bool = False) -> None:
        super().__init__(message)
        self.candidates = candidates
        self.ambiguous = ambiguous


class ModelSourceError(VramtuiError):
    """A config.json, safetensors file, GGUF header or Hub reply that cannot describe a model.

    Names the file or repo and, where there is one, the field.
    """

    def __init__(self, source: object, message: str, field: str = "") -> None:
        super().__init__(f"{source}: {message}")
        self.path, self.field = str(source), field


class ConfigError(VramtuiError):
    """A config lacks a field the estimate needs, or has one of the wrong kind or out of range.

    Raised where the config is read (no file name there); a source re-raises it as a
    ModelSourceError naming the file.
    """

    def __init__(self, field: str, problem: str = "is missing") -> None:
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


class Unsupported(VramtuiError):
    """A catalog model whose architecture vramtui cannot size yet: says what is missing."""

    def __init__(self, name: str, missing: str) -> None:
        super().__init__(f"vramtui cannot size {name} yet: {missing}")
        self.name, self.missing = name, missing


class CatalogError(VramtuiError):
    """A catalog file that cannot be used: names the file, entry and field."""

    def __init__(self, path: object, message: str, entry: str = "", field: str = "") -> None:
        where = str(path)
        if entry:
            where += f": entry {entry}"
        if field:
            where += f", field {field}"
        super().__init__(f"{where}: {message}")
        self.path, self.entry, self.field = str(path), entry, field
