"""The demo's audit: the auditors are checking last fiscal year's books (closed by then), a
random sample drawn with a fixed seed, most items checked, one queried, two still open."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.actors import Actor
from ..ledger import reads
from ..ledger.periods import FiscalYear
from . import audit
from .models import Body, BodyKind

SEED = 2026
NOTES = ["Invoice and bank line agree.", "Receipt on file; amount and date agree.",
         "Booked to the right fund.", "Bank statement line found.", "Signed approval on file."]


def seed_audit(session: Session, *, auditor: Actor, today: date, fiscal: FiscalYear) -> int:
    """The audit of the fiscal year before ``today``'s; the number of items sampled (0 when the
    demo has no books for that year)."""
    auditors = session.scalar(select(Body).where(Body.kind == BodyKind.AUDITORS))
    last_year = fiscal.start(fiscal.start(today) - timedelta(days=1))
    found = audit.start(session, auditors, year=last_year.year, fiscal=fiscal, actor=auditor)
    if not reads.entry_ids_between(session, found.starts_on, found.ends_on):
        return 0
    items = audit.draw(session, found, size=8, seed=SEED, actor=auditor)
    for n, item in enumerate(items[:-2]):
        if n == 2:
            audit.mark(session, item, "query", "The receipt is missing: please send a copy.",
                       actor=auditor)
        else:
            audit.mark(session, item, "check", NOTES[n % len(NOTES)], actor=auditor)
    return len(items)
