"""An honest "no": a setup that does not run never gets a speed; the ways it can run instead do,
and they agree with the launch plan the commands come from (core.launch)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from vramtui.core.estimate import FITS, NO, on_target, plan_settings
from vramtui.core.hardware import APPLE, CPU, Hardware
from vramtui.core.offload import DEFAULT_RAM_BANDWIDTH_GBPS
from vramtui.core.quantization import LOW_QUALITY
from vramtui.core.runtimes import unloadable_reason
from vramtui.core.units import GIB

from vramtui.answers import Resolved, Selection, answer
from vramtui.faq import answer_text, build_faq, quality_warning, ways_to_run
from vramtui.format import short_name, target_name, tps

BIG = "llama-3.3-70b-instruct"


@pytest.fixture(scope="module")
def res(catalog) -> Resolved:
    return Resolved(catalog)


def test_70b_on_a_4090_offers_offload_and_two_gpus_with_the_commands_numbers(res) -> None:
    ans = answer(res, Selection(BIG, "Q4_K_M", target="rtx-4090"))
    row = ans.quant_row
    assert row.on_target is not None and row.on_target.fit == NO and not row.runs
    ways = ans.ways()
    assert ways is not None and ways.offload is not None and ways.gpus is not None
    plan = ans.launch
    # The same -ngl as the llama.cpp command, the same GPU count as vLLM's tensor-parallel size.
    assert f"-ngl {ways.offload.gpu_layers}" in plan.commands["llama.cpp"].text
    assert f"--tensor-parallel-size {ways.gpus}" in plan.commands["vllm"].text
    q = ans.model.quantization(row.entry.to_core())
    want = on_target(ans.model.architecture, q, plan_settings(ans.settings, plan.plan),
                     row.on_target.hardware, ans.model.params)
    assert want.fit == FITS and ways.gpus_tokens_per_second == want.tokens_per_second
    texts = [w.long for w in ways_to_run(ans)]
    assert any(f"-ngl {ways.offload.gpu_layers} of {ways.offload.total_layers}" in t for t in texts)
    assert any(t.startswith(f"{ways.gpus} × NVIDIA GeForce RTX 4090 fit it") for t in texts)
    # the speed it would have if it fitted appears nowhere (but where the two GPUs' own speed is the
    # same number: llama.cpp's layer split decodes at about one GPU's speed)
    ghost = tps(row.on_target.tokens_per_second)
    faq = build_faq(res, ans)
    if ghost != tps(ways.gpus_tokens_per_second):
        assert ghost not in faq.item("speed").answer and ghost not in answer_text(ans)
    assert "llama.cpp splits the layers" in " ".join(texts)
    assert faq.item("ttft").answer.startswith("No first token") and not faq.item("ttft").formula
    assert faq.item("local").answer.startswith("Not on NVIDIA GeForce RTX 4090")


def test_a_two_bit_recommendation_says_what_is_lost_and_the_alternatives(res) -> None:
    ans = answer(res, Selection(BIG, "Q4_K_M", target="rtx-4090"))
    low = ans.low_quality_pick
    assert low is not None and low.recommended and low.entry.quality < LOW_QUALITY
    better = ans.better_quant
    assert better is not None and better.entry.name == "Q4_K_M"
    warning = quality_warning(ans)
    ways = ans.ways("Q4_K_M")
    assert ways is not None and ways.offload is not None and ways.gpus is not None
    assert warning.startswith(f"{low.entry.name} keeps about")
    assert f"-ngl {ways.offload.gpu_layers}" in warning and f"on {ways.gpus} × NVIDIA GeForce RTX 4090" in warning
    assert warning in build_faq(res, ans).item("best-quant").answer
    # a quant that keeps quality gets no warning
    fine = answer(res, Selection("llama-3.1-8b-instruct", target="rtx-4090"))
    assert fine.low_quality_pick is None and quality_warning(fine) == ""


def test_gpu_formats_are_marked_on_a_mac_and_never_recommended_there(res, catalog) -> None:
    mac = next(d.id for d in catalog.devices.values() if d.kind == "apple" and d.memory_gb >= 64)
    ans = answer(res, Selection("llama-3.1-8b-instruct", "FP8", target=mac))
    fp8, gguf = ans.row("FP8"), ans.row("Q8_0")
    assert fp8 is not None and fp8.unloadable and "Mac" in fp8.unloadable and not fp8.runs
    assert gguf is not None and gguf.unloadable is None and gguf.runs
    assert ans.recommended is not None and ans.row(ans.recommended).unloadable is None
    text = answer_text(ans)
    assert "no runtime loads it" in text and tps(fp8.on_target.tokens_per_second) not in text
    assert all(not c.available for t, c in ans.launch.commands.items() if t in ("vllm", "sglang"))
    assert unloadable_reason(res.quants["Q4_K_M"], res.hardware(mac)) is None


def test_several_gpus_are_named_as_such(res) -> None:
    ans = answer(res, Selection(BIG, "Q4_K_M", gpus=2, target="rtx-4090"))
    e = ans.quant_row.on_target
    assert e is not None and e.gpus == 2
    assert target_name(e.hardware, e.gpus) == "2 × NVIDIA GeForce RTX 4090"
    faq = build_faq(res, ans)
    assert "2 × NVIDIA GeForce RTX 4090" in faq.item("speed").answer
    assert answer_text(ans).splitlines()[-1].startswith("On 2 × NVIDIA GeForce RTX 4090:")


def test_json_target_speed_is_null_when_it_does_not_fit() -> None:
    def run(*args: str) -> dict:
        r = subprocess.run([sys.executable, "-m", "vramtui", "estimate", *args, "--json"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    no = run(BIG, "--gpu", "rtx-4090")["target"]
    assert no["fit"] == "no" and no["tokens_per_second"] is None and no["prefill_tokens_per_second"] is None
    yes = run("llama-3.1-8b-instruct", "--gpu", "rtx-4090")["target"]
    assert yes["fit"] == "fits" and yes["tokens_per_second"] > 0


def test_a_cpu_target_runs_gguf_from_ram_with_llama_cpp(res) -> None:
    from vramtui.core.launch import launch

    from vramtui.sources.detect import this_machine
    from vramtui.sources.detect.parse import Machine

    machine = Machine("Linux", 32 * GIB, 20 * GIB)
    found = this_machine(machine, res.catalog)
    hw = found.hardware
    assert hw is not None and hw.kind == CPU and hw.usable_bytes == 20 * GIB
    assert hw.bandwidth_gbps == DEFAULT_RAM_BANDWIDTH_GBPS and any("not measured" in n for n in found.notes)
    m = res.catalog.models["llama-3.1-8b-instruct"]
    q = m.quantization(res.quants["Q4_K_M"])
    from vramtui.core.estimate import Settings

    est = on_target(m.architecture, q, Settings(), hw, m.params)
    assert est.fit == FITS and 0 < est.tokens_per_second < 20  # bandwidth-bound: ~54 GB/s over ~5 GB
    plan = launch(m.architecture, q, Settings(), hw, m.hf_repo)
    assert " -ngl 0" in plan.commands["llama.cpp"].text and not plan.commands["vllm"].available
    assert unloadable_reason(res.quants["FP8"], hw) is not None
    # no RAM figure either: no target at all, said plainly
    assert this_machine(Machine("Linux", None), res.catalog).hardware is None
    assert Hardware("Mac", "Apple", APPLE, 16 * GIB, 100).is_unified


def test_short_names_drop_vendor_words_and_keep_a_macs_chip() -> None:
    assert short_name("NVIDIA GeForce RTX 4090") == "RTX 4090"
    assert short_name("2 × NVIDIA GeForce RTX 4090") == "2 × RTX 4090"
    assert short_name("AMD Radeon RX 7900 XTX") == "RX 7900 XTX"
    assert short_name("AMD Radeon PRO W7900") == "Radeon PRO W7900"
    mac = short_name('MacBook Pro 16" M4 Max (128 GB)', 20)
    assert len(mac) == 20 and mac.endswith("M4 Max (128 GB)") and mac.startswith("…")
    long = short_name("NVIDIA RTX PRO 6000 Blackwell Workstation Edition", 20)
    assert len(long) == 20 and long.endswith("…")
