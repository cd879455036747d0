"""Running the vendors' tools and reading /proc/meminfo: the only I/O of detection.

A missing tool, a tool that fails, hangs or floods its output is a note, never an error:
each tool gets TIMEOUT_S for everything (its output read as it comes), and at most
MAX_OUTPUT bytes of it are kept."""

from __future__ import annotations

import platform
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import IO

from vramtui.sources.detect.parse import (
    MAX_GPUS,
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
MAX_OUTPUT = 1 << 20  # bytes: 64 GPUs take 10 kB of nvidia-smi output
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
    """(stdout, None) when the tool ran and exited 0 within `timeout`, printing at most MAX_OUTPUT
    bytes; (None, why not) otherwise. Never raises; a tool still running at the end is killed."""
    exe = shutil.which(argv[0])
    if exe is None:
        return None, f"{argv[0]}: not found"
    try:
        proc = subprocess.Popen(
            [exe, *argv[1:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
        )
    except OSError as e:
        return None, f"{argv[0]}: could not run ({e.strerror or e.__class__.__name__})"
    assert proc.stdout is not None and proc.stderr is not None
    out, err = bytearray(), bytearray()
    out_reader, err_reader = (threading.Thread(target=_drain, args=(stream, buf), daemon=True)
                              for stream, buf in ((proc.stdout, out), (proc.stderr, err)))
    deadline = time.monotonic() + timeout
    out_reader.start()
    err_reader.start()
    out_reader.join(max(0.0, deadline - time.monotonic()))  # returns at once when the output overflows
    code = None
    if not out_reader.is_alive() and len(out) <= MAX_OUTPUT:
        try:
            code = proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    if code is None:
        proc.kill()
        proc.wait()
    err_reader.join(max(0.0, deadline - time.monotonic()))
    if len(out) > MAX_OUTPUT:
        return None, f"{argv[0]}: printed more than {MAX_OUTPUT >> 20} MiB; not read"
    if code is None:
        return None, f"{argv[0]}: no answer within {timeout:g} s"
    text = out.decode("utf-8", "replace")
    if code != 0:
        first = (text.strip() or err.decode("utf-8", "replace").strip()).splitlines()
        detail = first[0][:120] if first else "no output"
        return None, f"{argv[0]}: exit status {code} ({detail})"
    return text, None


def _drain(stream: IO[bytes], buf: bytearray) -> None:
    """Read `stream` into `buf` until it ends or holds more than MAX_OUTPUT bytes."""
    try:
        while len(buf) <= MAX_OUTPUT:
            chunk = stream.read1(1 << 16)  # type: ignore[attr-defined]
            if not chunk:
                break
            buf += chunk
    except (OSError, ValueError):  # the pipe closed under us: the tool was killed
        pass


def _read_text(path: str) -> str | None:
    try:
        with open(path, "rb") as f:  # /proc files are not regular files, but they end
            return f.read(MAX_OUTPUT).decode("utf-8", "replace")
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
    gpus = _at_most(gpus, "nvidia-smi", notes)
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
    return _at_most(gpus, "rocm-smi", notes)


def _at_most(gpus: list[DetectedGpu], tool: str, notes: list[str]) -> list[DetectedGpu]:
    if len(gpus) > MAX_GPUS:
        notes.append(f"{tool} listed more than {MAX_GPUS} GPUs: only the first {MAX_GPUS} are read")
    return gpus[:MAX_GPUS]


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


