"""Detection of this machine, against recorded tool outputs in the formats the tools document.

Fixtures (tests/unit/fixtures/detect/):
- nvidia-smi `--query-gpu=index,name,memory.total,memory.used,memory.free,uuid
  --format=csv,noheader,nounits`: one GPU, eight H100s, mixed cards, a busy A100, a MIG A100
  ("[N/A]" fields), a GPU the catalog lacks, a GB10 (DGX Spark, no memory of its own);
  `nvidia-smi -L` with MIG instances; the driver-failure message; garbage.
- rocm-smi `--showproductname --showmeminfo vram --json` (new and old key spellings, with a
  warning before the JSON) and `--csv`.
- macOS `sysctl -n machdep.cpu.brand_string hw.memsize`, `system_profiler SPDisplaysDataType`.
- /proc/meminfo.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from vramtui.catalog.loader import load_catalog
from vramtui.core.hardware import APPLE, GPU, MULTI_GPU, UNIFIED
from vramtui.core.units import GIB, MIB

from vramtui.sources import detect as d
from vramtui.sources.detect import match, parse, probe

FIX = Path(__file__).parent / "fixtures" / "detect"
ROOT = Path(__file__).resolve().parents[2]


def fixture(name: str) -> str:
    return (FIX / name).read_bytes().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def cat():
    gpus = load_catalog([FIX / "catalog"], builtin=False).gpus
    return SimpleNamespace(gpus=gpus, devices=load_catalog().devices)


def fake_runner(outputs: dict[str, tuple[str | None, str | None]]):
    """A runner answering each tool (by argv[0], or argv[0] + first flag) with a recorded output."""

    def run(argv, timeout):
        for key in (" ".join(argv[:2]), argv[0]):
            if key in outputs:
                return outputs[key]
        return None, f"{argv[0]}: not found"

    return run


def machine(outputs, system="Linux", meminfo="meminfo.txt") -> parse.Machine:
    return probe.detect_machine(0.5, system, fake_runner(outputs), str(FIX / meminfo))


# ---------------------------------------------------------------- parsers


def test_nvidia_one_gpu():
    [g] = parse.parse_nvidia_smi_csv(fixture("nvidia-smi-one.csv"))
    assert (g.index, g.name, g.vendor) == (0, "NVIDIA GeForce RTX 4090", "NVIDIA")
    assert g.memory_total_bytes == 24564 * MIB
    assert g.memory_used_bytes == 1133 * MIB and g.memory_free_bytes == 23019 * MIB
    assert g.uuid.startswith("GPU-")


def test_nvidia_recorded_on_a_real_h200(cat):
    # Recorded with the exact command on one H200 (driver 580.159.04).
    [g] = parse.parse_nvidia_smi_csv(fixture("nvidia-smi-h200-recorded.csv"))
    assert (g.name, g.memory_total_bytes, g.memory_used_bytes) == ("NVIDIA H200", 143771 * MIB, 0)
    assert parse.parse_nvidia_smi_list(fixture("nvidia-smi-h200-recorded-list.txt")) == []  # MIG off
    assert match.match_gpu(g.name, g.memory_total_bytes, cat.gpus.values()).id == "h200-sxm"


def test_nvidia_several_gpus():
    gpus = parse.parse_nvidia_smi_csv(fixture("nvidia-smi-eight-h100.csv"))
    assert [g.index for g in gpus] == list(range(8))
    assert {g.name for g in gpus} == {"NVIDIA H100 80GB HBM3"}


def test_nvidia_na_fields_are_unknown_not_errors():
    [g] = parse.parse_nvidia_smi_csv(fixture("nvidia-smi-mig.csv"))
    assert g.memory_total_bytes == 81920 * MIB
    assert g.memory_used_bytes is None and g.memory_free_bytes is None
    [spark] = parse.parse_nvidia_smi_csv(fixture("nvidia-smi-gb10.csv"))
    assert spark.name == "NVIDIA GB10" and spark.memory_total_bytes is None


def test_nvidia_mig_listing():
    migs = parse.parse_nvidia_smi_list(fixture("nvidia-smi-mig-list.txt"))
    assert [(m.gpu_index, m.device, m.profile) for m in migs] == [
        (0, 0, "3g.40gb"),
        (0, 1, "2g.20gb"),
        (0, 2, "1g.10gb"),
    ]
    assert migs[0].memory_bytes == 40 * GIB
    assert parse.parse_nvidia_smi_list(fixture("nvidia-smi-one.csv")) == []


@pytest.mark.parametrize(
    "name", ["garbage.txt", "nvidia-smi-failed.txt", "rocm-smi-mi300x.json", "meminfo.txt"]
)
def test_nvidia_parser_rejects_other_text(name):
    assert parse.parse_nvidia_smi_csv(fixture(name)) == []


def test_rocm_json_new_keys():
    gpus = parse.parse_rocm_smi_json(fixture("rocm-smi-mi300x.json"))
    assert [(g.index, g.name, g.vendor) for g in gpus] == [
        (0, "AMD Instinct MI300X", "AMD"),
        (1, "AMD Instinct MI300X", "AMD"),
    ]
    assert gpus[0].memory_total_bytes == 205822885888
    assert gpus[0].memory_free_bytes == 205822885888 - 283115520


def test_rocm_json_old_keys_after_a_warning():
    [g] = parse.parse_rocm_smi_json(fixture("rocm-smi-7900xtx.json"))
    assert g.name == "Navi 31 [Radeon RX 7900 XT/7900 XTX]"
    assert g.memory_total_bytes == 25753026560


def test_rocm_csv():
    [g] = parse.parse_rocm_smi_csv(fixture("rocm-smi-mi210.csv"))
    assert (g.name, g.memory_total_bytes, g.memory_used_bytes) == (
        "AMD Instinct MI210",
        68702699520,
        10993664,
    )


@pytest.mark.parametrize("name", ["garbage.txt", "nvidia-smi-one.csv", "nvidia-smi-failed.txt"])
def test_rocm_parsers_reject_other_text(name):
    assert parse.parse_rocm_smi_json(fixture(name)) == []
    assert parse.parse_rocm_smi_csv(fixture(name)) == []


def test_rocm_json_of_the_wrong_shape():
    assert parse.parse_rocm_smi_json('{"card0": "x", "system": {"Driver version": "6.8"}}') == []
    assert parse.parse_rocm_smi_json("[1, 2, 3]") == []


def test_macos_sysctl_and_system_profiler():
    brand, memory = parse.parse_sysctl(fixture("sysctl-m2-max.txt"))
    assert (brand, memory) == ("Apple M2 Max", 32 * GIB)
    assert parse.apple_chip_name(brand) == "M2 Max"
    assert parse.apple_chip_name("Apple M1") == "M1"
    assert parse.apple_chip_name(parse.parse_sysctl(fixture("sysctl-intel.txt"))[0]) is None
    assert parse.parse_system_profiler_displays(fixture("system-profiler-m2-max.txt")) == 38
    assert parse.parse_system_profiler_displays(fixture("garbage.txt")) is None


def test_meminfo():
    assert parse.parse_meminfo(fixture("meminfo.txt")) == (65843668 * 1024, 58712340 * 1024)
    assert parse.parse_meminfo(fixture("garbage.txt")) == (None, None)


# ---------------------------------------------------------------- matching to the catalog


@pytest.mark.parametrize(
    ("name", "mib", "expected"),
    [
        ("NVIDIA GeForce RTX 4090", 24564, "rtx-4090"),
        ("NVIDIA GeForce RTX 4090 Laptop GPU", 16376, "rtx-4090-laptop"),
        ("NVIDIA GeForce RTX 3060", 12288, "rtx-3060-12gb"),
        ("NVIDIA GeForce RTX 3060", 8192, "rtx-3060-8gb"),
        ("NVIDIA H100 80GB HBM3", 81559, "h100-sxm"),
        ("NVIDIA H100 PCIe", 81559, "h100-pcie"),
        ("NVIDIA H100 NVL", 95830, "h100-nvl"),
        ("NVIDIA H200", 143771, "h200-sxm"),
        ("NVIDIA A100-SXM4-80GB", 81920, "a100-sxm4-80gb"),
        ("NVIDIA A100-SXM4-40GB", 40960, "a100-sxm4-40gb"),
        ("Tesla T4", 15360, "tesla-t4"),
        ("AMD Instinct MI300X", 196288, "instinct-mi300x"),
        ("Navi 31 [Radeon RX 7900 XT/7900 XTX]", 24560, "rx-7900-xtx"),
        ("Navi 31 [Radeon RX 7900 XT/7900 XTX]", 20464, "rx-7900-xt"),
        ("NVIDIA A10G", 23028, None),
        ("NVIDIA GB10", None, None),
    ],
)
def test_match_gpu(cat, name, mib, expected):
    entry = match.match_gpu(name, mib * MIB if mib else None, cat.gpus.values())
    assert (entry.id if entry else None) == expected


def test_one_gpu_target(cat):
    m = machine(
        {
            "nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free,uuid": (
                fixture("nvidia-smi-one.csv"),
                None,
            )
        }
    )
    t = match.machine_target(m, cat)
    hw = t.hardware
    assert hw is not None and hw.kind == GPU and hw.gpu_count == 1
    assert hw.memory_bytes == 24564 * MIB  # as detected, not the marketing figure
    assert hw.bandwidth_gbps == 1008.0 and t.bandwidth_known and t.catalog_id == "rtx-4090"
    assert m.ram_bytes == 65843668 * 1024


def test_eight_identical_gpus_are_one_multi_gpu_target(cat):
    m = machine(
        {
            "nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free,uuid": (
                fixture("nvidia-smi-eight-h100.csv"),
                None,
            )
        }
    )
    hw = match.machine_target(m, cat).hardware
    assert hw.kind == MULTI_GPU and hw.gpu_count == 8
    assert hw.memory_bytes == 81559 * MIB and hw.bandwidth_gbps == 3350.0
    assert hw.usable_bytes == 8 * 81559 * MIB


def test_mixed_gpus_pick_one_group_and_say_so(cat):
    m = machine(
        {
            "nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free,uuid": (
                fixture("nvidia-smi-mixed.csv"),
                None,
            )
        }
    )
    t = match.machine_target(m, cat)
    assert t.hardware.gpu_count == 1
    assert any("Mixed GPUs" in n for n in t.notes)


def test_busy_gpu_reports_free_memory(cat):
    m = machine(
        {
            "nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free,uuid": (
                fixture("nvidia-smi-busy.csv"),
                None,
            )
        }
    )
    t = match.machine_target(m, cat)
    assert t.free_bytes == 10193 * MIB
    assert any("busy" in n for n in t.notes)
    assert t.hardware.memory_bytes == 81920 * MIB


def test_mig_instance_is_the_target(cat):
    m = machine(
        {
            "nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free,uuid": (
                fixture("nvidia-smi-mig.csv"),
                None,
            ),
            "nvidia-smi -L": (fixture("nvidia-smi-mig-list.txt"), None),
        }
    )
    assert len(m.gpus[0].mig) == 3
    t = match.machine_target(m, cat)
    assert t.hardware.memory_bytes == 40 * GIB
    assert "3g.40gb" in t.hardware.name
    assert t.hardware.bandwidth_gbps == pytest.approx(2039.0 * 40 / 80)
    assert any("MIG" in n for n in t.notes)


def test_unmatched_gpu_keeps_its_memory_and_says_bandwidth_unknown(cat):
    m = machine(
        {
            "nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free,uuid": (
                fixture("nvidia-smi-unknown.csv"),
                None,
            )
        }
    )
    t = match.machine_target(m, cat)
    assert t.hardware.memory_bytes == 23028 * MIB
    assert t.hardware.bandwidth_gbps == 0.0 and not t.bandwidth_known
    assert "bandwidth unknown" in t.label
    out = d.machine_json(m, t, cat)
    assert out["target"]["bandwidth_gbps"] is None and out["target"]["bandwidth_known"] is False


def test_gpu_without_own_memory_is_a_unified_machine(cat):
    m = machine(
        {
            "nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free,uuid": (
                fixture("nvidia-smi-gb10.csv"),
                None,
            )
        },
        meminfo="meminfo.txt",
    )
    t = match.machine_target(m, cat)
    assert t.hardware.kind == UNIFIED and t.catalog_id == "nvidia-dgx-spark-128gb"


def test_amd_gpus(cat):
    m = machine({"rocm-smi": (fixture("rocm-smi-mi300x.json"), None)})
    t = match.machine_target(m, cat)
    assert t.hardware.gpu_count == 2 and t.catalog_id == "instinct-mi300x"
    assert t.hardware.memory_bytes == 205822885888


def test_amd_csv_when_json_fails(cat):
    m = machine(
        {
            "rocm-smi": (None, "rocm-smi: exit status 2 (unrecognized arguments: --json)"),
            "rocm-smi --showproductname": (None, "rocm-smi: exit status 2"),
        }
    )
    assert m.gpus == ()
    runs = {"rocm-smi": (None, "x")}

    def run(argv, timeout):
        if argv[-1] == "--csv":
            return fixture("rocm-smi-mi210.csv"), None
        return runs.get(argv[0], (None, f"{argv[0]}: not found"))

    m = probe.detect_machine(0.5, "Linux", run, str(FIX / "meminfo.txt"))
    t = match.machine_target(m, cat)
    assert m.gpus[0].name == "AMD Instinct MI210"
    assert not t.bandwidth_known  # not in the fixture catalog


def test_apple_silicon(cat):
    m = machine(
        {
            "sysctl": (fixture("sysctl-m2-max.txt"), None),
            "system_profiler": (fixture("system-profiler-m2-max.txt"), None),
        },
        system="Darwin",
    )
    assert m.apple is not None and m.apple.gpu_cores == 38 and m.ram_bytes == 32 * GIB
    t = match.machine_target(m, cat)
    assert t.hardware.kind == APPLE and t.hardware.memory_bytes == 32 * GIB
    assert t.bandwidth_known and t.hardware.bandwidth_gbps == 400.0
    assert t.hardware.usable_bytes < t.hardware.memory_bytes  # never the whole unified memory


def test_intel_mac_has_no_gpu(cat):
    m = machine({"sysctl": (fixture("sysctl-intel.txt"), None)}, system="Darwin")
    t = match.machine_target(m, cat)
    assert t.hardware is None and m.ram_bytes == 32 * GIB


@pytest.mark.parametrize(
    "outputs",
    [
        {},  # no tool at all
        {"nvidia-smi": (None, "nvidia-smi: exit status 9 (NVIDIA-SMI has failed)")},
        {
            "nvidia-smi": (None, "nvidia-smi: no answer within 0.5 s"),
            "rocm-smi": (None, "rocm-smi: no answer within 0.5 s"),
        },
        {"nvidia-smi": (fixture("garbage.txt"), None), "rocm-smi": (fixture("garbage.txt"), None)},
        {"nvidia-smi": ("", None), "rocm-smi": ("{}", None)},
    ],
)
def test_no_gpu_detected_never_raises(cat, outputs):
    m = machine(outputs)
    t = match.machine_target(m, cat)
    assert m.gpus == () and t.hardware is None and t.label == match.NO_GPU
    out = d.machine_json(m, t, cat)
    assert out["message"] == match.NO_GPU and out["system_ram_bytes"] == 65843668 * 1024
    assert any("no GPU detected" in line for line in d.machine_lines(m, t))
    json.dumps(out)


# ---------------------------------------------------------------- the real runner, with fake tools on PATH


def _tool(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!{sys.executable}\n{body}\n")
    path.chmod(0o755)


@pytest.mark.skipif(os.name == "nt", reason="POSIX executables")
def test_run_tool_no_tool_on_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert probe.run_tool(["nvidia-smi", "-L"], 1.0) == (None, "nvidia-smi: not found")
    m = probe.detect_machine(1.0, "Linux", meminfo_path=str(FIX / "meminfo.txt"))
    assert m.gpus == () and m.ram_bytes == 65843668 * 1024
    assert "nvidia-smi: not found" in m.notes and "rocm-smi: not found" in m.notes


@pytest.mark.skipif(os.name == "nt", reason="POSIX executables")
def test_run_tool_timeout_failure_garbage(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    _tool(tmp_path, "nvidia-smi", "import time; time.sleep(30)")  # the fake tool hangs; the test does not wait
    out, why = probe.run_tool(["nvidia-smi"], 0.3)
    assert out is None and "no answer" in why
    _tool(
        tmp_path,
        "nvidia-smi",
        'import sys; print("NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver."); '
        "sys.exit(9)",
    )
    out, why = probe.run_tool(["nvidia-smi"], 2.0)
    assert out is None and "exit status 9" in why and "NVIDIA-SMI has failed" in why
    _tool(
        tmp_path, "nvidia-smi", "import sys; sys.stdout.buffer.write(b'\\xff\\xfe garbage,,,\\n')"
    )
    _tool(tmp_path, "rocm-smi", "print('not json')")
    m = probe.detect_machine(2.0, "Linux", meminfo_path=str(FIX / "meminfo.txt"))
    assert m.gpus == () and m.notes


@pytest.mark.skipif(os.name == "nt", reason="POSIX executables")
def test_run_tool_reads_a_working_tool(tmp_path, monkeypatch, cat):
    monkeypatch.setenv("PATH", str(tmp_path))
    _tool(
        tmp_path,
        "nvidia-smi",
        f"import sys; sys.stdout.write(open({str(FIX / 'nvidia-smi-eight-h100.csv')!r}).read())",
    )
    m = probe.detect_machine(5.0, "Linux", meminfo_path=str(FIX / "meminfo.txt"))
    assert len(m.gpus) == 8 and match.machine_target(m, cat).hardware.gpu_count == 8


@pytest.mark.skipif(os.name == "nt", reason="POSIX executables")
@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_cli_detect_without_any_tool(tmp_path, extra):
    """`vramtui detect` with no GPU tool on PATH: system RAM, "no GPU detected", exit 0, no Textual."""
    env = {**os.environ, "PATH": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    code = (
        "import sys, vramtui.__main__ as cli; rc = cli.main(['detect', *sys.argv[1:]]); "
        "assert 'textual' not in sys.modules, 'textual imported'; sys.exit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    if extra:
        out = json.loads(done.stdout)
        assert out["gpu_detected"] is False and out["message"] == "no GPU detected"
        if sys.platform.startswith("linux"):
            assert out["system_ram_bytes"] > 0
    else:
        assert "no GPU detected" in done.stdout
        assert "System RAM:" in done.stdout


@pytest.mark.parametrize(
    ("name", "mib", "expected"),
    [
        (
            "NVIDIA GeForce RTX 3060 Ti",
            8192,
            "rtx-3060-ti",
        ),  # not "RTX 3060 8GB": "Ti" must be explained
        ("NVIDIA GeForce RTX 4070 Ti SUPER", 16376, "rtx-4070-ti-super"),
        ("NVIDIA H200 NVL", 143771, "h200-nvl"),
        ("NVIDIA TITAN RTX", 24576, "titan-rtx"),  # no model number: the whole name must match
        ("NVIDIA A100 80GB PCIe", 81920, "a100-pcie-80gb"),
        (
            "NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition",
            97887,
            "rtx-pro-6000-blackwell-max-q",
        ),
    ],
)
def test_match_gpu_in_the_builtin_catalog(name, mib, expected):
    gpus = load_catalog().gpus
    assert expected in gpus, f"{expected} is not in the built-in catalog"
    assert match.match_gpu(name, mib * MIB, gpus.values()).id == expected
