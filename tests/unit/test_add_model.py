"""scripts/add_model.py: a config.json and a few facts become a checked catalog entry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from configs import LLAMA_31_8B
from vramtui.catalog.loader import load_catalog

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "add_model.py"
FACTS = ["--repo", "Acme/Acme-8B-Instruct", "--publisher", "Acme", "--family", "Acme", "--license", "Apache-2.0",
         "--date", "2026-11-30", "--tags", "Chat,Code", "--source-note", "test fixture"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def config(tmp_path) -> Path:
    cfg = dict(LLAMA_31_8B, torch_dtype="bfloat16", auto_map={"AutoModel": "x.Y"}, pad_token_id=None,
               quantization_config={"quant_method": "fp8"}, rope_scaling=dict(LLAMA_31_8B.get("rope_scaling") or {},
                                                                             low_freq_factor=None))
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg))
    return p


def test_prints_a_checked_entry_that_the_catalog_loads(config, tmp_path) -> None:
    r = run(str(config), *FACTS, "--params", "8,030,261,248", "--exact")
    assert r.returncode == 0, r.stderr
    assert "acme-8b-instruct: 8,030,261,248 parameters from the shapes, +0.000%" in r.stderr
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "m.toml").write_text(r.stdout)
    m = load_catalog([tmp_path / "cat"], builtin=False).models["acme-8b-instruct"]
    assert (m.hf_repo, m.params, m.params_exact, str(m.release_date)) == ("Acme/Acme-8B-Instruct", 8030261248, True,
                                                                         "2026-11-30")
    assert m.tags == ("Chat", "Code") and m.source == "https://huggingface.co/Acme/Acme-8B-Instruct/blob/main/config.json"
    # verbatim but for nulls and the re-upload-only blocks
    assert "pad_token_id" not in m.config and "auto_map" not in m.config and "quantization_config" not in m.config
    assert m.config["hidden_size"] == LLAMA_31_8B["hidden_size"]
    assert m.architecture.layers == LLAMA_31_8B["num_hidden_layers"]


def test_a_count_the_shapes_do_not_give_is_refused(config) -> None:
    r = run(str(config), *FACTS, "--params", "7000000000")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("add_model.py: the config's shapes give 8,030,261,248 parameters, +14.72% from")


def test_a_safetensors_index_gives_the_count(config, tmp_path) -> None:
    index = tmp_path / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {"total_size": 8030261248 * 2}, "weight_map": {}}))
    r = run(str(config), *FACTS, "--index", str(index))
    assert r.returncode == 0, r.stderr
    assert "params = 8030261248\nparams_exact = true" in r.stdout


def test_a_repo_already_in_the_catalog_is_refused(config) -> None:
    r = run(str(config), *FACTS[2:], "--repo", "meta-llama/Llama-3.1-8B-Instruct", "--params", "8030261248")
    assert r.returncode == 2 and "already in models.toml as 'llama-3.1-8b-instruct'" in r.stderr


def test_append_adds_the_entry_atomically(config, tmp_path) -> None:
    cat = tmp_path / "models.toml"
    cat.write_text((ROOT / "catalog" / "data" / "models.toml").read_text().split("\n[[models]]\n")[0])
    r = run(str(config), *FACTS, "--params", "8030261248", "--append", "--catalog-file", str(cat))
    assert r.returncode == 0, r.stderr
    r2 = run(str(config), *FACTS, "--params", "8030261248", "--append", "--catalog-file", str(cat))
    assert r2.returncode == 2 and "Acme/Acme-8B-Instruct is already in models.toml" in r2.stderr
    assert cat.read_text().count("[[models]]") == 1 and not list(tmp_path.glob("*.tmp"))


def test_an_unsized_model_is_written_with_its_reason(config) -> None:
    r = run(str(config), *FACTS, "--params", "8030261248", "--unsupported", "its new attention is not modelled")
    assert r.returncode == 0, r.stderr
    assert 'unsupported = "its new attention is not modelled"' in r.stdout and "not sizeable yet" in r.stderr


def test_the_toml_writer_round_trips_nested_configs() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from add_model import to_toml, tomllib  # a script, not a package

    entry = {"id": "x", "name": "X", "config": {"a": [1.5, 2.0e-5], "b": {"c": {"d": "é\"q"}},
                                                   "blocks": [{"attention": {"no_op": True}}], "e": False}}
    assert tomllib.loads(to_toml(entry))["models"][0]["config"] == entry["config"]
