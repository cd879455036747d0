"""The installed package: one top-level name, its data inside, and it runs from a fresh venv."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools writes build/ and *.egg-info beside the sources.
    src = out / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "tests"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        check=True, capture_output=True, timeout=300,
    )
    (path,) = out.glob("vramtui-*.whl")
    return path


def test_the_wheel_installs_one_top_level_name_with_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"vramtui", wheel.name.split("-py3")[0] + ".dist-info"}
    for needed in ("vramtui/catalog/data/models.toml", "vramtui/catalog/data/gpus.toml",
                   "vramtui/tui/app.tcss", "vramtui/tui/help.md", "vramtui/core/estimate.py",
                   "vramtui/__main__.py", "vramtui/sources/detect/probe.py"):
        assert needed in names


def test_a_fresh_venv_runs_the_wheel_and_has_no_generic_modules(wheel: Path, tmp_path: Path) -> None:
    env = tmp_path / "env"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "-q", str(wheel)], check=True, capture_output=True, timeout=300)
    # The dependencies (textual, pydantic, ...) come from the test environment, after the wheel.
    (site / "zz_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([python, *args], capture_output=True, text=True, cwd=tmp_path, timeout=120)

    version = run("-m", "vramtui", "--version")
    assert version.returncode == 0 and version.stdout.startswith("vramtui 0."), version.stderr
    where = run("-c", "import vramtui.catalog.loader as m; print(m.__file__)")
    assert where.stdout.strip().startswith(str(site)), where.stdout  # the wheel's copy, not the checkout
    est = run("-m", "vramtui", "estimate", "llama-3.1-8b-instruct", "--json")
    assert est.returncode == 0 and '"llama-3.1-8b-instruct"' in est.stdout, est.stderr
    assert (env / "bin" / "vramtui").exists()
    for generic in ("core", "catalog", "tui", "cli"):
        r = run("-c", f"import {generic}")
        assert r.returncode != 0 and "ModuleNotFoundError" in r.stderr, generic
