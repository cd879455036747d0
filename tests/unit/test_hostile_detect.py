"""Hostile tool output: whatever nvidia-smi or rocm-smi print, detection never raises, keeps
each GPU's own figures, reads a bounded amount, and says what it assumed."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_detect import FIX, _tool, fake_runner
from vramtui.catalog.loader import load_catalog
from vramtui.core.units import GIB, MIB

from vramtui.sources import detect as d
from vramtui.sources.detect import match, parse, probe

EXAMPLES = int(os.environ.get("VRAMTUI_FUZZ_EXAMPLES", "15"))
pytestmark = pytest.mark.fuzz
UUID = "GPU-a1a2a3a4-b1b2-c1c2-d1d2-e1e2e3e4e5e6"


@pytest.fixture(scope="module")
def cat():
    return SimpleNamespace(gpus=load_catalog([FIX / "catalog"], builtin=False).gpus, devices={})


odd_numbers = st.one_of(
    st.integers(0, 200_000).map(str),
    st.sampled_from(["²", "١٢٣", "１２８", "24564²", "1e400", "inf", "nan", "-5", "9" * 5000, "[N/A]", "",
                     "24564.5", "0x10", "½", " 80 ", "0"]),
    st.text(max_size=6).filter(lambda t: "," not in t),  # only a name may hold a comma
)


@st.composite
def smi_lines(draw):
    index = draw(st.one_of(st.integers(0, 9).map(str), odd_numbers))
    name = draw(st.one_of(st.sampled_from(["NVIDIA GeForce RTX 4090", "NVIDIA H100 80GB HBM3", "Weird, Card"]),
                          st.text(max_size=20)))
    total, used, free = draw(odd_numbers), draw(odd_numbers), draw(odd_numbers)
    uuid = draw(st.sampled_from([UUID, "[N/A]", "", "x"]))
    return index, name, total, used, free, uuid


def ascii_whole(text: str) -> bool:
    t = text.strip()
    return t.isascii() and t.isdigit() and len(t) <= 4


def not_a_name(name: str) -> bool:
    """nvidia-smi's placeholders ("[N/A]", "[Not Supported]", "N/A") and blanks are no GPU name."""
    t = name.strip()
    return not t or (t.startswith("[") and t.endswith("]")) or t.lower() in ("n/a", "na", "not supported")


def mib_of(text: str) -> int | None:
    """A memory figure as nvidia-smi prints it (MiB, ASCII decimals), in bytes; None for anything else."""
    t = text.strip()
    if len(t) > 32 or not re.fullmatch(r"[0-9]+(\.[0-9]*)?", t) or float(t) > 1e9:
        return None
    return int(float(t) * MIB)


@settings(max_examples=EXAMPLES * 4, deadline=None)
@given(lines=st.lists(smi_lines(), max_size=6))
def test_nvidia_smi_output_of_any_shape_keeps_each_gpus_own_figures(lines) -> None:
    text = "\n".join(", ".join(fields) for fields in lines)
    gpus = parse.parse_nvidia_smi_csv(text)  # never raises: that is the first property
    expected = []
    for index, name, total, used, _free, uuid in lines:
        if any(len(f.splitlines()) > 1 or f[-1:] in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029" and f
               for f in (index, name, total, used, _free, uuid)):
            return  # a field with a line break makes several lines: not this generator's case
        if not ascii_whole(index):
            continue
        if mib_of(total) is None and not uuid.startswith("GPU-"):
            continue
        # a comma inside a name cannot be told from a separator's spacing: it reads back as ", "
        shown = ", ".join(part.strip() for part in name.split(",")).strip()
        if not_a_name(shown) or len(shown) > 200:
            continue
        expected.append((int(index), shown, mib_of(total), mib_of(used)))
    got = [(g.index, g.name, g.memory_total_bytes, g.memory_used_bytes) for g in gpus]
    assert got == expected


@pytest.mark.parametrize("h100_first", [True, False])
def test_two_gpus_with_the_same_index_keep_their_own_names_and_memory(cat, h100_first) -> None:
    lines = [f"0, NVIDIA GeForce RTX 4090, 24564, 0, 24564, {UUID}",
             f"0, NVIDIA H100 80GB HBM3, 81559, 0, 81559, {UUID}"]
    text = "\n".join(lines[::-1] if h100_first else lines) + "\n"
    m = probe.detect_machine(0.5, "Linux", fake_runner({"nvidia-smi --query-gpu=index,name,memory.total,"
                                                        "memory.used,memory.free,uuid": (text, None)}),
                             str(FIX / "meminfo.txt"))
    target = match.machine_target(m, cat)
    listed = {(g["name"], g["memory_total_bytes"], g["catalog_id"]) for g in d.machine_json(m, target, cat)["gpus"]}
    assert listed == {("NVIDIA GeForce RTX 4090", 24564 * MIB, "rtx-4090"),
                      ("NVIDIA H100 80GB HBM3", 81559 * MIB, "h100-sxm")}
    # the target is one of them, with its own memory, never one card's name with the other's memory
    hw = target.hardware
    assert (hw.name, hw.memory_bytes) in {(cat.gpus["rtx-4090"].name, 24564 * MIB),
                                          (cat.gpus["h100-sxm"].name, 81559 * MIB)}


def test_a_gpu_reporting_zero_memory_is_said_plainly(cat) -> None:
    known = parse.Machine("Linux", 64 * GIB, gpus=(parse.DetectedGpu(0, "NVIDIA GeForce RTX 4090", "NVIDIA", 0),))
    t = match.machine_target(known, cat)
    assert t.hardware is not None and t.hardware.memory_bytes == round(24 * GIB)
    assert any("reports 0 MiB" in n and "assumed the catalog's 24.0 GiB" in n for n in t.notes)
    unknown = parse.Machine("Linux", 64 * GIB, gpus=(parse.DetectedGpu(0, "Mystery Card 9000", "NVIDIA", 0),))
    t = match.machine_target(unknown, cat)
    assert t.hardware is None and "reports 0 MiB" in t.label
    assert f"GPU: {t.label}" in d.machine_lines(unknown, t)


rocm_docs = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.sampled_from(["²", "1e400"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(
        st.one_of(st.sampled_from(["card0", "card1", "card²", "card" + "9" * 50, "VRAM Total Memory (B)",
                                   "Card Series"]), st.text(max_size=5)), inner, max_size=3)),
    max_leaves=12,
)


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(doc=rocm_docs, deep=st.sampled_from([0, 40, 5000]))
def test_rocm_smi_output_of_any_shape_never_raises(doc, deep) -> None:
    text = "WARNING: x\n" + "[" * deep + json.dumps(doc) + "]" * deep
    for g in parse.parse_rocm_smi_json(text):
        assert g.index < 10_000 and (g.memory_total_bytes is None or g.memory_total_bytes < 1 << 50)
    csv_text = "device,VRAM Total Memory (B),Card Series\ncard0," + json.dumps(doc) + ",x" * (deep // 100)
    parse.parse_rocm_smi_csv(csv_text)
    parse.parse_rocm_smi_csv("device,Card Series\ncard0," + "x" * 200_000)  # a field beyond csv's limit


@pytest.mark.skipif(os.name == "nt", reason="POSIX executables")
def test_a_tool_flooding_its_output_is_cut_off(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    line = f"0, NVIDIA GeForce RTX 4090, 24564, 0, 24564, {UUID}\n"
    _tool(tmp_path, "nvidia-smi", f"import sys\nwhile True: sys.stdout.write({line!r} * 1000)")
    out, why = probe.run_tool(["nvidia-smi"], 30.0)
    assert out is None and "printed more than 1 MiB" in why
    m = probe.detect_machine(30.0, "Linux", meminfo_path=str(FIX / "meminfo.txt"))
    assert m.gpus == () and any("printed more than" in n for n in m.notes)


@pytest.mark.skipif(os.name == "nt", reason="POSIX executables")
def test_thousands_of_gpu_lines_are_read_up_to_the_bound(tmp_path: Path, monkeypatch, cat) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    line = f"{{}}, NVIDIA GeForce RTX 4090, 24564, 0, 24564, {UUID}\n"
    _tool(tmp_path, "nvidia-smi", f"import sys\nfor i in range(8000): sys.stdout.write({line!r}.format(i % 10000))")
    m = probe.detect_machine(30.0, "Linux", meminfo_path=str(FIX / "meminfo.txt"))
    assert len(m.gpus) == parse.MAX_GPUS
    assert any(f"more than {parse.MAX_GPUS} GPUs" in n for n in m.notes)
    assert match.machine_target(m, cat).hardware.gpu_count == parse.MAX_GPUS
