"""Two treasurers at the same moment: the database, not luck, keeps the ledger right."""
import threading
from datetime import date

from sqlalchemy import func, select

from backoffice.core.db import transaction
from backoffice.core.errors import DomainError
from backoffice.extensions import db
from backoffice.ledger import services
from backoffice.ledger.integrity import problems
from backoffice.ledger.models import JournalEntry


def test_an_entry_reversed_twice_at_once_is_reversed_once(app, books, session):
    for _ in range(5):
        entry = books.post(date.today(), ("6100", books.general, "5"), ("1200", books.general, "-5"))
        barrier = threading.Barrier(2)
        outcomes = []

        def reverse(entry_id=entry.id, barrier=barrier, outcomes=outcomes):
            with app.app_context():
                target = db.session.get(JournalEntry, entry_id)
                barrier.wait()
                try:
                    with transaction():
                        services.reverse_entry(db.session, target, actor=None, reason="race")
                    outcomes.append("reversed")
                except DomainError as error:
                    outcomes.append(type(error).__name__)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=reverse) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes)[-1] == "reversed" and outcomes.count("reversed") == 1, outcomes
        assert set(outcomes) - {"reversed"} <= {"Conflict", "ValidationError"}
        assert session.scalar(select(func.count()).select_from(JournalEntry)
                              .where(JournalEntry.reverses_id == entry.id)) == 1
    assert problems(session) == []
