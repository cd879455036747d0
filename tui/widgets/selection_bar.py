"""The two lines across the top: what is selected, and the answer in one sentence.

Each line stays one line at any width: the richest wording that fits is shown (the memory
breakdown, the full target name, every way it can still run), then shorter ones.
"""

from __future__ import annotations

from rich.text import Text
from textual.events import Resize
from textual.reactive import reactive
from textual.widgets import Static

from vramtui.answers import Answer
from vramtui.faq import ways_to_run
from vramtui.format import (
    FIT_LABEL,
    FIT_STYLE,
    UNLOADABLE_LABEL,
    gib,
    gib_number,
    short_ctx,
    short_name,
    target_name,
    tps,
)


def first_fitting(candidates: list[Text], width: int) -> Text:
    """The first candidate no wider than `width`, else the last one cut with an ellipsis."""
    for text in candidates:
        if text.cell_len <= width:
            return text
    last = candidates[-1].copy()
    last.truncate(max(1, width), overflow="ellipsis")
    return last


def chips(parts: list[str]) -> Text:
    line = Text()
    for part in parts:
        line.append(f" {part} ", style="reverse")
        line.append(" ")
    return line


class SelectionBar(Static):
    answer: reactive[Answer | None] = reactive(None)

    def watch_answer(self) -> None:
        self._render_lines()

    def on_resize(self, event: Resize) -> None:
        self._render_lines()

    def _render_lines(self) -> None:
        ans = self.answer
        width = self.content_size.width or self.size.width
        if ans is None or width <= 0:
            return
        top = first_fitting(self.selection_lines(ans), width)
        bottom = first_fitting(self.answer_lines(ans), width)
        self.update(Text("\n").join([top, bottom]))

    @staticmethod
    def selection_lines(ans: Answer) -> list[Text]:
        s, sel = ans.settings, ans.selection
        gpus = f"{s.gpus} GPU{'s' if s.gpus > 1 else ''}"
        full = [sel.quant, f"{s.context:,} ctx", f"KV {s.kv_type}", f"{s.sequences} seq", gpus]
        short = [sel.quant, f"{short_ctx(s.context)} ctx", f"KV {s.kv_type}", f"{s.sequences} seq",
                 f"{s.gpus} GPU"]
        # the tightest: the defaults (one sequence, one GPU) left out
        tight = [sel.quant, short_ctx(s.context), s.kv_type]
        tight += [f"×{s.sequences} seq"] if s.sequences > 1 else []
        tight += [f"{s.gpus} GPUs"] if s.gpus > 1 else []
        out = []
        name = ans.model.name
        for parts in (full, short, tight):
            out.append(Text.assemble((name, "bold"), "  ") + chips(parts))
        for cut in (32, 24, 16, 12):
            if len(name) > cut:
                out.append(Text.assemble((name[: cut - 1] + "…", "bold"), "  ") + chips(tight))
        return out

    @staticmethod
    def answer_lines(ans: Answer) -> list[Text]:
        m = ans.quant_row.memory
        total = Text(gib(m.total_bytes, 2), style="bold")
        breakdown = (f" = weights {gib_number(m.weights_bytes, 2)} + KV {gib_number(m.kv_bytes, 2)}"
                     f" + overhead {gib_number(m.overhead_bytes, 2)}")
        row = ans.quant_row
        e = row.on_target
        if e is None:
            hint = Text("   no target (t)", style="dim")
            return [total + Text(breakdown) + hint, total + hint, total]
        full_name = target_name(e.hardware, e.gpus)
        names = [full_name, short_name(full_name)]
        names += [short_name(full_name, w) for w in (20, 14) if len(short_name(full_name)) > w]
        if row.unloadable:
            verdicts = [Text(UNLOADABLE_LABEL + " (no runtime loads it here)", style="red"),
                        Text(UNLOADABLE_LABEL, style="red")]
        elif row.runs:
            verdict = Text.assemble((FIT_LABEL[e.fit], FIT_STYLE[e.fit]), f", {tps(e.tokens_per_second)}")
            verdicts = [verdict]
        else:
            verdicts = [Text(FIT_LABEL[e.fit], style=FIT_STYLE[e.fit])]
        ways = [w.short for w in ways_to_run(ans)] if not row.runs else []
        tails = [" · ".join(ways[:n]) for n in range(len(ways), -1, -1)]
        out = []
        # Given up in this order: the breakdown, the full target name, then the ways one by one.
        for tail in tails:
            for lead in (Text(breakdown), Text()):
                for name in names:
                    for verdict in verdicts:
                        line = total + lead + Text("   on ") + Text(name, style="bold") + Text(": ") + verdict
                        if tail:
                            line += Text(" · " + tail, style="italic")
                        out.append(line)
        return out
