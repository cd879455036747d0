"""Decode throughput of a server that batches many sequences, and the questions it answers.

One decode step makes one token for every running sequence. It reads the weights once
(for MoE, every expert some sequence's token picks) and every sequence's KV cache, and does
2 × active parameters FLOPs per sequence; it takes the longer of the two times:

    memory  = core.speed.decode_speed(weights read per step, KV of all sequences)
    compute = sequences ÷ core.speed.prefill's tokens/s (2 × active params per token)
    step    = max(1 ÷ memory tok/s, compute)
    per request = 1 ÷ step        aggregate = sequences ÷ step

Adding sequences is almost free while the step is memory-bound (the weights are read once
for all of them), until the KV reads or the FLOPs catch up. Every sequence is taken at the
full context: the worst case, when all of them are long.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vramtui.core.arch import Architecture
from vramtui.core.estimate import ParallelPlan, parallel_plans
from vramtui.core.hardware import Hardware
from vramtui.core.kv import kv_cache
from vramtui.core.quantization import Quantization, weights
from vramtui.core.serving import DEFAULT_ENGINE, EngineOptions, VllmPool, vllm_pool
from vramtui.core.speed import Prefill, Speed, active_params, active_weight_bytes, decode_speed, decode_work, prefill

MEMORY = "memory"
COMPUTE = "compute"


@dataclass(frozen=True)
class BatchDecode:
    """One decode step of `sequences` sequences of `context` tokens, and its two bounds."""

    sequences: int
    context: int
    memory: Speed  # the memory-bound step: its tokens_per_second is 1 ÷ (memory time)
    compute: Prefill  # FLOP rate: tokens_per_second tokens' worth of 2 × active params per second

    @property
    def memory_s(self) -> float:
        return 1 / self.memory.tokens_per_second if self.memory.tokens_per_second > 0 else 0.0

    @property
    def compute_s(self) -> float:
        rate = self.compute.tokens_per_second
        return self.sequences / rate if rate > 0 else 0.0

    @property
    def step_s(self) -> float:
        return max(self.memory_s, self.compute_s)

    @property
    def bound(self) -> str:
        return COMPUTE if self.compute_s > self.memory_s else MEMORY

    @property
    def per_request_tokens_per_second(self) -> float:
        return 1 / self.step_s if self.step_s > 0 else 0.0

    @property
    def aggregate_tokens_per_second(self) -> float:
        return self.sequences * self.per_request_tokens_per_second


def batch_decode(
    a: Architecture, q: Quantization, hw: Hardware, sequences: int, context: int, total_params: int,
    kv_type: str = "f16", tp: int = 1,
) -> BatchDecode:
    """A decode step of `sequences` sequences at `context` tokens on `tp` GPUs of `hw` in tensor parallel."""
    n = max(1, sequences)
    gpu = hw.one_gpu()
    w = weights(a, q)
    read = active_weight_bytes(a, w, n)
    kv = kv_cache(a, context, kv_type, n).total
    mem = decode_speed(gpu, read, kv, tp, a.layers, decode_work(a, w, context, n))
    return BatchDecode(n, context, mem, prefill(gpu, active_params(a, total_params), tp))


def max_sequences_at_rate(
    a: Architecture, q: Quantization, hw: Hardware, context: int, total_params: int, min_tokens_per_second: float,
    limit: int, kv_type: str = "f16", tp: int = 1,
) -> int:
    """The most sequences (≤ `limit`) at `context` tokens that each still get ≥ `min_tokens_per_second`; 0: not one."""
    def ok(n: int) -> bool:
        d = batch_decode(a, q, hw, n, context, total_params, kv_type, tp)
        return d.per_request_tokens_per_second >= min_tokens_per_second

    if limit < 1 or not ok(1):
        return 0
    lo, hi = 1, limit
    if ok(hi):
        return hi
    while hi - lo > 1:  # per-request speed only falls as sequences are added
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


MAX_REPLICA_GPUS = 1024  # the most GPUs gpus_for_users considers (the CLI's --gpus bound)


@dataclass(frozen=True)
class UsersPlan:
    """How to serve `users` concurrent requests of `context` tokens on GPUs of one kind:
    `replicas` copies of the server (data parallel), each split as `plan`."""

    plan: ParallelPlan
    replicas: int
    pool: VllmPool  # vLLM's pool on each GPU
    speed: BatchDecode  # one replica with its share of the users decoding at once

    @property
    def gpus(self) -> int:
        return self.replicas * self.plan.gpus

    @property
    def users_per_replica(self) -> int:
        return self.speed.sequences


def gpus_for_users(
    a: Architecture, q: Quantization, hw: Hardware, users: int, context: int, total_params: int,
    kv_type: str = "f16", options: EngineOptions = DEFAULT_ENGINE, min_tokens_per_second: float = 0.0,
) -> UsersPlan | None:
    """The fewest GPUs of `hw`'s kind that hold `users` requests of `context` tokens at once,
    each decoding at ≥ `min_tokens_per_second`: over every valid tensor/pipeline split, as many
    replicas as its vLLM pool (and the speed floor) require. Ties go to fewer replicas.
    None when no plan starts or more than MAX_REPLICA_GPUS would be needed."""
    best: UsersPlan | None = None
    for plan in parallel_plans(a):
        pool = vllm_pool(a, q, hw, context, kv_type, plan.tp, plan.pp, options)
        cap = math.floor(pool.max_concurrency) if pool.starts else 0
        if min_tokens_per_second > 0 and cap:
            cap = max_sequences_at_rate(a, q, hw, context, total_params, min_tokens_per_second, cap, kv_type, plan.tp)
        if cap < 1:
            continue
        replicas = -(-users // cap)
        if replicas * plan.gpus > MAX_REPLICA_GPUS:
            continue
        if best is None or (replicas * plan.gpus, replicas) < (best.gpus, best.replicas):
            share = -(-users // replicas)
            speed = batch_decode(a, q, hw, share, context, total_params, kv_type, plan.tp)
            best = UsersPlan(plan, replicas, pool, speed)
    return best
