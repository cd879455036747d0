"""What can I run here? vramtui.fit and `vramtui fit`: every model at its best quant, best first."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from vramtui.core.estimate import FITS, NO, TIGHT, Settings, best_quant, default_context, fit_on, memory
from vramtui.core.hardware import CPU, Hardware
from vramtui.core.quantization import nominal_weights_bytes, weights
from vramtui.core.units import GIB

from vramtui.answers import Resolved
from vramtui.fit import NOMINAL_FLOOR, FitFilter, fit_list, quality_class


@pytest.fixture(scope="module")
def res(catalog) -> Resolved:
    return Resolved(catalog)


@pytest.fixture(scope="module")
def on_4060(res):
    return fit_list(res, res.gpus["rtx-4060"])


def listed(res: Resolved, hw: Hardware):
    return [res.quants[n] for n, e in res.catalog.quants.items() if e.listed]


def test_each_model_is_at_the_best_quant_that_fits_with_headroom(res, on_4060) -> None:
    hw = res.gpus["rtx-4060"]
    rows = {r.model.id: r for r in on_4060.rows}
    assert rows and on_4060.considered == sum(1 for m in res.catalog.models.values() if not m.unsupported)
    sample = list(res.catalog.models.values())[::7]  # every seventh model: the core's own answer for each
    for m in sample:
        a = m.architecture
        s = Settings(context=default_context(a))
        quants = [m.quantization(q) for q in listed(res, hw)]  # as the model's own files were made
        best = best_quant(a, quants, s, hw)
        tight = best_quant(a, quants, s, hw, TIGHT)
        if best is not None:
            assert rows[m.id].quant.name == best.name and rows[m.id].fit == FITS
        elif tight is not None:
            assert rows[m.id].quant.name == tight.name and rows[m.id].fit == TIGHT
        else:
            assert m.id not in rows
    for r in on_4060.rows:
        q = r.model.quantization(res.quants[r.quant.name])
        a = r.model.architecture
        assert r.memory == memory(a, q, Settings(context=default_context(a)))
        assert fit_on(a, q, Settings(context=default_context(a)), hw) == r.fit != NO


def test_best_first_by_quant_class_then_size_then_speed(on_4060) -> None:
    rows = on_4060.rows
    keys = [(quality_class(r.quant.quality), r.fit != FITS, -r.model.params) for r in rows]
    assert keys == sorted(keys)
    assert quality_class(rows[0].quant.quality) == 0  # a 4-bit-or-better quant leads


def test_filters_context_and_gpus(res, on_4060) -> None:
    hw = res.gpus["rtx-4060"]
    small = fit_list(res, hw, only=FitFilter(max_params=4_000_000_000))
    assert small.rows and all(r.model.params <= 4e9 for r in small.rows)
    assert {r.model.id for r in small.rows} == {r.model.id for r in on_4060.rows if r.model.params <= 4e9}
    code = fit_list(res, hw, only=FitFilter(tag="code"))
    assert code.rows and all("Code" in r.model.tags for r in code.rows)
    fast = fit_list(res, hw, only=FitFilter(min_tokens_per_second=60))
    assert fast.rows and all(r.tokens_per_second >= 60 for r in fast.rows)
    longer = fit_list(res, hw, context=32768)
    assert len(longer.rows) <= len(on_4060.rows)
    assert all(r.memory.kv.context == min(32768, r.model.context_length) for r in longer.rows)
    two = fit_list(res, hw, gpus=2)
    assert two.gpus == 2 and len(two.rows) >= len(on_4060.rows)


def test_a_mac_or_a_cpu_gets_gguf_only(res, catalog) -> None:
    mac = next(d for d in catalog.devices.values() if d.kind == "apple" and d.memory_gb == 64)
    on_mac = fit_list(res, mac.hardware())
    assert on_mac.rows and all(r.quant.kind == "gguf" for r in on_mac.rows)
    cpu = Hardware("CPU", "CPU", CPU, 32 * GIB, 60.0)
    on_cpu = fit_list(res, cpu)
    assert on_cpu.rows and all(r.quant.kind == "gguf" for r in on_cpu.rows)


@pytest.mark.parametrize("model_id", ["qwen3-0.6b", "qwen3-vl-2b-instruct", "qwen2.5-vl-3b-instruct",
                                      "gemma-3-1b-it", "deepseek-v2-lite-chat", "llama-3.1-8b-instruct"])
def test_the_pruning_floor_is_below_every_real_size(res, model_id: str) -> None:
    """A quant skipped as too big by its nominal size really is: the floor never exceeds the exact weights
    (these are the catalog's models whose files are smallest against their nominal size)."""
    m = res.catalog.models[model_id]
    for name, q in res.quants.items():
        exact = weights(m.architecture, q).total
        assert nominal_weights_bytes(m.params, q.nominal_bits) * NOMINAL_FLOOR < exact, (model_id, name)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vramtui", "fit", *args], capture_output=True, text=True,
                          timeout=60)


def test_fit_command_json_and_text(res) -> None:
    r = run("RTX 4060", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["target"]["id"] == "rtx-4060" and d["target"]["name"] == "NVIDIA GeForce RTX 4060"
    want = fit_list(res, res.gpus["rtx-4060"])
    assert [m["id"] for m in d["models"]] == [r.model.id for r in want.rows]
    first, row = d["models"][0], want.rows[0]
    assert set(first) >= {"id", "name", "quant", "total_bytes", "fit", "tokens_per_second"}
    assert (first["quant"], first["total_bytes"], first["fit"]) == (row.quant.name, row.memory.total_bytes, row.fit)
    assert first["tokens_per_second"] == round(row.tokens_per_second, 1)
    text = run("RTX 4060", "--limit", "3", "--max-params", "9B")
    assert text.returncode == 0
    assert "What runs on NVIDIA GeForce RTX 4060" in text.stdout
    small = fit_list(res, res.gpus["rtx-4060"], only=FitFilter(max_params=9_000_000_000))
    for r in small.rows[:3]:
        assert r.model.name in text.stdout
    assert small.rows[3].model.name not in text.stdout and "more" in text.stdout


@pytest.mark.parametrize("args,message", [
    (["nosuchgpu"], "not in the built-in catalog"),
    (["4090", "--family", "qwen"], "did you mean"),
    (["4090", "--min-params", "lots"], "not a parameter count"),
    (["4090", "--context", "max"], "no single meaning"),
    (["4090", "--min-tps", "fast"], "--min-tps"),
])
def test_fit_command_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    r = run(*args)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_fit_this_machine_without_a_gpu_uses_the_cpu(tmp_path) -> None:
    """No GPU tool on PATH: `this` is the CPU and system RAM."""
    import os

    env = dict(os.environ, PATH=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "vramtui", "fit", "this", "--json"], capture_output=True, text=True,
                       timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["target"]["kind"] == "cpu" and d["target"]["id"] is None
    assert all(m["quant"] not in ("FP8", "AWQ-INT4", "GPTQ-INT4") for m in d["models"])


def test_a_bigger_context_never_lists_more(res) -> None:
    hw = res.gpus["rtx-4090"]
    a = fit_list(res, hw, context=2048)
    b = fit_list(res, hw, context=65536)
    assert {r.model.id for r in b.rows} <= {r.model.id for r in a.rows}
