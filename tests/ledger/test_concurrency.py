"""Two treasurers at the same moment: the database, not luck, keeps the ledger right."""

from sqlalchemy import func, select

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.errors import DomainError
from backoffice.ledger import services
from backoffice.ledger.integrity import problems
from backoffice.ledger.models import JournalEntry

from ..concurrency import at_once


def test_an_entry_reversed_twice_at_once_is_reversed_once(app, books, session):
    for _ in range(5):
        entry = books.post(clock.today(), ("6100", books.general, "5"), ("1200", books.general, "-5"))

        def reverse(session, entry_id=entry.id):
            with transaction(session):
                services.reverse_entry(session, session.get(JournalEntry, entry_id), actor=None,
                                       reason="race")
            return "reversed"

        results = at_once(app, [reverse, reverse])
        assert not [r for r in results if isinstance(r, Exception)
                    and not isinstance(r, DomainError)], results
        outcomes = [type(r).__name__ if isinstance(r, DomainError) else r for r in results]
        assert sorted(outcomes)[-1] == "reversed" and outcomes.count("reversed") == 1, outcomes
        assert set(outcomes) - {"reversed"} <= {"Conflict", "ValidationError"}
        assert session.scalar(select(func.count()).select_from(JournalEntry)
                              .where(JournalEntry.reverses_id == entry.id)) == 1
    assert problems(session) == []
