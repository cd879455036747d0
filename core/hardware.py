"""What a model runs on: a GPU, several identical GPUs, or a unified-memory machine."""

from __future__ import annotations

from dataclasses import dataclass

from vramtui.core.units import GIB

GPU = "gpu"
APPLE = "apple"
UNIFIED = "unified"
MULTI_GPU = "multi_gpu"
CPU = "cpu"  # no GPU: llama.cpp runs the model from system RAM
KINDS = (GPU, APPLE, UNIFIED, MULTI_GPU, CPU)

# macOS lets the GPU wire only part of unified memory (Metal's recommendedMaxWorkingSetSize).
# Measured values: 2/3 of RAM up to 36 GB, 3/4 above (see README, "Unified memory").
APPLE_SMALL_RAM_LIMIT = 36 * GIB
# After `sudo sysctl iogpu.wired_limit_mb=N` the GPU may take all but what macOS needs.
APPLE_OS_RESERVE = 8 * GIB
# A CPU target whose free RAM is unknown keeps this much for the OS and other programs.
CPU_OS_RESERVE = 4 * GIB


def apple_gpu_share(ram_bytes: int) -> int:
    """Bytes of unified memory Metal offers the GPU by default on a Mac with `ram_bytes` of RAM."""
    if ram_bytes <= APPLE_SMALL_RAM_LIMIT:
        return ram_bytes * 2 // 3
    return ram_bytes * 3 // 4


@dataclass(frozen=True)
class Hardware:
    """One target: memory in bytes, bandwidth in GB/s and compute in TFLOP/s, per GPU."""

    name: str
    vendor: str
    kind: str
    memory_bytes: int  # per GPU (discrete), or the machine's RAM (unified)
    bandwidth_gbps: float
    fp16_tflops: float = 0.0
    gpu_count: int = 1
    gpu_memory_bytes: int = 0  # unified: a fixed documented GPU allocation; CPU: RAM free now (0: use the rule)
    segment: str = ""
    family: str = ""  # a GPU's architecture (Ampere, Pascal…) or a unified machine's chip (M1 Max, GB10…)
    gpu_cores: int = 0  # Apple: GPU cores of the chip (its prompt rate scales with them)

    @property
    def is_unified(self) -> bool:
        """The model lives in the one memory the processor shares with the system (a Mac, a CPU)."""
        return self.kind in (APPLE, UNIFIED, CPU)

    @property
    def usable_bytes(self) -> int:
        """Memory a model may use by default, all GPUs together."""
        if self.kind == APPLE:
            return apple_gpu_share(self.memory_bytes)
        if self.kind == UNIFIED:
            return self.gpu_memory_bytes or self.memory_bytes
        if self.kind == CPU:
            return self.gpu_memory_bytes or max(0, self.memory_bytes - CPU_OS_RESERVE)
        return self.memory_bytes * self.gpu_count

    @property
    def stretch_bytes(self) -> int:
        """Memory usable after a documented tweak (macOS: raising iogpu.wired_limit_mb); else usable_bytes."""
        if self.kind == APPLE:
            return max(self.usable_bytes, self.memory_bytes - APPLE_OS_RESERVE)
        return self.usable_bytes

    def one_gpu(self) -> Hardware:
        """One GPU of this target as a discrete card (a multi-GPU system's GPU; a GPU itself)."""
        if self.kind == GPU and self.gpu_count == 1:
            return self
        return Hardware(self.name, self.vendor, GPU, self.memory_bytes, self.bandwidth_gbps,
                        self.fp16_tflops, segment=self.segment, family=self.family)

    @property
    def total_memory_bytes(self) -> int:
        return self.memory_bytes * (1 if self.is_unified else self.gpu_count)
