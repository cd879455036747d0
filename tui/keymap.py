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


COMMANDS: tuple[Command, ...] = (
    Command("search", "slash", "focus_search", "Search", "Search models by name, id, publisher or family.",
            key_display="/"),
    Command("open", "o", "open_model", "Open",
            "Open a model from a config.json, a .gguf file or a Hugging Face repo id.", show=False),
    Command("context", "c", "prompt_context", "Context", "Type a context length: 2048, 8k, 128K or max."),
    Command("context-down", "left_square_bracket", "step_context(-1)", "Shorter context",
            "Halve the context (previous preset).", show=False, key_display="["),
    Command("context-up", "right_square_bracket", "step_context(1)", "Longer context",
            "Double the context (next preset, up to the model's maximum).", show=False, key_display="]"),
    Command("kv-type", "k", "cycle_kv", "KV type", "Cycle the KV cache type: f16, q8_0, q4_0."),
    Command("sequences-up", "s", "step_sequences(1)", "More sequences",
            "Double the concurrent sequences (each holds its own KV cache).", show=False),
    Command("sequences-down", "S", "step_sequences(-1)", "Fewer sequences",
            "Halve the concurrent sequences.", show=False),
    Command("gpus-up", "g", "step_gpus(1)", "More GPUs",
            "Split the model over more GPUs of the target kind (tensor parallel).", show=False),
    Command("gpus-down", "G", "step_gpus(-1)", "Fewer GPUs", "Use fewer GPUs.", show=False),
    Command("target", "t", "pick_target", "Target", "Pick the GPU or device to check fit and speed on."),
    Command("clear-target", "T", "clear_target", "No target", "Check no particular GPU or device.", show=False),
    Command("this-machine", "D", "detect_target", "This machine",
            "Detect this machine's GPUs (nvidia-smi, rocm-smi, macOS) and make them the target.", show=False),
    Command("all-quants", "a", "toggle_all_quants", "All quants",
            "Show every quantization, not only the common ones.", show=False),
    Command("copy-command", "y", "copy_command", "Copy cmd",
            "Copy the command that launches the selection (llama.cpp or vLLM) to the clipboard."),
    Command("copy-answer", "Y", "copy_answer", "Copy answer",
            "Copy the answer (memory, fit and speed) to the clipboard.", show=False),
    Command("pane-model", "1", "show_pane('model')", "Model pane", "Show the model search and its specifications.",
            show=False),
    Command("pane-quants", "2", "show_pane('quants')", "Quant pane", "Show the quantization table.", show=False),
    Command("pane-compat", "3", "show_pane('compat')", "GPU pane", "Show which GPUs and devices run it.",
            show=False),
    Command("pane-faq", "4", "show_pane('faq')", "FAQ pane", "Show the questions, answered for the selection.",
            show=False),
    Command("help", "question_mark,f1", "help", "Help", "Show help for the focused pane and every key.",
            owner=APP, key_display="?"),
    Command("quit", "q", "quit", "Quit", "Quit vramtui.", owner=APP),
)


def bindings(owner: str) -> list[BindingType]:
    """Bindings for the commands run by `owner` (APP or MAIN), each with the command's id."""
    return [
        Binding(c.keys, c.action, c.title, show=c.show, key_display=c.key_display, id=c.id, tooltip=c.help)
        for c in COMMANDS
        if c.owner == owner
    ]


def key_label(c: Command) -> str:
    """How the help screen writes a command's key(s): '?', 'S', '[', 'ctrl+p'."""
    if c.key_display:
        return c.key_display
    return " / ".join(k.strip() for k in c.keys.split(","))
