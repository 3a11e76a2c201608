"""A reported audit and its checklist never change, whoever connects: every statement the two
databases offer (``tests/core/test_tampering``'s attempts: UPDATE, DELETE, SQLite's REPLACE,
INSERT OR REPLACE, UPDATE OR REPLACE and upserts, PostgreSQL's INSERT ... ON CONFLICT, MERGE and
TRUNCATE) is tried from a connection of its own on a reported audit and on its items; nothing is
added to its checklist; an open audit still changes (migration 0038)."""
from __future__ import annotations

import pytest

from backoffice.board.audit_models import AuditStatus
from backoffice.core.permissions import Role
from backoffice.extensions import db

from ..outsider import Outsider
from .audit_helpers import YEAR, auditors_of, book_entries
from .test_audit import _checked_audit, _finish
from .test_frozen import assert_unchangeable

REFUSED = ("a reported audit never changes", "append-only", "a row with the same key exists")
#: table -> (the row to attack, the column to change)
TARGETS = {
    "board_audits": ("SELECT * FROM board_audits WHERE status = 'reported'", "report_text"),
    "board_audit_items": ("SELECT i.* FROM board_audit_items i JOIN board_audits a "
                          "ON a.id = i.audit_id WHERE a.status = 'reported'", "note"),
}


@pytest.fixture
def reported(board, users, tmp_path):
    """A reported audit of ``YEAR`` (three items, checked) and an open one of the year before."""
    auditors = auditors_of(board)
    found, _ = _checked_audit(auditors, users[Role.AUDITOR])
    _finish(found, users[Role.AUDITOR], str(tmp_path))
    assert found.status is AuditStatus.REPORTED
    from backoffice.board import audit
    from backoffice.core.db import transaction
    from backoffice.ledger.periods import FiscalYear

    book_entries(2, YEAR - 1)
    with transaction():
        other = audit.start(db.session, auditors, year=YEAR - 1, fiscal=FiscalYear(1),
                            actor=users[Role.AUDITOR])
        audit.draw(db.session, other, size=2, seed=1, actor=users[Role.AUDITOR])
    ids = found.id, other.id
    db.session.rollback()  # no transaction of the test's own holds a lock the attempts wait for
    return ids


@pytest.mark.parametrize("table", list(TARGETS))
def test_no_statement_changes_a_reported_audit(reported, backend, table):
    more = {"UPDATE status back to open": "UPDATE board_audits SET status = 'open' WHERE id = ?"} \
        if table == "board_audits" else {}
    assert_unchangeable(backend, table, *TARGETS[table], REFUSED, more)


def test_nothing_is_added_to_a_reported_checklist(reported, backend):
    audit_id, _ = reported
    with Outsider(db.engine.url) as outsider:
        entry = outsider.rows("SELECT max(id) FROM journal_entries")[0][0]
        with pytest.raises(Exception, match="a reported audit never changes") as refused:
            outsider.execute("INSERT INTO board_audit_items (audit_id, entry_id, origin, status, "
                             "note) VALUES (?, ?, 'picked', 'checked', 'added later')",
                             (audit_id, entry))
        assert "INSERT refused" in str(refused.value)
        # nor moved into it from an open audit
        with pytest.raises(Exception, match="a reported audit never changes"):
            outsider.execute("UPDATE board_audit_items SET audit_id = ? WHERE audit_id <> ?",
                             (audit_id, audit_id))


def test_an_open_audit_still_changes(reported, backend):
    _, open_id = reported
    with Outsider(db.engine.url) as outsider:
        outsider.execute("UPDATE board_audit_items SET note = 'noted' WHERE audit_id = ?",
                         (open_id,))
        outsider.execute("UPDATE board_audits SET findings = 'none yet' WHERE id = ?", (open_id,))
        assert outsider.rows("SELECT DISTINCT note FROM board_audit_items WHERE audit_id = ?",
                             (open_id,)) == [("noted",)]
        outsider.execute("DELETE FROM board_audit_items WHERE audit_id = ?", (open_id,))
