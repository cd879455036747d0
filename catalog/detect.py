"""This machine: its GPUs and system RAM, matched to catalog entries for bandwidth.

Detection runs the vendors' own tools with short timeouts and reads /proc/meminfo:

- NVIDIA: `nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free,uuid
  --format=csv,noheader,nounits` (one line per GPU, memory in MiB, "[N/A]" where a value
  is unavailable) and `nvidia-smi -L` for MIG instances ("  MIG 3g.40gb Device 0: (UUID: MIG-…)").
- AMD: `rocm-smi --showproductname --showmeminfo vram --json` ({"card0": {"Card Series": …,
  "VRAM Total Memory (B)": …, "VRAM Total Used Memory (B)": …}}), or `--csv`.
- Apple Silicon: `sysctl -n machdep.cpu.brand_string hw.memsize` and
  `system_profiler SPDisplaysDataType` ("Total Number of Cores: 38").
- System RAM: MemTotal in /proc/meminfo (Linux), hw.memsize (macOS).

A missing tool, a tool that fails, hangs or prints something unexpected is a note, never an
error: the answer is then "no GPU detected" and the system RAM. The parse_* functions are
pure (text in, values out) and never raise; only detect_machine() does I/O.
"""

from __future__ import annotations

import csv
import io
import json
import math
import platform
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from core.hardware import APPLE, GPU, MULTI_GPU, UNIFIED, Hardware
from core.units import GIB, MIB

TIMEOUT_S = 5.0  # nvidia-smi can take a few seconds to wake a GPU without persistence mode
NVIDIA_QUERY = [
    "nvidia-smi",
    "--query-gpu=index,name,memory.total,memory.used,memory.free,uuid",
    "--format=csv,noheader,nounits",
]
NVIDIA_LIST = ["nvidia-smi", "-L"]
ROCM_JSON = ["rocm-smi", "--showproductname", "--showmeminfo", "vram", "--json"]
ROCM_CSV = ["rocm-smi", "--showproductname", "--showmeminfo", "vram", "--csv"]
SYSCTL = ["sysctl", "-n", "machdep.cpu.brand_string", "hw.memsize"]
SYSTEM_PROFILER = ["system_profiler", "SPDisplaysDataType"]
NO_GPU = "no GPU detected"
BUSY_FRACTION = 0.05  # a GPU with more than this share of its memory in use is reported as busy


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


@dataclass(frozen=True)
class MachineTarget:
    """ "This machine" as a target for the core."""

    hardware: Hardware | None  # None: no GPU detected
    label: str
    catalog_id: str | None = None
    bandwidth_known: bool = False
    free_bytes: int | None = None  # per GPU, when other processes hold memory
    notes: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------- parsing (pure)

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


# ---------------------------------------------------------------- running the tools (I/O)

# A tool runner: (argv, timeout) -> (stdout, None) or (None, why not). Tests pass fakes.
Runner = Callable[[Sequence[str], float], tuple[str | None, str | None]]


def run_tool(argv: Sequence[str], timeout: float = TIMEOUT_S) -> tuple[str | None, str | None]:
    """(stdout, None) when the tool ran and exited 0; (None, why not) otherwise. Never raises."""
    exe = shutil.which(argv[0])
    if exe is None:
        return None, f"{argv[0]}: not found"
    try:
        done = subprocess.run(
            [exe, *argv[1:]],
            capture_output=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return None, f"{argv[0]}: no answer within {timeout:g} s"
    except OSError as e:
        return None, f"{argv[0]}: could not run ({e.strerror or e.__class__.__name__})"
    out = done.stdout.decode("utf-8", "replace")
    if done.returncode != 0:
        first = (out.strip() or done.stderr.decode("utf-8", "replace").strip()).splitlines()
        detail = first[0][:120] if first else "no output"
        return None, f"{argv[0]}: exit status {done.returncode} ({detail})"
    return out, None


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def _nvidia(run: Runner, timeout: float, notes: list[str]) -> list[DetectedGpu]:
    out, problem = run(NVIDIA_QUERY, timeout)
    if out is None:
        notes.append(problem or "nvidia-smi: failed")
        return []
    gpus = parse_nvidia_smi_csv(out)
    if not gpus:
        notes.append("nvidia-smi: no GPU in its output")
        return []
    listing, _ = run(NVIDIA_LIST, timeout)
    migs = parse_nvidia_smi_list(listing or "")
    if migs:
        gpus = [replace(g, mig=tuple(m for m in migs if m.gpu_index == g.index)) for g in gpus]
    return gpus


def _amd(run: Runner, timeout: float, notes: list[str]) -> list[DetectedGpu]:
    out, problem = run(ROCM_JSON, timeout)
    if out is None and problem and problem.endswith("not found"):
        notes.append(problem)
        return []
    gpus = parse_rocm_smi_json(out or "")
    if not gpus:
        out_csv, problem_csv = run(ROCM_CSV, timeout)
        gpus = parse_rocm_smi_csv(out_csv or "")
        if not gpus:
            notes.append(problem or problem_csv or "rocm-smi: no GPU in its output")
    return gpus


def detect_machine(
    timeout: float = TIMEOUT_S,
    system: str | None = None,
    run: Runner = run_tool,
    meminfo_path: str = "/proc/meminfo",
) -> Machine:
    """Probe this machine's GPUs and RAM. Each tool is optional; nothing here raises."""
    system = system or platform.system()
    notes: list[str] = []
    ram = available = None
    apple = None
    gpus: list[DetectedGpu] = []
    if system == "Darwin":
        out, problem = run(SYSCTL, timeout)
        brand, ram = parse_sysctl(out or "")
        if out is None:
            notes.append(problem or "sysctl: failed")
        chip = apple_chip_name(brand)
        if chip:
            prof, _ = run(SYSTEM_PROFILER, timeout)
            apple = AppleChip(brand, chip, ram, parse_system_profiler_displays(prof or ""))
        elif brand:
            notes.append(f"{brand}: not Apple Silicon")
    else:
        text = _read_text(meminfo_path)
        if text is not None:
            ram, available = parse_meminfo(text)
        if ram is None:
            notes.append("system RAM: unknown (no /proc/meminfo)")
        gpus = _nvidia(run, timeout, notes)
        if not gpus:
            gpus = _amd(run, timeout, notes)
    return Machine(system, ram, available, tuple(gpus), apple, tuple(notes))


# ---------------------------------------------------------------- matching to the catalog

_IGNORED_WORDS = {
    "nvidia",
    "amd",
    "ati",
    "intel",
    "corporation",
    "inc",
    "advanced",
    "micro",
    "devices",
    "apple",
}


def _tokens(text: str) -> set[str]:
    return {t for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in _IGNORED_WORDS}


def _memory_tokens(memory_bytes: int | None) -> set[str]:
    if not memory_bytes:
        return set()
    gib = memory_bytes / GIB
    return {f"{math.floor(gib)}gb", f"{math.ceil(gib)}gb"}


def _gpu_texts(entry: Any) -> list[str]:
    return [entry.name, *getattr(entry, "aliases", [])]


def match_gpu(name: str, memory_bytes: int | None, entries: Iterable[Any]) -> Any | None:
    """The catalog GPU whose name or an alias is wholly contained in the detected name.

    nvidia-smi and rocm-smi print names such as "NVIDIA H100 80GB HBM3",
    "NVIDIA A100-SXM4-80GB" or "Navi 31 [Radeon RX 7900 XT/7900 XTX]": every word of a
    catalog name (vendor words aside) must appear in the detected name or be its memory size
    ("8gb"), and it must name a model number unless it is the whole name ("TITAN RTX").
    The name that explains most of the detected words wins ("RTX 3060 Ti" over "RTX 3060 8GB"
    for an 8 GB 3060 Ti), then the most specific one ("RTX 3060 8GB" over "RTX 3060"), then
    the entry whose memory is closest to the detected memory.
    """
    words = _tokens(name)
    detected = words | _memory_tokens(memory_bytes)
    best: tuple[tuple[int, int, float], Any] | None = None
    for entry in entries:
        rank = None
        for text in _gpu_texts(entry):
            toks = _tokens(text)
            if not toks or not toks <= detected:
                continue
            if not (any(c.isdigit() for t in toks for c in t) or words <= toks):
                continue
            gap = abs(entry.memory_gb * GIB - memory_bytes) / GIB if memory_bytes else 0.0
            r = (len(toks & words), len(toks), -gap)
            rank = r if rank is None or r > rank else rank
        if rank is not None and (best is None or rank > best[0]):
            best = (rank, entry)
    return best[1] if best else None


def _base_chip(chip: str) -> str:
    return re.sub(r"\s*\d+-core GPU", "", chip).strip().lower()


def match_apple(chip: AppleChip, devices: Iterable[Any]) -> tuple[Any | None, bool]:
    """(catalog device for this chip, whether its memory size is this Mac's too)."""
    same_chip = [
        d for d in devices if d.kind == "apple" and _base_chip(d.chip or "") == chip.chip.lower()
    ]
    if chip.gpu_cores:
        cores = [d for d in same_chip if f"{chip.gpu_cores}-core" in (d.chip or "")]
        same_chip = cores or [d for d in same_chip if "-core" not in (d.chip or "")] or same_chip
    if not same_chip:
        return None, False
    if chip.memory_bytes:
        exact = [d for d in same_chip if round(d.memory_gb * GIB) == chip.memory_bytes]
        if exact:
            return exact[0], True
        return min(same_chip, key=lambda d: abs(d.memory_gb * GIB - chip.memory_bytes)), False
    return same_chip[0], False


def match_unified(name: str, ram_bytes: int | None, devices: Iterable[Any]) -> Any | None:
    """A unified-memory machine (DGX Spark, Strix Halo, Jetson) whose chip names the detected GPU."""
    model_words = {t for t in _tokens(name) if any(c.isdigit() for c in t) and len(t) >= 3}
    model_words -= _memory_tokens(ram_bytes)
    if not model_words:
        return None
    found = [
        d for d in devices if d.kind == "unified" and model_words <= _tokens(f"{d.chip} {d.name}")
    ]
    if not found:
        return None
    if ram_bytes:
        return min(found, key=lambda d: abs(d.memory_gb * GIB - ram_bytes))
    return found[0]


def _fmt_gib(n: int | None) -> str:
    return "?" if n is None else f"{n / GIB:.1f} GiB"


def _gpu_target(machine: Machine, catalog: Any) -> MachineTarget:
    gpus = list(machine.gpus)
    gpu_entries = list(getattr(catalog, "gpus", {}).values())
    device_entries = list(getattr(catalog, "devices", {}).values())
    notes: list[str] = []
    matched = {g.index: match_gpu(g.name, g.memory_total_bytes, gpu_entries) for g in gpus}

    # MIG: a process sees one instance. Target the largest; its bandwidth is its share of memory slices.
    with_mig = [g for g in gpus if g.mig]
    if with_mig:
        g = with_mig[0]
        inst = max(g.mig, key=lambda m: m.memory_bytes or 0)
        entry = matched[g.index]
        share = (inst.memory_bytes or 0) / g.memory_total_bytes if g.memory_total_bytes else 0.0
        bandwidth = entry.bandwidth_gbps * min(1.0, share) if entry else 0.0
        hw = Hardware(
            f"{g.name} MIG {inst.profile}",
            g.vendor,
            GPU,
            inst.memory_bytes or 0,
            bandwidth,
            (entry.fp16_tflops * min(1.0, share)) if entry else 0.0,
            segment=getattr(entry, "segment", ""),
        )
        notes.append(
            f"MIG is on: a process sees one MIG instance; the largest ({inst.profile}) is the target, "
            "with its share of the GPU's memory bandwidth."
        )
        return MachineTarget(
            hw, hw.name, getattr(entry, "id", None), entry is not None, None, tuple(notes)
        )

    # Group identical GPUs; the group with the most memory is the target.
    groups: dict[tuple[str, int | None], list[DetectedGpu]] = {}
    for g in gpus:
        key = (getattr(matched[g.index], "id", None) or g.name, g.memory_total_bytes)
        groups.setdefault(key, []).append(g)
    group = max(
        groups.values(), key=lambda gs: (len(gs) * (gs[0].memory_total_bytes or 0), -gs[0].index)
    )
    if len(groups) > 1:
        notes.append(
            f"Mixed GPUs: the target is the {len(group)} × {group[0].name}; "
            "llama.cpp can also split layers over all of them."
        )
    first = group[0]
    entry = matched[first.index]
    n = len(group)
    if first.memory_total_bytes is None:
        unified = match_unified(first.name, machine.ram_bytes, device_entries)
        if unified is not None:
            hw = unified.hardware()
            return MachineTarget(
                hw,
                unified.name,
                unified.id,
                True,
                None,
                (f"{first.name} reports no memory of its own: unified memory, as {unified.name}.",),
            )
        notes.append(f"{first.name}: the driver reports no memory size.")
    memory = first.memory_total_bytes or 0
    if entry is not None:
        base = entry.hardware()
        hw = replace(base, memory_bytes=memory or base.memory_bytes)
        known = True
    else:
        hw = Hardware(
            first.name,
            first.vendor if first.vendor in ("NVIDIA", "AMD") else "Other",
            GPU,
            memory,
            0.0,
        )
        known = False
        notes.append(
            f"{first.name} is not in the catalog: memory as detected, bandwidth unknown (no tok/s)."
        )
    if n > 1:
        hw = replace(hw, name=f"{n} × {hw.name}", kind=MULTI_GPU, gpu_count=n)
    frees = [g.memory_free_bytes for g in group if g.memory_free_bytes is not None]
    free = min(frees) if frees else None
    for g in group:
        if (
            g.memory_used_bytes
            and g.memory_total_bytes
            and g.memory_used_bytes > g.memory_total_bytes * BUSY_FRACTION
        ):
            notes.append(
                f"GPU {g.index} is busy: {_fmt_gib(g.memory_used_bytes)} of {_fmt_gib(g.memory_total_bytes)} "
                "in use by other processes."
            )
    label = hw.name if known else f"{hw.name} (bandwidth unknown)"
    return MachineTarget(hw, label, getattr(entry, "id", None), known, free, tuple(notes))


def _apple_target(machine: Machine, catalog: Any) -> MachineTarget:
    chip = machine.apple
    assert chip is not None
    device, exact = match_apple(chip, getattr(catalog, "devices", {}).values())
    memory = chip.memory_bytes or (round(device.memory_gb * GIB) if device else 0)
    cores = f", {chip.gpu_cores}-core GPU" if chip.gpu_cores else ""
    name = f"This Mac ({chip.chip}{cores}, {memory / GIB:.0f} GB)"
    if device is None:
        hw = Hardware(name, "Apple", APPLE, memory, 0.0)
        return MachineTarget(
            hw,
            f"{name} (bandwidth unknown)",
            None,
            False,
            None,
            (f"{chip.chip} is not in the catalog: unified memory as detected, bandwidth unknown.",),
        )
    base = device.hardware()
    hw = replace(base, name=name, memory_bytes=memory)
    notes = (
        () if exact else (f"Bandwidth from {device.name}: the same chip with another memory size.",)
    )
    return MachineTarget(hw, name, device.id if exact else None, True, None, notes)


def machine_target(machine: Machine, catalog: Any) -> MachineTarget:
    """The core Hardware for this machine: its GPUs (N identical -> gpu_count), a Mac, or none."""
    if machine.gpus:
        return _gpu_target(machine, catalog)
    if machine.apple is not None:
        return _apple_target(machine, catalog)
    return MachineTarget(None, NO_GPU, notes=machine.notes)


# ---------------------------------------------------------------- output


def machine_json(machine: Machine, target: MachineTarget, catalog: Any = None) -> dict[str, Any]:
    """`vramtui detect --json`: what was found, and the target the core would use."""
    entries = list(getattr(catalog, "gpus", {}).values()) if catalog is not None else []
    hw = target.hardware
    return {
        "system": machine.system,
        "system_ram_bytes": machine.ram_bytes,
        "system_ram_available_bytes": machine.ram_available_bytes,
        "gpu_detected": hw is not None,
        "message": None if hw is not None else NO_GPU,
        "gpus": [
            {
                "index": g.index,
                "name": g.name,
                "vendor": g.vendor,
                "source": g.source,
                "memory_total_bytes": g.memory_total_bytes,
                "memory_used_bytes": g.memory_used_bytes,
                "memory_free_bytes": g.memory_free_bytes,
                "uuid": g.uuid or None,
                "catalog_id": getattr(match_gpu(g.name, g.memory_total_bytes, entries), "id", None),
                "mig": [
                    {
                        "device": m.device,
                        "profile": m.profile,
                        "memory_bytes": m.memory_bytes,
                        "uuid": m.uuid,
                    }
                    for m in g.mig
                ],
            }
            for g in machine.gpus
        ],
        "apple": None
        if machine.apple is None
        else {
            "chip": machine.apple.chip,
            "brand": machine.apple.brand,
            "memory_bytes": machine.apple.memory_bytes,
            "gpu_cores": machine.apple.gpu_cores,
        },
        "target": None
        if hw is None
        else {
            "name": target.label,
            "kind": hw.kind,
            "gpu_count": hw.gpu_count,
            "memory_bytes": hw.memory_bytes,
            "usable_bytes": hw.usable_bytes,
            "free_bytes": target.free_bytes,
            "catalog_id": target.catalog_id,
            "bandwidth_gbps": hw.bandwidth_gbps if target.bandwidth_known else None,
            "bandwidth_known": target.bandwidth_known,
        },
        "notes": list(dict.fromkeys([*target.notes, *machine.notes])),
    }


def machine_lines(machine: Machine, target: MachineTarget) -> list[str]:
    """`vramtui detect` as plain lines of text."""
    ram = "unknown" if machine.ram_bytes is None else _fmt_gib(machine.ram_bytes)
    if machine.ram_available_bytes is not None:
        ram += f" ({_fmt_gib(machine.ram_available_bytes)} available)"
    lines = [f"System RAM: {ram}"]
    for g in machine.gpus:
        used = f", {_fmt_gib(g.memory_used_bytes)} in use" if g.memory_used_bytes else ""
        lines.append(
            f"GPU {g.index}: {g.name} · {_fmt_gib(g.memory_total_bytes)}{used} ({g.source})"
        )
        for m in g.mig:
            lines.append(f"  MIG {m.profile} device {m.device} · {_fmt_gib(m.memory_bytes)}")
    if machine.apple is not None:
        a = machine.apple
        cores = f", {a.gpu_cores}-core GPU" if a.gpu_cores else ""
        lines.append(f"Apple {a.chip}{cores} · {_fmt_gib(a.memory_bytes)} unified memory")
    hw = target.hardware
    if hw is None:
        lines.append(f"GPU: {NO_GPU}")
    else:
        bw = f"{hw.bandwidth_gbps:,.0f} GB/s" if target.bandwidth_known else "bandwidth unknown"
        per = f"{_fmt_gib(hw.memory_bytes)} each" if hw.gpu_count > 1 else _fmt_gib(hw.memory_bytes)
        usable = (
            f", {_fmt_gib(hw.usable_bytes)} usable by the GPU"
            if hw.kind in (APPLE, UNIFIED)
            else ""
        )
        lines.append(f"Target: {target.label} · {per}{usable} · {bw}")
    for note in dict.fromkeys([*target.notes, *machine.notes]):
        lines.append(f"  note: {note}")
    return lines
