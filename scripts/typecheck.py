"""Run mypy over the whole installed package, `vramtui` with its core, catalog and app.

The folders core/, catalog/ and tui/ install as vramtui.core, vramtui.catalog and vramtui.tui
(pyproject's package-dir), a mapping mypy cannot read. This builds the same tree from
symlinks under build/typecheck (folders, so a new module needs no rebuild) and checks it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def link_tree() -> Path:
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    top = ROOT / "build" / "typecheck"
    pkg = top / "vramtui"
    pkg.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for p in (ROOT / mapping["vramtui"]).iterdir() if p.suffix == ".py" or p.is_dir()}
    wanted |= {name.split(".", 1)[1]: ROOT / folder for name, folder in mapping.items() if name != "vramtui"}
    for link in pkg.iterdir():
        if link.name not in wanted:
            link.unlink()
    for name, target in wanted.items():
        link = pkg / name
        if not link.is_symlink() or Path(os.readlink(link)) != target:
            link.unlink(missing_ok=True)
            link.symlink_to(target)
    return top


if __name__ == "__main__":
    env = {**os.environ, "MYPYPATH": str(link_tree())}
    sys.exit(subprocess.call([sys.executable, "-m", "mypy", "-p", "vramtui"], env=env, cwd=ROOT))
