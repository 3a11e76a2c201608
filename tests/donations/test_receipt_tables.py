"""An issued receipt never changes but for its cancellation, whoever connects: every way the two
databases offer to change one, tried with plain SQL on a connection of its own."""
from __future__ import annotations

from datetime import date

import pytest

from backoffice.core.db import transaction
from backoffice.donations.receipts import services
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from ..outsider import Outsider
from . import receipt_factories as make

REFUSED = "(?i)never changes|same key|append-only: TRUNCATE refused"


@pytest.fixture
def stored(app):
    giver = make.donor()
    gift = make.donation(giver, 50000)
    receipt = services.issue(db.session, services.Request(giver.id, (gift.id,), date(2027, 1, 15)),
                             settings=app_settings(), actor=None)
    other = make.donation(giver, 60000)
    cancelled = services.issue(db.session, services.Request(giver.id, (other.id,), date(2027, 1, 15)),
                               settings=app_settings(), actor=None)
    with transaction():
        services.cancel(db.session, cancelled, reason="test", actor=None, settings=app_settings())
    ids = receipt.id, cancelled.id
    db.session.remove()
    with Outsider(db.engine.url) as sql:
        yield sql, *ids


def attempts(sql, table, row_id):
    row = sql.row(f"SELECT * FROM {table} WHERE id = ?", (row_id,))
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    tried = {
        "UPDATE a column": (f"UPDATE {table} SET "
                            + ("donor_name = 'Someone else'" if table == "receipts" else "amount = 1")
                            + " WHERE id = ?", (row_id,)),
        "DELETE": (f"DELETE FROM {table} WHERE id = ?", (row_id,)),
    }
    if sql.backend == "sqlite":
        tried["REPLACE INTO"] = (f"REPLACE INTO {table} ({names}) VALUES ({marks})", tuple(row.values()))
        tried["INSERT OR REPLACE"] = (f"INSERT OR REPLACE INTO {table} ({names}) VALUES ({marks})",
                                      tuple(row.values()))
    else:
        tried["TRUNCATE"] = (f"TRUNCATE {table} CASCADE", ())
        tried["ON CONFLICT DO UPDATE"] = (
            f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET "
            + ("donor_name = 'x'" if table == "receipts" else "amount = 1"), tuple(row.values()))
    return tried


@pytest.mark.parametrize("table", ["receipts", "receipt_gifts"])
def test_every_way_to_change_an_issued_receipt_is_refused(stored, table):
    sql, receipt_id, _ = stored
    row_id = receipt_id if table == "receipts" else sql.rows(
        "SELECT id FROM receipt_gifts WHERE receipt_id = ?", (receipt_id,))[0][0]
    before = sql.snapshot(table)
    for name, (statement, params) in attempts(sql, table, row_id).items():
        with pytest.raises(Exception, match=REFUSED):
            sql.execute(statement, params)
        assert sql.snapshot(table) == before, name


def test_a_cancellation_is_recorded_once_and_needs_a_reason(stored):
    sql, receipt_id, cancelled_id = stored
    now = "'2027-02-01 10:00:00'"
    for statement in (
            f"UPDATE receipts SET cancelled_at = {now}, cancel_reason = '' WHERE id = {receipt_id}",
            f"UPDATE receipts SET cancelled_at = {now}, cancel_reason = 'x', total = 1 WHERE id = {receipt_id}",
            f"UPDATE receipts SET cancel_reason = 'other reason' WHERE id = {cancelled_id}",
            f"UPDATE receipts SET cancelled_at = NULL, cancel_reason = NULL WHERE id = {cancelled_id}",
            f"UPDATE receipt_gifts SET cancelled = {'true' if sql.backend == 'postgresql' else 1} "
            f"WHERE receipt_id = {receipt_id}",
            f"UPDATE receipt_gifts SET cancelled = {'false' if sql.backend == 'postgresql' else 0} "
            f"WHERE receipt_id = {cancelled_id}"):
        before = sql.snapshot("receipts"), sql.snapshot("receipt_gifts")
        with pytest.raises(Exception, match="(?i)never changes|same key|check"):
            sql.execute(statement)
        assert (sql.snapshot("receipts"), sql.snapshot("receipt_gifts")) == before, statement
    # What the service does is allowed: the cancellation fields, once, with a reason.
    sql.execute(f"UPDATE receipts SET cancelled_at = {now}, cancel_reason = 'wrong' WHERE id = ?",
                (receipt_id,))
    assert sql.rows("SELECT cancel_reason FROM receipts WHERE id = ?", (receipt_id,)) == [("wrong",)]
