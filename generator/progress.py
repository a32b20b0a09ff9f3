"""progress.py — how a long build shows it is moving: a bar on a terminal, plain lines elsewhere.

Stages with fewer than MIN_ITEMS items finish too fast to be worth showing; a small archive's
build prints only its summary. Everything goes to stderr, so stdout stays the summary alone.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

MIN_ITEMS = 200
BAR_WIDTH = 30
REDRAW_SECONDS = 0.1
UNITS = {"checking": "files", "rendering": "files", "indexing": "pages"}


def silent(stage: str, done: int, total: int) -> None:
    """The progress callback that shows nothing (--quiet, and callers that print nothing)."""


class Display:
    """A build's `progress` callback: a redrawn bar on a terminal, a line per quarter in logs."""

    def __init__(self, stream: TextIO = sys.stderr, terminal: bool | None = None):
        self.stream = stream
        self.terminal = stream.isatty() if terminal is None else terminal
        self.started = self.drawn = 0.0
        self.quarter = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total < MIN_ITEMS:
            return
        now = time.perf_counter()
        if done == 0:
            self.started, self.quarter = now, 0
            if not self.terminal:
                self._line(f"{stage.capitalize()} {total:,} {UNITS.get(stage, 'items')}…")
        if self.terminal:
            if done == total or now - self.drawn >= REDRAW_SECONDS:
                self.drawn = now
                filled = BAR_WIDTH * done // total
                bar = "█" * filled + "░" * (BAR_WIDTH - filled)
                end = f" {now - self.started:.1f} s\n" if done == total else ""
                self.stream.write(f"\r{stage:<10} {bar} {done:,}/{total:,}{end}")
                self.stream.flush()
        elif done == total:
            self._line(f"{stage.capitalize()}: done in {now - self.started:.1f} s.")
        elif 4 * done // total > self.quarter:
            self.quarter = 4 * done // total
            self._line(f"{stage.capitalize()}: {done:,} of {total:,}")

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()
