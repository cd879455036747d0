"""Running the vendors' tools and reading /proc/meminfo: the only I/O of detection.

A missing tool, a tool that fails or hangs is a note, never an error."""

from __future__ import annotations

import platform
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import replace

from vramtui.sources.detect.parse import (
    AppleChip,
    DetectedGpu,
    Machine,
    apple_chip_name,
    parse_meminfo,
    parse_nvidia_smi_csv,
    parse_nvidia_smi_list,
    parse_rocm_smi_csv,
    parse_rocm_smi_json,
    parse_sysctl,
    parse_system_profiler_displays,
)

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


