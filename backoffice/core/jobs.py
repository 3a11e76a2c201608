"""Jobs a person started (a large import, a batch of documents): one row each in ``jobs`` with who,
what, its state, progress and result, shown at ``/jobs/<id>`` to its starter and to admins.

A job is idempotent twice over. Starting: the same ``idempotency_key`` (e.g. the bank account and
the file's SHA-256) names the job already there, so a double click or a second upload starts
nothing new. Running: a delivery *claims* the row (a conditional UPDATE: queued, or running with a
heartbeat older than ``JOBS_LEASE_SECONDS``, whose worker died), numbering the attempt; the work
and the row's ``done`` commit in one transaction, and only while this attempt still holds the row.
A job delivered again after its worker was killed therefore finds either nothing committed (and
does the work) or the job done (and does nothing): its work is committed once.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from .actors import Actor
from .db import UTCDateTime, transaction, utcnow
from .errors import Busy, DomainError, NotFound
from .permissions import Role
from .queue import RetryLater, enqueue_on_commit, log, settings

if TYPE_CHECKING:
    from ..auth.models import User

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))  # the job's name in core.queue
    title: Mapped[str] = mapped_column(String(255))  # what people read: "Import camt.xml"
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    state: Mapped[str] = mapped_column(String(10), default=QUEUED)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)  # an uploaded file the job reads
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict | None] = mapped_column(JSON)  # {"lines": [...], "link": ..., ...}
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    started_by = relationship("User")

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)

    @property
    def percent(self) -> int:
        if self.state == DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


def start(session: Session, kind: str, *, title: str, key: str, actor: Actor | None,
          params: dict | None = None,
          payload: bytes | None = None) -> Job:
    """The job for ``key``: the one started before (run again only if it failed), or a new one,
    enqueued once the caller's transaction commits."""
    job = session.scalar(select(Job).where(Job.idempotency_key == key))
    if job is not None and job.state != FAILED:
        return job
    if job is None:
        job = Job(kind=kind, title=title[:255], idempotency_key=key,
                  started_by_id=getattr(actor, "id", None), params=params or {}, payload=payload,
                  state=QUEUED, done=0, total=0, error="", attempts=0)
        session.add(job)
    else:  # a failed job asked for again: one more go, by whoever asks now
        job.state, job.error, job.result, job.done = QUEUED, "", None, 0
        job.started_by_id, job.payload, job.finished_at = getattr(actor, "id", None), payload, None
    session.flush()
    enqueue_on_commit(session, kind, job_id=job.id)
    return job


def visible_job(session: Session, job_id: int, user: User) -> Job:
    """The job, for its starter and admins; anyone else gets ``NotFound`` (no hint it exists)."""
    job = session.get(Job, job_id)
    if job is None or not (job.started_by_id == user.id or user.has_role(Role.ADMIN)):
        raise NotFound("No such job.")
    return job


def _lease() -> timedelta:
    return timedelta(seconds=float(settings()["JOBS_LEASE_SECONDS"]))


def claim(session: Session, job_id: int) -> int | None:
    """Take the job for this delivery: its attempt number, or None when it has finished (or does
    not exist). Raises ``RetryLater`` while another worker holds it with a fresh heartbeat."""
    now = utcnow()
    with transaction(session):
        taken = session.execute(
            update(Job).where(Job.id == job_id, (Job.state == QUEUED) | (
                (Job.state == RUNNING) & (Job.heartbeat_at < now - _lease())))
            .values(state=RUNNING, attempts=Job.attempts + 1, started_at=now, heartbeat_at=now)
            .execution_options(synchronize_session=False)).rowcount
        row = session.execute(select(Job.state, Job.attempts, Job.heartbeat_at)
                              .where(Job.id == job_id)).one_or_none()
    if row is None:
        log.warning("job %s: no such job", job_id)
        return None
    if taken:
        return row.attempts
    if row.state == RUNNING:
        wait = (row.heartbeat_at + _lease() - now).total_seconds()
        raise RetryLater(f"job {job_id} is running elsewhere", max(wait, 1.0))
    return None  # done or failed: nothing to do


class LostClaim(RuntimeError):
    """Another delivery took the job over (this one was presumed dead): roll this one back."""


class Progress:
    """``progress(done, total)`` from inside a job: the row's counters and heartbeat, written at
    most every half second on a connection of its own (visible while the work's transaction is
    open). On SQLite, whose one writer is the work itself, only before the work writes."""

    def __init__(self, job_id: int, attempt: int, work_session: Session):
        self.job_id, self.attempt, self.work_session = job_id, attempt, work_session
        self.last = 0.0

    def __call__(self, done: int, total: int, *, force: bool = False) -> None:
        if not force and time.monotonic() - self.last < 0.5:
            return
        if db.engine.dialect.name == "sqlite" and self.work_session.in_transaction() and \
                self.work_session.connection().connection.dbapi_connection.in_transaction:
            return
        self.last = time.monotonic()
        with db.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id == self.job_id,
                                                 Job.attempts == self.attempt)
                               .values(done=done, total=total, heartbeat_at=utcnow()))


def _finish(session: Session, job_id: int, attempt: int, **values) -> None:
    finished = session.execute(
        update(Job).where(Job.id == job_id, Job.attempts == attempt, Job.state == RUNNING)
        .values(finished_at=utcnow(), payload=None, **values)
        .execution_options(synchronize_session=False)).rowcount
    if not finished:
        raise LostClaim(f"job {job_id}: attempt {attempt} no longer holds it")


Work = Callable[[Session, Job, Progress], dict]


@contextmanager
def _settled(session: Session, job_id: int, attempt: int, kind: str) -> Iterator[None]:
    """What a job's failure makes of its row: a ``DomainError`` (the input is wrong) fails the job
    with its message; a crash of anything else fails it with a note to the admins (and is
    logged); a busy database gives the job back to the queue for a later delivery; a claim lost
    to another delivery leaves the row to that one."""
    try:
        yield
    except LostClaim:
        session.rollback()
        log.warning("job %s attempt %s: taken over, rolled back", job_id, attempt)
    except (Busy, RetryLater):
        session.rollback()
        _set(session, job_id, attempt, state=QUEUED)  # free for the next delivery
        raise
    except DomainError as error:
        session.rollback()
        _set(session, job_id, attempt, state=FAILED, error=str(error), finished_at=utcnow(),
             payload=None)
        log.info("job %s %s failed: %s", job_id, kind, error)
    except Exception:
        session.rollback()
        _set(session, job_id, attempt, state=FAILED, finished_at=utcnow(), payload=None,
             error="An unexpected error stopped the job; the administrators find it in the "
                   "log.")
        log.exception("job %s %s crashed", job_id, kind)


def run(job_id: int, work: Work, *, in_steps: bool = False) -> None:
    """Claim the job, run ``work(session, job, progress)`` and mark the job done with its result,
    all in one transaction (failures: ``_settled``).

    ``in_steps``: the work commits its own units of work as it goes (a year's donation receipts,
    each in a unit of work of its own), and the job is marked done after it. Such work must be
    resumable: a delivery after an interruption (a worker killed, a database gone away) runs it
    again, and it finds done what was committed and does the rest."""
    with Session(db.engine, expire_on_commit=False) as session:
        attempt = claim(session, job_id)
        if attempt is None:
            return
        kind = session.scalar(select(Job.kind).where(Job.id == job_id))
        progress = Progress(job_id, attempt, session)
        started = time.monotonic()
        with _settled(session, job_id, attempt, kind):
            result = work(session, session.get(Job, job_id), progress) if in_steps else None
            with transaction(session):
                if not in_steps:
                    result = work(session, session.get(Job, job_id), progress)
                _finish(session, job_id, attempt, state=DONE, result=result, done=Job.total,
                        error="")
            log.info("job %s %s done in %.1f s (attempt %s)", job_id, kind,
                     time.monotonic() - started, attempt)


def _set(session: Session, job_id: int, attempt: int, **values) -> None:
    """Change the job's row while this attempt holds it."""
    with transaction(session):
        session.execute(update(Job).where(Job.id == job_id, Job.attempts == attempt,
                                          Job.state == RUNNING).values(**values)
                        .execution_options(synchronize_session=False))
