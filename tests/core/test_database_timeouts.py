"""A database that is locked, slow or silent never holds a worker for long and never answers
500: the request answers 503 "busy, try again" within the configured timeouts, nothing saved."""
from __future__ import annotations

import socket
import sqlite3
import threading
import time
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from backoffice import create_app
from backoffice.config import engine_options
from backoffice.core.permissions import Role
from backoffice.expenses.models import ClaimStatus, ExpenseClaim
from backoffice.extensions import db
from backoffice.ledger.models import JournalEntry

from ..conftest import FreshContextClient, base_config
from ..helpers import csrf_token, email_for
from ..sponsorship import active_group, client_for, submit


@pytest.fixture
def make_app():
    """Apps with other timeouts than the test's own; their connections closed at the end."""
    made = []

    def make(database_url: str, **timeouts):
        app = create_app(base_config(database_url) | timeouts)
        app.test_client_class = FreshContextClient
        made.append(app)
        return app
    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


@contextmanager
def _held_elsewhere(database_url: str, backend: str, pg_statement: str):
    """Another connection holding a lock until the block ends: SQLite's one write lock, or on
    PostgreSQL the lock ``pg_statement`` takes."""
    if backend == "sqlite":
        other = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    else:
        url = make_url(database_url)
        other = psycopg.connect(host=url.host, port=url.port, user=url.username,
                                dbname=url.database)
        other.execute(pg_statement)
    try:
        yield
    finally:
        other.rollback()
        other.close()


def _assert_busy_page(response, started: float, limit: float) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 503, html[:2000]
    assert response.headers["Retry-After"] == "5"
    assert "try again" in html and "nothing was saved" in html
    assert time.monotonic() - started < limit


def test_an_approval_waiting_too_long_for_a_lock_answers_busy_and_saves_nothing(
        app, session, users, database_url, backend, make_app):
    group = active_group(session, "PyLocked", actor=users[Role.ADMIN], money="100.00")
    claim = submit(session, group.organisers[0], group.fund, ["10.00"])
    impatient = make_app(database_url, DATABASE_LOCK_TIMEOUT=1)
    client = client_for(impatient, email_for(Role.TREASURER))
    page, fund_id = f"/expenses/claims/{claim.id}", group.fund_id
    token = csrf_token(client, page)
    entries = session.scalar(select(func.count()).select_from(JournalEntry))
    session.remove()

    with _held_elsewhere(database_url, backend,
                         f"SELECT id FROM funds WHERE id = {fund_id} FOR UPDATE"):
        started = time.monotonic()
        response = client.post(f"{page}/decide", data={"approve": "Approve", "comment": "",
                                                       "csrf_token": token})
        _assert_busy_page(response, started, limit=8)

    assert session.get(ExpenseClaim, claim.id).status is ClaimStatus.SUBMITTED
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries
    # Once the lock is gone, the same click works.
    again = client.post(f"{page}/decide", data={"approve": "Approve", "comment": "",
                                                "csrf_token": token})
    assert again.status_code == 302


def test_a_statement_past_its_timeout_answers_busy_on_postgresql(app, database_url, backend,
                                                                 make_app):
    if backend != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's; SQLite readers never wait for a lock")
    slow = make_app(database_url, DATABASE_STATEMENT_TIMEOUT=1, DATABASE_LOCK_TIMEOUT=0)
    with _held_elsewhere(database_url, backend,
                         "LOCK TABLE grant_programmes IN ACCESS EXCLUSIVE MODE"):
        started = time.monotonic()
        _assert_busy_page(slow.test_client().get("/grants/"), started, limit=8)
    assert slow.test_client().get("/grants/").status_code == 200


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_database_that_accepts_but_never_answers_gives_a_503_within_the_connect_timeout(
        silent_server, make_app):
    app = make_app(f"postgresql+psycopg://nobody@127.0.0.1:{silent_server}/backoffice",
               DATABASE_CONNECT_TIMEOUT=2)
    started = time.monotonic()
    _assert_busy_page(app.test_client().get("/grants/"), started, limit=10)


def test_timeouts_are_on_by_default():
    postgres = engine_options({
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db", "DATABASE_CONNECT_TIMEOUT": 5, "DATABASE_STATEMENT_TIMEOUT": 30,
        "DATABASE_LOCK_TIMEOUT": 10, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 3}})
    assert postgres == {"pool_size": 3, "connect_args": {
        "connect_timeout": 5, "options": "-c statement_timeout=30000 -c lock_timeout=10000"}}
    sqlite = engine_options({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db",
                             "DATABASE_LOCK_TIMEOUT": 10, "DATABASE_CONNECT_TIMEOUT": 5,
                             "DATABASE_STATEMENT_TIMEOUT": 30})
    assert sqlite == {"connect_args": {"timeout": 10.0}}
