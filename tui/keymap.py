"""Every command of the app, defined once: its key, footer label, palette entry and help line.

The App and the main screen build their BINDINGS from this table, the command palette's
"actions" provider lists it, and the help screen prints it: a key changed here changes
everywhere. Each binding gets the command's id, so keys can be remapped by id.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType

APP = "app"  # runs on the App: works on every screen
MAIN = "main"  # runs on the main screen (changes the selection)


@dataclass(frozen=True)
class Command:
    id: str
    keys: str  # Textual key names, comma-separated
    action: str  # action string, run on the owner (App or main screen)
    title: str  # footer label and palette name
    help: str  # one sentence: the palette's help and the help screen's line
    owner: str = MAIN
    show: bool = True  # in the footer
    key_display: str | None = None
    palette: bool = True
    footer: str = ""  # a shorter footer label than the title, where the footer is crowded


COMMANDS: tuple[Command, ...] = (
    Command("search", "slash", "focus_search", "Search", "Search models by name, id, publisher or family.",
            key_display="/"),
    Command("fit-list", "w", "show_fit_list", "Fit list",
            "What runs here: every model that fits the target, each at its best quant, best first."),
    Command("open", "o", "open_model", "Open model",
            "Open a model from a config.json, a .gguf file or a Hugging Face repo id.", show=False),
    Command("context", "c", "prompt_context", "Context",
            "Type a context length: 2048, 8k, 128K, max, or fit (the longest that fits the target)."),
    Command("context-down", "left_square_bracket", "step_context(-1)", "Shorter context",
            "Halve the context (previous preset).", show=False, key_display="["),
    Command("context-up", "right_square_bracket", "step_context(1)", "Longer context",
            "Double the context (next preset, up to the model's maximum).", show=False, key_display="]"),
    Command("kv-type", "C", "cycle_kv", "KV cache type", "Cycle the KV cache type: f16, q8_0, q4_0.", show=False),
    Command("sequences-up", "s", "step_sequences(1)", "More sequences",
            "Double the concurrent sequences (each holds its own KV cache).", show=False),
    Command("sequences-down", "S", "step_sequences(-1)", "Fewer sequences",
            "Halve the concurrent sequences.", show=False),
    Command("gpus-up", "plus", "step_gpus(1)", "More GPUs",
            "Split the model over more GPUs of the target kind (tensor parallel).", show=False, key_display="+"),
    Command("gpus-down", "minus", "step_gpus(-1)", "Fewer GPUs", "Use fewer GPUs.", show=False, key_display="-"),
    Command("target", "t", "pick_target", "Target", "Pick the GPU or device to check fit and speed on."),
    Command("clear-target", "T", "clear_target", "No target", "Check no particular GPU or device.", show=False),
    Command("this-machine", "D", "detect_target", "Detect this machine",
            "Detect this machine's GPUs (nvidia-smi, rocm-smi, macOS), else its CPU, and target them.", show=False),
    Command("all-quants", "a", "toggle_all_quants", "All quants",
            "Show every quantization, or only the common ones (the table's caption says which).", show=False),
    Command("copy-command", "y", "copy_command", "Copy command",
            "Copy the launch command: asks for the runtime once (llama.cpp, Ollama, vLLM, SGLang), then reuses it.",
            footer="Copy"),
    Command("runtime", "R", "choose_runtime", "Choose runtime",
            "Choose the runtime whose command y copies.", show=False),
    Command("copy-answer", "Y", "copy_answer", "Copy answer",
            "Copy the answer (memory, fit and speed, or the ways it can run) to the clipboard.", show=False),
    Command("pane-model", "1", "show_pane('model')", "Model pane", "Show the model search and its specifications.",
            show=False),
    Command("pane-quants", "2", "show_pane('quants')", "Quant pane", "Show the quantization table.", show=False),
    Command("pane-compat", "3", "show_pane('compat')", "GPU pane", "Show which GPUs and devices run it.",
            show=False),
    Command("pane-faq", "4", "show_pane('faq')", "FAQ pane", "Show the questions, answered for the selection.",
            show=False),
    Command("next-pane", "tab", "cycle_pane(1)", "Next pane", "Move to the next pane (1 → 2 → 3 → 4).",
            show=False, palette=False),
    Command("previous-pane", "shift+tab", "cycle_pane(-1)", "Previous pane", "Move to the previous pane.",
            show=False, palette=False),
    Command("help", "question_mark,f1", "help", "Help", "Show help for the focused pane and every key.",
            owner=APP, key_display="?"),
    Command("quit", "q,ctrl+c", "quit", "Quit", "Quit vramtui (q or ctrl+c).", owner=APP, key_display="q"),
)


# Keys that must reach the app even from a text box: ctrl+c quits (a text box would copy), Tab
# moves between panes (it would otherwise only move focus inside the shown pane).
PRIORITY = ("quit", "next-pane", "previous-pane")


def bindings(owner: str) -> list[BindingType]:
    """Bindings for the commands run by `owner` (APP or MAIN), each with the command's id."""
    out: list[BindingType] = []
    for c in COMMANDS:
        if c.owner != owner:
            continue
        if c.id == "quit":  # q types into a text box; ctrl+c quits from anywhere
            out.append(Binding("q", c.action, c.title, key_display="q", id=c.id, tooltip=c.help))
            out.append(Binding("ctrl+c", c.action, c.title, show=False, priority=True, id="quit-ctrl-c"))
            continue
        out.append(Binding(c.keys, c.action, c.footer or c.title, show=c.show, key_display=c.key_display, id=c.id,
                           tooltip=c.help, priority=c.id in PRIORITY))
    return out


def key_label(c: Command) -> str:
    """How the help screen writes a command's key(s): '?', 'S', '[', 'ctrl+p'."""
    if c.key_display:
        return c.key_display
    return " / ".join(k.strip() for k in c.keys.split(","))
