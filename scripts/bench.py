"""Benchmarks: medians of repeated runs, printed. Run with `make bench`.

Measures what a user waits for: a whole `vramtui estimate` process, the app's first
frame (against a bare Textual app showing one DataTable), one full recompute,
catalog loading, and search/recompute over a synthetic 10,000-model catalog; and whole
processes fed hostile input where a freeze could hide (`python scripts/bench.py hostile`
runs only those).
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
MODEL = "deepseek-r1-distill-llama-8b"


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.1f} ms (min {min(samples) * 1000:.1f}, n={len(samples)})"


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_process(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    cpu0, t0 = child_cpu(), time.perf_counter()
    subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0, child_cpu() - cpu0


def bench_cli(env: dict[str, str]) -> None:
    for label, extra in (("--json", ["--json"]), ("tables", [])):
        args = [PY, "-m", "vramtui", "estimate", MODEL, *extra]
        run_process(args, env)  # warm the validated-catalog cache and the OS file cache
        wall, cpu = zip(*(run_process(args, env) for _ in range(9)))
        print(f"vramtui estimate {label:7} wall {median_ms(list(wall))}")
        print(f"vramtui estimate {label:7} CPU  {median_ms(list(cpu))}")


FIRST_FRAME = """
import sys, time
t0 = time.perf_counter()
{setup}
app.call_after_refresh(lambda: (print(time.perf_counter() - t0), app.exit()))
app.run(headless=True, size=(120, 40))
"""
BARE = """
from textual.app import App
from textual.widgets import DataTable
class Bare(App):
    def compose(self):
        yield DataTable()
    def on_mount(self):
        t = self.query_one(DataTable)
        t.add_columns("a", "b")
        t.add_row("1", "2")
app = Bare()
"""
VRAMTUI = """
from vramtui.catalog.loader import load_catalog
from vramtui.catalog.locations import cache_dir
from vramtui.tui.app import VramApp
app = VramApp(load_catalog([], cache_dir=cache_dir()), model_id="{model}")
"""


def first_frame(setup: str, env: dict[str, str]) -> list[float]:
    code = FIRST_FRAME.format(setup=setup)
    out = []
    for _ in range(7):
        t0 = time.perf_counter()
        p = subprocess.run([PY, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "failed")
        out.append(time.perf_counter() - t0)  # whole process: interpreter, imports, first frame
    return out


def bench_app(env: dict[str, str]) -> None:
    try:
        bare = first_frame(BARE, env)
        ours = first_frame(VRAMTUI.format(model=MODEL), env)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print(f"app first frame: not measured ({e})")
        return
    print(f"bare Textual app, first frame  {median_ms(bare)}")
    print(f"vramtui app, first frame       {median_ms(ours)}")
    print(f"ratio to the bare app          {statistics.median(ours) / statistics.median(bare):.2f}x (goal 1.3x)")


def timed(fn, n: int = 15) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def bench_in_process() -> None:
    from vramtui.catalog.loader import load_catalog

    from vramtui.answers import Resolved, Selection, answer

    with tempfile.TemporaryDirectory() as cache:
        print(f"catalog load + validation      {median_ms(timed(load_catalog, 5))}")
        load_catalog(cache_dir=Path(cache))
        print(f"catalog load from cache        {median_ms(timed(lambda: load_catalog(cache_dir=Path(cache)), 15))}")
    cat = load_catalog()
    res = Resolved(cat)
    answer(res, Selection(MODEL))
    n_targets = len(cat.gpus) + len(cat.devices)
    contexts = iter(range(1000, 10**6, 7))
    t = timed(lambda: answer(res, Selection(MODEL, context=next(contexts))), 25)
    n_quants = len(answer(res, Selection(MODEL)).quants)
    print(f"full recompute ({n_quants} quants, {n_targets} targets), new context  {median_ms(t)}")

    bench_search(cat)
    # Synthetic catalog: 10,000 models and 1,000 GPUs, cloned from real entries.
    gpus = list(cat.gpus.values())
    cat.models = synthetic_models(list(cat.models.values()), 10_000)
    cat.gpus = {f"g{i}": replace(gpus[i % len(gpus)], id=f"g{i}", name=f"{gpus[i % len(gpus)].name} #{i}")
                for i in range(1_000)}
    bench_search(cat)
    res = Resolved(cat)
    some = next(iter(cat.models))
    answer(res, Selection(some))
    contexts = iter(range(1000, 10**6, 7))
    t = timed(lambda: answer(res, Selection(some, context=next(contexts))), 10)
    print(f"full recompute over 1,000 GPUs            {median_ms(t)}")


# Multi-word queries chosen to hurt: long names, repeated letters, near-misses, typos, versions the
# catalog lacks, garbage. Each is typed key by key: every prefix is one search, as in the app.
ADVERSARIAL = [
    "mistral large instruct 2411", "deepseek r1 distill llama 70b", "qwen3 coder 480b a35b instruct",
    "llama 3.1 nemotron 70b instruct hf", "mistrall larg instrukt 2412", "deepsek r1 distil lama 70b",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "lllllllaaaaaaammmmmmmaaaaa 3333 8888",
    "a a a a a a a a a a a a a a a a", "instruct instruct instruct instruct", "8b 8b 8b 8b 8b",
    "m i s t r a l l a r g e", "gemma 4", "qwen3.6 35b a3b", "deepseek-v4", "lama 3 8b", "70b r1",
    "no such model 2099", "zz9 qq7 xx8 ww6", "q" * 120,
]
SEARCH_LIMIT = 50  # the app's MAX_RESULTS


def keystroke(index, text: str) -> None:
    """What the app's search box does for one key: search (capped), or the nearest on a miss."""
    if text.strip() and not index.search(text, SEARCH_LIMIT).items:
        index.nearest(text)


def synthetic_models(models: list, n: int) -> dict:
    """`n` models as a big user catalog might hold them: fine-tunes and re-uploads of the real
    families by thousands of publishers, with names made of words the built-in catalog lacks."""
    import random

    rng = random.Random(20261204)
    syllables = ["ka", "lo", "mi", "ra", "ven", "tor", "zu", "shi", "bel", "dax", "qui", "nor", "pha", "gen", "ul"]

    def word() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))

    orgs = [word() for _ in range(1500)]
    variants = [word().title() for _ in range(800)] + ["Instruct", "Chat", "GGUF", "AWQ", "Uncensored", "DPO"]
    out = {}
    for i in range(n):
        base = models[i % len(models)]
        org, variant = rng.choice(orgs), rng.choice(variants)
        name = f"{base.name} {variant} {rng.randint(1, 9)}"
        mid = f"{org}-{i}"
        out[mid] = replace(base, id=mid, name=name, hf_repo=f"{org}/{name.replace(' ', '-')}", publisher=org.title())
    return out


def bench_search(cat) -> None:
    """Per keystroke over ADVERSARIAL: median and worst, on the models of `cat` and its GPUs + devices.

    As in the app: the typo index is built (in a thread, after the first frame) and the catalog
    and indexes are frozen out of the garbage collector before anyone types. Each query is typed
    three times; a keystroke's time is its fastest of the three (the others measure this
    machine's other work, not the search).
    """
    import gc

    from vramtui.catalog.lookup import model_index, target_index

    models = list(cat.models.values())
    t0 = time.perf_counter()
    index = model_index(models)
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    index.warm()
    warm = time.perf_counter() - t0
    print(f"search index over {len(models):,} models: built {built * 1000:.1f} ms, typo index {warm * 1000:.1f} ms")
    targets = target_index([*cat.gpus.values(), *cat.devices.values()])
    targets.warm()
    gc.freeze()
    for label, idx in ((f"{len(models):,} models", index), (f"{len(targets.items):,} GPUs+devices", targets)):
        per_key: dict[tuple[str, int], float] = {}
        for _ in range(3):
            for q in ADVERSARIAL:
                for n in range(1, len(q) + 1):
                    t = time.perf_counter()
                    keystroke(idx, q[:n])
                    dt = time.perf_counter() - t
                    per_key[q, n] = min(dt, per_key.get((q, n), dt))
        (worst_q, worst_n), worst = max(per_key.items(), key=lambda kv: kv[1])
        print(f"search per keystroke, {label:22} median {statistics.median(per_key.values()) * 1000:6.2f} ms, "
              f"worst {worst * 1000:6.2f} ms ({worst_q[:worst_n]!r}; {len(per_key)} keystrokes)")
    gc.unfreeze()


def bench_models_command(env: dict[str, str]) -> None:
    """`vramtui models "QUERY"`: CPU of the whole process for each adversarial query (fastest of 3)."""
    cpu = []
    for q in ADVERSARIAL:
        args = [PY, "-m", "vramtui", "models", q]
        runs = []
        for _ in range(3):
            cpu0 = child_cpu()
            subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            runs.append(child_cpu() - cpu0)
        cpu.append((min(runs), q))
    worst = max(cpu)
    print(f"vramtui models QUERY  CPU  median {statistics.median(c for c, _ in cpu) * 1000:.0f} ms, "
          f"worst {worst[0] * 1000:.0f} ms ({worst[1][:30]!r}; goal 200 ms)")


HOSTILE_GGUF_STRINGS = (1 << 22) - 1  # empty strings in one metadata array: the longest walk the reader allows


def _hostile_inputs(root: Path) -> list[tuple[str, list[str], dict[str, str]]]:
    """(label, vramtui arguments, extra environment) for each hostile input, written under `root`."""
    import json
    import struct

    def folder(name: str, files: dict[str, bytes]) -> str:
        d = root / name
        d.mkdir()
        for f, data in files.items():
            (d / f).write_bytes(data)
        return str(d)

    llama = {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
             "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
             "max_position_embeddings": 131072}
    deep = b"[" * 1_000_000
    header = b"[" * (32 << 20)
    # GGUF v3: no tensors, one key holding 8M empty strings (each an 8-byte length of 0).
    key = b"x.strings"
    gguf = (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", len(key)) + key
            + struct.pack("<IIQ", 9, 8, HOSTILE_GGUF_STRINGS) + bytes(8 * HOSTILE_GGUF_STRINGS))
    (root / "catalog").mkdir()
    (root / "catalog" / "deep.toml").write_text("[[gpus]]\na = " + "[" * 1_000_000 + "\n")
    tools = root / "bin"
    tools.mkdir()
    line = "0, NVIDIA GeForce RTX 4090, 24564, 0, 24564, GPU-a1a2a3a4-b1b2-c1c2-d1d2-e1e2e3e4e5e6\n"
    flood = tools / "flood" / "nvidia-smi"
    lines = tools / "lines" / "nvidia-smi"
    for path, body in ((flood, f"import sys\nwhile True: sys.stdout.write({line!r} * 1000)"),
                       (lines, f"import sys\nsys.stdout.write({line!r} * 60000)")):
        path.parent.mkdir()
        path.write_text(f"#!{PY}\n{body}\n")
        path.chmod(0o755)
    big = json.dumps(llama).encode()
    return [
        ("config.json nested 10^6 deep", ["estimate", folder("deep", {"config.json": deep}), "--json"], {}),
        ("config.json of 16 MiB (the limit)", ["estimate", folder("big", {
            "config.json": b" " * ((16 << 20) - len(big)) + big}), "--json"], {}),
        ("config.json, 16 MiB of [] pairs", ["estimate", folder("flat", {
            "config.json": b"[" + b"[]," * ((16 << 20) // 3 - 1) + b"[]]"}), "--json"], {}),
        ("config.json, 10^9 layers", ["estimate", folder("layers", {"config.json": json.dumps(
            {**llama, "num_hidden_layers": 10**9}).encode()}), "--json"], {}),
        ("safetensors header, 32 MiB of [", ["estimate", folder("st", {
            "config.json": big, "model.safetensors": struct.pack("<Q", len(header)) + header}), "--json"], {}),
        (f"GGUF, {HOSTILE_GGUF_STRINGS:,} strings", ["estimate", folder("gguf", {"m.gguf": gguf}), "--json"], {}),
        ("catalog TOML nested 10^6 deep", ["gpus", "--catalog", str(root / "catalog")], {}),
        ("nvidia-smi printing without end", ["detect"], {"PATH": str(flood.parent)}),
        ("nvidia-smi listing 60,000 GPUs", ["detect"], {"PATH": str(lines.parent)}),
    ]


def bench_hostile(env: dict[str, str]) -> None:
    """Whole processes on hostile input: wall time over 5 runs, median and worst, and the exit status."""
    print("hostile input (whole process, wall time over 5 runs)")
    with tempfile.TemporaryDirectory() as tmp:
        for label, argv, extra in _hostile_inputs(Path(tmp)):
            walls, codes = [], set()
            for _ in range(5):
                t0 = time.perf_counter()
                r = subprocess.run([PY, "-m", "vramtui", *argv], env={**env, **extra}, capture_output=True,
                                   text=True, timeout=120, check=False)
                walls.append(time.perf_counter() - t0)
                codes.add(r.returncode)
            print(f"  {label:34} median {statistics.median(walls) * 1000:7.1f} ms, worst {max(walls) * 1000:7.1f} ms,"
                  f" exit {'/'.join(map(str, sorted(codes)))}")


def main() -> None:
    if sys.argv[1:] == ["hostile"]:
        with tempfile.TemporaryDirectory() as home:
            bench_hostile(dict(os.environ, XDG_CONFIG_HOME=f"{home}/config", XDG_CACHE_HOME=f"{home}/cache",
                               PYTHONPATH=str(ROOT)))
        return
    print(f"vramtui bench — {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, XDG_CONFIG_HOME=f"{home}/config", XDG_CACHE_HOME=f"{home}/cache",
                   PYTHONPATH=str(ROOT))
        bench_cli(env)
        bench_models_command(env)
        bench_app(env)
        bench_hostile(env)
    bench_in_process()


if __name__ == "__main__":
    main()
