"""A context past the model's maximum is computed as asked and flagged, never shortened."""

from __future__ import annotations

import json
import subprocess
import sys

from vramtui.core.arch import RopeScaling
from vramtui.core.context import beyond_trained
from vramtui.core.kv import kv_cache

from vramtui.answers import Resolved, Selection, answer
from vramtui.fit import fit_list
from vramtui.format import beyond_trained_text

NEXT = "qwen3-next-80b-a3b-instruct"


def test_answer_computes_the_context_asked(catalog) -> None:
    res = Resolved(catalog)
    a = catalog.models[NEXT].architecture
    ans = answer(res, Selection(NEXT, context=300_032))
    assert ans.settings.context == 300_032  # not the model's 262,144
    assert ans.quant_row.memory.kv.total == kv_cache(a, 300_032).total > kv_cache(a, 262_144).total
    b = ans.beyond
    assert b is not None and (b.asked, b.trained, b.rope) == (300_032, 262_144, None)
    assert answer(res, Selection(NEXT, context=262_144)).beyond is None


def test_the_note_names_the_trained_context_and_the_declared_rope_scaling(catalog) -> None:
    a = catalog.models["llama-3.1-8b-instruct"].architecture
    assert a.rope_scaling == RopeScaling("llama3", 8.0, 8192)
    b = beyond_trained(a, 200_000)
    assert b is not None
    text = beyond_trained_text(b, "Llama 3.1 8B")
    assert "200,000 tokens is beyond the 131,072 tokens" in text and "llama3 RoPE scaling (factor 8 over 8,192" in text
    b = beyond_trained(catalog.models[NEXT].architecture, 300_032)
    assert b is not None and "declares no RoPE scaling" in beyond_trained_text(b, "Qwen3-Next")


def test_cli_text_and_json_say_so() -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "vramtui", *args], capture_output=True, text=True, timeout=60)

    r = run("estimate", NEXT, "--context", "300032", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["context"] == 300_032
    assert d["beyond_trained_context"]["trained"] == 262_144 and d["beyond_trained_context"]["rope_scaling"] is None
    r = run("estimate", NEXT, "--context", "300032")
    assert r.returncode == 0 and "beyond the 262,144 tokens" in " ".join(r.stdout.split())
    r = run("estimate", NEXT, "--context", "8k", "--json")
    assert json.loads(r.stdout)["beyond_trained_context"] is None


def test_fit_leaves_out_models_trained_for_less_and_counts_them(catalog) -> None:
    res = Resolved(catalog)
    fl = fit_list(res, res.gpus["h200-sxm"], context=300_000)
    assert fl.short_context == sum(
        1 for m in catalog.models.values() if not m.unsupported and m.architecture.context < 300_000) > 0
    assert all(r.memory.kv.context == 300_000 for r in fl.rows)
