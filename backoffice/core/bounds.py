"""The ranges every input is held to before it reaches the database or date arithmetic.

Ids and whole numbers fit an INTEGER column on both databases: PostgreSQL's is 32-bit and refuses
a larger value with an error, not a "no such row" (SQLite's is 64-bit and refuses beyond that). The
BIGINT tables (journal, postings, bank lines, audit log) never count near 2³¹ either. Dates lie
between ``FIRST_DATE`` and ``LAST_DATE``, so that a year, a month or a day added to them is still a
date.
"""
from __future__ import annotations

from datetime import date

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
MAX_ID = INT_MAX
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)


def as_id(text: str | None) -> int | None:
    """The id written in ``text`` (a form value, a search, a reference), or None.

    Only ASCII digits up to ``MAX_ID`` count: ``"²"`` or a twenty-digit number are no id.
    """
    text = (text or "").strip()
    if not text or not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if number <= MAX_ID else None
