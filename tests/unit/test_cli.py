"""The command line, run as a user runs it: a subprocess, exit codes, JSON shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from vramtui.core.kv import kv_cache

from vramtui.answers import Resolved, Selection, answer

SEED = "deepseek-r1-distill-llama-8b"


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    e = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "vramtui", *args], capture_output=True, text=True, env=e, timeout=60)


def test_estimate_json_shape_and_numbers(catalog) -> None:
    r = run("estimate", SEED, "--context", "2048", "--gpu", "RTX 4090", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["model"] == {
        "id": SEED, "name": "DeepSeek R1 Distill Llama 8B", "hf_repo": "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
        "params": 8030261248, "context_length": 131072, "architecture": "LlamaForCausalLM",
    }
    assert d["context"] == 2048 and d["kv_type"] == "f16" and d["quant"] == "Q4_K_M"
    q = {row["name"]: row for row in d["quants"]}
    model = catalog.models[SEED]
    assert q["Q4_K_M"]["kv_cache_bytes"] == kv_cache(model.architecture, 2048).total == 268_435_456
    for row in d["quants"]:
        assert row["total_bytes"] == row["weights_bytes"] + row["kv_cache_bytes"] + row["overhead_bytes"]
    # numbers come from the same core the app uses
    ans = answer(Resolved(catalog), Selection(SEED, "Q4_K_M", 2048, target="rtx-4090"))
    assert q["Q4_K_M"]["total_bytes"] == ans.quant_row.memory.total_bytes
    gpu = next(g for g in d["gpus"] if g["name"] == "NVIDIA GeForce RTX 4090")
    assert gpu["fit"] == "fits" and gpu["tokens_per_second"] > 50
    device_keys = {"name", "memory_bytes", "gpu_memory_bytes", "bandwidth_gbps", "fit", "tokens_per_second"}
    assert set(d["devices"][0]) >= device_keys


def test_context_spellings() -> None:
    for spelling, tokens in (("2048", 2048), ("8k", 8192), ("128K", 131072), ("max", 131072)):
        d = json.loads(run("estimate", SEED, "-c", spelling, "--json").stdout)
        assert d["context"] == tokens


def test_default_context_is_8k_capped_at_model_max() -> None:
    d = json.loads(run("estimate", SEED, "--json").stdout)
    assert d["context"] == 8192


def test_fuzzy_and_repo_names_resolve() -> None:
    for name in ("deepseek-ai/deepseek-r1-distill-llama-8b", "R1 Distill Llama 8B", "DeepSeek-R1-Distill-Llama-8B"):
        d = json.loads(run("estimate", name, "--json").stdout)
        assert d["model"]["id"] == SEED


@pytest.mark.parametrize("args,needle", [
    (("estimate", "no-such-model-xyz"), "not in the built-in catalog"),
    (("estimate", "llama 3.1 8b", "--quant", "Q9_Z"), "quantization"),
    (("estimate", SEED, "--context", "-5"), "context"),
    (("estimate", SEED, "--context", "nan"), "context"),
    (("estimate", SEED, "--context", "99999999999"), "context"),
    (("estimate", SEED, "--gpu", "Voodoo 5"), "GPU or device"),
    (("estimate", SEED, "--gpus", "0"), "--gpus"),
])
def test_bad_input_exits_2_with_one_line(args, needle) -> None:
    r = run(*args)
    assert r.returncode == 2
    assert needle in r.stderr and "Traceback" not in r.stderr


def test_unknown_model_suggests_nearest() -> None:
    r = run("estimate", "llama-3.1-8b-instrukt")
    assert r.returncode == 2 and "llama-3.1-8b-instruct" in r.stderr


def test_list_commands_json(catalog) -> None:
    for cmd, table in (("models", catalog.models), ("gpus", catalog.gpus), ("devices", catalog.devices)):
        d = json.loads(run(cmd, "--json").stdout)
        assert len(d) == len(table)
    d = json.loads(run("gpus", "4090", "--json").stdout)
    assert d[0]["name"] == "NVIDIA GeForce RTX 4090"


def test_text_output_has_the_seed_pages_information() -> None:
    r = run("estimate", SEED, env={"COLUMNS": "120"})
    assert r.returncode == 0
    for needle in ("DeepSeek R1 Distill Llama 8B", "LlamaForCausalLM", "131,072 context", "vocab 128,256",
                   "MIT", "Q4_K_M ★", "IQ2_XXS", "Q8_0", "can run it at Q4_K_M"):
        assert needle in r.stdout


def test_cli_and_core_do_not_import_textual() -> None:
    code = ("import sys, vramtui.__main__ as cli, vramtui.core.estimate, vramtui.answers; "
            "cli.main(['estimate', 'llama 3.1 8b', '--json']); assert 'textual' not in sys.modules, 'textual imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_text_output_on_a_small_target_offers_more_gpus_offload_and_commands() -> None:
    r = run("estimate", "llama-3.1-70b-instruct", "--gpu", "rtx-4090", env={"COLUMNS": "200"})
    assert r.returncode == 0
    d = json.loads(run("estimate", "llama-3.1-70b-instruct", "--gpu", "rtx-4090", "--json").stdout)
    off = d["offload"]
    assert f"{d['gpus_needed']} × NVIDIA GeForce RTX 4090 fit it with headroom" in r.stdout
    assert f"partial offload: -ngl {off['gpu_layers']} of {off['total_layers']} layers" in r.stdout
    # It does not fit: no speed for it (the table's tok/s is '–', the JSON's null), only the ways it can run.
    assert d["target"]["fit"] == "no" and d["target"]["tokens_per_second"] is None
    assert f"~{off['tokens_per_second']:.0f} tok/s" in r.stdout
    assert d["commands"]["llama.cpp"]["command"] in r.stdout
    assert d["commands"]["vllm"]["command"] in r.stdout


def test_a_mac_is_found_by_chip_and_memory_whatever_the_chassis() -> None:
    d = json.loads(run("estimate", "qwen3-8b", "--gpu", "MacBook Pro 14 M4 Pro (24 GB)", "--json").stdout)
    assert d["target"]["name"] == "Mac mini M4 Pro (24 GB)"
    r = run("estimate", "qwen3-8b", "--gpu", "MacBook Pro M4 Pro 20GB")  # no such memory size
    assert r.returncode == 2 and "is not in the built-in catalog" in r.stderr


def test_list_queries_take_several_words() -> None:
    d = json.loads(run("devices", "m4", "pro", "--json").stdout)
    assert d and all("M4 Pro" in x["name"] for x in d[:3])


def test_version_comes_from_the_installed_metadata_without_heavy_imports() -> None:
    """`vramtui --version` prints the metadata's version before importing argparse, the catalog or the core."""
    code = ("import sys, importlib; import vramtui.__main__ as m; m.main(['--version']); "
            "heavy = [k for k in sys.modules if k.startswith(('argparse', 'importlib.metadata', 'vramtui.c'))]; "
            "assert not heavy, heavy; print(importlib.import_module('importlib.metadata').version('vramtui'))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    printed, metadata = r.stdout.splitlines()
    assert printed == f"vramtui {metadata}"
