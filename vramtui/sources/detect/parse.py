"""What the vendors' tools print, parsed into values: pure, never raises."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from vramtui.core.units import GIB, MIB


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
    if not t or _NA.match(t):
        return None
    try:
        value = float(t)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0 or value > 1e9:
        return None
    return int(value * MIB)


def parse_nvidia_smi_csv(text: str) -> list[DetectedGpu]:
    """GPUs from `nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free,uuid
    --format=csv,noheader,nounits`. Lines that do not have that shape are skipped."""
    gpus = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 6:
            continue
        # A name could contain a comma: the index is first and the last four fields are fixed.
        index_text, total, used, free, uuid = parts[0], parts[-4], parts[-3], parts[-2], parts[-1]
        name = ", ".join(parts[1:-4]).strip()
        if not index_text.isdigit() or not name or _NA.match(name):
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


_MIG_LINE = re.compile(r"^\s+MIG\s+(\S+)\s+Device\s+(\d+):\s*\(UUID:\s*([^)]+)\)")
_GPU_LINE = re.compile(r"^GPU\s+(\d+):\s*(.+?)\s*\(UUID:\s*([^)]+)\)")
_PROFILE_GB = re.compile(r"(\d+(?:\.\d+)?)gb$", re.IGNORECASE)


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
    return out


def _int_bytes(value: Any) -> int | None:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if 0 <= n < 1 << 50 else None


_HEX = re.compile(r"^0x[0-9a-f]+$", re.IGNORECASE)


def _amd_name(fields: dict[str, Any]) -> str:
    low = {str(k).strip().lower(): v for k, v in fields.items()}
    for key in ("card series", "marketing name", "card model", "device name"):
        v = str(low.get(key, "")).strip()
        if v and not _HEX.match(v) and v.lower() not in ("n/a", "unknown"):
            return v
    return ""


def _amd_gpu(card: str, fields: dict[str, Any]) -> DetectedGpu | None:
    m = re.fullmatch(r"card(\d+)", card.strip().lower())
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
        doc = json.loads(t[start : end + 1])
    except ValueError:
        return []
    if not isinstance(doc, dict):
        return []
    gpus = [g for card, fields in doc.items() if (g := _amd_gpu(str(card), fields)) is not None]
    return sorted(gpus, key=lambda g: g.index)


def parse_rocm_smi_csv(text: str) -> list[DetectedGpu]:
    """GPUs from `rocm-smi --showproductname --showmeminfo vram --csv`."""
    lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    header_at = next((i for i, ln in enumerate(lines) if ln.lower().startswith("device,")), None)
    if header_at is None:
        return []
    rows = list(csv.reader(io.StringIO("\n".join(lines[header_at:]))))
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
    for ln in lines:
        if ln.isdigit():
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
    m = re.search(r"Total Number of Cores:\s*(\d+)", text or "")
    return int(m.group(1)) if m else None


def parse_meminfo(text: str) -> tuple[int | None, int | None]:
    """(MemTotal, MemAvailable) in bytes from /proc/meminfo."""
    found: dict[str, int] = {}
    for line in (text or "").splitlines():
        m = re.match(r"^(MemTotal|MemAvailable):\s+(\d+)\s*kB", line)
        if m:
            found[m.group(1)] = int(m.group(2)) * 1024
    return found.get("MemTotal"), found.get("MemAvailable")


