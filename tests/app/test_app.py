"""The app driven by keys, as a person would: every number asserted here comes from the core
(vramtui.answers.answer / vramtui.faq.build_faq), never from a literal."""

from __future__ import annotations

from screen_text import cell, plain
from snapshot_app import MODEL_ID, make_app
from textual.widgets import DataTable, Input, OptionList, Static
from vramtui.catalog.lookup import model_index
from vramtui.core.estimate import fit_on
from vramtui.tui.app import VramApp
from vramtui.tui.screens.help import HelpScreen
from vramtui.tui.screens.main import MainScreen
from vramtui.tui.screens.prompt import ContextPrompt, OpenModelPrompt

from vramtui.answers import Resolved, Selection, answer, launch_for
from vramtui.faq import build_faq, commands_of, gib

GIB = 2**30


def main(app: VramApp) -> MainScreen:
    assert isinstance(app.screen, MainScreen)
    return app.screen


async def test_opens_on_the_seed_model_with_default_settings(fixed_res: Resolved) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        ans = main(app).answer
        want = answer(fixed_res, Selection(MODEL_ID))
        assert ans is not None and ans.settings == want.settings
        bar = plain(app.screen.query_one("#selection", Static))
        assert want.model.name in bar and f"{want.settings.context:,} ctx" in bar
        assert gib(want.quant_row.memory.total_bytes, 2) in bar
        # The quant table shows every row, each total from the core.
        table = app.screen.query_one("#quant-table", DataTable)
        assert table.row_count == len(want.quants)
        for r in want.quants:
            assert cell(table, r.entry.name, "total") == f"{r.memory.total_bytes / GIB:,.1f}"
            assert cell(table, r.entry.name, "kv") == f"{r.memory.kv_bytes / GIB:,.2f}"
        assert "★" in cell(table, want.recommended, "quant")


async def test_type_a_model_name_and_press_enter(catalog) -> None:
    app = VramApp(catalog)
    others = [m for m in catalog.models.values() if m.id != MODEL_ID]
    query = (others[0] if others else catalog.models[MODEL_ID]).name[:9]  # typed key by key: keep it short
    expected = model_index(list(catalog.models.values())).rank(query)[0]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.focused, Input)
        await pilot.press(*query)
        results = app.screen.query_one("#model-results", OptionList)
        assert results.highlighted_option is not None and results.highlighted_option.id == expected.id
        await pilot.press("enter")
        await pilot.pause()
        ans = main(app).answer
        assert ans is not None and ans.model.id == expected.id
        want = answer(Resolved(catalog), Selection(expected.id))
        card = plain(app.screen.query_one("#spec-card", Static))
        assert expected.name in card and f"{expected.architecture.context:,} tokens" in card
        await pilot.press("escape")  # back to the quantization table, which shows the new model
        await pilot.pause()
        table = app.screen.query_one("#quant-table", DataTable)
        row = want.quant_row
        assert cell(table, row.entry.name, "total") == f"{row.memory.total_bytes / GIB:,.1f}"


async def test_escape_leaves_the_search_for_the_quant_table() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", "q", "escape")
        await pilot.pause()
        assert app.focused is app.screen.query_one("#quant-table")
        assert main(app).active_pane == "quants"


async def test_pick_a_quant_in_the_table(fixed_res: Resolved) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#quant-table", DataTable)
        assert app.focused is table
        target = table.get_row_index("Q8_0")
        await pilot.press(*(["down"] * (target - table.cursor_row)), "enter")
        await pilot.pause()
        screen = main(app)
        assert screen.quant == "Q8_0"
        want = answer(fixed_res, Selection(MODEL_ID, "Q8_0"))
        assert "▸ Q8_0" in cell(table, "Q8_0", "quant")
        assert gib(want.quant_row.memory.total_bytes, 2) in plain(app.screen.query_one("#selection", Static))
        await pilot.press("3")
        await pilot.pause()
        summary = plain(app.screen.query_one("#compat-summary", Static))
        assert f"{len(want.runnable(want.gpus))} of {len(want.gpus)} GPUs" in summary and "at Q8_0" in summary


async def test_change_context_with_keys_and_by_typing(fixed_res: Resolved) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        start = main(app).answer.settings.context
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert main(app).answer.settings.context == 2 * start
        want = answer(fixed_res, Selection(MODEL_ID, context=2 * start))
        table = app.screen.query_one("#quant-table", DataTable)
        assert cell(table, "Q4_K_M", "kv") == f"{want.quant_row.memory.kv_bytes / GIB:,.2f}"
        assert f"{2 * start:,} ctx" in plain(app.screen.query_one("#selection", Static))

        await pilot.press("c")
        assert isinstance(app.screen, ContextPrompt)
        await pilot.press(*"lots", "enter")
        assert isinstance(app.screen, ContextPrompt)  # a bad value keeps the prompt open, with the reason
        assert "not a number of tokens" in plain(app.screen.query_one("#prompt-message", Static))
        await pilot.press(*(["backspace"] * 4), *"4k", "enter")
        await pilot.pause()
        assert main(app).answer.settings.context == 4096
        await pilot.press("c", *"max", "enter")
        await pilot.pause()
        longest = main(app).answer.model.context_length
        assert main(app).answer.settings.context == longest
        # past the model's maximum: computed as typed, never shortened, and the FAQ says so
        await pilot.press("c", *(["backspace"] * 8), *str(longest + 4096), "enter")
        await pilot.pause()
        assert main(app).answer.settings.context == longest + 4096
        assert main(app).answer.beyond is not None


async def test_kv_type_sequences_and_gpu_count_keys(fixed_res: Resolved) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("C", "s", "plus")
        await pilot.pause()
        s = main(app).answer.settings
        assert (s.kv_type, s.sequences, s.gpus) == ("q8_0", 2, 2)
        want = answer(fixed_res, Selection(MODEL_ID, kv_type="q8_0", sequences=2, gpus=2))
        table = app.screen.query_one("#quant-table", DataTable)
        assert cell(table, "Q4_K_M", "kv") == f"{want.quant_row.memory.kv_bytes / GIB:,.2f}"
        await pilot.press("S", "minus")
        await pilot.pause()
        assert (main(app).sequences, main(app).gpus) == (1, 1)


async def test_pick_a_gpu_as_target(fixed_res: Resolved) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        table = app.screen.query_one("#compat-table", DataTable)
        assert app.focused is table
        gpu = "rtx-4090"
        await pilot.press(*(["down"] * (table.get_row_index(gpu) - table.cursor_row)), "enter")
        await pilot.pause()
        assert main(app).target == gpu
        want = answer(fixed_res, Selection(MODEL_ID, target=gpu))
        e = want.quant_row.on_target
        await pilot.press("2")
        await pilot.pause()
        quants = app.screen.query_one("#quant-table", DataTable)
        for r in want.quants:
            assert cell(quants, r.entry.name, "fit").endswith(r.on_target.fit)
            assert cell(quants, r.entry.name, "tps") == f"{r.on_target.tokens_per_second:,.0f}"
        bar = plain(app.screen.query_one("#selection", Static))
        assert want.quant_row.on_target.hardware.name in bar and e.fit in bar
        assert "▸" in cell(table, gpu, "name")
        # The recommendation follows the target: the best quant that fits it with headroom.
        assert "★" in cell(quants, want.recommended, "quant")


async def test_compatibility_sort_and_filters(fixed_res: Resolved) -> None:
    app = make_app()
    want = answer(fixed_res, Selection(MODEL_ID))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        table = app.screen.query_one("#compat-table", DataTable)
        runs = sorted((r for r in want.gpus if r.estimate.fit != "no"), key=lambda r: -r.estimate.tokens_per_second)
        by_speed = runs + sorted((r for r in want.gpus if r.estimate.fit == "no"),
                                 key=lambda r: (r.gpus_needed or 1000, -r.estimate.total_usable_bytes))
        assert [r.value for r in table.rows] == [r.id for r in by_speed]
        await pilot.press("r")  # memory
        by_memory = sorted(want.gpus, key=lambda r: (r.estimate.total_usable_bytes, r.entry.name))
        assert [r.value for r in table.rows] == [r.id for r in by_memory]
        await pilot.press("f")
        assert table.row_count == len(want.runnable(want.gpus))
        await pilot.press("d")
        assert table.row_count == len(want.runnable(want.devices))
        await pilot.press("f", "m")  # devices: all kinds -> apple
        assert {r.value for r in table.rows} == {r.id for r in want.devices if r.entry.kind == "apple"}


async def test_faq_pane_shows_the_answers_of_the_selection(fixed_res: Resolved) -> None:
    app = make_app(target="macbook-air-m2-8gb")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await pilot.pause()
        faq = build_faq(fixed_res, answer(fixed_res, Selection(MODEL_ID, target="macbook-air-m2-8gb")))
        for item in faq.items:
            shown = " ".join(plain(app.screen.query_one(f"#faq-{item.id}", Static), width=1000).split())
            assert item.question in shown
            assert " ".join(item.answer.split()) in shown


async def test_y_asks_for_the_runtime_once_then_copies_its_command(fixed_res: Resolved) -> None:
    from vramtui.tui.screens.runtime import RuntimePicker

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, RuntimePicker)
        ans = answer(fixed_res, Selection(MODEL_ID))
        commands = {c.tool: c for c in commands_of(launch_for(ans))}
        listing = app.screen.query_one("#runtime-list", OptionList)
        # every runtime is listed; one that cannot run the selection is disabled, with the reason
        assert [o.id for o in listing.options] == ["llama.cpp", "ollama", "vllm", "sglang"]
        for o in listing.options:
            assert o.disabled == (not commands[o.id].available)
        sglang = next(o for o in listing.options if o.id == "sglang")
        assert commands["sglang"].notes[0][:30] in str(sglang.prompt)
        await pilot.press("down", "enter")  # Ollama
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.clipboard == commands["ollama"].text
        app.copy_to_clipboard("")
        await pilot.press("y")  # remembered: no question this time
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.clipboard == commands["ollama"].text
        await pilot.press("R", "up", "enter")  # R changes it
        await pilot.pause()
        assert app.clipboard == commands["llama.cpp"].text and main(app).runtime == "llama.cpp"
        await pilot.press("Y")
        assert gib(ans.quant_row.memory.total_bytes, 2) in app.clipboard


async def test_help_screen_opens_on_the_focused_pane_and_closes() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.section == "quants"
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("3", "question_mark")
        assert isinstance(app.screen, HelpScreen) and app.screen.section == "compat"
        assert any(b.key == "r" for b in app.screen.pane_bindings)


async def test_q_quits() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_tiny_terminal_gets_a_message_not_a_broken_screen() -> None:
    app = make_app()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        screen = main(app)
        assert screen.has_class("-tiny")
        message = app.screen.query_one("#too-small", Static)
        assert message.display and "Enlarge the terminal" in plain(message)
        assert not app.screen.query_one("#panes").display
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert screen.has_class("-wide") and not message.display


async def test_layout_narrow_shows_one_pane_wide_shows_all() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = [p.id for p in app.screen.query(".pane") if p.display]
        assert shown == ["quants"]
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        assert {p.id for p in app.screen.query(".pane") if p.display} == {"model", "quants", "faq", "compat"}


async def test_changes_in_one_burst_cost_one_recompute(monkeypatch) -> None:
    import vramtui.tui.screens.main as main_module

    calls = []

    def counting(res, sel):
        calls.append(sel)
        return answer(res, sel)

    monkeypatch.setattr(main_module, "answer", counting)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        calls.clear()
        screen = main(app)
        screen.quant, screen.kv_type, screen.context, screen.target = "Q8_0", "q4_0", 2048, "rtx-4090"
        await pilot.pause()
        assert len(calls) == 1 and calls[0] == Selection(MODEL_ID, "Q8_0", 2048, "q4_0", target="rtx-4090")


async def test_command_palette_reaches_models_targets_and_actions(catalog) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p", *"RTX 4090")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert main(app).target == "rtx-4090"
        await pilot.press("ctrl+p", *"KV type")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert main(app).kv_type == "q8_0"


async def test_the_whole_builtin_catalog_opens_and_every_pane_renders(catalog) -> None:
    app = VramApp(catalog)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("enter")  # the picker's first entry: no target
        await pilot.pause()
        res = Resolved(catalog)
        want = answer(res, Selection(app.model_id))
        summary = plain(app.screen.query_one("#compat-summary", Static))
        assert f"{len(want.runnable(want.gpus))} of {len(want.gpus)} GPUs" in summary
        assert f"{len(want.runnable(want.devices))} of {len(want.devices)} devices" in summary


async def test_this_machine_becomes_the_target(monkeypatch) -> None:
    """Detection is faked (the test machine's GPUs are not the point): two RTX 4090s are found."""
    from vramtui.core.hardware import MULTI_GPU

    import vramtui.sources.detect as detect

    def found(machine, cat):
        hw = cat.gpus["rtx-4090"].hardware()
        from dataclasses import replace as dc_replace

        return detect.MachineTarget(dc_replace(hw, kind=MULTI_GPU, gpu_count=2), "2 × RTX 4090", "rtx-4090", True)

    monkeypatch.setattr(detect, "detect_machine", lambda: None)
    monkeypatch.setattr(detect, "this_machine", found)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("D")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert (main(app).target, main(app).gpus) == ("rtx-4090", 2)
        assert main(app).answer.quant_row.on_target.gpus == 2


async def test_o_opens_a_config_json_and_lists_the_model(tmp_path) -> None:
    import json

    folder = tmp_path / "My-Llama-8B"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(dict(
        architectures=["LlamaForCausalLM"], model_type="llama", hidden_size=4096, intermediate_size=14336,
        num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
        max_position_embeddings=131072, tie_word_embeddings=False, torch_dtype="bfloat16",
    )))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        app.screen.query_one(Input).value = str(folder)  # typing is covered by the search tests
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = main(app)
        assert screen.answer is not None and screen.answer.model.name.startswith("My-Llama-8B")
        opened = screen.answer.model
        # same shape as the catalog's Llama 3.1 8B: the same KV cache at the same context
        assert screen.answer.quant_row.memory.kv_bytes == 32 * 2 * 8 * 128 * 2 * screen.answer.settings.context
        results = app.screen.query_one("#model-results", OptionList)
        assert results.get_option_at_index(0).id == opened.id
        # a bad path: the prompt stays open with the reason under the input, which keeps the text
        await pilot.press("o")
        await pilot.pause()
        bad = str(tmp_path / "nope.gguf")
        app.screen.query_one(Input).value = bad
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, OpenModelPrompt)
        assert app.screen.query_one(Input).value == bad
        message = app.screen.query_one("#prompt-message", Static)
        assert message.has_class("error") and "nope.gguf" in plain(message)
        await pilot.press("escape")
        await pilot.pause()
        assert main(app).answer.model.id == opened.id


async def test_survives_resizes_down_to_20x5_and_back() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for size in ((80, 24), (59, 15), (20, 5), (21, 6), (100, 30), (20, 5), (160, 48), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            screen = main(app)
            tiny = size[0] < 60 or size[1] < 16
            assert screen.has_class("-tiny") == tiny
            assert app.screen.query_one("#too-small", Static).display == tiny
        await pilot.press("2", "c")  # still answers keys afterwards
        await pilot.pause()
        assert isinstance(app.screen, ContextPrompt)


async def test_this_machine_with_a_card_the_catalog_lacks(monkeypatch) -> None:
    """An NVIDIA A10G (AWS) is not in the catalog: it is targeted with its detected memory."""
    from vramtui.core.hardware import GPU, Hardware

    import vramtui.sources.detect as detect

    a10g = Hardware("NVIDIA A10G", "NVIDIA", GPU, 23028 * 2**20, 0.0)
    monkeypatch.setattr(detect, "detect_machine", lambda: None)
    monkeypatch.setattr(detect, "this_machine", lambda machine, cat: detect.MachineTarget(
        a10g, "NVIDIA A10G (bandwidth unknown)", None, False))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("D")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = main(app)
        assert screen.target == "this-machine"
        on = screen.answer.quant_row.on_target
        assert on is not None and on.usable_bytes == 23028 * 2**20
        assert on.fit == fit_on(screen.answer.model.architecture, screen.res.quants[screen.quant],
                                screen.answer.settings, a10g)
        assert "This machine: NVIDIA A10G" in plain(app.screen.query_one("#selection", Static))


async def test_mashing_keys_never_breaks_the_app() -> None:
    """Keys drawn from every binding, plus stray characters, in a fixed random order."""
    import random

    rng = random.Random(20261128)
    keys = ["1", "2", "3", "4", "slash", "escape", "enter", "c", "C", "k", "j", "s", "S", "g", "G", "plus",
            "minus", "t", "T", "a", "left_square_bracket", "right_square_bracket", "d", "r", "v", "m", "f", "up",
            "down", "pagedown", "pageup", "home", "end", "tab", "shift+tab", "x", "9", "question_mark", "o", "Y",
            "R"]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for _ in range(70):
            await pilot.press(rng.choice(keys))
        await pilot.pause()
        while not isinstance(app.screen, MainScreen):  # close whatever modal is open
            await pilot.press("escape")
            await pilot.pause()
        assert main(app).answer is not None and app.return_code is None


async def test_choosing_a_model_vramtui_cannot_size_says_why_and_keeps_the_answer(catalog) -> None:
    unsized = catalog.models["deepseek-v4-flash"]
    app = VramApp(catalog)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        before = main(app).answer
        assert before is not None
        await pilot.press("slash")
        await pilot.press(*"deepseek v4 flash")
        results = app.screen.query_one("#model-results", OptionList)
        assert results.highlighted_option is not None and results.highlighted_option.id == unsized.id
        await pilot.press("enter")
        await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert f"vramtui cannot size {unsized.name} yet: {unsized.unsupported}" in shown
        after = main(app).answer
        assert main(app).model_id == before.model.id and after is not None and after.model is before.model
        assert after.quant_row.memory.total_bytes == before.quant_row.memory.total_bytes
