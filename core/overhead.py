"""Memory a runtime needs besides weights and KV cache.

Model: a fixed runtime cost (CUDA/Metal context, allocator slack: the seed page's
0.3 GB "framework" constant) plus llama.cpp's compute buffer on the GPU. llama.cpp
reserves the worst-case graph of one micro-batch (n_ubatch = 512 tokens) against the
whole KV cache, and the buffer is the peak of that graph, where tensors are reused
as soon as they are dead; two stages compete for the peak (llama_context::sched_reserve):

- the output stage: F32 logits of the rows it keeps (all 512 in llama-cli, Ollama and
  llama.cpp builds before mid-2026; llama-server since then reserves one row,
  n_outputs_max = 1) and the micro-batch's hidden states:
      4 B × (rows × vocab + ubatch × hidden)
- a layer's stage, by attention kind:
  - flash attention (llama.cpp's default wherever the backend has the kernel; MLA
    included on CUDA): the f16 mask over every cell, and the layer's F32 activations
    — the queries and the FFN intermediates (gate, up, product and output: 4 × ff for
    a dense FFN, 3 × the active experts' width for MoE):
      2 B × ubatch × cells + 4 B × ubatch × (q width + k × ff)
  - without flash attention the KQ scores of every head and an f32 mask grow with
    the context (DeepSeek-V3's 128 heads at 32K: 8 GiB):
      4 B × ubatch × cells × (heads + 1) + 4 B × ubatch × 4 × hidden

The mask's f32 source, the token embeddings and positions live in the host-side buffer
(CUDA_Host), not on the GPU. Checked against 14 logged buffers of 8 architectures
(tests/unit/test_llama_cpp_logs.py); each GPU of a tensor-parallel group pays the
runtime cost and its own buffer.
"""

from __future__ import annotations

from dataclasses import dataclass

from vramtui.core.arch import FULL, SLIDING, Architecture
from vramtui.core.kv import UBATCH, cells, window_cells

RUNTIME_BYTES = 300_000_000
ACT_BYTES = 4  # F32 activations and logits
MASK_BYTES = 2  # the f16 attention mask (flash attention)
DENSE_FFN_TENSORS = 4  # gate, up, their product and the down projection's output, per token
MOE_FFN_TENSORS = 3  # per active expert: gate, up and their product
NO_FA_HIDDEN_TENSORS = 4  # q, k, v and the attention output alongside the scores


@dataclass(frozen=True)
class OverheadModel:
    runtime_bytes: int = RUNTIME_BYTES
    ubatch: int = UBATCH
    compute_buffer: bool = True
    flash_attention: bool = True
    output_rows: int = UBATCH  # logit rows reserved: ubatch (most runtimes), 1 (llama-server since mid-2026)


SEED_OVERHEAD = OverheadModel(compute_buffer=False)


@dataclass(frozen=True)
class Overhead:
    """Overhead per GPU and its terms: runtime + compute buffer, × gpus.

    compute = max(output stage, layer stage) — see the module's docstring for both formulas.
    """

    runtime_bytes: int
    output_bytes: int  # 4 B × (rows × vocab + ubatch × hidden)
    layer_bytes: int  # the attention/FFN stage of one layer
    ubatch: int
    vocab: int
    hidden: int
    context: int
    cells: int = 0  # KV cells the attention runs over (the longest layer's)
    heads: int = 0
    layer_width: int = 0  # F32 activations per token in a layer (flash attention: q width + k × ff)
    flash_attention: bool = True
    output_rows: int = UBATCH
    gpus: int = 1

    @property
    def compute_bytes(self) -> int:
        return max(self.output_bytes, self.layer_bytes)

    @property
    def per_gpu(self) -> int:
        return self.runtime_bytes + self.compute_bytes

    @property
    def total(self) -> int:
        return self.per_gpu * self.gpus


def _attention_cells(a: Architecture, context: int, ubatch: int) -> int:
    """Cells of the longest-reaching attention layer (what the mask and the scores span)."""
    if a.count(FULL):
        return cells(context)
    if a.count(SLIDING):
        return window_cells(context, a.sliding_window, ubatch)
    return 0


def _q_width(a: Architecture) -> int:
    if a.mla is not None:  # absorbed MLA: each head's query lives in the latent space
        return a.heads * (a.mla.kv_lora_rank + a.mla.qk_rope_head_dim)
    return a.heads * a.head_dim


def _ffn_width(a: Architecture) -> int:
    """F32 intermediates per token of the widest FFN (dense, or the active experts plus shared ones)."""
    dense = DENSE_FFN_TENSORS * (a.ff_of_dense_layer() if a.moe is not None else a.intermediate)
    if a.moe is None:
        return dense
    moe = MOE_FFN_TENSORS * (a.moe.active * a.moe.expert_ff + a.moe.shared_ff)
    return max(moe, dense if any(not m for m in a.moe_layers) else 0)


def overhead(a: Architecture, context: int, model: OverheadModel = OverheadModel(), gpus: int = 1) -> Overhead:
    """Runtime + compute buffer for `a` at `context` tokens, on each of `gpus` GPUs."""
    if not model.compute_buffer:
        return Overhead(model.runtime_bytes, 0, 0, model.ubatch, a.vocab, a.hidden, context, gpus=gpus)
    u = model.ubatch
    n_kv = _attention_cells(a, context, u)
    output = ACT_BYTES * (model.output_rows * a.vocab + u * a.hidden)
    if model.flash_attention:
        width = _q_width(a) + _ffn_width(a)
        layer = MASK_BYTES * u * n_kv + ACT_BYTES * u * width
    else:
        width = NO_FA_HIDDEN_TENSORS * a.hidden
        layer = ACT_BYTES * u * n_kv * (a.heads + 1) + ACT_BYTES * u * width
    return Overhead(model.runtime_bytes, output, layer, u, a.vocab, a.hidden, context, n_kv, a.heads, width,
                    model.flash_attention, model.output_rows, gpus)


def overhead_bytes(a: Architecture, context: int, model: OverheadModel = OverheadModel(), gpus: int = 1) -> int:
    """Runtime + compute-buffer bytes for `a` at `context` tokens, summed over `gpus` GPUs."""
    return overhead(a, context, model, gpus).total
