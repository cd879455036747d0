"""Snapshots of the main screen and the help screen, from the fixed catalog of snapshot_app.py.

Update after a deliberate change with `pytest tests/app --snapshot-update`, and look at the SVGs.
"""

from __future__ import annotations

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
