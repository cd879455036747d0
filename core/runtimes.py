"""Which quantizations some runtime can load on a given target.

GGUF files load in llama.cpp (and Ollama, LM Studio, built on it) on every kind of hardware:
CUDA, ROCm, Vulkan, Metal and plain CPUs. The GPU checkpoint formats (FP8, INT8, AWQ, GPTQ,
MXFP4/NVFP4 safetensors, EXL2/EXL3) load in vLLM, SGLang, TensorRT-LLM, TGI or ExLlama,
which run on NVIDIA and AMD GPUs: not on a Mac (Metal) and not on a CPU-only machine.
"""

from __future__ import annotations

from vramtui.core.hardware import APPLE, CPU, Hardware
from vramtui.core.quantization import Quantization


def unloadable_reason(q: Quantization, hw: Hardware) -> str | None:
    """Why no runtime can load `q` on `hw`, or None when one can."""
    if q.is_gguf:
        return None
    if hw.kind == APPLE:
        return f"{q.name} loads in GPU servers (vLLM, SGLang) only; a Mac runs GGUF files (llama.cpp, Ollama)"
    if hw.kind == CPU:
        return f"{q.name} loads in GPU servers (vLLM, SGLang) only; on a CPU llama.cpp runs GGUF files"
    return None
