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

from typing import Any

from vramtui.core.hardware import APPLE, CPU, UNIFIED
from vramtui.format import gib
from vramtui.sources.detect.match import (
    CPU_TARGET_ID,
    NO_GPU,
    MachineTarget,
    cpu_target,
    machine_target,
    match_gpu,
    this_machine,
)
from vramtui.sources.detect.parse import Machine
from vramtui.sources.detect.probe import detect_machine

__all__ = ["CPU_TARGET_ID", "MachineTarget", "cpu_target", "detect_machine", "machine_json", "machine_lines",
           "machine_target", "this_machine"]


def machine_json(machine: Machine, target: MachineTarget, catalog: Any = None) -> dict[str, Any]:
    """`vramtui detect --json`: what was found, and the target the core would use."""
    entries = list(getattr(catalog, "gpus", {}).values()) if catalog is not None else []
    hw = target.hardware
    gpu = hw is not None and hw.kind != CPU
    return {
        "system": machine.system,
        "system_ram_bytes": machine.ram_bytes,
        "system_ram_available_bytes": machine.ram_available_bytes,
        "gpu_detected": gpu,
        "message": None if gpu else (target.label if hw is None else NO_GPU),  # or why none is usable
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
    ram = "unknown" if machine.ram_bytes is None else gib(machine.ram_bytes)
    if machine.ram_available_bytes is not None:
        ram += f" ({gib(machine.ram_available_bytes)} available)"
    lines = [f"System RAM: {ram}"]
    for g in machine.gpus:
        used = f", {gib(g.memory_used_bytes)} in use" if g.memory_used_bytes else ""
        lines.append(
            f"GPU {g.index}: {g.name} · {gib(g.memory_total_bytes)}{used} ({g.source})"
        )
        for m in g.mig:
            lines.append(f"  MIG {m.profile} device {m.device} · {gib(m.memory_bytes)}")
    if machine.apple is not None:
        a = machine.apple
        cores = f", {a.gpu_cores}-core GPU" if a.gpu_cores else ""
        lines.append(f"Apple {a.chip}{cores} · {gib(a.memory_bytes)} unified memory")
    hw = target.hardware
    if hw is None or hw.kind == CPU:
        lines.append(f"GPU: {NO_GPU if hw is not None else target.label}")
    if hw is not None and hw.kind == CPU:
        lines.append(f"Target: {target.label} · {gib(hw.usable_bytes)} free · "
                     f"{hw.bandwidth_gbps:,.0f} GB/s assumed (llama.cpp on the CPU)")
    elif hw is not None:
        bw = f"{hw.bandwidth_gbps:,.0f} GB/s" if target.bandwidth_known else "bandwidth unknown"
        per = f"{gib(hw.memory_bytes)} each" if hw.gpu_count > 1 else gib(hw.memory_bytes)
        usable = (
            f", {gib(hw.usable_bytes)} usable by the GPU"
            if hw.kind in (APPLE, UNIFIED)
            else ""
        )
        lines.append(f"Target: {target.label} · {per}{usable} · {bw}")
    for note in dict.fromkeys([*target.notes, *machine.notes]):
        lines.append(f"  note: {note}")
    return lines
