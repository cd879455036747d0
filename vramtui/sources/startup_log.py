"""A vLLM or llama.cpp startup log: what the engine printed about the model, its settings and
the memory it took. Read once, bounded, and parsed line by line; a log that is neither, or
that stops before the KV cache was sized, is a ModelSourceError naming what was not found.

vLLM (V1 engine) prints, among much else:
    … with config: model='Qwen/Qwen3-8B', … max_seq_len=32768, … tensor_parallel_size=1, …
    non-default args: {'model': …, 'max_model_len': 131072, 'gpu_memory_utilization': 0.9, …}
    Model loading took 14.99 GiB memory and 31.46 seconds
    Available KV cache memory: 51.38 GiB
    GPU KV cache size: 410,128 tokens
    Maximum concurrency for 131,072 tokens per request: 3.13x
    ValueError: To serve at least one request with the model's max seq len (221000), (10.12 GiB
      KV cache is needed, … the estimated maximum model length is 122080. …
llama.cpp prints `load_tensors: CUDA0 model buffer size = … MiB`, `llama_context: n_ctx = …`,
`llama_kv_cache: CUDA0 KV buffer size = … MiB` and `CUDA0 compute buffer size = … MiB` lines.
Both engines' "GB" and "GiB" are 2**30 bytes, "MiB" 2**20.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from vramtui.core.errors import ModelSourceError
from vramtui.core.units import GIB, MIB

VLLM = "vllm"
LLAMA_CPP = "llama.cpp"
MAX_LOG_BYTES = 16 * MIB  # a startup is at the top of a log: past this, the rest is requests
MAX_LINE_CHARS = 64 * 1024  # vLLM's config line is a few KiB; longer lines are cut, not parsed whole
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class StartupLog:
    """What one engine start printed. Sizes in bytes; None where the log does not say."""

    engine: str
    source: str
    version: str | None = None
    model: str | None = None  # as the log names it: a repo id, a path, a GGUF's general.name or file
    quant: str | None = None  # vLLM's quantization= / llama.cpp's file type, as printed
    dtype: str | None = None
    context: int | None = None  # vLLM's max_model_len, llama.cpp's n_ctx (all slots)
    tp: int | None = None
    gpu_memory_utilization: float | None = None
    max_num_batched_tokens: int | None = None
    max_num_seqs: int | None = None
    kv_cache_dtype: str | None = None
    gpu: str | None = None  # the GPU's name, where the log has one
    total_bytes: int | None = None  # vLLM: "Free memory on device (free/total GiB)"
    weights_bytes: int | None = None  # vLLM: per GPU; llama.cpp: every model buffer
    gpu_weights_bytes: int | None = None  # llama.cpp: the model buffers on GPUs
    kv_cache_bytes: int | None = None  # vLLM: the pool per GPU (the smallest worker's); llama.cpp: every KV buffer
    kv_cache_tokens: int | None = None  # vLLM: "GPU KV cache size"; llama.cpp: cells
    max_concurrency: float | None = None
    concurrency_len: int | None = None  # the L of "Maximum concurrency for L tokens per request"
    compute_bytes: int | None = None  # llama.cpp: compute buffers on GPUs
    host_compute_bytes: int | None = None  # llama.cpp: compute buffers in host memory
    sequences: int | None = None  # llama.cpp: n_seq_max (-np)
    flash_attention: str | None = None  # llama.cpp: as printed (0, 1, auto, enabled…)
    refused: bool = False  # vLLM refused to start for want of KV cache
    needs_bytes: int | None = None  # "(X GiB KV cache is needed …"
    longest: int | None = None  # "the estimated maximum model length is M"
    cuda_graphs_budgeted: bool | None = None  # "CUDA graph memory profiling is enabled"
    found: tuple[str, ...] = field(default=(), compare=False)  # the markers seen, for messages


# ---------------------------------------------------------------- reading


def read_log(path: str, stdin: BinaryIO | None = None) -> tuple[str, str]:
    """(the log's text, its name): at most MAX_LOG_BYTES of the file, or of stdin for '-'."""
    if path == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        return _decode(stream.read(MAX_LOG_BYTES)), "stdin"
    p = Path(path).expanduser()
    try:
        if not p.is_file():
            raise ModelSourceError(path, "no such file" if not p.exists() else "not a file")
        with p.open("rb") as f:
            return _decode(f.read(MAX_LOG_BYTES)), path
    except OSError as e:
        raise ModelSourceError(path, f"cannot read it ({e.strerror or e})") from None


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _lines(text: str) -> list[str]:
    return [_ANSI.sub("", line[:MAX_LINE_CHARS]) for line in text.splitlines()]


# ---------------------------------------------------------------- shared pieces

_NUM = r"(-?\d[\d,]*(?:\.\d+)?)"


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _setting(line: str, *names: str) -> str | None:
    """A setting as vLLM prints it: `name=V`, `'name': V`, or a flag `--name V` / `-tp=V` (`-` or `_` alike)."""
    for name in names:
        p = name.replace("_", "[-_]")
        m = re.search(rf"(?:(?<![\w-])-{{1,2}}{p}(?:=|\s+)|\b'?{p}'?\s*(?:=|:\s*))['\"]?([\w./:+-]+)", line)
        if m:
            return m.group(1).strip("'\",")
    return None


def _int(value: str | None) -> int | None:
    try:
        return int(float(value.replace(",", ""))) if value else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


# ---------------------------------------------------------------- vLLM

_VLLM_MARKERS = {
    "pool": re.compile(r"Available KV cache memory:\s*" + _NUM + r"\s*GiB"),
    "tokens": re.compile(r"GPU KV cache size:\s*" + _NUM + r"\s*tokens"),
    "concurrency": re.compile(r"Maximum concurrency for\s*" + _NUM + r"\s*tokens per request:\s*" + _NUM + "x"),
    "weights": re.compile(r"(?:Model loading took|Loading model weights took)\s*" + _NUM + r"\s*Gi?B"),
    "refusal": re.compile(r"max seq len \((\d+)\)\D{0,4}" + _NUM + r"\s*GiB KV cache is needed.*?"
                          r"available KV cache memory \(" + _NUM + r"\s*GiB\)"
                          r"(?:.*?estimated maximum model length is (\d+))?"),
    "no_memory": re.compile(r"No available memory for the cache blocks"),
    "total": re.compile(r"Free memory on device\s*(?:\S+\s*)?\(" + _NUM + r"/" + _NUM + r"\s*GiB\)"),
    "graphs": re.compile(r"CUDA graph memory profiling is enabled"),
    "engine": re.compile(r"Initializing a V\d LLM engine|vllm serve|non-default args:|\[gpu_worker\.py|"
                         r"\[kv_cache_utils\.py|\[gpu_model_runner\.py"),
}
_VLLM_VERSION = (
    re.compile(r"LLM engine \(v(\d+\.\d+[\w.+]*)\)"),
    re.compile(r"vLLM\W{0,6}(?:API server )?version\W{0,6}v?(\d+\.\d+[\w.+]*)", re.IGNORECASE),
    re.compile(r"\*\*vLLM\*\*:?\s*v?(\d+\.\d+[\w.+]*)"),
    re.compile(r"\bversion:?\s+v?(\d+\.\d+\.\d+[\w.+]*)"),
)
_VLLM_MODEL = (
    re.compile(r"with config: model='([^']+)'"),
    re.compile(r"'model(?:_tag)?': '([^']+)'"),
    re.compile(r"\bvllm serve\s+([^\s'\"-][^\s'\"]*)"),
    re.compile(r"\bLLM\(model=['\"]([^'\"]+)"),
)


def _parse_vllm(lines: list[str], source: str) -> StartupLog:
    v: dict = {"found": []}
    pools: list[float] = []
    weights: list[float] = []
    for line in lines:
        for key, rx in _VLLM_MARKERS.items():
            m = rx.search(line)
            if not m:
                continue
            v["found"].append(key)
            if key == "pool":
                pools.append(_num(m.group(1)))
            elif key == "tokens":
                v.setdefault("tokens", int(_num(m.group(1))))
            elif key == "concurrency":
                v.setdefault("concurrency_len", int(_num(m.group(1))))
                v.setdefault("concurrency", _num(m.group(2)))
            elif key == "weights":
                weights.append(_num(m.group(1)))
            elif key == "refusal":
                v.update(refused=True, context=int(m.group(1)), needs=_num(m.group(2)))
                pools.append(_num(m.group(3)))
                if m.group(4):
                    v["longest"] = int(m.group(4))
            elif key == "no_memory":
                v["refused"] = True
            elif key == "total":
                v.setdefault("total", _num(m.group(2)))
            elif key == "graphs":
                v["graphs"] = True
        if "version" not in v:
            v["version"] = next((m.group(1) for rx in _VLLM_VERSION if (m := rx.search(line))), None) or None
            if v["version"] is None:
                del v["version"]
        if "model" not in v:
            model = next((m.group(1) for rx in _VLLM_MODEL if (m := rx.search(line))), None)
            if model:
                v["model"] = model
        for key, names in (("context", ("max_model_len", "max_seq_len")),
                           ("tp", ("tensor_parallel_size", "tp")),
                           ("util", ("gpu_memory_utilization",)),
                           ("mnbt", ("max_num_batched_tokens", "max_num_batched_token")),
                           ("mns", ("max_num_seqs",)),
                           ("kv", ("kv_cache_dtype",)),
                           ("quant", ("quantization",)),
                           ("dtype", ("dtype",))):
            if key not in v and (value := _setting(line, *names)) is not None and value.lower() != "none":
                v[key] = value
        if "gpu" not in v and (m := re.search(r"\b(NVIDIA (?:GeForce )?[A-Z][\w-]*(?: [\w-]+){0,3}?)(?=,|\s{2}|$)",
                                              line)):
            v["gpu"] = m.group(1)
    context = v.get("context")
    return StartupLog(
        engine=VLLM, source=source, version=v.get("version"), model=v.get("model"), quant=v.get("quant"),
        dtype=v.get("dtype"),
        context=_int(str(context)) if context is not None else v.get("concurrency_len"),
        tp=_int(v.get("tp")), gpu_memory_utilization=_float(v.get("util")),
        max_num_batched_tokens=_int(v.get("mnbt")), max_num_seqs=_int(v.get("mns")),
        kv_cache_dtype=v.get("kv"), gpu=v.get("gpu"),
        total_bytes=round(v["total"] * GIB) if "total" in v else None,
        weights_bytes=round(max(weights) * GIB) if weights else None,
        kv_cache_bytes=round(min(pools) * GIB) if pools else None,
        kv_cache_tokens=v.get("tokens"), max_concurrency=v.get("concurrency"),
        concurrency_len=v.get("concurrency_len"), refused=v.get("refused", False),
        needs_bytes=round(v["needs"] * GIB) if "needs" in v else None, longest=v.get("longest"),
        cuda_graphs_budgeted=v.get("graphs"), found=tuple(dict.fromkeys(v["found"])),
    )


# ---------------------------------------------------------------- llama.cpp

_BUFFER = re.compile(r"(\S+)\s+(model|KV|compute|RS) buffer size\s*=\s*" + _NUM + r"\s*MiB")
_LOAD_START = re.compile(r"llama_model_loader: loaded meta data")
_GPU_DEVICE = re.compile(r"^(?:CUDA|ROCm|Vulkan|Metal|SYCL|MTL)\d*$")


def _parse_llama(lines: list[str], source: str) -> StartupLog:
    v: dict = {"found": []}
    sums: dict[str, float] = {}
    starts = 0
    for line in lines:
        if _LOAD_START.search(line):
            starts += 1
            if starts > 1:
                break  # a second model load: the first start is the one described
        m = _BUFFER.search(line)
        if m:
            device, kind, mib = m.group(1), m.group(2), _num(m.group(3))
            on_gpu = bool(_GPU_DEVICE.match(device))
            v["found"].append(f"{kind} buffer")
            key = {"model": "weights", "KV": "kv", "RS": "kv", "compute": "compute"}[kind]
            sums[key] = sums.get(key, 0.0) + mib
            if kind == "model" and on_gpu:
                sums["gpu_weights"] = sums.get("gpu_weights", 0.0) + mib
            if kind == "compute":
                tag = "gpu_compute" if on_gpu else "host_compute"
                sums[tag] = sums.get(tag, 0.0) + mib
            continue
        if (m := re.search(r"\bn_ctx\s*=\s*(\d+)", line)) and "context" not in v:
            v["context"] = int(m.group(1))
        if (m := re.search(r"\bn_seq_max\s*=\s*(\d+)", line)) and "seqs" not in v:
            v["seqs"] = int(m.group(1))
        if (m := re.search(r"\bflash_attn\s*=\s*(\S+)", line)) and "fa" not in v:
            v["fa"] = m.group(1)
        if m := re.search(r"Flash Attention was \w+, set to (\w+)", line):
            v["fa"] = m.group(1)
        if (m := re.search(r"\(\s*(\d+) cells,.*?(\d+)/?\d* seqs\), K \((\w+)\)", line)) and "cells" not in v:
            v.update(cells=int(m.group(1)), kv_type=m.group(3))
        elif (m := re.search(r"KV self size\s*=.*?K \((\w+)\)", line)) and "kv_type" not in v:
            v["kv_type"] = m.group(1)
        if (m := re.search(r"\b(?:file type|model ftype)\s*=\s*(.+?)\s*$", line)) and "quant" not in v:
            v["quant"] = m.group(1)
        if (m := re.search(r"\bgeneral\.name\s+(?:str\s+)?=\s*(.+?)\s*$", line)) and "name" not in v:
            v["name"] = m.group(1)
        if (m := re.search(r"loaded meta data .* from (\S+\.gguf)", line)) and "path" not in v:
            v["path"] = m.group(1)
        if "gpu" not in v and (m := re.search(r"Device \d+: (.+?), compute capability", line)
                               or re.search(r"using device \w+ \((.+?)\)", line)):
            v["gpu"] = m.group(1)
    model = v.get("name") or (Path(v["path"]).name if "path" in v else None)
    found = tuple(dict.fromkeys(v["found"]))
    return StartupLog(
        engine=LLAMA_CPP, source=source, model=model, quant=v.get("quant") or _quant_in_name(v.get("path")),
        context=v.get("context") or v.get("cells"), kv_cache_dtype=v.get("kv_type"), gpu=v.get("gpu"),
        weights_bytes=round(sums["weights"] * MIB) if "weights" in sums else None,
        gpu_weights_bytes=round(sums.get("gpu_weights", 0.0) * MIB) if "weights" in sums else None,
        kv_cache_bytes=round(sums["kv"] * MIB) if "kv" in sums else None,
        kv_cache_tokens=v.get("cells"),
        compute_bytes=round(sums["gpu_compute"] * MIB) if "gpu_compute" in sums else None,
        host_compute_bytes=round(sums["host_compute"] * MIB) if "host_compute" in sums else None,
        sequences=v.get("seqs"), max_concurrency=float(v["seqs"]) if "seqs" in v else None,
        flash_attention=v.get("fa"), found=found,
    )


def _quant_in_name(path: str | None) -> str | None:
    if not path:
        return None
    m = re.search(r"[-_.]((?:I?Q\d\w*?|BF16|F16|F32|MXFP4\w*))(?:-\d+-of-\d+)?\.gguf$", Path(path).name, re.IGNORECASE)
    return m.group(1) if m else None


# ---------------------------------------------------------------- which engine


def parse_log(text: str, source: str) -> StartupLog:
    """The startup `text` describes; ModelSourceError when it is neither engine's, or stops too early."""
    lines = _lines(text)
    vllm_hits = sum(1 for line in lines if any(rx.search(line) for rx in _VLLM_MARKERS.values()))
    llama_hits = sum(1 for line in lines if _BUFFER.search(line) or "llama_context:" in line
                     or "llama_new_context_with_model:" in line or "llama_kv_cache" in line)
    if not vllm_hits and not llama_hits:
        raise ModelSourceError(source, "not a vLLM or llama.cpp startup log: found none of 'Available KV cache "
                                       "memory', 'GPU KV cache size', 'Model loading took', 'KV buffer size', "
                                       "'model buffer size'")
    if vllm_hits >= llama_hits:
        log = _parse_vllm(lines, source)
        if log.kv_cache_bytes is None and log.kv_cache_tokens is None and not log.refused:
            raise ModelSourceError(source, "a vLLM log that stops before the KV cache was sized: no 'Available KV "
                                           "cache memory', 'GPU KV cache size' or refusal line (truncated?)")
        return log
    log = _parse_llama(lines, source)
    if log.kv_cache_bytes is None:
        raise ModelSourceError(source, "a llama.cpp log that stops before the KV cache was allocated: no 'KV buffer "
                                       "size' line (truncated?)")
    return log
