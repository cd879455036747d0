"""How vramtui writes numbers, once for the CLI, the FAQ, the panes and detection.

Memory is counted in GiB (2**30: a GPU sold as "24 GB" has 24 GiB), downloads in GB
(10**9, as files are published). Plain strings only: the app adds its own styling.
"""

from __future__ import annotations

import re

from vramtui.core.context import BeyondTrained
from vramtui.core.estimate import FITS, NO, TIGHT
from vramtui.core.hardware import GPU, Hardware
from vramtui.core.kv import KV_TYPES
from vramtui.core.offload import OffloadPlan
from vramtui.core.units import GB, GIB

FIT_LABEL = {FITS: "✓ fits", TIGHT: "~ tight", NO: "✗ no"}  # a symbol, never colour alone
FIT_STYLE = {FITS: "green", TIGHT: "yellow", NO: "red"}
FIT_WORDS = {FITS: "fits", TIGHT: "fits only tightly", NO: "does not fit"}
UNLOADABLE_LABEL = "✗ format"  # no runtime loads this quantization on the target (AWQ on a Mac)


def gib(n: float | None, digits: int = 1) -> str:
    """Memory in binary gibibytes: '5.9 GiB' ('?' when unknown)."""
    return "?" if n is None else f"{n / GIB:,.{digits}f} GiB"


def gib_number(n: float, digits: int = 1) -> str:
    """GiB without the unit, for a column whose header carries it: '5.9'."""
    return f"{n / GIB:,.{digits}f}"


def gb(n: float, digits: int = 2) -> str:
    """A file size in decimal gigabytes, as downloads are published: '4.92 GB' ('7.9 MB' when small)."""
    if 0 < n < GB / 100:
        return f"{n / 1e6:.1f} MB"
    return f"{n / GB:,.{digits}f} GB"


def params(n: int, digits: int = 2) -> str:
    """A parameter count: '8.03B', or '135M' below a billion."""
    return f"{n / 1e9:,.{digits}f}B" if n >= 1e9 else f"{n / 1e6:,.0f}M"


def count(n: int) -> str:
    """A large count, compactly: '1.2M', '3.4K', '950'."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= size:
            return f"{n / size:.1f}{suffix}"
    return str(n)


def tokens(n: int) -> str:
    """A context length: '8,192 tokens'."""
    return f"{n:,} token" + ("" if n == 1 else "s")


def short_ctx(n: int) -> str:
    """A compact context label: '8K', '128K', '1M', '3,000'."""
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20}M"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024}K"
    return f"{n:,}"


def tps(x: float) -> str:
    """Decode speed: '~122 tok/s' ('<1 tok/s' below one)."""
    return f"~{x:,.0f} tok/s" if x >= 1 else "<1 tok/s"


def duration(seconds: float) -> str:
    """'0.42 s', or '35 ms' below a tenth of a second."""
    return f"{seconds * 1000:.0f} ms" if seconds < 0.1 else f"{seconds:,.2f} s"


def bytes_per_element(kv_type: str) -> str:
    """'2 B' for f16, '1.0625 B' for q8_0 (34 bytes per 32 values)."""
    return f"{float(KV_TYPES[kv_type]):g} B"


def target_name(hw: Hardware, gpus: int = 1) -> str:
    """The target as the answer assumes it: '2 × NVIDIA GeForce RTX 4090' when split over copies of
    a discrete GPU; a multi-GPU system or a Mac by its own name."""
    return f"{gpus} × {hw.name}" if gpus > 1 and hw.kind == GPU else hw.name


_VENDOR_PREFIX = re.compile(r"^(?:NVIDIA\s+GeForce|NVIDIA|AMD\s+Radeon(?=\s+RX)|AMD|Intel)\s+")


def short_name(name: str, width: int | None = None) -> str:
    """A GPU or device name for a narrow place: the vendor's words dropped ('RTX 4090', 'RX 7900 XTX',
    'H100 SXM'), then, if still wider than `width`, cut with '…': at the end, or at the start when
    the name ends in '(128 GB)', so a Mac keeps its chip and memory ('…16" M4 Max (128 GB)')."""
    count = re.match(r"^(\d+ × )(.*)$", name)
    prefix, rest = (count.group(1), count.group(2)) if count else ("", name)
    short = prefix + _VENDOR_PREFIX.sub("", rest)
    if width is None or len(short) <= width:
        return short
    if width < 4:
        return short[:width]
    if re.search(r"\)$", short):
        return "…" + short[len(short) - width + 1:].lstrip()
    return short[: width - 1].rstrip() + "…"


def offload_text(off: OffloadPlan) -> str:
    """'-ngl 40 of 81 layers on the GPU, 21.3 GiB in RAM, ~2 tok/s' (llama.cpp partial offload)."""
    if off.gpu_layers == 0:
        where = f"-ngl 0: every layer in system RAM ({gib(off.ram_bytes)})"
    else:
        where = f"-ngl {off.gpu_layers} of {off.total_layers} layers on the GPU, {gib(off.ram_bytes)} in RAM"
    return f"{where}, {tps(off.tokens_per_second)}"


def one_line(text: str) -> str:
    """`text` on one printable line: control characters (a newline in a typed name) shown escaped."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def quantity(value: float | None, unit: str) -> str:
    """A figure already in `unit`: '36.56 GiB', '448.0 MiB', '42,656 tokens', '1.30x'; '—' when unknown."""
    if value is None:
        return "—"
    if unit == "GiB":
        return f"{value:,.2f} GiB"
    if unit == "MiB":
        return f"{value:,.1f} MiB"
    if unit == "tokens":
        return f"{value:,.0f} tokens"
    if unit == "x":
        return f"{value:,.2f}x"
    return f"{value:,g}"


def error_pct(error: float | None) -> str:
    """A relative error: '+1.3 %', '−6.7 %'; '' when there is none."""
    if error is None:
        return ""
    return f"{'+' if error >= 0 else '−'}{abs(error) * 100:.1f} %"


def beyond_trained_text(b: BeyondTrained, model_name: str) -> str:
    """One sentence: the context asked is past the model's trained context, and what RoPE scaling declares."""
    text = (f"{b.asked:,} tokens is beyond the {b.trained:,} tokens {model_name} was trained for: computed as asked "
            f"(llama.cpp allocates it), but ")
    r = b.rope
    if r is None:
        return text + "its config declares no RoPE scaling, so answers that far out are not assured."
    detail = ""
    if r.factor:
        detail = f" (factor {r.factor:g}" + (f" over {r.original_context:,} tokens" if r.original_context else "") + ")"
    return text + f"its config declares {r.kind} RoPE scaling{detail}; quality past {b.trained:,} is not assured."
