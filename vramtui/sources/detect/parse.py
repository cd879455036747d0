"""What the vendors' tools print, parsed into values: pure, never raises.

The tools' output is outside input like any file: only ASCII digits are numbers ("²" is
not), numbers are bounded, at most MAX_GPUS GPUs are read (probe says when there were more),
and malformed lines are skipped.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from vramtui.catalog.files import BadFile, parse_json
from vramtui.core.units import GIB, MIB

MAX_GPUS = 64  # GPUs read from one tool's output (a node has 16 at most)
_INDEX = re.compile(r"[0-9]{1,4}")


@dataclass(frozen=True)
class MigDevice:
    """One MIG instance: a process sees it as a GPU of its own."""

    gpu_index: int
    device: int
    profile: str  # e.g. "3g.40gb"
    memory_bytes: int | None
    uuid: str = ""


@dataclass(frozen=True)
class DetectedGpu:
    index: int
    name: str
    vendor: str
    memory_total_bytes: int | None
    memory_used_bytes: int | None = None
    memory_free_bytes: int | None = None
    uuid: str = ""
    source: str = ""
    mig: tuple[MigDevice, ...] = ()


@dataclass(frozen=True)
class AppleChip:
    brand: str  # "Apple M2 Max"
    chip: str  # "M2 Max"
    memory_bytes: int | None
    gpu_cores: int | None = None


@dataclass(frozen=True)
class Machine:
    system: str
    ram_bytes: int | None
    ram_available_bytes: int | None = None
    gpus: tuple[DetectedGpu, ...] = ()
    apple: AppleChip | None = None
    notes: tuple[str, ...] = ()  # what was tried and why it gave nothing


_NA = re.compile(r"^\[.*\]$|^n/?a$|^not supported$", re.IGNORECASE)


def _mib(text: str) -> int | None:
    t = text.strip()
    if len(t) > 32 or not re.fullmatch(r"[0-9]+(?:\.[0-9]*)?", t):  # ASCII decimals only ("²" is no digit)
        return None
    value = float(t)
    return int(value * MIB) if value <= 1e9 else None


def parse_nvidia_smi_csv(text: str) -> list[DetectedGpu]:
    """GPUs from `nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free,uuid
    --format=csv,noheader,nounits`. Lines that do not have that shape are skipped."""
    gpus: list[DetectedGpu] = []
    for line in (text or "").splitlines():
        if len(gpus) > MAX_GPUS:
            break
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 6:
            continue
        # A name could contain a comma: the index is first and the last four fields are fixed.
        index_text, total, used, free, uuid = parts[0], parts[-4], parts[-3], parts[-2], parts[-1]
        name = ", ".join(parts[1:-4]).strip()
        if not _INDEX.fullmatch(index_text) or not name or len(name) > 200 or _NA.match(name):
            continue
        total_b = _mib(total)
        if total_b is None and not uuid.startswith(("GPU-", "MIG-")):
            continue  # neither a memory size nor a GPU UUID: not a line of this query
        gpus.append(
            DetectedGpu(
                int(index_text),
                name,
                "NVIDIA",
                total_b,
                _mib(used),
                _mib(free),
                "" if _NA.match(uuid) else uuid,
                "nvidia-smi",
            )
        )
    return gpus


_MIG_LINE = re.compile(r"^\s+MIG\s+(\S{1,40})\s+Device\s+([0-9]{1,4}):\s*\(UUID:\s*([^)]{1,100})\)", re.ASCII)
_GPU_LINE = re.compile(r"^GPU\s+([0-9]{1,4}):\s*(.+?)\s*\(UUID:\s*([^)]+)\)", re.ASCII)
_PROFILE_GB = re.compile(r"([0-9]{1,6}(?:\.[0-9]{1,3})?)gb$", re.IGNORECASE)


def parse_nvidia_smi_list(text: str) -> list[MigDevice]:
    """MIG instances from `nvidia-smi -L`, under the GPU line each belongs to."""
    out: list[MigDevice] = []
    gpu = None
    for line in (text or "").splitlines():
        g = _GPU_LINE.match(line)
        if g:
            gpu = int(g.group(1))
            continue
        m = _MIG_LINE.match(line)
        if m and gpu is not None:
            size = _PROFILE_GB.search(m.group(1))
            # Profile names give the instance memory in marketing GB, as GPU memory is sold.
            memory = int(float(size.group(1)) * GIB) if size else None
            out.append(MigDevice(gpu, int(m.group(2)), m.group(1), memory, m.group(3).strip()))
            if len(out) >= MAX_GPUS * 7:  # seven instances per GPU at most
                break
    return out


def _int_bytes(value: Any) -> int | None:
    t = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"[0-9]{1,16}", t):
        return None
    n = int(t)
    return n if n < 1 << 50 else None


_HEX = re.compile(r"^0x[0-9a-f]+$", re.IGNORECASE)


def _amd_name(fields: dict[str, Any]) -> str:
    low = {str(k).strip().lower(): v for k, v in fields.items()}
    for key in ("card series", "marketing name", "card model", "device name"):
        v = str(low.get(key, "")).strip()
        if v and not _HEX.match(v) and v.lower() not in ("n/a", "unknown"):
            return v
    return ""


def _amd_gpu(card: str, fields: dict[str, Any]) -> DetectedGpu | None:
    m = re.fullmatch(r"card([0-9]{1,4})", card.strip().lower())
    if not m or not isinstance(fields, dict):
        return None
    low = {str(k).strip().lower(): v for k, v in fields.items()}
    total = _int_bytes(low.get("vram total memory (b)"))
    used = _int_bytes(low.get("vram total used memory (b)"))
    name = _amd_name(fields)
    if total is None and not name:
        return None
    free = total - used if total is not None and used is not None and used <= total else None
    return DetectedGpu(int(m.group(1)), name or "AMD GPU", "AMD", total, used, free, "", "rocm-smi")


def parse_rocm_smi_json(text: str) -> list[DetectedGpu]:
    """GPUs from `rocm-smi --showproductname --showmeminfo vram --json` (warnings around the JSON are ignored)."""
    t = text or ""
    start, end = t.find("{"), t.rfind("}")
    if start < 0 or end <= start:
        return []
    try:
        doc = parse_json(t[start : end + 1], "rocm-smi", "rocm-smi output")  # bounded in depth
    except BadFile:
        return []
    if not isinstance(doc, dict):
        return []
    gpus = [g for card, fields in list(doc.items())[: MAX_GPUS + 1] if (g := _amd_gpu(str(card), fields)) is not None]
    return sorted(gpus, key=lambda g: g.index)


def parse_rocm_smi_csv(text: str) -> list[DetectedGpu]:
    """GPUs from `rocm-smi --showproductname --showmeminfo vram --csv`."""
    lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    header_at = next((i for i, ln in enumerate(lines) if ln.lower().startswith("device,")), None)
    if header_at is None:
        return []
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines[header_at : header_at + MAX_GPUS + 2]))))
    except csv.Error:  # a field over csv's size limit, a NUL byte
        return []
    header = [h.strip() for h in rows[0]]
    gpus = []
    for row in rows[1:]:
        if len(row) != len(header):
            continue
        fields = dict(zip(header, row))
        g = _amd_gpu(fields.pop(header[0], ""), fields)
        if g is not None:
            gpus.append(g)
    return gpus


def parse_sysctl(text: str) -> tuple[str, int | None]:
    """(CPU brand string, hw.memsize) from `sysctl -n machdep.cpu.brand_string hw.memsize`."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    brand = ""
    memory = None
    for ln in lines[:100]:
        if ln.isascii() and ln.isdigit():
            memory = _int_bytes(ln)
        elif not brand:
            brand = ln
    return brand, memory


def apple_chip_name(brand: str) -> str | None:
    """'Apple M2 Max' -> 'M2 Max'; None for anything that is not Apple Silicon."""
    m = re.match(r"^Apple\s+(M\d+(?:\s+(?:Pro|Max|Ultra))?)\b", brand.strip())
    return m.group(1) if m else None


def parse_system_profiler_displays(text: str) -> int | None:
    """GPU core count from `system_profiler SPDisplaysDataType` ("Total Number of Cores: 38")."""
    m = re.search(r"Total Number of Cores:\s*([0-9]{1,5})\b", text or "")
    return int(m.group(1)) if m else None


def parse_meminfo(text: str) -> tuple[int | None, int | None]:
    """(MemTotal, MemAvailable) in bytes from /proc/meminfo."""
    found: dict[str, int] = {}
    for line in (text or "").splitlines():
        m = re.match(r"^(MemTotal|MemAvailable):\s+([0-9]{1,14})\s*kB", line)
        if m:
            found[m.group(1)] = int(m.group(2)) * 1024
    return found.get("MemTotal"), found.get("MemAvailable")


