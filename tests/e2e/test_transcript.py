"""The README's transcript comes from docs/transcript.py; it must keep running and telling the story."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "transcript.py"


def test_transcript_script_shows_the_core_loop(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(SCRIPT), run_name="__main__")
    out = capsys.readouterr().out
    assert "Baton posts → DM to @alice:" in out
    assert "Check-in: how is *T-1* going?" in out
    assert "⏰ due in 27 hours" in out  # the warning rides with Thursday's check-in, in one message
    friday = out.split("--- Friday 23:00 Berlin")[1].split("--- Monday 08:00")[0]
    assert "DM to @maya" in friday and "DM to @alice" not in friday  # 23:00 in Berlin: hers waits
    monday = out.split("--- Monday 08:00 Berlin")[1]
    assert "*1 task to check in on, 1 overdue*" in monday
    assert "is overdue" in out
    assert "Baton posts → #support:" in out and "late" in out
