"""The ranges every input is held to before it reaches the database or date arithmetic.

Ids and whole numbers fit an INTEGER column on both databases: PostgreSQL's is 32-bit and refuses
a larger value with an error, not a "no such row" (SQLite's is 64-bit and refuses beyond that). The
BIGINT tables (journal, postings, bank lines, audit log) never count near 2³¹ either. Dates lie
between ``FIRST_DATE`` and ``LAST_DATE``, so that a year, a month or a day added to them is still a
date. Text on one line has no control characters.
"""
from __future__ import annotations

from datetime import date

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
MAX_ID = INT_MAX
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)


def control_characters(text: str, allowed: str = "") -> list[str]:
    """The control characters (C0, DEL, C1, line and paragraph separators) in ``text``.

    One line of text (a name, a subject) has none; several lines may have ``allowed`` ones.
    """
    return [ch for ch in text if ch not in allowed
            and (ord(ch) < 32 or 127 <= ord(ch) < 160 or ch in "\u2028\u2029")]


def as_id(text: str | None) -> int | None:
    """The id written in ``text`` (a form value, a search, a reference), or None.

    Only ASCII digits up to ``MAX_ID`` count: ``"²"`` or a twenty-digit number are no id.
    """
    text = (text or "").strip()
    if not text or not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if number <= MAX_ID else None
