"""A read given more ids than one IN list holds asks in several statements and finds every row
(``core.db.in_batches``), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

from backoffice.core.db import IN_LIST_SIZE, counting_statements
from backoffice.ledger.reads import postings_by_id


def test_postings_by_id_reads_past_one_in_list(books, session):
    entries = [books.post(date(2026, 3, day), ("6100", books.general, "1"),
                          ("1200", books.general, "-1")) for day in (2, 3)]
    wanted = sorted(p.id for entry in entries for p in entry.postings)
    # The postings' ids at both ends of a list three batches long, the rest ids of no posting.
    ids = [wanted[0], wanted[1], *range(10_000, 10_000 + 3 * IN_LIST_SIZE - 4),
           wanted[2], wanted[3]]
    session.expunge_all()
    with counting_statements(session.get_bind()) as sent:
        found = postings_by_id(session, ids)
    assert sorted(found) == wanted
    assert all(found[i].id == i for i in wanted)
    assert sent[0] == 3
