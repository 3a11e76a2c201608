"""The mail outbox: every message is a row written in the transaction that caused it, sent by a
job after the commit.

A rolled-back change leaves no row, so it sends nothing; a committed one keeps its row until the
mail server took it, so a crash (of the web process, of a worker, of the mail server) loses
nothing. ``drain`` claims due rows (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite one atomic
``UPDATE ... WHERE state = 'pending'`` under its write lock), so two workers draining at once send
each message once. A failed send is tried again after ``OUTBOX_RETRY_BASE_SECONDS`` doubled per
attempt (at most ``OUTBOX_RETRY_MAX_SECONDS``), and after ``OUTBOX_MAX_ATTEMPTS`` it is
``failed``: listed for admins (``/admin/outbox``), who can send it again.

The rows a batch sent are marked ``sent`` in one commit after the batch (``drain(batch=50)``). A
worker that dies between the mail server's answer and that commit leaves its rows ``sending``; after ``OUTBOX_CLAIM_SECONDS`` it is claimed again. That message may then arrive twice
(SMTP has no idempotency key; its Message-ID lets a mail client fold the copies), never zero times.
"""
from __future__ import annotations

import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses

from sqlalchemy import Index, Integer, LargeBinary, String, Text, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from .db import UTCDateTime, transaction, utcnow
from .errors import InvalidTransition
from .queue import RetryLater, enqueue_on_commit, job, log, settings

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
DRAIN_JOB = "mail.drain"


class OutboxMail(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255))
    recipients: Mapped[str] = mapped_column(Text)  # the envelope, comma separated
    subject: Mapped[str] = mapped_column(String(998))
    message: Mapped[bytes] = mapped_column(LargeBinary)  # the whole message as sent
    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def add(session: Session, message: EmailMessage) -> OutboxMail:
    """Write the message into the outbox of the session's transaction; the drain job runs once
    it has committed. The sender (From) is the configured one (``MAIL_FROM``) when it is sent."""
    envelope = [address for _, address in getaddresses(message.get_all("To", []))]
    row = OutboxMail(message_id=str(message["Message-ID"]), recipients=", ".join(envelope),
                     subject=str(message["Subject"])[:998],
                     message=message.as_bytes(policy=message.policy.clone(utf8=True)),
                     state=PENDING, attempts=0, last_error="", next_attempt_at=utcnow())
    session.add(row)
    enqueue_on_commit(session, DRAIN_JOB)
    return row


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: the base doubled each time, capped."""
    config = settings()
    seconds = float(config["OUTBOX_RETRY_BASE_SECONDS"]) * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, float(config["OUTBOX_RETRY_MAX_SECONDS"])))


def _claimable(now: datetime):
    stale = now - timedelta(seconds=float(settings()["OUTBOX_CLAIM_SECONDS"]))
    return ((OutboxMail.state == PENDING) & (OutboxMail.next_attempt_at <= now)) | (
        (OutboxMail.state == SENDING) & (OutboxMail.claimed_at < stale))


@dataclass(frozen=True)
class Claimed:
    id: int
    claim: str
    recipients: list[str]
    message: bytes
    attempts: int


def claim(session: Session, limit: int) -> list[Claimed]:
    """Take up to ``limit`` due messages for this worker, in a short transaction of its own."""
    now, token = utcnow(), uuid.uuid4().hex
    with transaction(session):
        due = select(OutboxMail.id).where(_claimable(now)).order_by(OutboxMail.id).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            ids = list(session.scalars(due.with_for_update(skip_locked=True)))
            if not ids:
                return []
            target = OutboxMail.id.in_(ids)
        else:  # SQLite: the UPDATE takes the write lock and re-reads the condition under it
            target = OutboxMail.id.in_(due.scalar_subquery()) & _claimable(now)
        session.execute(update(OutboxMail).where(target).values(
            state=SENDING, claim=token, claimed_at=now).execution_options(synchronize_session=False))
    with transaction(session):
        rows = session.execute(select(OutboxMail.id, OutboxMail.recipients, OutboxMail.message,
                                      OutboxMail.attempts)
                               .where(OutboxMail.claim == token, OutboxMail.state == SENDING)
                               .order_by(OutboxMail.id)).all()
    return [Claimed(row.id, token, [a.strip() for a in row.recipients.split(",") if a.strip()],
                    row.message, row.attempts) for row in rows]


def _smtp():
    config = settings()
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    smtp = smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
    if config["MAIL_USE_TLS"]:
        smtp.starttls()
    if config.get("MAIL_USERNAME"):
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return smtp


def _message(row: Claimed) -> EmailMessage:
    """The stored message as it is sent: from the configured sender unless it names its own."""
    message = message_from_bytes(row.message, policy=policy.default)
    if "From" not in message:
        message["From"] = settings()["MAIL_FROM"]
    return message


def _log_instead(row: Claimed) -> None:
    message = message_from_bytes(row.message, policy=policy.default)
    log.warning("mail (no MAIL_SERVER configured) to %s: %s\n%s",
                               ", ".join(row.recipients), message["Subject"],
                               message.get_body().get_content())


def _mark(session: Session, row: Claimed, **values) -> None:
    """Change a claimed row, only while this claim still holds it."""
    with transaction(session):
        session.execute(update(OutboxMail).where(OutboxMail.id == row.id,
                                                 OutboxMail.claim == row.claim)
                        .values(**values).execution_options(synchronize_session=False))


def _mark_sent(session: Session, claim_token: str, ids: list[int]) -> None:
    if ids:
        with transaction(session):
            session.execute(update(OutboxMail).where(OutboxMail.id.in_(ids),
                                                     OutboxMail.claim == claim_token)
                            .values(state=SENT, sent_at=utcnow(), claim=None, last_error="",
                                    attempts=OutboxMail.attempts + 1)
                            .execution_options(synchronize_session=False))


def _failed(session: Session, row: Claimed, error: Exception) -> datetime | None:
    attempts = row.attempts + 1
    give_up = attempts >= int(settings()["OUTBOX_MAX_ATTEMPTS"])
    due = utcnow() + retry_delay(attempts)
    _mark(session, row, state=FAILED if give_up else PENDING, attempts=attempts, claim=None,
          last_error=f"{type(error).__name__}: {error}"[:2000], next_attempt_at=due)
    log.warning("mail %s to %s: attempt %d failed (%s)%s", row.id, row.recipients,
                               attempts, error, "; given up" if give_up else "")
    return None if give_up else due


@dataclass
class Drained:
    sent: int = 0
    failed: int = 0
    retry_at: datetime | None = None  # the earliest failed message's next attempt


def drain(session: Session, *, batch: int = 50, limit: int | None = None) -> Drained:
    """Send due messages in batches over one SMTP connection until none is due (or ``limit``
    were taken). A server that cannot be reached fails the whole batch, which waits its turn."""
    result = Drained()
    taken = 0
    while limit is None or taken < limit:
        rows = claim(session, batch if limit is None else min(batch, limit - taken))
        if not rows:
            break
        taken += len(rows)
        try:
            smtp = _smtp() if settings().get("MAIL_SERVER") else None
        except (OSError, smtplib.SMTPException) as error:
            for row in rows:
                due = _failed(session, row, error)
                result.failed += 1
                result.retry_at = min(filter(None, [result.retry_at, due]), default=None)
            break  # the server is away: the rows wait for their next attempt
        sent: list[int] = []
        try:
            for row in rows:
                try:
                    if smtp is None:
                        _log_instead(row)
                    else:
                        # as before the outbox: SMTPUTF8 when an address needs it
                        smtp.send_message(_message(row), to_addrs=row.recipients)
                except Exception as error:  # noqa: BLE001 (this message waits; the others go on)
                    due = _failed(session, row, error)
                    result.failed += 1
                    result.retry_at = min(filter(None, [result.retry_at, due]), default=None)
                    continue
                sent.append(row.id)
        finally:
            _mark_sent(session, rows[0].claim, sent)  # one commit per batch
            result.sent += len(sent)
            if smtp is not None:
                try:
                    smtp.quit()
                except (OSError, smtplib.SMTPException):
                    pass
    return result


@job(DRAIN_JOB)
def drain_job() -> dict:
    """The queue's job: drain the outbox; when something failed, come back when it is due."""
    with Session(db.engine, expire_on_commit=False) as session:
        result = drain(session)
    if result.retry_at is not None:
        wait = max((result.retry_at - utcnow()).total_seconds(), 0.0)
        raise RetryLater(f"{result.failed} mail(s) failed; next attempt in {wait:.0f} s", wait)
    return {"sent": result.sent, "failed": result.failed}


def waiting(session: Session, *, limit: int = 200) -> list[OutboxMail]:
    """What admins look at: messages not sent yet, failed ones first."""
    order = (OutboxMail.state != FAILED, OutboxMail.id)
    return list(session.scalars(select(OutboxMail).where(OutboxMail.state != SENT)
                                .order_by(*order).limit(limit)))


def troubled(session: Session, user: object = None, today: object = None) -> int:
    """Messages the mail server refused so far (failed, or waiting for another attempt)."""
    return session.scalar(select(func.count()).select_from(OutboxMail).where(
        (OutboxMail.state == FAILED) | ((OutboxMail.state == PENDING) & (OutboxMail.attempts > 0))))


def counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(OutboxMail.state, func.count())
                                .group_by(OutboxMail.state)).all())


def send_again(session: Session, row: OutboxMail) -> None:
    """An admin's retry: a failed or waiting message is due now, with a fresh count of tries."""
    if row.state not in (FAILED, PENDING):
        raise InvalidTransition("This message is being sent or was sent already.")
    row.state, row.attempts, row.next_attempt_at, row.claim = PENDING, 0, utcnow(), None
    enqueue_on_commit(session, DRAIN_JOB)
