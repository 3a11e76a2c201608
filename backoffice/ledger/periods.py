"""Months and fiscal years, computed from a value the caller passes in (the app configures which
month the fiscal year begins in; the ledger reads no configuration itself)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class PeriodKind(StrEnum):
    MONTH = "month"
    YEAR = "year"  # fiscal year


@dataclass(frozen=True)
class FiscalYear:
    """The association's fiscal year: the month it begins in (1 = the calendar year)."""

    first_month: int

    def __post_init__(self):
        if not (isinstance(self.first_month, int) and 1 <= self.first_month <= 12):
            raise ValueError(f"A fiscal year begins in a month from 1 to 12, not {self.first_month!r}.")

    @classmethod
    def of(cls, organisation) -> FiscalYear:
        """From the app's settings (``settings.organisation``, ``FISCAL_YEAR_START_MONTH``)."""
        return cls(organisation.fiscal_year_start_month)

    def start(self, day: date) -> date:
        """The first day of the fiscal year ``day`` lies in."""
        year = day.year if day.month >= self.first_month else day.year - 1
        return date(year, self.first_month, 1)

    def bounds(self, kind: PeriodKind, day: date) -> tuple[date, date]:
        """First and last day of the month or fiscal year ``day`` lies in."""
        if kind is PeriodKind.MONTH:
            first = date(day.year, day.month, 1)
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        else:
            first = self.start(day)
            following = date(first.year + 1, first.month, 1)
        return first, following - timedelta(days=1)
