"""The command that runs the current selection: llama.cpp, Ollama, vLLM and SGLang.

Pure: a selection in, argument lists and shell text out. Every flag used here is one the
tool documents today (tests/unit/test_commands.py checks each generated command against
the flag lists, with the commit each was read from):

- llama.cpp `llama-server` (tools/server/README.md): -m/-hf, -c, -np, -ngl, -fa on|off|auto,
  --cache-type-k/--cache-type-v. With -np N (not auto) the KV cache is split per slot, so -c is
  the context times the sequences.
- Ollama (docs/faq.mdx, docs/modelfile.mdx, cmd/cmd.go): `ollama create NAME -f Modelfile`
  with `PARAMETER num_ctx N`; `ollama create` pulls a `FROM hf.co/...` model it lacks. The
  KV cache type, flash attention and parallel requests are server settings (environment).
- vLLM (vllm/engine/arg_utils.py, vllm/config/cache.py): `vllm serve MODEL` with
  --tensor-parallel-size, --pipeline-parallel-size, --max-model-len, --gpu-memory-utilization,
  --kv-cache-dtype fp8, --quantization fp8 (online FP8 of a 16-bit checkpoint), --dtype,
  --max-num-seqs; GGUF through the vllm-gguf-plugin with --tokenizer.
- SGLang (python/sglang/srt/server_args.py): `python -m sglang.launch_server --model-path M`
  with --tp-size, --pp-size, --nnodes/--node-rank/--dist-init-addr, --context-length,
  --mem-fraction-static, --kv-cache-dtype fp8_e4m3, --quantization fp8, --dtype,
  --max-running-requests.

On a target GPU the server commands are sized by core.serving: the memory fraction the pool
was computed with, and as many concurrent sequences as the pool holds at the full context.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace

from vramtui.core.arch import Architecture
from vramtui.core.estimate import (
    FITS,
    NO,
    ParallelPlan,
    Settings,
    fit_on,
    plan_needed,
    plan_settings,
    valid_tp_sizes,
)
from vramtui.core.hardware import APPLE, CPU, Hardware
from vramtui.core.offload import DEFAULT_RAM_BANDWIDTH_GBPS, OffloadPlan, offload_plan
from vramtui.core.quantization import Quantization
from vramtui.core.serving import (
    DEFAULT_ENGINE,
    DEFAULT_GPU_MEMORY_UTILIZATION,
    EngineOptions,
    SglangPool,
    VllmPool,
    server_kv_dtype,
    sglang_pool,
    utilization_that_starts,
    vllm_pool,
)
from vramtui.core.units import GIB

LLAMA_CPP = "llama.cpp"
OLLAMA = "ollama"
VLLM = "vllm"
SGLANG = "sglang"
TOOLS = (LLAMA_CPP, OLLAMA, VLLM, SGLANG)

SGLANG_DIST_PORT = 5000  # any free port on the first node

# The KV cache types each tool has (ours -> theirs). llama.cpp's list: README's --cache-type-k.
_LLAMA_KV = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"}
_OLLAMA_KV = {"f16", "q8_0", "q4_0"}
# Quantizations served straight from a 16-bit checkpoint, and their --dtype.
_DTYPES = {"BF16": "bfloat16", "F16": "float16", "FP16": "float16"}
# GPU formats by the quant_method a checkpoint's config.json declares.
_METHODS = {
    "FP8": {"fp8", "fbgemm_fp8", "modelopt", "compressed-tensors"},
    "INT8": {"compressed-tensors", "w8a8_int8"},
    "AWQ-INT4": {"awq", "awq_marlin"},
    "GPTQ-INT4": {"gptq", "gptq_marlin"},
    "MXFP4": {"mxfp4"},
    "NVFP4": {"modelopt", "modelopt_fp4", "compressed-tensors"},
}


@dataclass(frozen=True)
class ServerSizing:
    """How much memory and how many sequences a vLLM or SGLang command asks for."""

    memory_fraction: float | None = None  # --gpu-memory-utilization / --mem-fraction-static; None: the tool's default
    max_sequences: int = 0  # --max-num-seqs / --max-running-requests; 0: the tool's default


@dataclass(frozen=True)
class LaunchSpec:
    """Everything the commands depend on, as plain values."""

    hf_repo: str  # the model's own Hugging Face repo (safetensors weights)
    quant: str
    is_gguf: bool
    context: int
    kv_type: str = "f16"
    sequences: int = 1
    tp: int = 1
    pp: int = 1
    layers: int = 0  # repeating layers; llama.cpp counts one more (the output layer)
    gpu_layers: int | None = None  # -ngl for a partial offload; None: every layer on the GPU
    vllm: ServerSizing = ServerSizing(DEFAULT_GPU_MEMORY_UTILIZATION)
    sglang: ServerSizing = ServerSizing()
    gguf_repo: str | None = None  # a repo holding GGUF files of this model, if known
    gguf_path: str | None = None  # the local GGUF file the model was read from, if any
    checkpoint_format: str | None = None  # quant_method of the repo's own weights (config.json)
    checkpoint_repo: str | None = None  # a published checkpoint already in `quant` (e.g. ORG/MODEL-FP8)
    name: str = ""  # short model name for file and Ollama model names
    local_gpus: int = 1  # GPUs llama.cpp and Ollama use on this one machine
    no_gpu_server: str = ""  # why vLLM and SGLang cannot serve on the target (a Mac, a CPU); "" when they can
    cpu_only: bool = False  # no GPU at all: llama.cpp keeps every layer in system RAM

    @property
    def gpus(self) -> int:
        return self.tp * self.pp

    @property
    def nodes(self) -> int:
        return ParallelPlan(self.tp, self.pp).nodes


@dataclass(frozen=True)
class LaunchCommand:
    tool: str
    # One argument list per step; empty when the tool cannot run the selection (notes say why).
    argv: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()

    @property
    def available(self) -> bool:
        return bool(self.argv)

    @property
    def text(self) -> str | None:
        """Shell text to paste: steps joined with &&; None when the tool cannot run the selection."""
        if not self.argv:
            return None
        return " && ".join(_shell(step) for step in self.argv)


def _shell(argv: tuple[str, ...]) -> str:
    # `printf ... > Modelfile` is the one step that needs a redirection.
    if len(argv) >= 2 and argv[-2] == ">":
        return shlex.join(argv[:-2]) + " > " + shlex.quote(argv[-1])
    return shlex.join(argv)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._") or "model"


def repo_name(spec: LaunchSpec) -> str:
    return spec.name or spec.hf_repo.split("/")[-1]


def gguf_file_name(spec: LaunchSpec) -> str:
    """The local file: the one the model was read from, else the name publishers use, <Model>-<QUANT>.gguf."""
    return spec.gguf_path or f"{spec.hf_repo.split('/')[-1]}-{spec.quant}.gguf"


def _local_gguf(spec: LaunchSpec) -> str:
    path = gguf_file_name(spec)
    return path if spec.gguf_path else f"./{path}"


def _ngl(spec: LaunchSpec) -> int:
    total = spec.layers + 1
    if spec.cpu_only:
        return 0
    return total if spec.gpu_layers is None else max(0, min(spec.gpu_layers, total))


def llama_cpp(spec: LaunchSpec) -> LaunchCommand:
    if not spec.is_gguf:
        return LaunchCommand(
            LLAMA_CPP,
            (),
            (
                f"llama.cpp loads GGUF files; {spec.quant} is not one (pick a GGUF quant such as Q4_K_M or Q8_0).",
            ),
        )
    notes = []
    argv = ["llama-server"]
    if spec.gguf_repo:
        argv += ["-hf", f"{spec.gguf_repo}:{spec.quant}"]
    else:
        argv += ["-m", gguf_file_name(spec)]
        if not spec.gguf_path:
            notes.append(
                f"-m expects the GGUF file on disk ({gguf_file_name(spec)}); "
                f"with a GGUF repo use -hf REPO:{spec.quant}."
            )
    argv += ["-c", str(spec.context * spec.sequences), "-np", str(spec.sequences)]
    argv += ["-ngl", str(_ngl(spec))]
    if spec.cpu_only:
        notes.append("No GPU: every layer runs on the CPU from system RAM (-ngl 0).")
    elif spec.gpu_layers is not None and spec.gpu_layers < spec.layers + 1:
        notes.append(
            f"Partial offload: {_ngl(spec)} of {spec.layers + 1} layers on the GPU, the rest in system RAM."
        )
    kv = spec.kv_type
    if kv == "fp8":
        kv = "q8_0"
        notes.append("llama.cpp has no fp8 KV cache; q8_0 is the nearest (1.06 bytes per value).")
    if kv != "f16" and kv in _LLAMA_KV:
        argv += ["--cache-type-k", kv, "--cache-type-v", kv, "-fa", "on"]
        notes.append("A quantized V cache needs flash attention (-fa on).")
    if spec.local_gpus > 1:
        notes.append(
            f"llama-server splits the layers over every visible GPU (--split-mode layer): {spec.local_gpus} GPUs."
        )
    if spec.gpu_layers is None and spec.nodes > 1:
        notes.append(
            "llama.cpp runs on one machine (other machines only through --rpc); use vLLM or SGLang across nodes."
        )
    return LaunchCommand(LLAMA_CPP, (tuple(argv),), tuple(notes))


def ollama(spec: LaunchSpec) -> LaunchCommand:
    if not spec.is_gguf:
        return LaunchCommand(OLLAMA, (), (f"Ollama runs GGUF models; {spec.quant} is not one.",))
    source = (
        f"hf.co/{spec.gguf_repo}:{spec.quant}" if spec.gguf_repo else _local_gguf(spec)
    )
    model = _slug(f"{repo_name(spec)}-{spec.quant}")
    modelfile = f"FROM {source}\\nPARAMETER num_ctx {spec.context}\\n"
    steps = (
        ("printf", modelfile, ">", "Modelfile"),
        ("ollama", "create", model, "-f", "Modelfile"),
        ("ollama", "run", model),
    )
    notes = [
        f"num_ctx {spec.context} is set in the Modelfile; in a running session "
        f"`/set parameter num_ctx {spec.context}` does the same, and "
        f"OLLAMA_CONTEXT_LENGTH={spec.context} ollama serve sets the server default."
    ]
    if not spec.gguf_repo and not spec.gguf_path:
        notes.append(
            f"FROM expects {gguf_file_name(spec)} next to the Modelfile; "
            f"with a GGUF repo use FROM hf.co/REPO:{spec.quant}."
        )
    env = []
    if spec.kv_type in _OLLAMA_KV - {"f16"}:
        env += ["OLLAMA_FLASH_ATTENTION=1", f"OLLAMA_KV_CACHE_TYPE={spec.kv_type}"]
    elif spec.kv_type != "f16":
        notes.append(
            f"Ollama's KV cache types are f16, q8_0 and q4_0; {spec.kv_type} is not one of them."
        )
    if spec.sequences > 1:
        env.append(f"OLLAMA_NUM_PARALLEL={spec.sequences}")
    if env:
        notes.append(
            "Start the server with " + " ".join(env) + " ollama serve (server-wide settings)."
        )
    if spec.gpu_layers is not None and spec.gpu_layers < spec.layers + 1:
        notes.append(
            "Ollama offloads as many layers as fit by itself; `ollama ps` shows the CPU/GPU split."
        )
    return LaunchCommand(OLLAMA, steps, tuple(notes))


def _checkpoint_is(spec: LaunchSpec, quant: str) -> bool:
    fmt = (spec.checkpoint_format or "").lower()
    return bool(fmt) and fmt in _METHODS.get(quant, set())


def _server_model(spec: LaunchSpec, tool: str) -> tuple[list[str], list[str]] | str:
    """(model and quantization arguments, notes) for vLLM/SGLang, or why the tool cannot serve it."""
    notes: list[str] = []
    q = spec.quant
    if q in _DTYPES:
        if spec.checkpoint_format:
            notes.append(
                f"The published weights are already {spec.checkpoint_format}; they are served as published."
            )
            return [], notes
        return ["--dtype", _DTYPES[q]], notes
    if spec.is_gguf:
        if tool == SGLANG:
            return ("SGLang serves Hugging Face checkpoints; "
                    "pick BF16, FP8, AWQ-INT4 or GPTQ-INT4 to run it with SGLang.")
        notes.append(
            "GGUF in vLLM is experimental and needs the vllm-gguf-plugin "
            "(pip install vllm-gguf-plugin); single-file GGUFs only."
        )
        return ["--tokenizer", spec.hf_repo], notes
    if _checkpoint_is(spec, q):
        return [], notes  # the checkpoint carries its quantization_config
    if spec.checkpoint_repo:
        return [], [f"{spec.checkpoint_repo} is published in {q}: its config.json tells the server the format."]
    if q == "FP8":
        return ["--quantization", "fp8"], [
            "FP8 weights are made from the 16-bit checkpoint at load time (online quantization)."
        ]
    if q.startswith(("EXL2", "EXL3")):
        runtime = "vLLM" if tool == VLLM else "SGLang"
        return f"{runtime} does not load {q.split('-')[0]}; use ExLlamaV2/ExLlamaV3 (TabbyAPI)."
    return (
        f"{q} needs a checkpoint published in that format (the server reads it from its "
        f"config.json); {spec.hf_repo} is not one."
    )


@dataclass(frozen=True)
class ServerFlags:
    """How vLLM and SGLang spell the same settings (each checked against the tool's own argument list)."""

    tool: str
    runtime: str
    command: tuple[str, ...]  # up to the model argument
    tp: str
    pp: str
    context: str
    memory_fraction: str
    kv_dtype: str
    fp8_kv: str  # the value --kv-cache-dtype takes for an 8-bit float cache
    max_sequences: str


SERVER_FLAGS = {
    VLLM: ServerFlags(VLLM, "vLLM", ("vllm", "serve"), "--tensor-parallel-size", "--pipeline-parallel-size",
                      "--max-model-len", "--gpu-memory-utilization", "--kv-cache-dtype", "fp8", "--max-num-seqs"),
    SGLANG: ServerFlags(SGLANG, "SGLang", ("python", "-m", "sglang.launch_server", "--model-path"), "--tp-size",
                        "--pp-size", "--context-length", "--mem-fraction-static", "--kv-cache-dtype", "fp8_e4m3",
                        "--max-running-requests"),
}


def _multi_node(spec: LaunchSpec, tool: str) -> tuple[list[str], list[str]]:
    """(arguments, notes) that spread a server over `spec.nodes` nodes."""
    if spec.nodes <= 1:
        return [], []
    if tool == VLLM:
        return [], [
            f"Multi-node: start a Ray cluster over the {spec.nodes} nodes (ray start --head, then "
            "ray start --address on the others) and run this on the head node."
        ]
    return (
        ["--nnodes", str(spec.nodes), "--node-rank", "0", "--dist-init-addr", f"HEAD_IP:{SGLANG_DIST_PORT}"],
        [f"Run the same command on each of the {spec.nodes} nodes with --node-rank "
         f"0…{spec.nodes - 1}; HEAD_IP is the first node's address."],
    )


def server_command(spec: LaunchSpec, tool: str) -> LaunchCommand:
    """vLLM's or SGLang's serve command: one shape, each tool's own flags (SERVER_FLAGS)."""
    f = SERVER_FLAGS[tool]
    if spec.no_gpu_server:
        return LaunchCommand(tool, (), (spec.no_gpu_server,))
    model_args = _server_model(spec, tool)
    if isinstance(model_args, str):
        return LaunchCommand(tool, (), (model_args,))
    extra, notes = model_args
    if spec.is_gguf and spec.quant not in _DTYPES:  # vLLM only: SGLang refused GGUF above
        model = f"{spec.gguf_repo}:{spec.quant}" if spec.gguf_repo else _local_gguf(spec)
    else:
        model = spec.checkpoint_repo or spec.hf_repo
    argv = [*f.command, model, *extra]
    if spec.tp > 1:
        argv += [f.tp, str(spec.tp)]
    if spec.pp > 1:
        argv += [f.pp, str(spec.pp)]
    node_args, node_notes = _multi_node(spec, tool)
    argv += node_args
    notes += node_notes
    sizing = spec.vllm if tool == VLLM else spec.sglang
    argv += [f.context, str(spec.context)]
    if sizing.memory_fraction is not None:
        argv += [f.memory_fraction, f"{sizing.memory_fraction:.2f}"]
    if server_kv_dtype(spec.kv_type) == "fp8":
        argv += [f.kv_dtype, f.fp8_kv]
        if spec.kv_type not in ("fp8", "q8_0"):
            notes.append(f"{f.runtime}'s smallest KV cache is fp8 (1 byte per value): more memory than {spec.kv_type}.")
    sequences = sizing.max_sequences or (spec.sequences if spec.sequences > 1 else 0)
    if sequences:
        argv += [f.max_sequences, str(sequences)]
    return LaunchCommand(tool, (tuple(argv),), tuple(notes))


def launch_commands(spec: LaunchSpec) -> dict[str, LaunchCommand]:
    """The command for each tool (an unavailable one says why in its notes)."""
    return {
        LLAMA_CPP: llama_cpp(spec),
        OLLAMA: ollama(spec),
        VLLM: server_command(spec, VLLM),
        SGLANG: server_command(spec, SGLANG),
    }


# ---------------------------------------------------------------- from a selection


@dataclass(frozen=True)
class Launch:
    """How the selection runs on the target: the parallel plan, the llama.cpp offload, the commands."""

    spec: LaunchSpec
    plan: ParallelPlan  # for vLLM/SGLang
    # llama.cpp's split when the model does not fit the GPU(s); None when it fits
    offload: OffloadPlan | None
    commands: dict[str, LaunchCommand]
    fit: str  # the plan's fit state on its GPUs: fits, tight or no
    vllm: VllmPool | None = None  # vLLM's KV pool on each GPU of the plan (None: no discrete GPU target)
    sglang: SglangPool | None = None  # SGLang's, likewise (None also when SGLang cannot load the quant)


def _size_vllm(
    a: Architecture, q: Quantization, s: Settings, hw: Hardware, plan: ParallelPlan, engine: EngineOptions
) -> tuple[VllmPool, list[str]]:
    """vLLM's pool for the plan, and what to tell the user about it. Without a utilization from
    the user, vLLM's default is raised (up to 0.98) when one request would not fit at it."""
    notes: list[str] = []
    options = engine
    if engine.gpu_memory_utilization is None:
        needed = utilization_that_starts(a, q, hw, s.context, s.kv_type, plan.tp, plan.pp, engine)
        if needed is not None and needed > DEFAULT_GPU_MEMORY_UTILIZATION:
            options = replace(engine, gpu_memory_utilization=needed)
            notes.append(
                f"--gpu-memory-utilization {needed:.2f}, not vLLM's default "
                f"{DEFAULT_GPU_MEMORY_UTILIZATION:.2f}: at the default one request of {s.context:,} tokens "
                "does not fit its KV cache."
            )
    pool = vllm_pool(a, q, hw, s.context, s.kv_type, plan.tp, plan.pp, options)
    if not pool.starts:
        longest = pool.max_model_len_that_starts
        need = pool.layout.blocks_per_request(s.context) * pool.layout.bytes_per_block
        notes.append(
            f"vLLM would refuse to start: one request of {s.context:,} tokens needs {need / GIB:.2f} GiB of "
            f"KV cache per GPU and {max(0, pool.kv_cache_bytes) / GIB:.2f} GiB is left"
            + (f"; --max-model-len {longest} starts." if longest else "; not even a short request fits.")
        )
    elif s.sequences > pool.max_num_seqs_that_fit:
        notes.append(
            f"--max-num-seqs {pool.max_num_seqs_that_fit}: the KV cache holds {pool.max_concurrency:.2f} requests "
            f"of {s.context:,} tokens; more wait in the queue."
        )
    return pool, notes


def _sglang_notes(pool: SglangPool, s: Settings) -> list[str]:
    if pool.max_running_requests >= 1:
        return []
    return [
        f"SGLang's pool holds {pool.kv_cache_tokens:,} tokens with --mem-fraction-static "
        f"{pool.mem_fraction_static:.2f}: not one request of {s.context:,} tokens."
    ]


def _largest_tp(a: Architecture, n: int) -> int:
    return max(valid_tp_sizes(a, n) or [1])


def launch(
    a: Architecture,
    q: Quantization,
    s: Settings,
    hw: Hardware | None,
    hf_repo: str,
    *,
    name: str = "",
    gguf_repo: str | None = None,
    gguf_path: str | None = None,
    checkpoint_format: str | None = None,
    checkpoint_repo: str | None = None,
    ram_bandwidth_gbps: float = DEFAULT_RAM_BANDWIDTH_GBPS,
    ram_bytes: int | None = None,
    engine: EngineOptions = DEFAULT_ENGINE,
) -> Launch:
    """Plan the selection on `hw` (None: no target, `s.gpus` GPUs assumed) and write its commands.

    vLLM/SGLang get the smallest parallel plan that fits with headroom when one GPU (or the
    user's `s.gpus`) is not enough; llama.cpp gets a partial offload (-ngl) on the GPUs given.
    """
    plan = ParallelPlan(_largest_tp(a, s.gpus))
    local_gpus = s.gpus
    offload = None
    state = FITS
    server_notes: list[str] = []
    no_server = ""
    if hw is not None and hw.gpu_count > 1:  # a multi-GPU system uses its own GPUs
        plan = ParallelPlan(_largest_tp(a, hw.gpu_count))
        local_gpus = hw.gpu_count
        state = fit_on(a, q, s, hw)
        if state != FITS:
            bigger = plan_needed(a, q, s, hw.one_gpu())
            if bigger is not None and state == NO:
                plan, state = bigger, FITS
            elif bigger is not None:
                server_notes.append(
                    f"Fits only without headroom; {bigger.gpus} GPUs ({bigger.nodes} nodes) fit with headroom."
                )
    elif hw is not None and hw.is_unified:
        local_gpus = 1
        plan = ParallelPlan(1)
        state = fit_on(a, q, s, hw)
        if hw.kind == APPLE:
            no_server = "vLLM and SGLang target NVIDIA and AMD GPUs; on a Mac use llama.cpp, Ollama or MLX."
        elif hw.kind == CPU:
            no_server = "vLLM and SGLang are planned for GPUs here; on a CPU use llama.cpp or Ollama."
    elif hw is not None:
        here = plan_settings(s, plan)
        state = fit_on(a, q, here, hw)
        if state == NO and q.is_gguf:
            off = offload_plan(a, q, here, hw, ram_bandwidth_gbps, ram_bytes, plan.gpus)
            offload = off if off is not None and not off.all_on_gpu else None
        if state != FITS:
            bigger = plan_needed(a, q, s, hw)
            if bigger is not None and state == NO:
                plan, state = bigger, FITS
            elif bigger is not None and bigger.gpus > plan.gpus:
                server_notes.append(
                    f"Fits only without headroom; {bigger.gpus} GPUs fit with headroom."
                )
    if state == NO:
        server_notes.append("The model does not fit this plan's GPUs at this context.")
    vllm = sglang = None
    vllm_sizing = ServerSizing(engine.gpu_memory_utilization or DEFAULT_GPU_MEMORY_UTILIZATION)
    sglang_sizing = ServerSizing(engine.mem_fraction_static)
    own_notes: dict[str, list[str]] = {VLLM: [], SGLANG: []}
    if hw is not None and not hw.is_unified:
        vllm, own_notes[VLLM] = _size_vllm(a, q, s, hw, plan, engine)
        vllm_sizing = ServerSizing(vllm.utilization, vllm.max_num_seqs_that_fit)
        sglang = sglang_pool(a, q, hw, s.context, s.kv_type, plan.tp, plan.pp, engine)
        sglang_sizing = ServerSizing(sglang.mem_fraction_static, sglang.max_running_requests)
        own_notes[SGLANG] = _sglang_notes(sglang, s)
    spec = LaunchSpec(
        hf_repo=hf_repo,
        quant=q.name,
        is_gguf=q.is_gguf,
        context=s.context,
        kv_type=s.kv_type,
        sequences=s.sequences,
        tp=plan.tp,
        pp=plan.pp,
        layers=a.layers,
        gpu_layers=offload.gpu_layers if offload else None,
        vllm=vllm_sizing,
        sglang=sglang_sizing,
        gguf_repo=gguf_repo,
        gguf_path=gguf_path,
        checkpoint_format=checkpoint_format,
        checkpoint_repo=checkpoint_repo,
        name=name,
        local_gpus=local_gpus,
        no_gpu_server=no_server,
        cpu_only=hw is not None and hw.kind == CPU,
    )
    commands = launch_commands(spec)
    for tool in (VLLM, SGLANG):
        c = commands[tool]
        notes = tuple(server_notes) + tuple(own_notes[tool])
        if c.available and notes:
            commands[tool] = LaunchCommand(c.tool, c.argv, c.notes + notes)
    # a pool is only an answer where the tool can load the quantization
    vllm = vllm if commands[VLLM].available else None
    sglang = sglang if commands[SGLANG].available else None
    return Launch(spec, plan, offload, commands, state, vllm, sglang)
