"""Memory a runtime needs besides weights and KV cache.

Model: a fixed runtime cost (CUDA/Metal context, allocator slack: the seed page's
0.3 GB "framework" constant) plus llama.cpp's compute buffer. Its peak is the
output stage of one micro-batch (n_ubatch = 512 tokens): F32 logits and hidden
states; with flash attention only the f16 attention mask grows with context:

    compute = 4 B × n_ubatch × (vocab + hidden) + 2 B × n_ubatch × context

For Llama-3.1-8B that is 4 × 512 × (128,256 + 4,096) = 258.5 MiB plus 2 MiB per
2K of context; llama.cpp's logs print "compute buffer size = 258.50 MiB" for it
on CUDA, Metal and CPU alike. Each GPU of a tensor-parallel group pays the
runtime cost and its own buffer.
"""

from __future__ import annotations

from dataclasses import dataclass

from vramtui.core.arch import Architecture

RUNTIME_BYTES = 300_000_000
UBATCH = 512


@dataclass(frozen=True)
class OverheadModel:
    runtime_bytes: int = RUNTIME_BYTES
    ubatch: int = UBATCH
    compute_buffer: bool = True


SEED_OVERHEAD = OverheadModel(compute_buffer=False)
LOGITS_BYTES = 4  # F32 logits and hidden states of the micro-batch
MASK_BYTES = 2  # the f16 attention mask


@dataclass(frozen=True)
class Overhead:
    """Overhead per GPU and its terms: runtime + logits_bytes + mask_bytes, × gpus."""

    runtime_bytes: int
    logits_bytes: int  # LOGITS_BYTES × ubatch × (vocab + hidden)
    mask_bytes: int  # MASK_BYTES × ubatch × context
    ubatch: int
    vocab: int
    hidden: int
    context: int
    gpus: int = 1

    @property
    def per_gpu(self) -> int:
        return self.runtime_bytes + self.logits_bytes + self.mask_bytes

    @property
    def total(self) -> int:
        return self.per_gpu * self.gpus


def overhead(a: Architecture, context: int, model: OverheadModel = OverheadModel(), gpus: int = 1) -> Overhead:
    """Runtime + compute buffer for `a` at `context` tokens, on each of `gpus` GPUs."""
    logits = mask = 0
    if model.compute_buffer:
        logits = LOGITS_BYTES * model.ubatch * (a.vocab + a.hidden)
        mask = MASK_BYTES * model.ubatch * context
    return Overhead(model.runtime_bytes, logits, mask, model.ubatch, a.vocab, a.hidden, context, gpus)


def overhead_bytes(a: Architecture, context: int, model: OverheadModel = OverheadModel(), gpus: int = 1) -> int:
    """Runtime + compute-buffer bytes for `a` at `context` tokens, summed over `gpus` GPUs."""
    return overhead(a, context, model, gpus).total
