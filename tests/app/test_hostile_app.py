"""The app opens hostile files as the command line does: one line in place (under the open
prompt's input), the app keeps its last answer, and no crash log (that is for bugs)."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

from snapshot_app import MODEL_ID, make_app
from textual.widgets import Input, Static
from vramtui.tui.screens.main import MainScreen
from vramtui.tui.screens.prompt import OpenModelPrompt

LLAMA = dict(architectures=["LlamaForCausalLM"], model_type="llama", hidden_size=4096, intermediate_size=14336,
             num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
             max_position_embeddings=131072)


def hostile_models(root: Path) -> list[Path]:
    cases = {
        "deep": "[" * 100_000,
        "string-bool": json.dumps({**LLAMA, "tie_word_embeddings": "false"}),
        "absurd": json.dumps({**LLAMA, "num_hidden_layers": 10**9}),
        "nan": json.dumps(LLAMA)[:-1] + ', "rope_theta": NaN}',
        "line\nbreak": json.dumps({**LLAMA, "num_key_value_heads": 0}),
        "portal": "<html><body>Sign in</body></html>",
        "markup[b][red]x[/": "{}",
    }
    paths = []
    for name, text in cases.items():
        (root / name).mkdir()
        (root / name / "config.json").write_text(text)
        paths.append(root / name)
    bad_header = json.dumps({"w": {"dtype": "BF16", "shape": [-100, 1]}}).encode()
    (root / "negative").mkdir()
    (root / "negative" / "config.json").write_text(json.dumps(LLAMA))
    (root / "negative" / "model.safetensors").write_bytes(struct.pack("<Q", len(bad_header)) + bad_header)
    return [*paths, root / "negative"]


async def test_hostile_files_opened_with_o_are_one_line_in_place(tmp_path) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for path in hostile_models(tmp_path):
            await pilot.press("o")
            await pilot.pause()
            prompt = app.screen
            assert isinstance(prompt, OpenModelPrompt)
            prompt.query_one(Input).value = str(path)
            await pilot.press("enter")
            await prompt.workers.wait_for_complete()
            await pilot.pause()
            # the prompt stays open with the reason under the input: one line, naming the file
            message = prompt.query_one("#prompt-message", Static)
            shown = str(message.render())
            assert message.has_class("error") and "\n" not in shown, shown
            assert str(path).replace("\n", "\\n") in shown
            await pilot.press("escape")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, MainScreen) and screen.answer.model.id == MODEL_ID
        assert app.is_running and app.return_code is None
    assert not (Path(os.environ["XDG_CACHE_HOME"]) / "vramtui" / "crash.log").exists()
