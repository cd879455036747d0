"""A context longer than the model was trained for.

vramtui computes the context that was asked: llama.cpp allocates it (`-c N` past
`n_ctx_train` only prints a warning), so the memory is real. Whether the model still
answers well that far out depends on RoPE scaling, which the answer states as the
config declares it — never by silently shortening the question to the model's maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

from vramtui.core.arch import Architecture, RopeScaling


@dataclass(frozen=True)
class BeyondTrained:
    """`asked` tokens against the model's `trained` context (max_position_embeddings), and the
    RoPE scaling its config declares (None: none)."""

    asked: int
    trained: int
    rope: RopeScaling | None


def beyond_trained(a: Architecture, context: int) -> BeyondTrained | None:
    """The note for `context` tokens on `a`, or None when it is within the model's context."""
    if context <= a.context:
        return None
    return BeyondTrained(context, a.context, a.rope_scaling)
