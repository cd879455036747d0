"""The catalog as of 2026-12: every family the issue names resolves offline by its repo id,
and models vramtui cannot size yet are listed with what is missing, never given a number."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from vramtui.catalog.loader import CatalogError, load_catalog
from vramtui.core.errors import Unsupported

# One canonical repo id per family of issue #12 (as a user would paste it, any case).
FAMILY_REPOS = {
    "Gemma 4": "google/gemma-4-31B-it", "Gemma 4 MoE": "google/gemma-4-26B-A4B-it",
    "Gemma 4 E": "google/gemma-4-E4B-it", "Gemma 3n": "google/gemma-3n-E2B-it",
    "Qwen3.5": "Qwen/Qwen3.5-9B-Base", "Qwen3.6": "Qwen/Qwen3.6-27B", "Qwen3-Coder-Next": "Qwen/Qwen3-Coder-Next",
    "GLM-4.7": "zai-org/GLM-4.7", "GLM-4.7-Flash": "zai-org/GLM-4.7-Flash", "GLM-5.x": "zai-org/GLM-5.1",
    "Kimi K2.5": "moonshotai/Kimi-K2.5", "Kimi Linear": "moonshotai/Kimi-Linear-48B-A3B-Instruct",
    "MiniMax M2.5": "MiniMaxAI/MiniMax-M2.5", "MiniMax M3": "MiniMaxAI/MiniMax-M3",
    "DeepSeek V3.2": "deepseek-ai/DeepSeek-V3.2",
    "Nemotron 3 Nano": "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16",
    "Nemotron 3 Super": "nvidia/NVIDIA-Nemotron-3-Super-120B-A12B-BF16",
    "Nemotron 3 Ultra": "nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16",
    "Llama-3.3-Nemotron-Super-49B": "nvidia/Llama-3_3-Nemotron-Super-49B-v1",
    "Granite 4.0-H": "ibm-granite/granite-4.0-h-tiny", "Mistral Small 4": "mistralai/Mistral-Small-4-119B-2603",
    "Ministral 3": "mistralai/Ministral-3-3B-Instruct-2512", "Devstral": "mistralai/Devstral-Small-2505",
    "MiMo-V2": "XiaomiMiMo/MiMo-V2-Flash", "dots.llm1": "rednote-hilab/dots.llm1.inst",
    "EXAONE 4.5": "LGAI-EXAONE/EXAONE-4.5-33B", "Llama 3.2 Vision": "meta-llama/Llama-3.2-11B-Vision",
    "Phi-4 reasoning": "microsoft/Phi-4-reasoning-vision-15B", "Qwen2.5-Coder": "Qwen/Qwen2.5-Coder-7B-Instruct",
    "Command R7B": "CohereLabs/c4ai-command-r7b-12-2024", "Command R": "CohereLabs/c4ai-command-r-08-2024",
    "DeepSeek-Coder-V2-Lite": "deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct",
    "Falcon-H1": "tiiuae/Falcon-H1-0.5B-Instruct", "Hunyuan-A13B": "tencent/Hunyuan-A13B-Instruct",
}
# Listed, but answered with what vramtui lacks (exit 2), not with a number.
UNSIZED_REPOS = {
    "DeepSeek V4": "deepseek-ai/DeepSeek-V4-Flash", "Step 3": "stepfun-ai/step3",
    "LongCat-Flash": "meituan-longcat/LongCat-Flash-Chat",
}

OFFLINE_RUN = textwrap.dedent("""
    import contextlib, io, json, sys
    from vramtui.__main__ import main
    out = {}
    for repo in json.loads(sys.argv[1]):
        so, se = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
            rc = main(["estimate", repo, "--json"])
        out[repo] = [rc, so.getvalue(), se.getvalue()]
    print(json.dumps(out))
""")


def offline_env(tmp_path: Path) -> dict[str, str]:
    """No network, an empty cache: only what ships in the catalog can answer."""
    return dict(os.environ, HF_HUB_OFFLINE="1", XDG_CACHE_HOME=str(tmp_path / "empty-cache"),
                XDG_CONFIG_HOME=str(tmp_path / "config"), HF_HOME=str(tmp_path / "hf"))


def test_every_family_resolves_offline_by_repo_id(tmp_path) -> None:
    repos = [*FAMILY_REPOS.values(), *UNSIZED_REPOS.values()]
    r = subprocess.run([sys.executable, "-c", OFFLINE_RUN, json.dumps(repos)], capture_output=True, text=True,
                       env=offline_env(tmp_path), timeout=120)
    assert r.returncode == 0, r.stderr
    results = json.loads(r.stdout)
    for family, repo in FAMILY_REPOS.items():
        rc, out, err = results[repo]
        assert rc == 0, (family, err)
        assert json.loads(out)["model"]["hf_repo"].lower() == repo.lower(), family
    for family, repo in UNSIZED_REPOS.items():
        rc, out, err = results[repo]
        assert rc == 2 and out == "", family
        assert err.startswith("vramtui: vramtui cannot size ") and " yet: " in err and err.count("\n") == 1, err


def test_estimate_of_an_unsized_model_is_one_line_exit_2(tmp_path) -> None:
    r = subprocess.run([sys.executable, "-m", "vramtui", "estimate", "deepseek-ai/DeepSeek-V4-Pro"],
                       capture_output=True, text=True, env=offline_env(tmp_path), timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("vramtui: vramtui cannot size DeepSeek V4 Pro yet: DeepSeek V4's compressed")
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_models_lists_unsized_models_with_what_is_missing(tmp_path) -> None:
    r = subprocess.run([sys.executable, "-m", "vramtui", "models", "deepseek", "v4", "--json"],
                       capture_output=True, text=True, env=offline_env(tmp_path), timeout=60)
    assert r.returncode == 0, r.stderr
    found = {m["id"]: m for m in json.loads(r.stdout)}
    assert "deepseek-v4-flash" in found and found["deepseek-v4-flash"]["unsupported"].startswith("DeepSeek V4's")
    r = subprocess.run([sys.executable, "-m", "vramtui", "models", "longcat"],
                       capture_output=True, text=True, env=offline_env(tmp_path), timeout=60)
    assert "cannot size yet" in r.stdout and "LongCat-Flash-Chat" in r.stdout


def test_unsized_entries_say_why_and_raise_unsupported(catalog) -> None:
    unsized = [m for m in catalog.models.values() if m.unsupported]
    assert {"deepseek-v4-flash", "deepseek-v4-pro", "step3", "longcat-flash-chat"} <= {m.id for m in unsized}
    for m in unsized:
        assert len(m.unsupported) > 20 and m.release_date and m.source.startswith("https://huggingface.co/")
        with pytest.raises(Unsupported, match=f"cannot size {m.name} yet"):
            _ = m.architecture
        assert m.context_length == 0


ENTRY = """
[[models]]
id = "future"
name = "Future 1T"
hf_repo = "me/future"
publisher = "Me"
family = "Future"
params = 1000000000000
source = "https://huggingface.co/me/future/blob/main/config.json"
"""


@pytest.mark.parametrize("extra,message", [
    ("", "config is required unless"),
    ('unsupported = "   "\n', "unsupported must say what is missing"),
])
def test_an_entry_needs_a_config_or_a_reason(tmp_path, extra, message) -> None:
    (tmp_path / "m.toml").write_text(ENTRY + extra)
    with pytest.raises(CatalogError, match=message):
        load_catalog([tmp_path], builtin=False)


def test_an_unsized_user_entry_needs_no_config(tmp_path) -> None:
    (tmp_path / "m.toml").write_text(ENTRY + 'unsupported = "its new attention is not modelled"\n')
    cat = load_catalog([tmp_path], builtin=False)
    with pytest.raises(Unsupported, match="vramtui cannot size Future 1T yet: its new attention"):
        _ = cat.models["future"].architecture


def test_the_catalog_is_current_to_2026_12(catalog) -> None:
    assert len(catalog.models) >= 300
    assert max(m.release_date for m in catalog.models.values() if m.release_date).year == 2026
