"""Snapshots of the main screen and the help screen, from the fixed catalog of snapshot_app.py.

Update after a deliberate change with `pytest tests/app --snapshot-update`, and look at the SVGs.
"""

from __future__ import annotations

import pytest
from snapshot_app import make_app
from textual.pilot import Pilot


async def settle(pilot: Pilot) -> None:
    """Let the FAQ (built after the first frame) arrive."""
    await pilot.pause()
    await pilot.pause()


def test_main_screen_80x24(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=settle)


def test_main_screen_120x40(snap_compare) -> None:
    assert snap_compare(make_app(target="rtx-4090"), terminal_size=(120, 40), run_before=settle)


def test_compatibility_pane_80x24(snap_compare) -> None:
    assert snap_compare(make_app(target="rtx-4060-8gb"), terminal_size=(80, 24), press=["3"], run_before=settle)


def test_faq_pane_80x24(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["4"], run_before=settle)


def test_help_screen(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["question_mark"], run_before=settle)


def test_too_small_terminal(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(40, 10), run_before=settle)


# The new states, at the smallest supported-comfortable size and a large one.
SIZES = [(80, 24), (160, 48)]


@pytest.mark.parametrize("size", SIZES)
def test_honest_no(snap_compare, size) -> None:
    """Q8_0 at the full 128K context on an 8 GB card: no speed, the ways it can run instead."""
    app = make_app(target="rtx-4060-8gb", context=131072, quant="Q8_0")
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_empty_filter(snap_compare, size) -> None:
    """AMD GPUs that run BF16 at 128K: none, and the pane says how to widen the filter."""
    app = make_app(context=131072, quant="BF16")
    assert snap_compare(app, terminal_size=size, press=["3", "v", "v", "f"], run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_fit_list(snap_compare, size) -> None:
    """What runs on a 12 GB RTX 3060 (the fixed catalog's one model), listed in the model pane."""

    async def fit_list(pilot: Pilot) -> None:
        await pilot.press("w")
        await pilot.app.workers.wait_for_complete()
        await settle(pilot)

    assert snap_compare(make_app(target="rtx-3060-12gb"), terminal_size=size, run_before=fit_list)
