"""The layers, enforced: core ← catalog ← application (with its sources) ← front-ends.

Every import of every module is read from its source (module level and inside functions
alike: a deferred import still depends), so a new module cannot cross a layer unnoticed.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"vramtui": ROOT / "vramtui", "vramtui.core": ROOT / "core", "vramtui.catalog": ROOT / "catalog",
           "vramtui.tui": ROOT / "tui"}


def modules() -> dict[str, Path]:
    out = {}
    for package, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            if package == "vramtui" and path.parent.name in ("core", "catalog", "tui"):
                continue
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join((package, *parts))] = path
    return out


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


ALL = modules()


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


# The application layer: selection -> answer, the FAQ, formatting, parsing and resolving input.
APPLICATION = {"vramtui.answers", "vramtui.faq", "vramtui.format", "vramtui.parse", "vramtui.resolve",
               "vramtui.serving", "vramtui.fit", "vramtui.receipt"}
BELOW_FRONT_ENDS = {"vramtui.core", "vramtui.catalog", "vramtui.sources", *APPLICATION}
# who may import what: a module may import the layers listed for its own (vramtui.core.errors,
# the one error root, is in the core and so open to all)
LAYERS = {
    "vramtui.core": {"vramtui.core"},
    "vramtui.catalog": {"vramtui.core", "vramtui.catalog"},
    "vramtui.sources": {"vramtui.core", "vramtui.catalog", "vramtui.sources", "vramtui.format"},
    **{m: BELOW_FRONT_ENDS for m in APPLICATION},
    "vramtui.tui": {*BELOW_FRONT_ENDS, "vramtui.tui"},
    "vramtui.cli": {*BELOW_FRONT_ENDS, "vramtui.cli"},
}


def layer_of(module: str) -> str | None:
    return next((layer for layer in sorted(LAYERS, key=len, reverse=True) if _under(module, layer)), None)


def violations(module: str, path: Path) -> list[str]:
    """The vramtui modules `module` imports that its layer may not."""
    layer = layer_of(module)
    assert layer is not None, f"{module} belongs to no layer: add it to LAYERS"
    ours = {name for name in imports(path) if _under(name, "vramtui") and name != "vramtui"}
    return sorted(n for n in ours if not any(_under(n, a) for a in LAYERS[layer]))


@pytest.mark.parametrize("module", sorted(m for m in ALL if m not in ("vramtui", "vramtui.__main__")))
def test_each_module_imports_only_its_layer_and_below(module: str) -> None:
    assert not violations(module, ALL[module]), f"{module} imports {violations(module, ALL[module])}"


@pytest.mark.parametrize("module,line", [
    ("vramtui.tui.screens.prompt", "from vramtui.cli import parse_context"),
    ("vramtui.cli", "from vramtui.tui.app import run_app"),
    ("vramtui.core.estimate", "from vramtui.catalog.entries import ModelEntry"),
    ("vramtui.core.kv", "import vramtui.format"),
    ("vramtui.catalog.loader", "    from vramtui.answers import answer"),
])
def test_the_check_catches_an_import_across_layers(tmp_path: Path, module: str, line: str) -> None:
    path = tmp_path / "m.py"
    path.write_text(f"def f():\n{line}\n" if line.startswith(" ") else line + "\n")
    assert violations(module, path)


def test_generic_top_level_imports_are_gone() -> None:
    for module, path in ALL.items():
        generic = {n for n in imports(path) if n.split(".")[0] in ("core", "catalog", "tui", "cli")}
        assert not generic, f"{module} imports {generic}: write vramtui.{next(iter(generic))}"


def test_the_core_imports_no_third_party_package() -> None:
    stdlib = sys.stdlib_module_names
    for module, path in ALL.items():
        if _under(module, "vramtui.core"):
            outside = {n.split(".")[0] for n in imports(path)} - stdlib - {"vramtui", "__future__"}
            assert not outside, f"{module} imports {outside}"


def test_the_cli_and_the_core_never_import_textual_at_run_time() -> None:
    code = ("import sys, vramtui.__main__ as m; m.main(['estimate', 'llama-3.1-8b-instruct', '--json']); "
            "import vramtui.core.estimate, vramtui.answers, vramtui.faq; "
            "assert not [k for k in sys.modules if k.startswith(('textual', 'vramtui.tui'))], 'textual imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
