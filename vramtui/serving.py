"""Serving the selection with vLLM or SGLang on the target: the KV pool each allocates per GPU,
how many requests it holds at the selected context, and how fast each runs when they share it.

The pools come from the launch plan (core.launch sizes the server commands with them), so the
figures and the commands agree. Formulas are written here once, with the core's own terms, for
the command line and the FAQ. Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vramtui.answers import Answer, engine_options, launch_for
from vramtui.core.hardware import Hardware
from vramtui.core.launch import Launch
from vramtui.core.serving import SGLANG_VERSION, VLLM_VERSION, SglangPool, VllmPool
from vramtui.core.throughput import BatchDecode, UsersPlan, batch_decode, gpus_for_users, max_sequences_at_rate
from vramtui.core.units import GB, GIB, MIB
from vramtui.format import tokens, tps

# A common interactive target per request: well above reading speed (a few words a second).
INTERACTIVE_TOKENS_PER_SECOND = 20.0
CURVE_MAX = 1024  # the most concurrent sequences the throughput curve goes to

Term = tuple[str, str]  # (what, "= how much"), as the FAQ shows formulas


@dataclass(frozen=True)
class Serving:
    """The selection served on its target: pools, throughput against concurrency, the inverse questions."""

    launch: Launch
    hardware: Hardware  # one GPU of the target
    context: int
    curve: tuple[BatchDecode, ...]  # decode at 1, 2, 4 … up to what vLLM's pool holds
    min_tokens_per_second: float
    at_rate: int  # the most requests of `context` tokens that each keep ≥ min_tokens_per_second
    users: int | None = None
    users_plan: UsersPlan | None = None  # the fewest GPUs of this kind for `users` (None: none found)

    @property
    def vllm(self) -> VllmPool | None:
        return self.launch.vllm

    @property
    def sglang(self) -> SglangPool | None:
        return self.launch.sglang

    @property
    def gpus(self) -> int:
        return self.launch.plan.gpus


def serving_for(
    ans: Answer, min_tokens_per_second: float = INTERACTIVE_TOKENS_PER_SECOND, users: int | None = None,
    plan: Launch | None = None,
) -> Serving | None:
    """vLLM and SGLang on the selection's target; None without a discrete-GPU target (a Mac or a
    unified-memory machine) or when neither server can load the quantization. `plan` is
    launch_for(ans), when the caller already has it."""
    plan = plan or launch_for(ans)
    if plan.vllm is None and plan.sglang is None:
        return None
    target = next(r for r in (*ans.gpus, *ans.devices) if r.id == ans.selection.target)
    hw = target.estimate.hardware.one_gpu()
    m, s = ans.model, ans.settings
    a = m.architecture
    q = m.quantization(ans.quant_row.entry.to_core())
    tp = plan.plan.tp
    held = _held(plan)
    counts = sorted({1, *(1 << k for k in range(11) if 1 << k <= min(held, CURVE_MAX)), min(held, CURVE_MAX)})
    curve = tuple(batch_decode(a, q, hw, n, s.context, m.params, s.kv_type, tp) for n in counts)
    at_rate = max_sequences_at_rate(a, q, hw, s.context, m.params, min_tokens_per_second, held, s.kv_type, tp)
    users_plan = None
    if users:
        users_plan = gpus_for_users(a, q, hw, users, s.context, m.params, s.kv_type, engine_options(ans.selection),
                                    min_tokens_per_second)
    return Serving(plan, hw, s.context, curve, min_tokens_per_second, at_rate, users, users_plan)


def _held(plan: Launch) -> int:
    """Requests of the full context the server holds at once (vLLM's pool, else SGLang's)."""
    if plan.vllm is not None:
        return math.floor(plan.vllm.max_concurrency) if plan.vllm.starts else 0
    assert plan.sglang is not None
    return plan.sglang.max_running_requests


# ---------------------------------------------------------------- formulas, with the core's terms


def _g(n: int) -> str:
    return f"{n / GIB:.2f}"


def vllm_formula(p: VllmPool) -> tuple[Term, ...]:
    """vLLM's pool and concurrency, per GPU, term by term."""
    lay = p.layout
    graphs = f" − CUDA graphs {_g(p.cuda_graph_bytes)}" if p.cuda_graph_bytes else ""
    kinds = ", ".join(f"{lay.groups.count(k)} {k}" for k in dict.fromkeys(lay.groups))
    lines: list[Term] = [
        (f"vLLM {VLLM_VERSION}", f"= {p.utilization:.2f} × {_g(p.total_bytes)} GiB (CUDA's total) − weights "
                                 f"{_g(p.weights_bytes)} − activations {_g(p.activation_bytes)} − non-torch "
                                 f"{_g(p.non_torch_bytes)}{graphs} = {_g(p.kv_cache_bytes)} GiB of KV cache per GPU"),
        ("Block", f"= {lay.block_size:,} tokens × {lay.group_size} layers × "
                  f"{lay.page_bytes // lay.block_size:,} B a token and layer"
                  f" = {lay.bytes_per_block / MIB:.2f} MiB (KV-cache groups: {kinds})"),
    ]
    if p.kv_cache_bytes > 0:
        lines.append(("Concurrency", f"= {p.num_blocks:,} blocks ÷ {lay.blocks_per_request(p.max_model_len):,} "
                                     f"per request of {p.max_model_len:,} tokens = {p.max_concurrency:.2f}"
                                     f" ({p.kv_cache_tokens:,} tokens)"))
    return tuple(lines)


def sglang_formula(p: SglangPool) -> Term:
    """SGLang's pool, per GPU."""
    per_token = f"{p.cell_bytes / 1024:,.1f} KiB per token"
    if p.state_bytes:
        per_token += f" + {p.state_bytes / MIB:,.1f} MiB of state per request"
    return (f"SGLang {SGLANG_VERSION}", f"= {p.mem_fraction_static:.3f} × {_g(p.free_bytes)} GiB free − weights "
                                        f"{_g(p.weights_bytes)} = {_g(p.kv_cache_bytes)} GiB ÷ {per_token}"
                                        f" = {p.kv_cache_tokens:,} tokens = {p.max_concurrency:.2f} requests")


def step_formula(d: BatchDecode, hw_name: str) -> tuple[Term, ...]:
    """One decode step of d.sequences sequences: the memory and compute bounds with their terms."""
    m, c = d.memory, d.compute
    bw = f"{m.bandwidth_gbps:,.0f} GB/s" + (f" × (1 + {m.scaling} × {m.tp - 1})" if m.tp > 1 else "")
    sync = f" + {m.sync_s * 1000:.2f} ms all-reduces" if m.sync_s else ""
    gpus = f" × (1 + {c.scaling} × {c.tp - 1})" if c.tp > 1 else ""
    return (
        ("Step", "= max(weights read once + every sequence's KV cache ÷ (k × bandwidth) + attention "
                 "+ per-layer costs, sequences × 2 × active params ÷ FLOP/s)"),
        ("", f"= max(({m.weights_bytes * m.dequant_cost / GB:.2f} + {m.kv_bytes / GB:.2f}) GB ÷ ({m.efficiency} × {bw})"
             f" + {m.attention_s * 1000:.1f} ms + {m.fixed_cost_s * 1000:.1f} ms{sync}, "
             f"{d.sequences} × 2 × {c.active_params / 1e9:.2f}B ÷ "
             f"({c.tflops:,g} TFLOP/s{gpus} × {c.utilisation})) = {d.step_s * 1000:.1f} ms ({d.bound}-bound)"),
        ("Each", f"= 1 ÷ step = {tps(d.per_request_tokens_per_second)}; all {d.sequences}: "
                 f"{tps(d.aggregate_tokens_per_second)} on {hw_name}"),
    )


def concurrency_sentence(sv: Serving) -> str:
    """'vLLM holds 12.3 requests of 8,192 tokens per …' for the CLI and the FAQ."""
    parts = []
    split = f" over {sv.gpus} GPUs" if sv.gpus > 1 else ""
    if sv.vllm is not None:
        v = sv.vllm
        if v.starts:
            parts.append(f"vLLM {VLLM_VERSION} holds {v.max_concurrency:.2f} requests of {tokens(sv.context)} at once"
                         f"{split} ({v.kv_cache_tokens:,} tokens of KV cache)")
        else:
            longest = v.max_model_len_that_starts
            parts.append(f"vLLM {VLLM_VERSION} would refuse to start at --max-model-len {sv.context:,}{split}"
                         + (f"; {longest:,} starts" if longest else "; no length starts"))
    if sv.sglang is not None:
        parts.append(f"SGLang {SGLANG_VERSION} holds {sv.sglang.max_concurrency:.2f} "
                     f"({sv.sglang.kv_cache_tokens:,} tokens)")
    return "; ".join(parts) + "."
