"""A progress line on the terminal for a long import: rows read per section, then a bar per step.

`liaison network import` shows it when standard error is a terminal (or with `--progress`); a province
takes a minute or two, and a silent minute looks like a hung command. One line is redrawn in place
(`\r`), at most five times a second, and ends with a newline when the step changes, so a log of
the output (`--progress 2> log`) keeps one line per step.
"""

from __future__ import annotations

import time
from typing import TextIO

BAR_WIDTH = 20
REDRAW_EVERY = 0.2  # seconds


class TerminalProgress:
    """A `Progress` callback drawing `reading 1,000,002 constituents` or `writing people ▇▇▇▁▁ 60%`."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.step: str | None = None
        self.drawn = 0.0
        self.line = ""  # what is drawn
        self.latest = ""  # what the last call said (drawn later when it came too soon)

    def __call__(self, what: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = total > 0 and done >= total
        if what != self.step:
            self._end()
            self.step = what
        self.latest = render(what, done, total)
        if finished or now - self.drawn >= REDRAW_EVERY:
            self._draw(now)

    def _draw(self, now: float) -> None:
        self.drawn = now
        self.line = self.latest
        self.stream.write("\r" + self.line)
        self.stream.flush()

    def _end(self) -> None:
        """Finish the step's line with its latest state."""
        if self.step is None:
            return
        if self.latest != self.line:
            self._draw(time.monotonic())
        self.stream.write("\n")
        self.stream.flush()
        self.step = None

    def close(self) -> None:
        """End the last line (before the summary is printed)."""
        self._end()


def render(what: str, done: int, total: int) -> str:
    """One progress line: a count when the total is unknown (0), else a bar and a percentage."""
    if total <= 0:
        verb, _, noun = what.partition(" ")
        return f"{verb} {done:,} {noun}".rstrip()
    share = min(done / total, 1.0)
    filled = round(share * BAR_WIDTH)
    return f"{what} {'▇' * filled}{'▁' * (BAR_WIDTH - filled)} {share:.0%}"
