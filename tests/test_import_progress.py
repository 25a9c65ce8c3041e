"""The import's progress line: counts while reading, a bar per step, one line per step in a log."""

from __future__ import annotations

import io

from bot.runtime.progress import TerminalProgress, render


def test_a_count_while_reading_and_a_bar_while_writing() -> None:
    assert render("reading constituents", 1_000_002, 0) == "reading 1,000,002 constituents"
    assert render("writing people", 3, 5) == "writing people ▇▇▇▇▇▇▇▇▇▇▇▇▁▁▁▁▁▁▁▁ 60%"
    assert render("writing people", 5, 5).endswith("▇ 100%")


def test_each_step_ends_on_its_last_state_in_one_line() -> None:
    out = io.StringIO()
    progress = TerminalProgress(out)
    for done in range(0, 100_001, 1000):  # faster than the redraws: most are skipped
        progress("reading constituents", done, 0)
    progress("writing people", 1, 4)
    progress("writing people", 4, 4)
    progress.close()
    lines = out.getvalue().split("\n")
    assert lines[0].split("\r")[-1] == "reading 100,000 constituents"
    assert lines[1].split("\r")[-1].endswith("100%")
    assert lines[2:] == [""]
    assert out.getvalue().count("\r") < 20
