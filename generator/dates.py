"""dates.py — PartialDate: a date with the precision its sources give (year, month or day).

A date is never padded into a fake day: "2007-01" stays January 2007, sorts before any day of
January 2007 that is known, and is displayed as "January 2007".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

DATE_PATTERN = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
MONTHS = tuple(calendar.month_name)  # locale-independent enough: Python's C-locale English names

EXPECTED = "a date like 2007, 2007-01 or 2007-01-16"


@dataclass(frozen=True)
class PartialDate:
    """A year, a month or a day; `circa` marks an estimate."""

    year: int
    month: int | None = None
    day: int | None = None
    circa: bool = False

    @classmethod
    def parse(cls, text: str, circa: bool = False) -> PartialDate:
        """Parse '2007', '2007-01' or '2007-01-16'; raise ValueError saying what is wrong."""
        match = DATE_PATTERN.fullmatch(text.strip())
        if not match:
            raise ValueError(f'expected {EXPECTED}, got "{text}"')
        year, month, day = (int(part) if part else None for part in match.groups())
        if not 1000 <= year <= 2999:
            raise ValueError(f"year {year} is out of range")
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f'there is no month {month:02d} in "{text}"')
        if day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
            raise ValueError(f"there is no day {day:02d} in {MONTHS[month]} {year}")
        return cls(year, month, day, circa)

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    def sort_key(self) -> tuple[int, int, int]:
        # Less precise dates sort first within their period: "2007" before "2007-01-16".
        return (self.year, self.month or 0, self.day or 0)

    def iso(self) -> str:
        """The machine form at its own precision: 2007, 2007-01 or 2007-01-16."""
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{self.month:02d}" if self.month else f"{self.year:04d}"

    def display(self) -> str:
        """The reader's form: 2007, January 2007 or 16 January 2007; 'c.' for estimates."""
        text = str(self.year)
        if self.month:
            text = f"{MONTHS[self.month]} {text}"
        if self.day:
            text = f"{self.day} {text}"
        return f"c. {text}" if self.circa else text

    def __str__(self) -> str:
        return self.display()
