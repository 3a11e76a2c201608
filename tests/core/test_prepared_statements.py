"""PostgreSQL keeps the statements a connection runs often prepared, also across the ROLLBACK that
ends every request that only reads (issue 17: psycopg forgot them there, so PostgreSQL parsed and
planned every statement of every page again). ``DATABASE_PREPARED_STATEMENTS = False`` (a
PgBouncer in transaction mode) prepares nothing; SQLite is not concerned."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backoffice import create_app
from backoffice.auth.models import User
from backoffice.banking.models import BankAccount, BankLine
from backoffice.config import engine_options
from backoffice.core import clock
from backoffice.core.db import KeptPreparedConnection
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.ledger.balances import trial_balance
from backoffice.ledger.periods import FiscalYear
from backoffice.reports.statements import compute_activities, compute_balance_sheet

from ..conftest import base_config
from ..helpers import login

THRESHOLD = 5  # psycopg's prepare_threshold: runs on a connection before a statement is prepared


def _prepared(connection) -> list[str]:
    return list(connection.execute(text("SELECT statement FROM pg_prepared_statements")).scalars())


def _on_postgresql(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")


def test_a_statement_stays_prepared_across_rollbacks(app, backend):
    _on_postgresql(backend)
    with db.engine.connect() as connection:
        assert isinstance(connection.connection.dbapi_connection, KeptPreparedConnection)
        for user_id in range(THRESHOLD + 2):
            connection.execute(select(User.email).where(User.id == user_id)).all()
            connection.rollback()
        assert any("FROM users" in statement for statement in _prepared(connection))
        # still answered from the prepared statement after a rollback, and correctly
        assert connection.execute(select(User.email).where(User.id == -1)).all() == []


def test_dropping_a_table_on_the_connection_still_forgets_them(app, backend):
    _on_postgresql(backend)
    with db.engine.connect() as connection:
        for user_id in range(THRESHOLD + 1):
            connection.execute(select(User.email).where(User.id == user_id)).all()
        connection.commit()
        assert _prepared(connection)
        connection.execute(text("CREATE TEMPORARY TABLE scratch (x int)"))
        connection.execute(text("DROP TABLE scratch"))
        connection.rollback()
        assert not any("FROM users" in statement for statement in _prepared(connection))


def test_pages_that_only_read_run_on_prepared_statements(app, client, users, backend):
    """The request's unit of work ends in a ROLLBACK; the login session's lookup, which every
    page makes, is prepared after a few pages."""
    _on_postgresql(backend)
    login(client, Role.TREASURER)
    for _ in range(3 * THRESHOLD):  # the pool hands out its connections in turn
        assert client.get("/ledger/fund-balances").status_code == 200
    with db.engine.connect() as connection:
        # every pooled connection has served pages by now; the one given here is one of them
        assert any("FROM user_sessions" in statement for statement in _prepared(connection))


def test_prepared_statements_can_be_turned_off(database_url, backend):
    options = engine_options({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db",
                              "DATABASE_CONNECT_TIMEOUT": 5, "DATABASE_STATEMENT_TIMEOUT": 30,
                              "DATABASE_LOCK_TIMEOUT": 10, "DATABASE_PREPARED_STATEMENTS": False})
    assert options["connect_args"]["prepare_threshold"] is None
    _on_postgresql(backend)
    app = create_app(base_config(database_url) | {"DATABASE_PREPARED_STATEMENTS": False})
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                assert connection.connection.dbapi_connection.prepare_threshold is None
                for user_id in range(THRESHOLD + 2):
                    connection.execute(select(User.email).where(User.id == user_id)).all()
                connection.commit()
                assert _prepared(connection) == []
        finally:
            db.engine.dispose()


@pytest.mark.demo_data
def test_the_statements_of_the_reports_are_planned_once(app, backend):
    """The totals statements carry their dates, grains and constants in their text
    (``core.db.planned_once``): prepared, PostgreSQL plans each once per connection and
    never again, where with them as parameters it planned afresh on every run. What a user
    types (the trial balance's page after an account code) stays a parameter."""
    _on_postgresql(backend)
    today = clock.today()
    with db.engine.connect() as connection:
        session = Session(bind=connection)
        for _ in range(THRESHOLD + 2):
            compute_activities(session, date(today.year - 1, 1, 1), today, by="fund")
            compute_balance_sheet(session, today)
            trial_balance(session, today, fiscal_year=FiscalYear(7), limit=5)
            trial_balance(session, today, fiscal_year=FiscalYear(7), after=("EUR", "1"), limit=5)
            session.rollback()
        plans = connection.execute(text(
            "SELECT statement, parameter_types::text[] AS types, generic_plans, custom_plans "
            "FROM pg_prepared_statements WHERE statement LIKE '%ledger_%totals%'")).all()
    kinds = {"activities": "anon_1.piece", "balances on days": "anon_1.day",
             "trial balance": "WITH joined"}
    for kind, mark in kinds.items():
        found = [plan for plan in plans if mark in plan.statement]
        assert found, f"no statement of the {kind} was prepared"
        for plan in found:
            if "$1" in plan.statement:  # the trial balance after an account code a user asked for
                assert plan.types == ["character varying", "character varying"]
                continue
            assert plan.types == [] and plan.custom_plans == 0 and plan.generic_plans >= 2, \
                (kind, plan)
    assert any("$1" in plan.statement for plan in plans)


def _plans_of_every_connection() -> list:
    """Each pooled connection's prepared statements: all of them checked out at once, so that
    each is a different one."""
    held = []
    try:
        for _ in range(db.engine.pool.checkedin()):
            held.append(db.engine.connect())
        return [plan for connection in held for plan in connection.execute(text(
            "SELECT statement, parameter_types::text[] AS types, generic_plans, custom_plans "
            "FROM pg_prepared_statements")).all()]
    finally:
        for connection in held:
            connection.close()


@pytest.mark.demo_data
def test_the_reconciliation_queues_statements_are_planned_once(app, client, users, backend):
    """The queue's account with its first lines, and the bank postings still open, carry the
    account's ids, page size and constants in their text (``core.db.planned_once``): with them
    as parameters PostgreSQL kept planning both afresh on every page of the queue on the crowd
    benchmark's database (0.2 and 0.6 ms each time; whether it does depends on the data, so the
    test asks for the cause: no parameters, a plan made once)."""
    _on_postgresql(backend)
    bank = db.session.scalar(select(BankAccount.id).join(BankLine).where(
        BankLine.status == "open").order_by(BankAccount.id).limit(1))
    db.session.rollback()
    login(client, Role.TREASURER)
    for _ in range(4 * (THRESHOLD + 1)):  # prepared and run again on each pooled connection
        assert client.get(f"/bank/accounts/{bank}/reconcile").status_code == 200
    plans = _plans_of_every_connection()
    for mark in ("WITH unconfirmed AS", "SELECT bank_accounts.id"):
        found = [plan for plan in plans if plan.statement.lstrip().startswith(mark)]
        assert found, f"{mark}: not prepared"
        for plan in found:
            assert plan.types == [] and plan.custom_plans == 0 and plan.generic_plans >= 1, plan
