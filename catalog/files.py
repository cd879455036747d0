"""Reading and writing files safely: every file vramtui opens or writes goes through here.

- Only regular files are opened (a FIFO would block forever, a device never ends): the path
  is checked with stat before it is opened, opened non-blocking, and checked again.
- Every read is bounded in size, and parsed JSON and TOML in nesting depth: a pre-scan of
  the brackets (strings and comments skipped, in linear time) rejects a deep file before
  the parsers, which recurse, see it; the parsed value is checked again, so nothing later
  (validation, the cache, --json output) recurses deeply either. NaN and infinities,
  which JSON does not allow and no field of ours takes, are refused where they are read.
- Writes are atomic: a temporary name in the target's own folder, then a rename.

Problems are BadFile errors naming the file; callers re-raise them as the error of their
layer (CatalogError, ModelSourceError) where that names the file better.
"""

from __future__ import annotations

import errno
import itertools
import json
import math
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from vramtui.core.errors import VramtuiError

MAX_DEPTH = 32  # nesting of JSON/TOML values: real configs and catalogs nest 6 deep at most
# Arrays and objects in one file: a safetensors header of 91,000 tensors holds 200,000; millions
# of empty lists ([[],[],…]) would cost seconds and gigabytes to build.
MAX_CONTAINERS = 1_000_000
MIB = 1 << 20


class BadFile(VramtuiError):
    """A file vramtui will not use: missing, not a regular file, too large, too deep, malformed."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = str(path), problem


# ---------------------------------------------------------------- opening


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _stat_problem(e: OSError) -> str:
    if e.errno in (errno.ENOENT, errno.ENOTDIR):
        return "no such file"
    if e.errno == errno.ELOOP:
        return "is a loop of symbolic links"
    return f"cannot be read ({e.strerror or e.__class__.__name__})"


def regular_file(path: Path) -> os.stat_result:
    """stat of `path` (symbolic links followed) when it is a regular file; BadFile otherwise."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise BadFile(path, _stat_problem(e)) from None
    except ValueError:  # a NUL byte in the name
        raise BadFile(path, "is not a usable file name") from None
    if not stat.S_ISREG(st.st_mode):
        raise BadFile(path, f"is {_kind(st.st_mode)}, not a file vramtui reads")
    return st


@contextmanager
def open_regular(path: Path) -> Iterator[IO[bytes]]:
    """`path` opened for binary reading, when it is a regular file (checked before and after opening).

    Opened non-blocking: if the file is swapped for a FIFO between the check and the open,
    the open returns at once instead of waiting for a writer, and the second check refuses it.
    """
    regular_file(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise BadFile(path, _stat_problem(e)) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise BadFile(path, f"is {_kind(mode)}, not a file vramtui reads")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # a regular file: ordinary reads from here
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as f:
        yield f


def read_bytes(path: Path, limit: int, what: str = "file") -> bytes:
    """The whole of the regular file `path`, at most `limit` bytes; BadFile if it is larger."""
    with open_regular(path) as f:
        try:
            data = f.read(limit + 1)
        except OSError as e:
            raise BadFile(path, f"cannot be read ({e.strerror or e.__class__.__name__})") from None
    if len(data) > limit:
        raise BadFile(path, f"is larger than {limit // MIB} MiB: too large for a {what}")
    return data


# ---------------------------------------------------------------- nesting depth

# Spans whose brackets do not count. Each always matches from its opening quote to its end,
# or to the end of the line or text when unterminated (a parser stops there anyway): so no
# match backtracks and the scan stays linear whatever the text.
_JSON_SKIP = re.compile(r'"(?:[^"\\]+|\\.?)*(?:"|\Z)', re.DOTALL)
_TOML_SKIP = re.compile(
    r'"""(?:[^\\"]|\\.?|"(?!""))*(?:"""|\Z)'
    r"|'''(?:[^']|'(?!''))*(?:'''|\Z)"
    r'|"(?:[^"\\\n]|\\.?)*(?:"|$)'
    r"|'[^'\n]*(?:'|$)"
    r"|#[^\n]*",
    re.DOTALL | re.MULTILINE,
)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_CHUNK = 1 << 20
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def bracket_depth(text: str, skip: re.Pattern[str]) -> int:
    """The deepest nesting of [ and { in `text`, outside the spans `skip` matches (at least)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:  # the common case, at C speed
        return 0
    # Counting the brackets inside strings too can only overstate the depth: when even that is
    # within bounds, the slower scan that skips strings is not needed.
    naive = _depth(text)
    return naive if naive <= MAX_DEPTH else _depth(skip.sub("", text))


def _depth(text: str) -> int:
    """The deepest nesting of brackets in `text`, or the first depth past MAX_DEPTH found."""
    brackets = _NOT_BRACKET.sub("", text).encode("ascii")
    deepest = level = 0
    for start in range(0, len(brackets), _CHUNK):  # in chunks: a deep file stops at its first chunk
        chunk = brackets[start : start + _CHUNK]
        deepest = max(deepest, max(itertools.accumulate(map(_STEP.__getitem__, chunk), initial=level)))
        if deepest > MAX_DEPTH:
            break
        level += chunk.count(b"[") + chunk.count(b"{") - chunk.count(b"]") - chunk.count(b"}")
    return deepest


def value_depth(value: Any) -> int:
    """How deep lists and dicts nest in `value` (iteratively: the check itself never recurses)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if not isinstance(v, (dict, list)):
            continue
        items = v.values() if isinstance(v, dict) else v
        deepest = max(deepest, d)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((item, d + 1) for item in items)
    return deepest


def _check_shape(text: str, path: object, skip: re.Pattern[str]) -> None:
    """BadFile when `text` holds more arrays and objects than any real file, or nests them too deep."""
    if text.count("[") + text.count("{") > MAX_CONTAINERS:  # counted at C speed, strings included
        raise BadFile(path, f"holds more than {MAX_CONTAINERS:,} arrays and objects: not a file vramtui reads")
    if bracket_depth(text, skip) > MAX_DEPTH:
        raise _too_deep(path)


def _too_deep(path: object) -> BadFile:
    return BadFile(path, f"is nested more than {MAX_DEPTH} levels deep: not a file vramtui reads")


# ---------------------------------------------------------------- JSON and TOML


def parse_json(data: bytes | str, path: object, what: str) -> Any:
    """JSON text as Python values: nesting at most MAX_DEPTH, numbers finite; BadFile names the problem."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise BadFile(path, f"is not a {what} (not UTF-8 text)") from None
    _check_shape(text, path, _JSON_SKIP)

    seen: list[float] = []  # non-finite numbers met: then the value is searched for their place

    def number(text: str) -> float:
        value = float(text)  # 1e400 is inf
        if not math.isfinite(value):
            seen.append(value)
        return value

    try:
        value = json.loads(text, parse_constant=number, parse_float=number)
    except json.JSONDecodeError as e:
        raise BadFile(path, f"is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except ValueError:  # an integer of thousands of digits (Python's int() refuses them)
        raise BadFile(path, "holds a number of thousands of digits") from None
    except RecursionError:  # not reached after the scan above; kept so no traceback can escape
        raise _too_deep(path) from None
    if seen:
        raise BadFile(path, f"{_non_finite(value)} is not a finite number (NaN and Infinity are not allowed)")
    return value  # no deeper than the scan found: JSON's strings are exactly what it skipped


def parse_toml(text: str, path: object) -> dict[str, Any]:
    """TOML text as a dict, under the same rules as parse_json; BadFile names the problem."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib

    _check_shape(text, path, _TOML_SKIP)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BadFile(path, f"is not valid TOML: {e}") from None
    except RecursionError:  # a nesting the scan could not see (strings it read differently)
        raise _too_deep(path) from None
    except ValueError as e:  # an integer of thousands of digits
        raise BadFile(path, f"is not valid TOML: {str(e)[:80]}") from None
    if value_depth(doc) > MAX_DEPTH:
        raise _too_deep(path)
    where = _non_finite(doc)
    if where:
        raise BadFile(path, f"{where} is not a finite number (nan and inf are not allowed)")
    return doc


def _non_finite(value: Any, at: str = "") -> str:
    """The dotted place of the first NaN or infinity in `value` ("" when there is none)."""
    stack = [(value, at)]
    while stack:
        v, where = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            return where or "a value"
        if isinstance(v, dict):
            stack.extend((item, f"{where}.{k}" if where else str(k)) for k, item in v.items())
        elif isinstance(v, list):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(v))
    return ""


def read_json(path: Path, what: str, limit: int) -> Any:
    """The JSON value in the regular file `path` (at most `limit` bytes)."""
    return parse_json(read_bytes(path, limit, what), path, what)


# ---------------------------------------------------------------- writing


def write_atomic(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all: a temporary file beside it, then a rename. Raises OSError."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
