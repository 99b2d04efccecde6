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
    assert "is due in " in out
    assert "is overdue" in out
    assert "Baton posts → #support:" in out and "late" in out
