"""Detected GPUs and chips matched to catalog entries, and this machine as a target."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from vramtui.core.hardware import APPLE, CPU, GPU, MULTI_GPU, Hardware
from vramtui.core.offload import DEFAULT_RAM_BANDWIDTH_GBPS
from vramtui.core.units import GIB
from vramtui.format import gib
from vramtui.sources.detect.parse import AppleChip, DetectedGpu, Machine

NO_GPU = "no GPU detected"
BUSY_FRACTION = 0.05  # a GPU with more than this share of its memory in use is reported as busy



@dataclass(frozen=True)
class MachineTarget:
    """ "This machine" as a target for the core."""

    hardware: Hardware | None  # None: no GPU detected
    label: str
    catalog_id: str | None = None
    bandwidth_known: bool = False
    free_bytes: int | None = None  # per GPU, when other processes hold memory
    notes: tuple[str, ...] = field(default=())


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


def _gpu_target(machine: Machine, catalog: Any) -> MachineTarget:
    gpus = list(machine.gpus)
    gpu_entries = list(getattr(catalog, "gpus", {}).values())
    device_entries = list(getattr(catalog, "devices", {}).values())
    notes: list[str] = []
    # By position, not by index: two GPUs reporting the same index keep their own names and memory.
    found: dict[tuple[str, int | None], Any] = {}
    for g in gpus:
        if (g.name, g.memory_total_bytes) not in found:  # each kind of card is matched once
            found[g.name, g.memory_total_bytes] = match_gpu(g.name, g.memory_total_bytes, gpu_entries)
    matched = {id(g): found[g.name, g.memory_total_bytes] for g in gpus}

    # MIG: a process sees one instance. Target the largest; its bandwidth is its share of memory slices.
    with_mig = [g for g in gpus if g.mig]
    if with_mig:
        g = with_mig[0]
        inst = max(g.mig, key=lambda m: m.memory_bytes or 0)
        entry = matched[id(g)]
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
        key = (getattr(matched[id(g)], "id", None) or g.name, g.memory_total_bytes)
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
    entry = matched[id(first)]
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
    if first.memory_total_bytes == 0:  # said plainly: never silently the catalog's figure
        if entry is None:
            return MachineTarget(None, f"{first.name} reports 0 MiB of memory", notes=(
                f"{first.name}: the driver reports 0 MiB of memory and the card is not in the catalog: "
                "nothing to size against (pick the card with t).",))
        notes.append(f"{first.name}: the driver reports 0 MiB of memory; "
                     f"assumed the catalog's {gib(entry.hardware().memory_bytes)} for {entry.name}.")
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
                f"GPU {g.index} is busy: {gib(g.memory_used_bytes)} of {gib(g.memory_total_bytes)} "
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


CPU_TARGET_ID = "this-cpu"


def cpu_target(machine: Machine) -> MachineTarget:
    """No GPU: the CPU and system RAM as the target, for llama.cpp's CPU decode.

    Memory: the RAM free now (MemAvailable) when known, else all but core.hardware.CPU_OS_RESERVE.
    Bandwidth: not measured; the dual-channel DDR5 figure core.offload assumes for system RAM.
    """
    ram = machine.ram_bytes
    if not ram:
        return MachineTarget(None, NO_GPU, notes=(*machine.notes, "system RAM unknown: no CPU target either"))
    hw = Hardware("This machine's CPU", "CPU", CPU, ram, DEFAULT_RAM_BANDWIDTH_GBPS,
                  gpu_memory_bytes=machine.ram_available_bytes or 0)
    note = (f"{NO_GPU}: the CPU runs the model from system RAM ({gib(hw.usable_bytes)} free), decoding at an "
            f"assumed {DEFAULT_RAM_BANDWIDTH_GBPS:g} GB/s (dual-channel DDR5; not measured)")
    return MachineTarget(hw, hw.name, None, False, None, (*machine.notes, note))


def this_machine(machine: Machine, catalog: Any) -> MachineTarget:
    """This machine as a target: its GPUs or Mac, else its CPU and system RAM."""
    found = machine_target(machine, catalog)
    if found.hardware is not None:
        return found
    cpu = cpu_target(machine)  # keeping what was said about the GPUs (a card reporting 0 MiB, say)
    return replace(cpu, notes=tuple(dict.fromkeys((*found.notes, *cpu.notes))))


