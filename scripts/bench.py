"""Benchmarks: medians of repeated runs, printed. Run with `make bench`.

Measures what a user waits for: a whole `vramtui estimate` process, the app's first
frame (against a bare Textual app showing one DataTable), one full recompute,
catalog loading, and search/recompute over a synthetic 10,000-model catalog.
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
        args = [PY, "-m", "cli", "estimate", MODEL, *extra]
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

    # Synthetic catalog: 10,000 models and 1,000 GPUs, cloned from real entries.
    from vramtui.catalog.lookup import SearchIndex

    models = list(cat.models.values())
    gpus = list(cat.gpus.values())
    cat.models = {f"m{i}": replace(models[i % len(models)], id=f"m{i}", name=f"{models[i % len(models)].name} v{i}")
                  for i in range(10_000)}
    cat.gpus = {f"g{i}": replace(gpus[i % len(gpus)], id=f"g{i}", name=f"{gpus[i % len(gpus)].name} #{i}")
                for i in range(1_000)}
    t0 = time.perf_counter()
    index = SearchIndex(list(cat.models.values()), lambda m: (m.id, m.name, m.hf_repo, m.publisher, m.family))
    print(f"search index over 10,000 models, built once  {(time.perf_counter() - t0) * 1000:7.1f} ms")
    queries = iter(["q", "qw", "qwe", "qwen", "qwen3", "qwen3 8", "lla", "llama 3.1 7", "mistral", "gem"] * 3)
    t = timed(lambda: index.rank(next(queries)), 20)
    print(f"search keystroke over 10,000 models       {median_ms(t)}")
    res = Resolved(cat)
    answer(res, Selection("m7"))
    contexts = iter(range(1000, 10**6, 7))
    t = timed(lambda: answer(res, Selection("m7", context=next(contexts))), 10)
    print(f"full recompute over 1,000 GPUs            {median_ms(t)}")


def main() -> None:
    print(f"vramtui bench — {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, XDG_CONFIG_HOME=f"{home}/config", XDG_CACHE_HOME=f"{home}/cache",
                   PYTHONPATH=str(ROOT))
        bench_cli(env)
        bench_app(env)
    bench_in_process()


if __name__ == "__main__":
    main()
