"""What a name or a query is made of: tokens, each with a kind, compared whole.

A query is never matched letter by letter: "qwen3.6" is the word `qwen` and the version
`3.6`, never `3` + `0.6`; "a10g" is one code and never a prefix of "a100". Everything here
runs in time linear in the text (one pass of regular expressions without backtracking).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WORD, NUM, SIZE, CODE = "word", "num", "size", "code"

# Fullwidth ASCII (what CJK input methods type) folds to ASCII; other compatibility forms
# (㎇, ™, ①) do not: they are symbols, and a symbol must never turn into a name.
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_NOT_ALNUM = re.compile(r"[^a-z0-9.]+")
# a run of letters and digits; a dot only between a digit and a digit ("3.6", "0.6b", "v0.1")
_CHUNK = re.compile(r"[a-z0-9]+(?:(?<=[0-9])\.[0-9][a-z0-9]*)*")
# a word of three or more letters glued to its version: "qwen3.6", "gemma3", "rtx4090"
_GLUED = re.compile(r"([a-z]{3,})([0-9].*)")
_NUM = re.compile(r"[0-9]+(?:\.[0-9]+)*")
# a size: billions/millions of parameters, experts, thousands of tokens, memory
_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)?)(b|m|k|t|e|gb|tb|gib)")
SIZE_UNITS = ("b", "m", "k", "t", "e", "gb", "tb", "gib")
_MEMORY_UNITS = ("gb", "tb", "gib")  # "8 GB" is written apart: joined, it is one size token


def normalise(text: str) -> str:
    """`text` in lower-case ASCII letters, digits and dots, everything else one space.

    Accents and combining marks are dropped (é → e), fullwidth letters folded; symbols,
    punctuation, controls, direction marks and other scripts separate words.
    """
    if text.isascii():  # every catalog text: no per-character work
        return _NOT_ALNUM.sub(" ", text.lower())
    t = unicodedata.normalize("NFD", text.translate(_FULLWIDTH)).casefold()
    t = "".join(c for c in t if not unicodedata.category(c).startswith("M"))
    return _NOT_ALNUM.sub(" ", t)


def kind(token: str) -> str:
    """WORD (letters), NUM (a version or number: 4, 3.6, 2411), SIZE (8b, 0.6b, 24gb) or CODE (a100, v3, r1)."""
    if token.isalpha():
        return WORD
    if _NUM.fullmatch(token):
        return NUM
    if _SIZE.fullmatch(token):
        return SIZE
    return CODE


@lru_cache(maxsize=4096)
def _canonical(token: str) -> str:
    """A size in one spelling: "08b" and "8.0b" are "8b"; any other token as it is."""
    m = _SIZE.fullmatch(token)
    if m is None:
        return token
    return f"{float(m.group(1)):g}{m.group(2)}"


@lru_cache(maxsize=1 << 16)  # every text is tokenized by several indexes; queries repeat as typed
def tokens(text: str) -> tuple[str, ...]:
    """The tokens of `text`, in order: 'Qwen3-0.6B' → ('qwen', '3', '0.6b'); 'RTX 3060 8 GB' → (..., '8gb')."""
    out: list[str] = []
    for chunk in _CHUNK.findall(normalise(text)):
        if chunk.isalpha():
            if chunk in _MEMORY_UNITS and out and _NUM.fullmatch(out[-1]):
                out[-1] = _canonical(out[-1] + chunk)
            else:
                out.append(chunk)
        elif chunk[0].isdigit():
            out.append(_canonical(chunk) if chunk[-1].isalpha() else chunk)
        else:
            glued = _GLUED.fullmatch(chunk)
            if glued:
                rest = glued.group(2)
                out += [glued.group(1), _canonical(rest) if rest[-1].isalpha() else rest]
            else:
                out.append(chunk)
    return tuple(out)


def is_real(token: str) -> bool:
    """Whether a token can name something on its own: a number, a size, a code, or a word of 2+ letters."""
    return len(token) >= 2 or not token.isalpha()


def typo_allowance(token: str) -> int:
    """Edits forgiven in a token: none up to 3 characters, one up to 7, two from 8."""
    n = len(token)
    return 0 if n <= 3 else 1 if n <= 7 else 2


def within(a: str, b: str, k: int) -> bool:
    """Whether `a` and `b` are at most `k` edits apart (insert, delete, substitute, swap neighbours).

    A band of width 2k+1 around the diagonal: O(len × k), and it stops as soon as a row exceeds k.
    """
    if abs(len(a) - len(b)) > k:
        return False
    if a == b:
        return True
    inf = k + 1
    prev2: list[int] = []
    prev = [j if j <= k else inf for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        cur = [inf] * (len(b) + 1)
        if i <= k:
            cur[0] = i
        lo, hi = max(1, i - k), min(len(b), i + k)
        for j in range(lo, hi + 1):
            cost = a[i - 1] != b[j - 1]
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = min(v, inf)
        if min(cur[lo:hi + 1] + ([cur[0]] if i <= k else [])) > k:
            return False
        prev2, prev = prev, cur
    return prev[len(b)] <= k


def deletions(token: str, k: int) -> set[str]:
    """`token` with up to `k` characters removed (itself included): the keys of a typo index."""
    out = {token}
    frontier = {token}
    for _ in range(k):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        out |= frontier
    return out
