"""The mail outbox: a message is a row committed with its change, sent after the commit; a mail
server that is away leaves it pending with a growing wait, then failed for admins to send again;
two workers draining at once send each message once (SQLite and PostgreSQL)."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backoffice.core import outbox
from backoffice.core.db import transaction, utcnow
from backoffice.core.mail import build_message, queue_mail
from backoffice.core.permissions import Role
from backoffice.core.queue import running_with
from backoffice.extensions import db

from ..conftest import _free_port
from ..helpers import csrf_token, login


def _rows(session):
    session.expire_all()
    return list(session.scalars(select(outbox.OutboxMail).order_by(outbox.OutboxMail.id)))


def _drain(app, **kwargs):
    with running_with(app.config), Session(db.engine, expire_on_commit=False) as session:
        return outbox.drain(session, **kwargs)


def test_the_message_is_a_row_committed_with_the_change_and_sent_after(session, mailbox):
    with transaction():
        queue_mail(session, "ada@example.org", "Hello", "Body")
        assert mailbox == [] and len(session.new) == 1
    (row,) = _rows(session)
    assert (row.state, row.attempts, row.recipients) == ("sent", 1, "ada@example.org")
    assert [m["Message-ID"] for m in mailbox] == [row.message_id]


def test_the_sender_is_the_configured_one_when_the_message_is_sent(app, session, mailbox):
    app.config.update(MAIL_FROM="Grants <grants@example.org>")
    with transaction():
        queue_mail(session, "ada@example.org", "Hello", "Body")
        own = build_message("bob@example.org", "Hello", "Body")
        own["From"] = "Treasurer <treasurer@example.org>"
        outbox.add(session, own)
    assert [m["From"] for m in mailbox] == ["Grants <grants@example.org>",
                                            "Treasurer <treasurer@example.org>"]


def test_a_mail_server_away_means_waiting_longer_each_time_then_failed(app, session, mailbox):
    app.config.update(MAIL_PORT=_free_port(), OUTBOX_RETRY_BASE_SECONDS=60, OUTBOX_MAX_ATTEMPTS=3)
    with transaction():
        queue_mail(session, "ada@example.org", "Hello", "Body")  # tried at once: refused
    (row,) = _rows(session)
    assert (row.state, row.attempts) == ("pending", 1) and "Connection refused" in row.last_error
    assert timedelta(seconds=55) < row.next_attempt_at - utcnow() <= timedelta(seconds=60)
    assert _drain(app).sent == 0  # not due yet: not tried
    session.execute(update(outbox.OutboxMail).values(next_attempt_at=utcnow()))
    session.commit()
    assert _drain(app).failed == 1
    (row,) = _rows(session)
    assert row.attempts == 2 and timedelta(seconds=115) < row.next_attempt_at - utcnow()
    session.execute(update(outbox.OutboxMail).values(next_attempt_at=utcnow()))
    session.commit()
    result = _drain(app)
    (row,) = _rows(session)
    assert (result.failed, result.retry_at, row.state, row.attempts) == (1, None, "failed", 3)
    assert mailbox == []


def test_admins_see_failed_mail_and_send_it_again(app, client, session, users, mailbox,
                                                  smtp_server):
    app.config.update(MAIL_PORT=_free_port(), OUTBOX_MAX_ATTEMPTS=1)
    with transaction():
        queue_mail(session, "ada@example.org", "Your grant", "Approved")
    (row,) = _rows(session)
    assert row.state == "failed"
    login(client, Role.TREASURER)
    assert client.get("/admin/outbox").status_code == 403
    login(client, Role.ADMIN)
    assert "Mail the mail server refused" in client.get("/").get_data(as_text=True)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Your grant" in page and "failed: 1" in page and "Connection refused" in page
    app.config["MAIL_PORT"] = smtp_server[0]  # the mail server is back
    response = client.post(f"/admin/outbox/{row.id}/retry",
                           data={"csrf_token": csrf_token(client, "/admin/outbox")})
    assert response.status_code == 302
    assert [m["Subject"] for m in mailbox] == ["Your grant"]
    assert _rows(session)[0].state == "sent"
    assert "Nothing waits" in client.get("/admin/outbox").get_data(as_text=True)


def test_two_workers_draining_at_once_send_each_message_once(app, session, mailbox):
    with transaction():
        session.add_all(outbox.OutboxMail(
            message_id=str(message["Message-ID"]), recipients=f"p{n}@example.org",
            subject=f"Mail {n}", message=message.as_bytes(), state="pending", attempts=0,
            last_error="", next_attempt_at=utcnow())
            for n in range(120) for message in [build_message(f"p{n}@example.org", f"Mail {n}",
                                                              "Body")])
    barrier, results, errors = threading.Barrier(2), [], []

    def worker():
        try:
            with app.app_context():
                barrier.wait()
                results.append(_drain(app, batch=7))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sorted(m["Subject"] for m in mailbox) == sorted(f"Mail {n}" for n in range(120))
    assert sum(result.sent for result in results) == 120
    assert session.scalar(select(func.count()).select_from(outbox.OutboxMail)
                          .where(outbox.OutboxMail.state == "sent")) == 120
