"""Lookups at the command line, run as a user runs them: never an answer for a model, GPU or
device that was not asked for; a miss or an ambiguity is one line on stderr and exit status 2."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from vramtui.catalog.loader import BUILT_IN_AS_OF, DATA_DIR
from vramtui.catalog.lookup import model_index
from vramtui.catalog.tokens import tokens

MISS = f"is not in the built-in catalog (as of {BUILT_IN_AS_OF})"
HUB = "`vramtui estimate ORG/REPO` fetches it from the Hub"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vramtui", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=60)


def one_line_error(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout[:200], r.stderr)
    assert r.stdout == "" and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    return r.stderr


def candidates(err: str) -> list[str]:
    """The ids after 'did you mean' or 'nearest:'."""
    m = re.search(r"(?:did you mean|nearest:) ([^;?(]+)", err)
    return [c.strip() for c in m.group(1).split(",")] if m else []


@pytest.mark.parametrize("query,family", [("gemma 5", "gemma-4"), ("qwen3.8", "qwen3.6"), ("deepseek-v5", "deepseek")])
def test_a_missing_version_is_a_miss_with_the_nearest_and_the_hub(query, family) -> None:
    err = one_line_error(run("estimate", query, "--json"))
    assert f"model {query!r} {MISS}" in err and HUB in err
    near = candidates(err)
    assert near and near[0].startswith(family)


@pytest.mark.parametrize("query", ["!!!", "-", "??", "\u200f\u200e", "a", "x", "%%%", "zz9 qq7", "no-such-model-2099"])
def test_garbage_is_a_miss(query) -> None:
    err = one_line_error(run("estimate", query, "--json"))
    assert MISS in err and HUB in err and "nearest" not in err


def test_ambiguous_names_list_the_originals_first(catalog) -> None:
    for query, n in (("8b", 6), ("llama", 6), ("llama 8b", 6), ("mistral", 6)):
        err = one_line_error(run("estimate", query))
        assert f"model {query!r} is ambiguous: did you mean" in err
        ids = candidates(err)
        assert len(ids) == n and all(i in catalog.models for i in ids)
        if query.startswith("llama"):
            assert catalog.models[ids[0]].publisher == "Meta" and "tulu" not in ids[0]
        if query == "mistral":
            assert all(catalog.models[i].name.startswith("Mistral") for i in ids)  # never Magistral alone


def test_a_clear_fragment_resolves() -> None:
    for query, want in (("70b r1", "deepseek-r1-distill-llama-70b"),
                        ("qwen coder 32 instruct", "qwen2.5-coder-32b-instruct"),
                        ("mistral large instruct 2411", "mistral-large-instruct-2411")):
        r = run("estimate", query, "--json")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["model"]["id"] == want


def test_a10g_is_no_a100(catalog) -> None:
    holding = [g.id for g in catalog.gpus.values() if "a10g" in {t for x in (g.name, *g.aliases) for t in tokens(x)}]
    r = run("gpus", "a10g", "--json")
    if holding:  # the catalog has the card: it alone is listed
        assert r.returncode == 0 and [g["id"] for g in json.loads(r.stdout)] == holding
    else:
        assert f"GPU 'a10g' {MISS}" in one_line_error(r)
    err = one_line_error(run("gpus", "a10x"))  # a near-miss the catalog lacks: the nearest, never one of them
    assert f"GPU 'a10x' {MISS}" in err and "a10" in candidates(err)
    err = one_line_error(run("estimate", "llama-3.1-8b-instruct", "--gpu", "a10x", "--json"))
    assert f"GPU or device 'a10x' {MISS}" in err


def test_models_lists_what_the_search_finds_in_the_apps_order(catalog) -> None:
    listed = [m["id"] for m in json.loads(run("models", "--json").stdout)]
    assert listed == [m.id for m in model_index(list(catalog.models.values())).browse()]
    assert json.loads(run("models", "lama", "3", "8b", "--json").stdout)[0]["id"] == "llama-3-8b-instruct"
    err = one_line_error(run("models", "gemma 5"))
    assert f"model 'gemma 5' {MISS}" in err


def _model_block(model_id: str) -> str:
    """One [[models]] table of the built-in models.toml, as text."""
    text = (DATA_DIR / "models.toml").read_text()
    return next(b for b in text.split("[[models]]") if f'\nid = "{model_id}"\n' in b)


def test_a_user_catalog_with_gemma_5_lists_and_resolves_it(tmp_path: Path) -> None:
    """The rules, not a special case: once a catalog holds Gemma 5, "gemma 5" finds it."""
    block = _model_block("gemma-3-27b-it")
    entries = []
    for size in ("31b", "12b"):
        entries.append("[[models]]" + block.replace('id = "gemma-3-27b-it"', f'id = "gemma-5-{size}-it"')
                       .replace('name = "Gemma 3 27B IT"', f'name = "Gemma 5 {size.upper()} IT"')
                       .replace('hf_repo = "google/gemma-3-27b-it"', f'hf_repo = "google/gemma-5-{size}-it"')
                       .replace('family = "Gemma 3"', 'family = "Gemma 5"'))
    (tmp_path / "gemma5.toml").write_text("".join(entries))
    err = one_line_error(run("estimate", "gemma 5", "--catalog", str(tmp_path)))
    assert "is ambiguous" in err and sorted(candidates(err)) == ["gemma-5-12b-it", "gemma-5-31b-it"]
    r = run("estimate", "gemma 5 31b", "--json", "--catalog", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["model"]["id"] == "gemma-5-31b-it"
