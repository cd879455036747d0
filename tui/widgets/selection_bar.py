"""The line across the top: what is selected, and the answer in one sentence."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from vramtui.answers import Answer
from vramtui.format import FIT_LABEL, FIT_STYLE, gib, gib_number, tps


class SelectionBar(Static):
    answer: reactive[Answer | None] = reactive(None)

    def watch_answer(self, ans: Answer | None) -> None:
        if ans is None:
            return
        s, sel = ans.settings, ans.selection
        m = ans.quant_row.memory
        line = Text(no_wrap=False)
        line.append(ans.model.name, style="bold")
        line.append("  ")
        for text in (
            sel.quant,
            f"{s.context:,} ctx",
            f"KV {s.kv_type}",
            f"{s.sequences} seq",
            f"{s.gpus} GPU{'s' if s.gpus > 1 else ''}",
        ):
            line.append(f" {text} ", style="reverse")
            line.append(" ")
        line.append("\n")
        line.append(f"{gib(m.total_bytes, 2)}", style="bold")
        line.append(f" = weights {gib_number(m.weights_bytes, 2)} + KV {gib_number(m.kv_bytes, 2)}"
                    f" + overhead {gib_number(m.overhead_bytes, 2)}")
        t = ans.quant_row.on_target
        if t is None:
            line.append("   no target (t)", style="dim")
        else:
            line.append("   on ")
            line.append(t.hardware.name, style="bold")
            line.append(": ")
            line.append(FIT_LABEL[t.fit], style=FIT_STYLE[t.fit])
            line.append(f", {tps(t.tokens_per_second)}")
        self.update(line)
