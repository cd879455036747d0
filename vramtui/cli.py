"""vramtui's subcommands: the same answers as the app, as text or JSON.

Never imports Textual (a test checks it): the app is opened by vramtui.__main__.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vramtui.answers import Answer, Resolved, Selection, answer, longest_context
from vramtui.catalog.loader import Catalog
from vramtui.core.errors import UsageError, VramtuiError
from vramtui.core.estimate import default_quant
from vramtui.core.kv import KV_TYPES
from vramtui.core.serving import SGLANG_VERSION, VLLM_VERSION
from vramtui.faq import quality_warning, ways_sentence
from vramtui.format import (
    FIT_STYLE,
    beyond_trained_text,
    error_pct,
    gb,
    gib,
    one_line,
    params,
    quantity,
    short_ctx,
    target_name,
)
from vramtui.parse import (
    MAX,
    MAX_BATCHED_TOKENS,
    MAX_GPUS,
    MAX_SEQUENCES,
    MAX_USERS,
    parse_context,
    parse_count,
    parse_fraction,
    parse_name,
    parse_rate,
)
from vramtui.resolve import find_model, find_quant, find_target, list_entries, nearest_names, user_catalog

if TYPE_CHECKING:
    from vramtui.receipt import Receipt
from vramtui.serving import (
    INTERACTIVE_TOKENS_PER_SECOND,
    Serving,
    concurrency_sentence,
    serving_for,
    sglang_formula,
    step_formula,
    vllm_formula,
)


def _checked(check: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type from one of vramtui.parse's checks (argparse prints the one-line error)."""

    def parse(text: str) -> Any:
        try:
            return check(text)
        except UsageError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    return parse


def _count(name: str, hi: int) -> Callable[[str], int]:
    """An argparse type: a whole number between 1 and `hi`."""
    return _checked(lambda text: parse_count(name, text, hi))


def _named(option: str) -> Callable[[str], str]:
    """An argparse type: a non-blank value for `option` (an empty --gpu is an error, not "no GPU")."""

    def parse(text: str) -> str:
        try:
            return parse_name(option, text)
        except UsageError as e:  # argparse names the option itself
            raise argparse.ArgumentTypeError(str(e).removeprefix(f"{option} ")) from None

    return parse


def catalog_from(args: argparse.Namespace) -> Catalog:
    return user_catalog(getattr(args, "catalog", None))


def selection_from(cat: Catalog, args: argparse.Namespace) -> Selection:
    model = find_model(cat, " ".join(args.model))
    quant = find_quant(cat, args.quant if args.quant is not None
                       else model.file_quant or default_quant(model.architecture))
    context = parse_context(args.context) if args.context is not None else None
    if context == MAX:
        context = model.architecture.context
    target = find_target(cat, args.gpu).id if args.gpu is not None else None
    return Selection(
        model.id, quant, context, args.kv_type, args.sequences, args.gpus, target, args.all_quants,
        args.gpu_memory_utilization, args.max_num_batched_tokens,
    )


# ---------------------------------------------------------------- JSON


def _beyond_json(ans: Answer) -> dict[str, Any] | None:
    """The context asked past the model's trained context (computed as asked), or None."""
    b = ans.beyond
    if b is None:
        return None
    rope = None if b.rope is None else {
        "type": b.rope.kind, "factor": b.rope.factor or None, "original_context": b.rope.original_context or None}
    return {"asked": b.asked, "trained": b.trained, "rope_scaling": rope,
            "note": beyond_trained_text(b, ans.model.name)}


def estimate_json(ans: Answer, sv: Serving | None = None) -> dict[str, Any]:
    """The estimate as JSON; with a target, `sv` (serving_for's answer, or None where neither
    server runs) becomes "serving"."""
    m = ans.model
    out: dict[str, Any] = {
        "model": {
            "id": m.id, "name": m.name, "hf_repo": m.hf_repo, "params": m.params,
            "context_length": m.context_length, "architecture": m.architecture_name,
        },
        "context": ans.settings.context,
        "beyond_trained_context": _beyond_json(ans),
        "kv_type": ans.settings.kv_type,
        "sequences": ans.settings.sequences,
        "quant": ans.selection.quant,
        "recommended": ans.recommended,
        "quants": [
            {
                "name": r.entry.name,
                "bits_per_weight": round(r.memory.weights.tensor_bytes * 8 / m.params, 3),
                "weights_bytes": r.memory.weights_bytes,
                "download_bytes": r.memory.download_bytes,
                "kv_cache_bytes": r.memory.kv_bytes,
                "overhead_bytes": r.memory.overhead_bytes,
                "total_bytes": r.memory.total_bytes,
                "full_context_total_bytes": r.full_context_total_bytes,
                "recommended": r.recommended,
            }
            for r in ans.quants
        ],
        "gpus": [
            {
                "id": r.id, "name": r.entry.name, "memory_bytes": r.estimate.hardware.memory_bytes,
                "bandwidth_gbps": r.entry.bandwidth_gbps, "fit": r.estimate.fit,
                "tokens_per_second": round(r.estimate.tokens_per_second, 1),
                "gpus_needed": r.gpus_needed,
            }
            for r in ans.gpus
        ],
        "devices": [
            {
                "id": r.id, "name": r.entry.name,
                "memory_bytes": r.estimate.hardware.total_memory_bytes,
                "gpu_memory_bytes": r.estimate.hardware.usable_bytes,
                "bandwidth_gbps": r.entry.bandwidth_gbps, "fit": r.estimate.fit,
                "tokens_per_second": round(r.estimate.tokens_per_second, 1),
            }
            for r in ans.devices
        ],
    }
    if ans.selection.target:
        t = ans.quant_row.on_target
        assert t is not None
        runs = ans.quant_row.runs  # never a speed for a setup that does not run
        out["target"] = {
            "id": ans.selection.target, "name": t.hardware.name, "gpus": t.gpus, "fit": t.fit,
            "loadable": ans.quant_row.unloadable is None, "unloadable_reason": ans.quant_row.unloadable,
            "required_bytes": t.required_bytes, "usable_bytes": t.usable_bytes,
            "tokens_per_second": round(t.tokens_per_second, 1) if runs else None,
            "prefill_tokens_per_second": round(t.prefill_tokens_per_second, 1) if runs else None,
            "max_context": longest_context(ans),
        }
        out["serving"] = serving_json(sv)
    out.update(launch_json(ans))
    return out


def serving_json(sv: Serving | None) -> dict[str, Any] | None:
    """"serving": each engine's pool per GPU, throughput against concurrency, the inverse questions."""
    if sv is None:
        return None
    v, g = sv.vllm, sv.sglang
    out: dict[str, Any] = {"gpus": sv.gpus, "tp": sv.launch.plan.tp, "pp": sv.launch.plan.pp,
                           "max_model_len": sv.context}
    out["vllm"] = None if v is None else {
        "version": VLLM_VERSION, "per_gpu": True,
        "total_bytes": v.total_bytes, "gpu_memory_utilization": v.utilization,
        "usable_bytes": v.usable_bytes, "weights_bytes": v.weights_bytes,
        "activation_bytes": v.activation_bytes, "non_torch_bytes": v.non_torch_bytes,
        "cuda_graph_bytes": v.cuda_graph_bytes, "kv_cache_bytes": v.kv_cache_bytes,
        "kv_cache_tokens": v.kv_cache_tokens, "max_concurrency": round(v.max_concurrency, 2),
        "starts": v.starts, "max_model_len_that_starts": v.max_model_len_that_starts,
        "block_size": v.layout.block_size, "num_blocks": v.num_blocks,
        "max_num_batched_tokens": v.max_num_batched_tokens, "max_num_seqs": v.max_num_seqs_that_fit,
    }
    out["sglang"] = None if g is None else {
        "version": SGLANG_VERSION, "per_gpu": True,
        "total_bytes": g.total_bytes, "mem_fraction_static": g.mem_fraction_static,
        "usable_bytes": g.usable_bytes, "weights_bytes": g.weights_bytes,
        "kv_cache_bytes": g.kv_cache_bytes, "kv_cache_tokens": g.kv_cache_tokens,
        "max_concurrency": round(g.max_concurrency, 2), "starts": g.starts,
        "max_model_len_that_starts": g.max_model_len_that_starts,
        "max_running_requests": g.max_running_requests,
    }
    out["throughput"] = [
        {"sequences": d.sequences, "per_request_tokens_per_second": round(d.per_request_tokens_per_second, 1),
         "aggregate_tokens_per_second": round(d.aggregate_tokens_per_second, 1), "bound": d.bound}
        for d in sv.curve
    ]
    out["min_tokens_per_second"] = sv.min_tokens_per_second
    out["max_concurrency_at_min_tokens_per_second"] = sv.at_rate
    if sv.users is not None:
        u = sv.users_plan
        out["users"] = {"users": sv.users, "gpus": None if u is None else u.gpus,
                        "tp": None if u is None else u.plan.tp, "pp": None if u is None else u.plan.pp,
                        "replicas": None if u is None else u.replicas,
                        "per_request_tokens_per_second":
                            None if u is None else round(u.speed.per_request_tokens_per_second, 1)}
    return out


def launch_json(ans: Answer) -> dict[str, Any]:
    """"gpus_needed" (for the chosen --gpu), "offload" (llama.cpp -ngl plan) and "commands"."""
    from vramtui.core.estimate import gpus_needed

    rows = {r.id: r for r in (*ans.gpus, *ans.devices)}
    target = rows.get(ans.selection.target or "")
    needed = None
    if target is not None and target.kind == "gpu":
        needed = target.gpus_needed  # answer() already searched the plans for every GPU
    elif target is not None and not target.estimate.hardware.is_unified:
        # a multi-GPU system: how many of its GPUs, as separate cards, the model needs
        q = ans.model.quantization(ans.quant_row.entry.to_core())
        needed = gpus_needed(ans.model.architecture, q, ans.settings, target.estimate.hardware.one_gpu())
    plan = ans.launch
    off = plan.offload
    return {
        "gpus_needed": needed,
        "offload": None if off is None else {
            "gpu_layers": off.gpu_layers, "total_layers": off.total_layers,
            "tokens_per_second": round(off.tokens_per_second, 2),
            "gpu_bytes": off.gpu_bytes, "ram_bytes": off.ram_bytes,
            "ram_bandwidth_gbps": off.ram_bandwidth_gbps,
        },
        "commands": {
            tool: {"command": c.text, "notes": list(c.notes)} for tool, c in plan.commands.items()
        },
    }



# ---------------------------------------------------------------- text output (rich, imported lazily)

TOP_TARGETS = 12


def render_estimate(ans: Answer, sv: Serving | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(highlight=False)
    m, s, sel = ans.model, ans.settings, ans.selection
    a = m.architecture
    con.print(f"[bold]{m.name}[/]  [dim]{m.hf_repo}[/]")
    facts = [m.publisher, m.family, m.architecture_name, f"{params(m.params)} params",
             f"{a.context:,} context", f"vocab {a.vocab:,}"]
    if m.license:
        facts.append(m.license)
    if m.release_date:
        facts.append(str(m.release_date))
    con.print(" · ".join(facts))
    seqs = f" × {s.sequences} sequences" if s.sequences > 1 else ""
    gpus = f" · {s.gpus} GPUs" if s.gpus > 1 else ""
    con.print(f"Context {s.context:,} tokens{seqs} · KV cache {s.kv_type}{gpus}")
    if ans.beyond is not None:
        con.print(f"[yellow]{beyond_trained_text(ans.beyond, m.name)}[/]")
    con.print()

    target = ans.quant_row.on_target
    title = f"Memory by quantization at {short_ctx(s.context)} context"
    if target:
        title += f" · fit and speed on {target_name(target.hardware, target.gpus)}"
    t = Table(title=title, title_justify="left")
    for col in ("Quant", "Bits", "Download", "KV", "Total", f"@{short_ctx(a.context)}"):
        t.add_column(col, justify="left" if col == "Quant" else "right", no_wrap=True)
    if target:
        t.add_column("Fit", justify="left")
        t.add_column("tok/s", justify="right")
    for r in ans.quants:
        name = r.entry.name + (" ★" if r.recommended else "")
        style = "bold" if r.entry.name == sel.quant else ""
        row = [name, f"{r.memory.weights.tensor_bytes * 8 / m.params:.2f}", gb(r.memory.download_bytes),
               gib(r.memory.kv_bytes), gib(r.memory.total_bytes), gib(r.full_context_total_bytes)]
        if r.on_target:
            fit = r.on_target.fit
            if r.unloadable:
                row += ["[red]no runtime[/]", "–"]
            else:  # a row that does not fit shows no speed: it would not run
                row += [f"[{FIT_STYLE[fit]}]{fit}[/]", f"{r.on_target.tokens_per_second:.0f}" if r.runs else "–"]
        t.add_row(*row, style=style)
    con.print(t)
    where = target_name(target.hardware, target.gpus) if target else ""
    if ans.recommended:
        why = f"best quality that fits {where}" if target else "best balance of quality and size"
        con.print(f"★ {ans.recommended}: {why}")
        warning = quality_warning(ans)
        if warning:
            con.print(f"[yellow]{warning}[/]")
    elif target:
        con.print(f"[red]No quantization fits {where} with headroom at this context.[/]")

    q = ans.quant_row
    con.print(
        f"\nMemory = weights {gib(q.memory.weights_bytes)} + KV cache {gib(q.memory.kv_bytes)}"
        f" + overhead {gib(q.memory.overhead_bytes)} = [bold]{gib(q.memory.total_bytes)}[/] at {sel.quant}"
    )
    if target:
        _render_plan(con, ans)
        _render_serving(con, sv)
    for label, rows in (("GPUs", ans.gpus), ("devices", ans.devices)):
        runnable = ans.runnable(rows)
        con.print(f"\n[bold]{len(runnable)} of {len(rows)} {label}[/] can run it at {sel.quant}")
        if not runnable:
            continue
        tt = Table(show_edge=False, box=None, pad_edge=False)
        for col in ("Name", "Memory", "GB/s", "Fit", "Headroom", "tok/s"):
            tt.add_column(col, justify="left" if col in ("Name", "Fit") else "right")
        best = sorted(runnable, key=lambda r: -r.estimate.tokens_per_second)[:TOP_TARGETS]
        for t_row in best:
            e = t_row.estimate
            tt.add_row(t_row.entry.name, gib(e.total_usable_bytes), f"{t_row.entry.bandwidth_gbps:,.0f}",
                       f"[{FIT_STYLE[e.fit]}]{e.fit}[/]", gib(e.headroom_bytes), f"{e.tokens_per_second:.0f}")
        con.print(tt)
        if len(runnable) > TOP_TARGETS:
            con.print(f"[dim]… {len(runnable) - TOP_TARGETS} more (vramtui estimate --json lists all)[/]")


def _render_plan(con: Any, ans: Answer) -> None:
    """On a target: the longest context, what to do when it does not fit, and the commands that run it."""
    t = ans.quant_row.on_target
    assert t is not None
    longest = longest_context(ans)
    where = target_name(t.hardware, t.gpus)
    if longest:
        con.print(f"Longest context that fits {where} with headroom at {ans.selection.quant}: "
                  f"{longest:,} tokens.")
    extra = launch_json(ans)
    if not ans.quant_row.runs:
        why = ans.quant_row.unloadable or "it does not fit"
        con.print(f"[red]{ans.selection.quant} does not run on {where} ({why}).[/] {ways_sentence(ans)}",
                  soft_wrap=True)
    con.print("\n[bold]Run it[/]")
    for tool, c in extra["commands"].items():
        if c["command"]:
            con.print(f"[dim]{tool:9}[/] {c['command']}", soft_wrap=True)
        else:
            con.print(f"[dim]{tool:9} {c['notes'][0] if c['notes'] else 'not available'}[/]")


def _render_serving(con: Any, sv: Serving | None) -> None:
    """vLLM's and SGLang's pools per GPU with their formulas, and decode speed as requests share them."""
    if sv is None:
        return
    con.print(f"\n[bold]Serving[/] at --max-model-len {sv.context:,}: {concurrency_sentence(sv)}")
    terms = [*(vllm_formula(sv.vllm) if sv.vllm else ()), *((sglang_formula(sv.sglang),) if sv.sglang else ())]
    if sv.curve:
        terms += step_formula(sv.curve[-1], sv.hardware.name)
    for what, how in terms:
        con.print(f"  [dim]{what:13}[/] {how}", soft_wrap=True)
    if sv.curve:
        con.print("  " + " · ".join(f"{d.sequences}: {d.per_request_tokens_per_second:,.0f} tok/s each, "
                                    f"{d.aggregate_tokens_per_second:,.0f} in all" for d in sv.curve), soft_wrap=True)
    con.print(f"  At ≥ {sv.min_tokens_per_second:g} tok/s each: {sv.at_rate} concurrent requests of "
              f"{sv.context:,} tokens.")
    if sv.users is not None:
        u = sv.users_plan
        if u is None:
            con.print(f"  {sv.users:,} users at {sv.context:,} tokens: no plan of up to 1,024 × {sv.hardware.name}.")
        else:
            how = f"{u.replicas} × TP {u.plan.tp}" + (f" × PP {u.plan.pp}" if u.plan.pp > 1 else "")
            con.print(f"  {sv.users:,} users at {sv.context:,} tokens: {u.gpus} × {sv.hardware.name} ({how}), "
                      f"{u.speed.per_request_tokens_per_second:,.0f} tok/s each.")


def render_list(table: str, entries: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(highlight=False)
    t = Table(box=None, pad_edge=False)
    if table == "models":
        for col in ("id", "Name", "Params", "Context", "Publisher"):
            t.add_column(col, justify="right" if col in ("Params", "Context") else "left")
        for m in entries:
            if m.unsupported:  # listed so a search finds it, with what vramtui lacks to size it
                name = f"{m.name} [dim](cannot size yet: {m.unsupported})[/]"
                t.add_row(m.id, name, params(m.params, 1), "—", m.publisher)
            else:
                t.add_row(m.id, m.name, params(m.params, 1), f"{m.context_length:,}", m.publisher)
    else:
        for col in ("id", "Name", "Memory", "GB/s", "Year"):
            t.add_column(col, justify="right" if col in ("Memory", "GB/s", "Year") else "left")
        for g in entries:
            t.add_row(g.id, g.name, f"{g.memory_gb:g} GB", f"{g.bandwidth_gbps:,.0f}", str(g.year))
    con.print(t)
    con.print(f"[dim]{len(entries)} {table}[/]")


# ---------------------------------------------------------------- commands


def cmd_estimate(args: argparse.Namespace) -> int:
    cat = catalog_from(args)
    sel = selection_from(cat, args)
    ans = answer(Resolved(cat), sel)
    sv = serving_for(ans, args.min_tokens_per_second, args.users) if sel.target else None
    if args.json:
        print(json.dumps(estimate_json(ans, sv), indent=2))
        return 0
    render_estimate(ans, sv)
    return 0


def fit_target(cat: Catalog, res: Resolved, query: str) -> tuple[str | None, Any, list[str]]:
    """(catalog id or None, Hardware, notes) for `fit TARGET`: a GPU or device, or `this` machine."""
    if query.strip().lower() in ("this", "this machine", "here"):
        from vramtui.sources.detect import detect_machine, this_machine

        found = this_machine(detect_machine(), cat)
        if found.hardware is None:
            raise UsageError("this machine: no GPU detected and its RAM is unknown; name a GPU or device instead")
        return found.catalog_id, found.hardware, list(found.notes)
    entry = find_target(cat, query)
    hw = res.hardware(entry.id)
    assert hw is not None
    return entry.id, hw, []


def _choice(cat_values: list[str], what: str, text: str | None) -> str | None:
    """`text` as one of `cat_values` (any case), or NotFound with the nearest."""
    if text is None:
        return None
    for v in cat_values:
        if v.lower() == text.strip().lower():
            return v
    from vramtui.core.errors import NotFound

    near = nearest_names(sorted(set(cat_values)), text)
    raise NotFound(f"{what} {text!r} not found; did you mean: {', '.join(near)}", candidates=tuple(near))


def fit_json(fl: Any, target_id: str | None) -> dict[str, Any]:
    hw = fl.hardware
    return {
        "target": {
            "id": target_id, "name": target_name(hw, fl.gpus), "kind": hw.kind, "gpus": fl.gpus,
            "memory_bytes": hw.total_memory_bytes, "usable_bytes": hw.usable_bytes * (fl.gpus if hw.kind == "gpu"
                                                                                      else 1),
            "bandwidth_gbps": hw.bandwidth_gbps or None,
        },
        "context": fl.context, "kv_type": fl.kv_type, "considered": fl.considered,
        "trained_for_less": fl.short_context,
        "models": [
            {
                "id": r.model.id, "name": r.model.name, "params": r.model.params, "quant": r.quant.name,
                "context": r.memory.kv.context, "total_bytes": r.memory.total_bytes, "fit": r.fit,
                "tokens_per_second": round(r.tokens_per_second, 1) if r.tokens_per_second > 0 else None,
                "low_quality": r.low_quality,
            }
            for r in fl.rows
        ],
    }


def render_fit(fl: Any, notes: list[str], limit: int | None) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(highlight=False)
    hw = fl.hardware
    usable = hw.usable_bytes * (fl.gpus if hw.kind == "gpu" else 1)
    ctx = "each model's default context (8K)" if fl.context is None else f"{fl.context:,} tokens of context"
    speed = f", {hw.bandwidth_gbps:,.0f} GB/s" if hw.bandwidth_gbps else ", bandwidth unknown"
    con.print(f"[bold]What runs on {target_name(hw, fl.gpus)}[/] ({gib(usable)} usable{speed}) at {ctx}, "
              f"KV {fl.kv_type}")
    for note in notes:
        con.print(f"[dim]{note}[/]")
    if fl.short_context:
        con.print(f"[dim]{fl.short_context} of them are trained for fewer than {fl.context:,} tokens: not listed.[/]")
    con.print(f"{len(fl.rows)} of {fl.considered} models, best first: 4-bit and better quants, then larger models, "
              "then faster\n")
    if not fl.rows:
        con.print("Nothing runs there at this context: try --context 2k, a --gpus count, or a bigger target.")
        return
    t = Table(box=None, pad_edge=False)
    for col in ("Model", "Params", "Quant", "Memory", "Fit", "tok/s"):
        t.add_column(col, justify="right" if col in ("Params", "Memory", "tok/s") else "left", no_wrap=col != "Model")
    shown = fl.rows if limit is None else fl.rows[:limit]
    for r in shown:
        quant = r.quant.name + (" (low quality)" if r.low_quality else "")
        speed_cell = f"{r.tokens_per_second:,.0f}" if r.tokens_per_second > 0 else "?"
        t.add_row(r.model.name, params(r.model.params, 1), quant, gib(r.memory.total_bytes),
                  f"[{FIT_STYLE[r.fit]}]{r.fit}[/]", speed_cell)
    con.print(t)
    if len(shown) < len(fl.rows):
        con.print(f"[dim]… {len(fl.rows) - len(shown)} more (without --limit, or --json, lists all)[/]")


def cmd_fit(args: argparse.Namespace) -> int:
    from vramtui.fit import FitFilter, fit_list
    from vramtui.parse import parse_params

    cat = catalog_from(args)
    res = Resolved(cat)
    context = parse_context(args.context) if args.context is not None else None
    if context == MAX:
        raise UsageError("fit --context max has no single meaning across models; give a number such as 32k")
    families = [m.family for m in cat.models.values()]
    tags = [tag for m in cat.models.values() for tag in m.tags]
    only = FitFilter(
        min_params=parse_params("--min-params", args.min_params) if args.min_params is not None else None,
        max_params=parse_params("--max-params", args.max_params) if args.max_params is not None else None,
        family=_choice(families, "family", args.family),
        tag=_choice(tags, "tag", args.tag),
        min_tokens_per_second=args.min_tps,
    )
    target_id, hw, notes = fit_target(cat, res, " ".join(args.target))
    fl = fit_list(res, hw, context=context, kv_type=args.kv_type, gpus=args.gpus, all_quants=args.all_quants,
                  only=only)
    if args.json:
        print(json.dumps(fit_json(fl, target_id), indent=2))
        return 0
    render_fit(fl, notes, args.limit)
    return 0


def cmd_receipt(args: argparse.Namespace) -> int:
    from vramtui.receipt import receipt
    from vramtui.sources.startup_log import parse_log, read_log

    cat = catalog_from(args)
    text, name = read_log(args.logfile)
    r = receipt(cat, parse_log(text, name), model=args.model, quant=args.quant, gpu=args.gpu,
                context=parse_context(args.context) if args.context is not None else None, kv_type=args.kv_type)
    if args.json:
        print(json.dumps(receipt_json(r), indent=2))
    else:
        render_receipt(r)
    return 0


def receipt_json(r: Receipt) -> dict[str, Any]:
    return {
        "engine": r.log.engine, "version": r.log.version, "log": r.log.source,
        "model": {"in_log": r.log.model, "id": r.model.id, "hf_repo": r.model.hf_repo},
        "quant": r.quant, "gpu": r.gpu, "context": r.context, "settings": dict(r.settings),
        "lines": [{"what": ln.what, "unit": ln.unit, "engine": ln.engine, "vramtui": ln.ours,
                   "error": None if ln.error is None else round(ln.error, 4), "note": ln.note or None}
                  for ln in r.lines],
        "starts": {"engine": r.engine_starts, "vramtui": r.ours_starts},
        "notes": list(r.notes),
    }


def render_receipt(r: Receipt) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(highlight=False)
    con.print(f"[bold]Receipt[/] for {r.log.source}: " + " · ".join(f"{k} {v}" for k, v in r.settings))
    t = Table(box=None, pad_edge=False)
    for col in ("", "Engine", "vramtui", "Error", ""):
        t.add_column(col, justify="left" if col in ("",) else "right")
    for ln in r.lines:
        t.add_row(ln.what, quantity(ln.engine, ln.unit), quantity(ln.ours, ln.unit), error_pct(ln.error),
                  f"[dim]{ln.note}[/]" if ln.note else "")
    con.print(t)
    word = {True: "starts", False: "refuses to start"}
    if r.engine_starts is not None and r.ours_starts is not None:
        con.print(f"vLLM {word[r.engine_starts]} in the log; vramtui says it {word[r.ours_starts]}.")
    elif r.ours_starts is not None:
        con.print(f"vramtui says vLLM {word[r.ours_starts]} (the log does not show it).")
    for note in r.notes:
        con.print(f"[dim]{note}[/]")


def cmd_detect(args: argparse.Namespace) -> int:
    from vramtui.sources.detect import detect_machine, machine_json, machine_lines, this_machine

    cat = catalog_from(args)
    machine = detect_machine()
    target = this_machine(machine, cat)
    if args.json:
        print(json.dumps(machine_json(machine, target, cat), indent=2))
    else:
        print("\n".join(machine_lines(machine, target)))
    return 0


def _list(args: argparse.Namespace, table: str) -> int:
    entries = list_entries(catalog_from(args), table, " ".join(args.query))
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], indent=2))
        return 0
    render_list(table, entries)
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: 'vramtui estimate: --gpus must be ...' and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="vramtui",
        description="Can I run this LLM on this GPU? Memory, fit, speed — in the terminal.",
    )
    p.add_argument("--version", action="store_true", help="print the version and exit")
    p.add_argument("--model", type=_named("--model"), help="open the app with this model selected")
    p.add_argument("--gpu", type=_named("--gpu"), help="open the app with this GPU or device as the target")
    p.add_argument("--context", type=_named("--context"), help="open the app at this context (2048, 8k, 128K, max)")
    p.add_argument("--quant", type=_named("--quant"), dest="app_quant", metavar="QUANT",
                   help="open the app at this quantization")
    p.add_argument("--kv-type", dest="app_kv_type", metavar="TYPE", choices=sorted(KV_TYPES),
                   help="open the app with this KV cache type (f16, q8_0, q4_0 …)")
    p.add_argument("--gpus", dest="app_gpus", metavar="N", type=_count("--gpus", MAX_GPUS),
                   help="open the app with the model split over N GPUs of the target")
    p.add_argument("--catalog", type=_named("--catalog"), metavar="DIR", help="extra catalog directory (TOML files)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    e = sub.add_parser("estimate", help="memory, fit and speed of a model")
    e.add_argument("model", metavar="MODEL", nargs="+",
                   help="catalog id, Hugging Face repo id, a name, or a path to a config.json, its folder or a .gguf")
    e.add_argument("--quant", "-q", type=_named("--quant"),
                   help="quantization (default: a GGUF file's own, else the best balance:"
                   " Q4_K_M, or MXFP4_MOE for gpt-oss)")
    e.add_argument("--context", "-c", type=_named("--context"),
                   help="tokens per sequence: 2048, 8k, 128K or max (default 8k)")
    e.add_argument("--kv-type", choices=sorted(KV_TYPES), default="f16", help="KV cache type (default f16)")
    e.add_argument("--gpu", "-g", type=_named("--gpu"), help="target GPU or device")
    e.add_argument("--gpus", type=_count("--gpus", MAX_GPUS), default=1, help="number of GPUs (tensor parallel)")
    e.add_argument("--sequences", "-s", type=_count("--sequences", MAX_SEQUENCES), default=1,
                   help="concurrent sequences (default 1)")
    e.add_argument("--all-quants", action="store_true", help="list every quantization, not only the common ones")
    e.add_argument("--gpu-memory-utilization", metavar="U", type=_checked(lambda t: parse_fraction(
        "--gpu-memory-utilization", t)), help="vLLM's share of each GPU's memory (default 0.92)")
    e.add_argument("--max-num-batched-tokens", metavar="B", type=_count("--max-num-batched-tokens",
                   MAX_BATCHED_TOKENS), help="vLLM's tokens per engine step (default: vLLM's for the GPU)")
    e.add_argument("--users", type=_count("--users", MAX_USERS),
                   help="with --gpu: the fewest of that GPU that serve this many concurrent requests")
    e.add_argument("--min-tokens-per-second", metavar="T", default=INTERACTIVE_TOKENS_PER_SECOND,
                   type=_checked(lambda t: parse_rate("--min-tokens-per-second", t)),
                   help=f"with --gpu: the speed each request keeps (default {INTERACTIVE_TOKENS_PER_SECOND:g})")
    e.add_argument("--json", action="store_true", help="print JSON")
    e.add_argument("--catalog", type=_named("--catalog"), metavar="DIR", help="extra catalog directory (TOML files)")
    e.set_defaults(func=cmd_estimate)

    f = sub.add_parser("fit", help="what runs on a GPU, a device or this machine: every model at its best quant")
    f.add_argument("target", metavar="TARGET", nargs="+",
                   help="a GPU or device (as --gpu takes it), or `this` for this machine (its GPUs, else its CPU)")
    f.add_argument("--context", "-c", type=_named("--context"),
                   help="tokens per sequence: 2048, 8k, 128K (default: 8k, capped per model)")
    f.add_argument("--kv-type", choices=sorted(KV_TYPES), default="f16", help="KV cache type (default f16)")
    f.add_argument("--gpus", type=_count("--gpus", MAX_GPUS), default=1, help="that many of the GPU (tensor parallel)")
    f.add_argument("--min-tps", type=_checked(lambda t: parse_rate("--min-tps", t)),
                   help="only models at least this fast (tokens/s)")
    f.add_argument("--min-params", type=_named("--min-params"), help="only models at least this big: 7B, 500M")
    f.add_argument("--max-params", type=_named("--max-params"), help="only models at most this big: 14B")
    f.add_argument("--family", type=_named("--family"),
                   help="only this family (as `vramtui models` lists it): 'Qwen3', 'Llama 3.1'")
    f.add_argument("--tag", type=_named("--tag"), help="only models with this tag: Code, Reasoning, Vision, Chat …")
    f.add_argument("--all-quants", action="store_true", help="try every quantization, not only the common ones")
    f.add_argument("--limit", "-n", type=_count("--limit", 100_000), help="print only the first N models")
    f.add_argument("--json", action="store_true", help="print JSON")
    f.add_argument("--catalog", type=_named("--catalog"), metavar="DIR", help="extra catalog directory (TOML files)")
    f.set_defaults(func=cmd_fit)

    r = sub.add_parser("receipt", help="a vLLM or llama.cpp startup log beside vramtui's estimate")
    r.add_argument("logfile", metavar="LOGFILE", help="the engine's startup log, or - to read standard input")
    r.add_argument("--model", "-m", type=_named("--model"),
                   help="the model, where the log does not name it (or names it differently)")
    r.add_argument("--quant", "-q", type=_named("--quant"), help="the quantization, where the log does not say it")
    r.add_argument("--gpu", "-g", type=_named("--gpu"),
                   help="the GPU, where the log does not name it (vLLM's pool needs one)")
    r.add_argument("--context", "-c", type=_named("--context"), help="the context, where the log does not say it")
    r.add_argument("--kv-type", choices=sorted(KV_TYPES), help="the KV cache type, where the log does not say it")
    r.add_argument("--json", action="store_true", help="print JSON")
    r.add_argument("--catalog", type=_named("--catalog"), metavar="DIR", help="extra catalog directory (TOML files)")
    r.set_defaults(func=cmd_receipt)

    d = sub.add_parser("detect", help="this machine's GPUs and RAM")
    d.add_argument("--json", action="store_true", help="print JSON")
    d.add_argument("--catalog", type=_named("--catalog"), metavar="DIR", help="extra catalog directory (TOML files)")
    d.set_defaults(func=cmd_detect)

    lists = (("models", "list models"), ("gpus", "list GPUs"), ("devices", "list unified-memory devices and systems"))
    for name, helptext in lists:
        s = sub.add_parser(name, help=helptext)
        s.add_argument("query", nargs="*", help="search: words in any order, a typo forgiven")
        s.add_argument("--json", action="store_true", help="print JSON")
        s.add_argument("--catalog", type=_named("--catalog"), metavar="DIR",
                       help="extra catalog directory (TOML files)")
        s.set_defaults(func=lambda a, table=name: _list(a, table))
    return p


def run(args: argparse.Namespace) -> int:
    """Run the subcommand `args` names; a VramtuiError becomes one line on stderr and exit status 2."""
    return guarded(args.func, args)


def guarded(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """`func(args)`, with every error a user can fix printed as one line (exit 2), never a traceback."""
    try:
        return func(args)
    except VramtuiError as e:
        print(f"vramtui: {one_line(str(e))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
