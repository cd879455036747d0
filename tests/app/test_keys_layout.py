"""Keys that feel native, the layout at every size, honest answers in every pane: driven with Pilot,
checked against what the core and the application layer compute (never literals)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from screen_text import cell, plain
from snapshot_app import MODEL_ID, fixed_catalog, make_app
from textual.widgets import DataTable, Input, Static
from vramtui.core.estimate import NO
from vramtui.tui.app import VramApp
from vramtui.tui.screens.help import HelpScreen
from vramtui.tui.screens.main import MainScreen
from vramtui.tui.screens.prompt import ContextPrompt

from vramtui.answers import Resolved, Selection, answer, longest_context
from vramtui.faq import ways_to_run
from vramtui.format import short_name, tps
from vramtui.parse import MAX


def main(app: VramApp) -> MainScreen:
    assert isinstance(app.screen, MainScreen)
    return app.screen


def lines(widget: Static, width: int) -> list[str]:
    """What a Static shows at `width` columns, line by line, as the terminal would wrap it."""
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content)
    return console.export_text().rstrip("\n").split("\n")


async def test_navigation_keys_navigate_the_tables() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#quant-table", DataTable)
        assert app.focused is table
        start = table.cursor_row
        await pilot.press("k")
        assert table.cursor_row == start - 1
        await pilot.press("j", "j")
        assert table.cursor_row == start + 1
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("home")
        assert table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("home", "pagedown")
        assert table.cursor_row > 1
        # none of them changed the selection: k is not the KV type, g/G not the GPU count any more
        s = main(app).answer.settings
        assert (s.kv_type, s.gpus) == ("f16", 1)
        await pilot.press("3")
        targets = app.screen.query_one("#compat-table", DataTable)
        await pilot.press("G")
        assert targets.cursor_row == targets.row_count - 1
        await pilot.press("g", "j")
        assert targets.cursor_row == 1


async def test_moved_actions_kv_type_and_gpu_count(fixed_res: Resolved) -> None:
    app = make_app(target="rtx-4090")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("C", "plus", "plus")
        await pilot.pause()
        s = main(app).answer.settings
        assert (s.kv_type, s.gpus) == ("q8_0", 4)
        # several GPUs are named as such in the header and the quant pane
        bar = plain(app.screen.query_one("#selection", Static))
        assert "4 × NVIDIA GeForce RTX 4090" in bar or "4 × RTX 4090" in bar
        assert "4 × RTX 4090" in app.screen.query_one("#quants").border_title
        await pilot.press("minus")
        await pilot.pause()
        assert main(app).answer.settings.gpus == 2


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_tab_cycles_the_panes_in_every_layout(size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        order = []
        for _ in range(4):
            await pilot.press("tab")
            await pilot.pause()
            order.append(main(app).current_pane())
        assert order == ["compat", "faq", "model", "quants"]
        assert isinstance(app.focused, Input)  is False
        await pilot.press("shift+tab")
        await pilot.pause()
        assert main(app).current_pane() == "model" and isinstance(app.focused, Input)
        await pilot.press("tab")  # Tab leaves the search box too (it does not type)
        await pilot.pause()
        assert main(app).current_pane() == "quants" and app.screen.query_one(Input).value == ""
        if size == (80, 24):
            assert [p.id for p in app.screen.query(".pane") if p.display] == ["quants"]


async def test_escape_leaves_prompts_and_ctrl_c_quits() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        assert isinstance(app.screen, ContextPrompt)
        await pilot.press(*"8k", "escape")
        assert isinstance(app.screen, MainScreen) and main(app).context is None
        await pilot.press("slash", *"qw")
        assert isinstance(app.focused, Input)
        await pilot.press("ctrl+c")  # from a text box too
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running


async def test_context_fit_is_the_longest_that_fits_the_target(fixed_res: Resolved) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c", *"fit", "enter")
        await pilot.pause()
        # no target: the prompt stays, says why, and keeps what was typed
        assert isinstance(app.screen, ContextPrompt)
        assert app.screen.query_one(Input).value == "fit"
        assert "needs a target" in plain(app.screen.query_one("#prompt-message", Static))
        await pilot.press("escape")
        main(app).target = "rtx-4060-8gb"
        await pilot.pause()
        await pilot.press("c", *"fit", "enter")
        await pilot.pause()
        want = longest_context(answer(fixed_res, Selection(MODEL_ID, target="rtx-4060-8gb")))
        assert 0 < want < fixed_res.catalog.models[MODEL_ID].context_length
        assert main(app).answer.settings.context == want
        assert f"{want:,} ctx" in plain(app.screen.query_one("#selection", Static))


async def test_a_resize_from_tiny_to_large_recomputes_column_widths(fixed_res: Resolved) -> None:
    app = make_app()
    async with app.run_test(size=(50, 12)) as pilot:
        await pilot.pause()
        await pilot.resize_terminal(130, 40)
        await pilot.pause()
        await pilot.pause()
        table = app.screen.query_one("#quant-table", DataTable)
        want = answer(fixed_res, Selection(MODEL_ID))
        quant = table.columns[next(k for k in table.columns if k.value == "quant")]
        longest = max(len(r.entry.name) for r in want.quants) + 2
        assert quant.width >= longest
        assert [c.key.value for c in table.ordered_columns] == ["quant", "bits", "download", "kv", "total", "full",
                                                                  "bar", "fit", "tps"]
        # and back down: the columns that do not fit are dropped, fit and tok/s stay
        await pilot.resize_terminal(60, 16)
        await pilot.pause()
        await pilot.pause()
        keys = [c.key.value for c in table.ordered_columns]
        assert {"quant", "total", "fit", "tps"} <= set(keys) and "full" not in keys
        assert sum(c.get_render_width(table) for c in table.ordered_columns) <= table.size.width


@pytest.mark.parametrize("width", [80, 100, 160])
async def test_the_header_is_two_lines_that_never_wrap(width: int) -> None:
    app = make_app(target="rtx-4060-8gb")
    async with app.run_test(size=(width, 30)) as pilot:
        await pilot.pause()
        bar = app.screen.query_one("#selection", Static)
        shown = lines(bar, bar.content_size.width)
        assert len(shown) == 2, shown
        assert bar.size.height == 2


async def test_the_honest_no_in_the_header_the_tables_and_y(fixed_res: Resolved) -> None:
    """An 8B model at its full context on an 8 GB card: it does not fit, so no speed anywhere, the ways instead."""
    sel = Selection(MODEL_ID, "Q8_0", 131072, target="rtx-4060-8gb")
    want = answer(fixed_res, sel)
    assert want.quant_row.on_target.fit == NO
    ghost = tps(want.quant_row.on_target.tokens_per_second)
    ways = ways_to_run(want)
    w = want.ways()
    # llama.cpp's layer split decodes at about one GPU's speed: the 4× way may show the same number
    shared = w is not None and w.gpus_tokens_per_second is not None and tps(w.gpus_tokens_per_second) == ghost
    assert ways
    app = VramApp(fixed_catalog(), MODEL_ID, "rtx-4060-8gb", context=131072, quant="Q8_0")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.pause()
        bar = plain(app.screen.query_one("#selection", Static))
        assert "✗ no" in bar and (ghost not in bar or shared)
        assert ways[0].short in bar
        caption = plain(app.screen.query_one("#quant-caption", Static))
        assert "Q8_0 does not run here" in caption and ways[0].short in caption
        quants = app.screen.query_one("#quant-table", DataTable)
        for r in want.quants:
            runs = r.runs
            assert (cell(quants, r.entry.name, "tps") == "–") == (not runs)
        targets = app.screen.query_one("#compat-table", DataTable)
        for r in want.gpus:
            if r.estimate.fit == NO:
                assert cell(targets, r.id, "tps") == "–"
        await pilot.press("Y")
        assert (ghost not in app.clipboard or shared) and ways[0].long in app.clipboard


async def test_gpu_formats_are_marked_on_a_mac(fixed_res: Resolved) -> None:
    app = make_app(target="mac-studio-m2-ultra-64gb")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        quants = app.screen.query_one("#quant-table", DataTable)
        want = answer(fixed_res, Selection(MODEL_ID, target="mac-studio-m2-ultra-64gb"))
        assert want.row("FP8").unloadable
        assert cell(quants, "FP8", "fit") == "✗ format" and cell(quants, "FP8", "tps") == "–"
        assert cell(quants, "Q8_0", "fit") == "✓ fits"


async def test_long_device_names_are_shortened_not_wrapped(fixed_res: Resolved) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3", "d")
        await pilot.pause()
        table = app.screen.query_one("#compat-table", DataTable)
        assert all(row.height == 1 for row in table.ordered_rows)
        for r in answer(fixed_res, Selection(MODEL_ID)).devices:
            shown = cell(table, r.id, "name").strip()
            assert shown == short_name(r.entry.name) or (shown.startswith("…") and shown[1:] in r.entry.name)


async def test_an_empty_filter_says_so_and_how_to_widen_it() -> None:
    app = VramApp(fixed_catalog(), MODEL_ID, context=131072, quant="BF16")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3", "v")  # the most common vendor first
        await pilot.pause()
        pane = app.screen.query_one("#compat")
        assert pane.vendor == "NVIDIA"  # 4 of the fixed catalog's 5 GPUs
        await pilot.press("v", "f")  # AMD, and only those that run it: none at BF16 and 128K
        await pilot.pause()
        empty = app.screen.query_one("#compat-empty", Static)
        assert empty.display and app.screen.query_one("#compat-table", DataTable).row_count == 0
        text = plain(empty)
        assert "No GPUs match" in text and "vendor AMD (v)" in text and "press f" in text
        await pilot.press("f")
        await pilot.pause()
        assert not empty.display


async def test_all_quants_says_which_set_is_on() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        caption = app.screen.query_one("#quant-caption", Static)
        assert "common quants (a: all)" in plain(caption)
        await pilot.press("a")
        await pilot.pause()
        assert "every quant (a: common)" in plain(caption)


async def test_the_faq_starts_at_the_top_for_a_new_model(catalog) -> None:
    app = VramApp(catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await pilot.pause()
        await pilot.pause()
        scroll = app.screen.query_one("#faq-scroll")
        await pilot.press("G")
        await pilot.pause()
        assert scroll.scroll_y > 0
        main(app).model_id = next(m for m in catalog.models if m != app.model_id)
        await pilot.pause()
        await pilot.pause()
        await pilot.pause()
        assert scroll.scroll_y == 0


async def test_help_is_one_page_for_the_focused_pane() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for pane, title, other in (("2", "Quantizations", "GPUs and devices"), ("3", "GPUs and devices", "FAQ"),
                                   ("4", "Questions", "Quantizations")):
            await pilot.press(pane, "question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            text = plain(app.screen.query_one("#help-text", Static), width=76)
            assert title in text and f"### {other}" not in text and other + "\n" not in text
            assert "Copy command" in text and "Everywhere" in text
            # one compact page: the whole text within about a screen at 80×24
            assert len(lines(app.screen.query_one("#help-text", Static), 76)) <= 30
            await pilot.press("escape")


async def test_app_options_cover_the_whole_selection(monkeypatch) -> None:
    import vramtui.tui.app as app_module

    import vramtui.__main__ as launcher

    seen = {}
    monkeypatch.setattr(app_module, "run_app", lambda cat, **kw: seen.update(kw) or 0)
    assert launcher.main(["--model", "llama 3.1 8b instruct", "--gpu", "4090", "--context", "max", "--quant", "q8_0",
                          "--kv-type", "q8_0", "--gpus", "2"]) == 0
    assert seen["quant"] == "Q8_0" and seen["kv_type"] == "q8_0" and seen["gpus"] == 2
    assert seen["context"] == MAX and seen["target_id"] == "rtx-4090"
    assert launcher.main(["--quant", "Q9_X"]) == 2  # a bad option: one line, exit 2


async def test_context_max_opens_with_an_answer(fixed_res: Resolved) -> None:
    app = VramApp(fixed_catalog(), MODEL_ID, context=MAX, quant="Q8_0", kv_type="q4_0", gpus=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        ans = main(app).answer
        assert ans is not None
        assert ans.settings.context == fixed_res.catalog.models[MODEL_ID].context_length
        assert (ans.selection.quant, ans.settings.kv_type, ans.settings.gpus) == ("Q8_0", "q4_0", 2)


async def test_no_gpu_detected_targets_the_cpu_and_ram(monkeypatch) -> None:
    from vramtui.core.units import GIB

    import vramtui.sources.detect as detect
    from vramtui.sources.detect.parse import Machine

    monkeypatch.setattr(detect, "detect_machine", lambda: Machine("Linux", 32 * GIB, 24 * GIB))
    app = make_app(target="rtx-4090")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("D")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = main(app)
        assert screen.target == "this-cpu"  # not the old RTX 4090
        e = screen.answer.quant_row.on_target
        assert e is not None and e.hardware.kind == "cpu" and e.usable_bytes == 24 * GIB
        assert "CPU" in plain(app.screen.query_one("#selection", Static))
        assert screen.answer.row("FP8").unloadable  # GPU formats do not load on a CPU
        cmd = screen.answer.launch.commands["llama.cpp"].text
        assert "-ngl 0" in cmd


async def test_w_lists_what_runs_on_the_target_and_enter_picks_model_and_quant(catalog) -> None:
    from vramtui.fit import fit_list

    app = VramApp(catalog, target_id="rtx-4060")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("w")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = main(app)
        table = app.screen.query_one("#fit-table", DataTable)
        assert app.focused is table and screen.current_pane() == "model"
        want = fit_list(screen.res, screen.res.hardware("rtx-4060"))
        assert [r.value for r in table.rows] == [r.model.id for r in want.rows]
        caption = plain(app.screen.query_one("#fit-caption", Static))
        assert f"{len(want.rows)} of {want.considered} models run on RTX 4060" in caption
        await pilot.press("j", "enter")
        await pilot.pause()
        second = want.rows[1]
        assert (screen.model_id, screen.quant) == (second.model.id, second.quant.name)
        # the search box narrows the list
        await pilot.press("slash", *"qwen3")
        await pilot.pause()
        await pilot.pause()
        shown = {r.value for r in table.rows}
        assert shown and shown < {r.model.id for r in want.rows}
        assert all("qwen3" in catalog.models[i].name.lower().replace(" ", "") or "qwen3" in i for i in shown)
        # a new context recomputes it
        await pilot.press("escape")
        screen.context = 32768
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        longer = fit_list(screen.res, screen.res.hardware("rtx-4060"), context=32768)
        assert screen.fits is not None and screen.fits.context == 32768
        assert [r.model.id for r in screen.fits.rows] == [r.model.id for r in longer.rows]
        # w again: back to the search
        await pilot.press("1", "w")
        await pilot.pause()
        assert app.screen.query_one("#model").mode == "search"


async def test_w_without_a_target_says_what_to_do() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("w")
        await pilot.pause()
        assert app.screen.query_one("#model").mode == "search"
        assert any("Pick a target first" in str(n.message) for n in app._notifications)


async def test_a_gpu_found_at_start_becomes_the_target_with_the_fit_list(monkeypatch) -> None:
    from dataclasses import replace as dc_replace

    from vramtui.core.hardware import MULTI_GPU

    import vramtui.sources.detect as detect

    def found(machine, cat):
        hw = cat.gpus["rtx-4090"].hardware()
        return detect.MachineTarget(dc_replace(hw, kind=MULTI_GPU, gpu_count=2), "2 × RTX 4090", "rtx-4090", True)

    monkeypatch.setattr(detect, "detect_machine", lambda: None)
    monkeypatch.setattr(detect, "this_machine", found)
    app = VramApp(fixed_catalog(), detect_on_start=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = main(app)
        assert (screen.target, screen.gpus) == ("rtx-4090", 2)
        assert app.screen.query_one("#model").mode == "fits" and screen.active_pane == "model"
        assert screen.fits is not None and screen.fits.gpus == 2


async def test_the_palette_lists_each_action_once_and_finds_them(fixed_res: Resolved) -> None:
    from vramtui.tui.providers import ActionsProvider

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        provider = ActionsProvider(app.screen)
        titles = [t for t, _, _ in provider.commands(main(app))]
        assert len(titles) == len(set(titles))
        assert not {"Keys", "Screenshot"} & set(titles)  # our Help, and no file written to the cwd
        for query, first in (("detect", "Detect this machine"), ("fit", "Fit list"),
                             ("copy ollama", "Copy Ollama command")):
            hits = [h.text async for h in provider.search(query)]
            assert hits and hits[0] == first, (query, hits)
        await pilot.press("ctrl+p", *"copy ollama")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        ollama = answer(fixed_res, Selection(MODEL_ID)).launch.commands["ollama"]
        assert app.clipboard == ollama.text
