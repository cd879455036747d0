"""Launch commands: every generated command parses with the flags its tool documents.

The flag lists below are copied from each tool's own documentation or argument parser, at
the commit named (read November 2026):

- llama.cpp, ggml-org/llama.cpp tools/server/README.md @ 00dc8057ab28c9cb4c79a6dd6dfce07fe779f63b
  (the generated `llama-server` help: -m, -hf, -c, -np, -ngl, -fa [on|off|auto], -ctk/-ctv
  "allowed values: f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1").
- Ollama, ollama/ollama @ fb30760996871fa9460115c753afd2c60d4ab0f7: cmd/cmd.go (`create MODEL`
  -f/--file, -q/--quantize, --draft-quantize, --experimental; `run MODEL [PROMPT]` --keepalive,
  --verbose, --insecure, --nowordwrap, --format, --think, --hidethinking, --truncate,
  --dimensions), docs/modelfile.mdx (FROM, PARAMETER num_ctx), docs/faq.mdx
  (OLLAMA_CONTEXT_LENGTH, OLLAMA_KV_CACHE_TYPE f16|q8_0|q4_0, OLLAMA_FLASH_ATTENTION,
  OLLAMA_NUM_PARALLEL); server/model.go (`ollama create` pulls a FROM model it lacks).
- vLLM, vllm-project/vllm vllm/engine/arg_utils.py @ 99d7eb5d6a512cfcc5a2b104f24ebf2d6cda772b
  (--tokenizer, --dtype, --max-model-len, --quantization/-q, --pipeline-parallel-size/-pp,
  --tensor-parallel-size/-tp, --gpu-memory-utilization, --kv-cache-dtype, --max-num-seqs) and
  vllm/config/cache.py @ c1d86421174a87056edc90a41dc9942391509e84 (CacheDType: auto, bfloat16,
  fp8, fp8_e4m3, fp8_e5m2, fp8_inc, fp8_ds_mla; gpu_memory_utilization in (0, 1]);
  --dtype choices and `--quantization fp8` from docs.vllm.ai (engine args; quantization/fp8);
  GGUF `vllm serve REPO:QUANT|./file.gguf --tokenizer BASE` from docs/features/quantization/gguf.md.
- SGLang, sgl-project/sglang python/sglang/srt/server_args.py @ 001067fffe33427bee0ed2f007fb7551a1d76b44
  (flags derive from field names: --model-path/--model, --tokenizer-path, --context-length,
  --dtype, --quantization (QUANTIZATION_CHOICES), --kv-cache-dtype (auto, fp8_e5m2, fp8_e4m3,
  mxfp8, bf16, bfloat16, nvfp4, fp4_mx_block16, fp4_e2m1), --mem-fraction-static,
  --max-running-requests, --tp-size/--tensor-parallel-size, --pp-size/--pipeline-parallel-size,
  --nnodes, --node-rank, --dist-init-addr/--nccl-init-addr).
"""

from __future__ import annotations

import argparse
import itertools
import json
import shlex

import pytest
from configs import DEEPSEEK_R1, LLAMA_31_8B, LLAMA_33_70B
from vramtui.core.estimate import Settings, valid_tp_sizes
from vramtui.core.hardware import APPLE, GPU, MULTI_GPU, Hardware
from vramtui.core.hf_config import architecture_from_config
from vramtui.core.launch import (
    LLAMA_CPP,
    OLLAMA,
    SGLANG,
    TOOLS,
    VLLM,
    LaunchSpec,
    gguf_file_name,
    launch,
    launch_commands,
)
from vramtui.core.quant_mix import Recipe
from vramtui.core.quantization import Quantization
from vramtui.core.units import gib
from vramtui.core.weights import GpuFormat

LLAMA_CACHE_TYPES = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"]
VLLM_KV_DTYPES = ["auto", "bfloat16", "fp8", "fp8_e4m3", "fp8_e5m2", "fp8_inc", "fp8_ds_mla"]
VLLM_DTYPES = ["auto", "half", "float16", "bfloat16", "float", "float32"]
SGLANG_KV_DTYPES = [
    "auto",
    "fp8_e5m2",
    "fp8_e4m3",
    "mxfp8",
    "bf16",
    "bfloat16",
    "nvfp4",
    "fp4_mx_block16",
    "fp4_e2m1",
]
SGLANG_DTYPES = ["auto", "half", "float16", "bfloat16", "float", "float32"]
SGLANG_QUANTS = [
    "awq",
    "fp8",
    "mxfp8",
    "gptq",
    "marlin",
    "gptq_marlin",
    "awq_marlin",
    "bitsandbytes",
    "gguf",
    "modelopt",
    "modelopt_fp8",
    "modelopt_fp4",
    "nvfp4_online",
    "modelopt_mixed",
    "petit_nvfp4",
    "w8a8_int8",
    "w8a8_fp8",
    "moe_wna16",
    "w4afp8",
    "mxfp4",
    "auto-round",
    "auto-round-int8",
    "compressed-tensors",
    "modelslim",
    "mxfp_w4a8",
    "quark",
    "quark_int4fp8_moe",
    "quark_mxfp4",
    "mlx_q4",
    "mlx_q8",
    "unquant",
    "humming",
]
OLLAMA_ENV = {
    "OLLAMA_CONTEXT_LENGTH",
    "OLLAMA_KV_CACHE_TYPE",
    "OLLAMA_FLASH_ATTENTION",
    "OLLAMA_NUM_PARALLEL",
}


def _parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)


def _fraction(text: str) -> float:
    v = float(text)
    if not 0 < v <= 1:
        raise argparse.ArgumentTypeError("must be in (0, 1]")
    return v


def llama_server_parser() -> argparse.ArgumentParser:
    p = _parser()
    p.add_argument("-m", "--model")
    p.add_argument("-hf", "-hfr", "--hf-repo")
    p.add_argument("-c", "--ctx-size", type=int)
    p.add_argument("-np", "--parallel", type=int)
    p.add_argument("-ngl", "--gpu-layers", "--n-gpu-layers")
    p.add_argument("-fa", "--flash-attn", choices=["on", "off", "auto"])
    p.add_argument("-ctk", "--cache-type-k", choices=LLAMA_CACHE_TYPES)
    p.add_argument("-ctv", "--cache-type-v", choices=LLAMA_CACHE_TYPES)
    return p


def vllm_serve_parser() -> argparse.ArgumentParser:
    p = _parser()
    p.add_argument("model_tag")
    p.add_argument("--tokenizer")
    p.add_argument("--dtype", choices=VLLM_DTYPES)
    p.add_argument("--max-model-len", type=int)
    p.add_argument(
        "--quantization", "-q", choices=["fp8"]
    )  # the only method vramtui passes (online FP8)
    p.add_argument("--pipeline-parallel-size", "-pp", type=int)
    p.add_argument("--tensor-parallel-size", "-tp", type=int)
    p.add_argument("--gpu-memory-utilization", type=_fraction)
    p.add_argument("--kv-cache-dtype", choices=VLLM_KV_DTYPES)
    p.add_argument("--max-num-seqs", type=int)
    return p


def sglang_parser() -> argparse.ArgumentParser:
    p = _parser()
    p.add_argument("--model-path", "--model", required=True)
    p.add_argument("--tokenizer-path")
    p.add_argument("--context-length", type=int)
    p.add_argument("--dtype", choices=SGLANG_DTYPES)
    p.add_argument("--quantization", choices=SGLANG_QUANTS)
    p.add_argument("--kv-cache-dtype", choices=SGLANG_KV_DTYPES)
    p.add_argument("--mem-fraction-static", type=_fraction)
    p.add_argument("--max-running-requests", type=int)
    p.add_argument("--tp-size", "--tensor-parallel-size", type=int)
    p.add_argument("--pp-size", "--pipeline-parallel-size", type=int)
    p.add_argument("--nnodes", type=int)
    p.add_argument("--node-rank", type=int)
    p.add_argument("--dist-init-addr", "--nccl-init-addr")
    return p


def ollama_parser() -> argparse.ArgumentParser:
    p = _parser()
    sub = p.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", add_help=False, allow_abbrev=False, exit_on_error=False)
    create.add_argument("model")
    create.add_argument("-f", "--file")
    create.add_argument("-q", "--quantize")
    run = sub.add_parser("run", add_help=False, allow_abbrev=False, exit_on_error=False)
    run.add_argument("model")
    run.add_argument("prompt", nargs="?")
    for flag in ("--keepalive", "--format", "--think"):
        run.add_argument(flag)
    for flag in ("--verbose", "--insecure", "--nowordwrap", "--hidethinking"):
        run.add_argument(flag, action="store_true")
    return p


def steps(text: str) -> list[list[str]]:
    """Shell text -> argument lists, one per `&&` step (a `> file` redirection kept as two tokens)."""
    tokens = shlex.split(text)
    out: list[list[str]] = [[]]
    for t in tokens:
        if t == "&&":
            out.append([])
        else:
            out[-1].append(t)
    return out


def check_parses(tool: str, text: str) -> argparse.Namespace | list[argparse.Namespace]:
    """Parse a generated command with the tool's documented flags; raise if any is unknown or malformed."""
    parts = steps(text)
    if tool == LLAMA_CPP:
        [argv] = parts
        assert argv[0] == "llama-server"
        ns = llama_server_parser().parse_args(argv[1:])
        assert (ns.model is None) != (ns.hf_repo is None)
        return ns
    if tool == VLLM:
        [argv] = parts
        assert argv[:2] == ["vllm", "serve"]
        return vllm_serve_parser().parse_args(argv[2:])
    if tool == SGLANG:
        [argv] = parts
        assert argv[:3] == ["python", "-m", "sglang.launch_server"]
        return sglang_parser().parse_args(argv[3:])
    assert tool == OLLAMA
    printf, *ollama_steps = parts
    assert printf[0] == "printf" and printf[-2:] == [">", "Modelfile"]
    modelfile = printf[1].replace("\\n", "\n").strip().splitlines()
    assert modelfile[0].startswith("FROM ") and len(modelfile) == 2
    assert (
        modelfile[1].split()[:2] == ["PARAMETER", "num_ctx"] and modelfile[1].split()[2].isdigit()
    )
    parsed = []
    for argv in ollama_steps:
        assert argv[0] == "ollama"
        parsed.append(ollama_parser().parse_args(argv[1:]))
    assert [p.command for p in parsed] == ["create", "run"]
    assert parsed[0].file == "Modelfile" and parsed[0].model == parsed[1].model
    return parsed


# ---------------------------------------------------------------- the parsers reject what the tools reject


def test_the_documented_parsers_are_strict():
    with pytest.raises(argparse.ArgumentError):
        llama_server_parser().parse_args(["-fa", "yes"])
    with pytest.raises(argparse.ArgumentError):
        vllm_serve_parser().parse_args(["m", "--kv-cache-dtype", "q8_0"])
    with pytest.raises(argparse.ArgumentError):
        sglang_parser().parse_args(
            ["--model-path", "m", "--kv-cache-dtype", "fp8"]
        )  # SGLang wants fp8_e4m3
    with pytest.raises((argparse.ArgumentError, SystemExit)):
        vllm_serve_parser().parse_args(["m", "--tp", "2"])  # no abbreviations: the flag is -tp
    with pytest.raises((argparse.ArgumentError, SystemExit)):
        check_parses(VLLM, "vllm serve m --max-model-length 8192")  # a flag vLLM does not have
    with pytest.raises((argparse.ArgumentError, SystemExit)):
        check_parses(LLAMA_CPP, "llama-server -m x.gguf --n-ctx 8192")


# ---------------------------------------------------------------- every selection, every tool

LLAMA_8B = architecture_from_config(LLAMA_31_8B)
LLAMA_70B = architecture_from_config(LLAMA_33_70B)
DEEPSEEK = architecture_from_config(DEEPSEEK_R1)
MODELS = [
    (LLAMA_8B, "meta-llama/Llama-3.1-8B-Instruct", None),
    (LLAMA_70B, "meta-llama/Llama-3.3-70B-Instruct", None),
    (DEEPSEEK, "deepseek-ai/DeepSeek-R1", "fp8"),
]
QUANTS = [
    Quantization("Q4_K_M", 4.8, 60, recipe=Recipe("Q4_K_M")),
    Quantization("Q8_0", 8.0, 90, recipe=Recipe("Q8_0")),
    Quantization("BF16", 16.0, 99, recipe=Recipe("BF16")),
    Quantization("FP8", 8.0, 94, gpu_format=GpuFormat(8.0)),
    Quantization("AWQ-INT4", 4.16, 72, gpu_format=GpuFormat(4.16)),
    Quantization("EXL2-4bpw", 4.0, 70, gpu_format=GpuFormat(4.0, head_bits=6.0)),
]
TARGETS = [
    None,
    Hardware("NVIDIA GeForce RTX 4090", "NVIDIA", GPU, gib(24), 1008.0, 165.2, segment="consumer"),
    Hardware("NVIDIA H100 SXM", "NVIDIA", GPU, gib(80), 3350.0, 989.4, segment="datacenter"),
    Hardware(
        "NVIDIA DGX H100",
        "NVIDIA",
        MULTI_GPU,
        gib(80),
        3350.0,
        989.4,
        gpu_count=8,
        segment="datacenter",
    ),
    Hardware("MacBook Pro M3 Max (128 GB)", "Apple", APPLE, gib(128), 400.0),
]
SETTINGS = [
    Settings(),
    Settings(context=32768, kv_type="q8_0", sequences=4),
    Settings(context=2048, kv_type="q4_0"),
    Settings(kv_type="fp8"),
]
CASES = list(
    itertools.product(
        range(len(MODELS)), range(len(QUANTS)), range(len(TARGETS)), range(len(SETTINGS))
    )
)


@pytest.mark.parametrize(("mi", "qi", "ti", "si"), CASES)
def test_generated_commands_parse_with_documented_flags(mi, qi, ti, si):
    a, repo, ckpt = MODELS[mi]
    q, hw, s = QUANTS[qi], TARGETS[ti], SETTINGS[si]
    s = Settings(context=min(s.context, a.context), kv_type=s.kv_type, sequences=s.sequences)
    plan = launch(a, q, s, hw, repo, checkpoint_format=ckpt)
    assert set(plan.commands) == set(TOOLS)
    for tool, cmd in plan.commands.items():
        if cmd.text is None:
            assert cmd.notes, f"{tool}: no command and no reason"
            continue
        parsed = check_parses(tool, cmd.text)
        if tool == LLAMA_CPP:
            assert parsed.ctx_size == s.context * s.sequences and parsed.parallel == s.sequences
            ngl = int(parsed.gpu_layers)
            assert 0 <= ngl <= a.layers + 1
            if plan.offload is not None:
                assert ngl == plan.offload.gpu_layers < a.layers + 1
            if s.kv_type != "f16":
                assert parsed.cache_type_k == parsed.cache_type_v and parsed.flash_attn == "on"
        elif tool == VLLM:
            assert parsed.max_model_len == s.context
            tp = parsed.tensor_parallel_size or 1
            assert tp in valid_tp_sizes(a, 64)
            assert tp * (parsed.pipeline_parallel_size or 1) == plan.plan.gpus
            assert (parsed.kv_cache_dtype == "fp8") == (s.kv_type not in ("f16",))
        elif tool == SGLANG:
            assert parsed.context_length == s.context
            assert (parsed.tp_size or 1) in valid_tp_sizes(a, 64)
            if plan.plan.nodes > 1:
                assert parsed.nnodes == plan.plan.nodes and parsed.node_rank == 0
        else:
            assert f"num_ctx {s.context}" in cmd.text
            for note in cmd.notes:
                for word in note.split():
                    if word.startswith("OLLAMA_"):
                        assert word.split("=")[0] in OLLAMA_ENV


def test_which_tools_run_which_formats():
    s = Settings()
    gguf = launch(LLAMA_8B, QUANTS[0], s, None, "meta-llama/Llama-3.1-8B-Instruct").commands
    assert gguf[LLAMA_CPP].available and gguf[OLLAMA].available and gguf[VLLM].available
    assert not gguf[SGLANG].available and "SGLang" in gguf[SGLANG].notes[0]
    fp8 = launch(LLAMA_8B, QUANTS[3], s, None, "meta-llama/Llama-3.1-8B-Instruct").commands
    assert not fp8[LLAMA_CPP].available and not fp8[OLLAMA].available
    assert "--quantization fp8" in fp8[VLLM].text and "--quantization fp8" in fp8[SGLANG].text
    exl2 = launch(LLAMA_8B, QUANTS[5], s, None, "meta-llama/Llama-3.1-8B-Instruct").commands
    assert not any(c.available for c in exl2.values())
    bf16 = launch(LLAMA_8B, QUANTS[2], s, None, "meta-llama/Llama-3.1-8B-Instruct").commands
    assert "--dtype bfloat16" in bf16[VLLM].text and "--tokenizer" not in bf16[VLLM].text


def test_an_fp8_checkpoint_is_served_as_published():
    s = Settings()
    h200 = Hardware("NVIDIA H200", "NVIDIA", GPU, gib(141), 4800.0, 989.4, segment="datacenter")
    plan = launch(DEEPSEEK, QUANTS[3], s, h200, "deepseek-ai/DeepSeek-R1", checkpoint_format="fp8")
    v = plan.commands[VLLM].text
    assert v.startswith("vllm serve deepseek-ai/DeepSeek-R1 ") and "--quantization" not in v
    assert "--tensor-parallel-size 8" in v
    assert "--tp-size 8" in plan.commands[SGLANG].text


def test_deepseek_r1_fp8_on_h100_is_two_nodes():
    h100 = TARGETS[2]
    plan = launch(
        DEEPSEEK, QUANTS[3], Settings(), h100, "deepseek-ai/DeepSeek-R1", checkpoint_format="fp8"
    )
    assert (plan.plan.tp, plan.plan.pp, plan.plan.nodes) == (8, 2, 2)
    assert "--tensor-parallel-size 8 --pipeline-parallel-size 2" in plan.commands[VLLM].text
    sg = check_parses(SGLANG, plan.commands[SGLANG].text)
    assert (sg.tp_size, sg.pp_size, sg.nnodes) == (8, 2, 2)


def test_70b_on_a_24_gb_card_offloads_in_llama_cpp():
    plan = launch(LLAMA_70B, QUANTS[0], Settings(), TARGETS[1], "meta-llama/Llama-3.3-70B-Instruct")
    assert plan.offload is not None
    ns = check_parses(LLAMA_CPP, plan.commands[LLAMA_CPP].text)
    assert int(ns.gpu_layers) == plan.offload.gpu_layers < 81


def test_gguf_repo_uses_hf_downloads():
    spec = LaunchSpec(
        "meta-llama/Llama-3.1-8B-Instruct",
        "Q4_K_M",
        True,
        8192,
        layers=32,
        gguf_repo="bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
    )
    cmds = launch_commands(spec)
    assert "-hf bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M" in cmds[LLAMA_CPP].text
    assert "FROM hf.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M" in cmds[OLLAMA].text
    assert cmds[VLLM].text.startswith(
        "vllm serve bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M --tokenizer meta-llama/"
    )
    for tool, c in cmds.items():
        if c.text:
            check_parses(tool, c.text)
    assert gguf_file_name(spec) == "Llama-3.1-8B-Instruct-Q4_K_M.gguf"


def test_memory_fraction_covers_the_estimate():
    h100 = TARGETS[2]
    tight = launch(
        LLAMA_70B, QUANTS[3], Settings(context=131072), h100, "meta-llama/Llama-3.3-70B-Instruct"
    )
    ns = check_parses(VLLM, tight.commands[VLLM].text)
    assert 0.9 <= ns.gpu_memory_utilization <= 0.98


def test_estimate_json_has_the_three_keys(capsys):
    from pathlib import Path

    import vramtui.__main__ as cli

    fixture_gpus = Path(__file__).parent / "fixtures" / "detect" / "catalog"
    rc = cli.main(
        [
            "estimate",
            "deepseek-r1-distill-llama-8b",
            "--json",
            "--catalog",
            str(fixture_gpus),
            "--gpu",
            "rtx-4090",
        ]
    )
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["gpus_needed"] == 1 and out["offload"] is None
    assert set(out["commands"]) == {"llama.cpp", "ollama", "vllm", "sglang"}
    check_parses(LLAMA_CPP, out["commands"]["llama.cpp"]["command"])
    rc = cli.main(
        [
            "estimate",
            "deepseek-r1-distill-llama-8b",
            "--json",
            "-c",
            "128k",
            "--catalog",
            str(fixture_gpus),
            "--gpu",
            "rtx-3060-8gb",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert out["offload"]["gpu_layers"] < out["offload"]["total_layers"] == 33
    assert out["offload"]["tokens_per_second"] > 0
    assert out["gpus_needed"] > 1
    rc = cli.main(["estimate", "deepseek-r1-distill-llama-8b", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert (
        out["gpus_needed"] is None
        and out["offload"] is None
        and out["commands"]["llama.cpp"]["command"]
    )


# ---------------------------------------------------------------- published weights (catalog/data/repos.toml)


def _answer(catalog, model: str, quant: str, target: str | None = None):
    from vramtui.answers import Resolved, Selection, answer

    return answer(Resolved(catalog), Selection(model, quant, target=target))


def test_catalog_models_with_a_gguf_repo_fetch_it(catalog):
    """llama.cpp -hf REPO:QUANT and Ollama FROM hf.co/REPO:QUANT for a quant the repo is known to hold."""
    from vramtui.answers import launch_for

    ans = _answer(catalog, "llama-3.1-8b-instruct", "Q4_K_M", "rtx-4090")
    plan = launch_for(ans)
    assert plan.spec.gguf_repo in {r.repo for r in ans.repos if r.kind == "gguf" and "Q4_K_M" in r.quants}
    tag = f"{plan.spec.gguf_repo}:Q4_K_M"
    cmds = plan.commands
    assert f"-hf {tag}" in cmds[LLAMA_CPP].text and f"FROM hf.co/{tag}" in cmds[OLLAMA].text
    for tool, c in cmds.items():
        if c.text:
            check_parses(tool, c.text)


def test_a_quant_no_known_repo_holds_keeps_the_local_file_form(catalog):
    from vramtui.answers import launch_for

    ans = _answer(catalog, "llama-3.1-8b-instruct", "IQ1_S")
    assert not any(r.serves("IQ1_S") for r in ans.repos)
    text = launch_for(ans).commands[LLAMA_CPP]
    assert " -m Llama-3.1-8B-Instruct-IQ1_S.gguf " in text.text and "-hf" not in text.text
    assert any("-m expects the GGUF file on disk" in n for n in text.notes)


def test_the_official_fp8_checkpoint_is_what_vllm_serves(catalog):
    from vramtui.answers import launch_for

    ans = _answer(catalog, "qwen3-8b", "FP8", "h100-sxm")
    fp8 = [r.repo for r in ans.repos if r.kind == "fp8"]
    assert "Qwen/Qwen3-8B-FP8" in fp8  # the publisher's own checkpoint is preferred over re-uploads
    v = launch_for(ans).commands[VLLM].text
    assert v.startswith("vllm serve Qwen/Qwen3-8B-FP8 ") and "--quantization" not in v
    check_parses(VLLM, v)


def test_repo_preference_ggml_org_then_the_publisher_then_bartowski():
    from vramtui.catalog.entries import RepoEntry

    from vramtui.answers import published_repo

    model = type("M", (), {"hf_repo": "Qwen/Qwen3-8B"})()
    repos = (
        RepoEntry("qwen3-8b", "gguf", "mradermacher/Qwen3-8B-GGUF", "s", ("Q4_K_M",)),
        RepoEntry("qwen3-8b", "gguf", "bartowski/Qwen_Qwen3-8B-GGUF", "s", ("Q4_K_M", "Q8_0")),
        RepoEntry("qwen3-8b", "gguf", "Qwen/Qwen3-8B-GGUF", "s", ("Q4_K_M",)),
        RepoEntry("qwen3-8b", "fp8", "RedHatAI/Qwen3-8B-FP8-dynamic", "s"),
        RepoEntry("qwen3-8b", "fp8", "Qwen/Qwen3-8B-FP8", "s"),
    )
    assert published_repo(model, repos, "Q4_K_M").repo == "Qwen/Qwen3-8B-GGUF"
    assert published_repo(model, repos, "Q8_0").repo == "bartowski/Qwen_Qwen3-8B-GGUF"
    assert published_repo(model, repos + (RepoEntry("qwen3-8b", "gguf", "ggml-org/Qwen3-8B-GGUF", "s", ("Q4_K_M",)),),
                          "Q4_K_M").repo == "ggml-org/Qwen3-8B-GGUF"
    assert published_repo(model, repos, "FP8").repo == "Qwen/Qwen3-8B-FP8"
    assert published_repo(model, repos, "AWQ-INT4") is None


@pytest.mark.parametrize("text,field", [
    ('[[repos]]\nmodel = "no-such-model"\nkind = "gguf"\nrepo = "a/b-GGUF"\nquants = ["Q4_K_M"]\nsource = "x"\n',
     "model"),
    ('[[repos]]\nmodel = "qwen3-8b"\nkind = "gguf"\nrepo = "a/b-GGUF"\nquants = ["Q9_X"]\nsource = "x"\n', "quants"),
    ('[[repos]]\nmodel = "qwen3-8b"\nkind = "fp8"\nrepo = "a/b-FP8"\nquants = ["Q4_K_M"]\nsource = "x"\n', "(entry)"),
    ('[[repos]]\nmodel = "qwen3-8b"\nkind = "gguf"\nrepo = "not a repo"\nsource = "x"\n', "repo"),
])
def test_a_bad_repo_entry_is_named(tmp_path, text, field):
    from vramtui.catalog.loader import load_catalog
    from vramtui.core.errors import CatalogError

    (tmp_path / "repos.toml").write_text(text)
    with pytest.raises(CatalogError) as e:
        load_catalog([tmp_path])
    assert f"field {field}" in str(e.value) or f"entry {field}" in str(e.value) or field in str(e.value)


def test_every_catalog_repo_names_its_source_and_most_popular_models_have_a_gguf_repo(catalog):
    assert len(catalog.repos) >= 400
    assert all(r.source.strip() for r in catalog.repos.values())
    for model in ("llama-3.1-8b-instruct", "qwen3-8b", "gemma-3-12b-it", "gpt-oss-20b", "mistral-nemo-instruct-2407"):
        assert any(r.kind == "gguf" and r.quants for r in catalog.repos_of(model)), model
