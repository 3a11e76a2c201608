"""The ranges every input is held to before it reaches the database or date arithmetic.

Ids and whole numbers fit a signed 64-bit column (SQLite and PostgreSQL refuse larger ones with an
error, not a "no such row"); dates lie between ``FIRST_DATE`` and ``LAST_DATE``, so that a year, a
month or a day added to them is still a date.
"""
from __future__ import annotations

from datetime import date

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)


def as_id(text: str | None) -> int | None:
    """The id written in ``text`` (a form value, a search, a reference), or None.

    Only ASCII digits that fit a 64-bit column count: ``"²"`` or a twenty-digit number are no id.
    """
    text = (text or "").strip()
    if not text or not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if number <= INT64_MAX else None
