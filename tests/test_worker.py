"""The real queue: a Celery worker process on Redis (a database of its own, flushed), on the
test's database (SQLite file or PostgreSQL). Skipped only when Redis does not answer.

A mail queued in a rolled-back transaction is never sent; a worker process killed with SIGKILL
mid-job leaves the job delivered again and its work committed once; the outbox drains once the
mail server is back."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from backoffice.core import jobs
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.mail import queue_mail
from backoffice.core.outbox import OutboxMail

from .conftest import MailSink, _free_port
from .worker_app import SLOW

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _redis():
    import redis  # noqa: PLC0415

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        client.close()
        if os.environ.get("BACKOFFICE_REQUIRE_REDIS"):  # CI: never skipped
            pytest.fail(f"Redis does not answer at {REDIS_URL}")
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    return client


def wait_for(condition, timeout: float = 60, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout} s for {what}")


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path, output):
        self.process, self.log, self.output = process, log, output

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.close()


@pytest.fixture
def start_worker(app, database_url, smtp_server, tmp_path):
    """``start_worker(mail_port=...)``: a Celery worker (prefork, one child) on this test's
    database; the app of the test sends its jobs to it."""
    client = _redis()
    client.flushdb()
    app.config["QUEUE_BROKER_URL"] = REDIS_URL
    started: list[Worker] = []

    def start(mail_port: int | None = None) -> Worker:
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key",
               "BACKOFFICE_ENV": "testing", "BACKOFFICE_BASE_URL": "http://localhost",
               "BACKOFFICE_INSTANCE_PATH": str(tmp_path),
               "BACKOFFICE_QUEUE_BROKER_URL": REDIS_URL,
               "BACKOFFICE_MAIL_SERVER": "127.0.0.1",
               "BACKOFFICE_MAIL_PORT": str(mail_port or smtp_server[0]),
               "BACKOFFICE_JOBS_LEASE_SECONDS": "2",
               "BACKOFFICE_OUTBOX_RETRY_BASE_SECONDS": "0.5",
               "BACKOFFICE_OUTBOX_RETRY_MAX_SECONDS": "2"}
        log = tmp_path / f"worker-{len(started)}.log"
        output = log.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.worker_app", "worker",
             "--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO",
             "--without-mingle", "--without-gossip", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        worker = Worker(process, log, output)
        started.append(worker)
        wait_for(lambda: process.poll() is not None or b"ready." in log.read_bytes(), 60,
                 "the worker to start")
        assert process.poll() is None, log.read_text()
        return worker

    yield start
    for worker in started:
        worker.stop()
    client.flushdb()
    client.close()
    app.extensions.pop("celery", None)


def _count(session, statement) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(statement))


def test_a_mail_queued_in_a_rolled_back_transaction_is_never_sent(start_worker, session,
                                                                   mailbox):
    start_worker()
    with pytest.raises(RuntimeError):
        with transaction():
            queue_mail(session, "never@example.org", "Rolled back", "Never sent")
            raise RuntimeError("the change was refused")
    with transaction():
        queue_mail(session, "ada@example.org", "Committed", "Sent by the worker")
    wait_for(lambda: mailbox, 30, "the committed mail")
    time.sleep(1)  # anything else the worker would send arrives meanwhile
    assert [m["To"] for m in mailbox] == ["ada@example.org"]
    session.expire_all()
    assert [row.state for row in session.scalars(select(OutboxMail))] == ["sent"]


def test_a_worker_killed_mid_job_leaves_it_retried_and_done_once(start_worker, session,
                                                                  tmp_path):
    worker = start_worker()
    pidfile = tmp_path / "job.pid"
    with transaction():
        job = jobs.start(session, SLOW, title="Slow", key="slow-1", actor=None,
                         params={"steps": 10, "pidfile": str(pidfile)})
    job_id = job.id

    def job_row():
        session.expire_all()
        return session.get(jobs.Job, job_id)

    wait_for(lambda: job_row().done >= 3, 60, "the job to be under way")
    killed = int(pidfile.read_text())
    assert killed != worker.process.pid  # the pool's child, not the worker's main process
    os.kill(killed, signal.SIGKILL)
    done = wait_for(lambda: job_row().state == jobs.DONE and job_row(), 90,
                    "the job to be done")
    assert done.attempts == 2 and done.result["pid"] != killed
    assert _count(session, select(AuditEvent).where(AuditEvent.action == "test.slow_done")
                  .subquery()) == 1
    assert "exited with 'signal 9 (SIGKILL)'" in worker.log.read_text()


def test_the_outbox_drains_once_the_mail_server_is_back(start_worker, session):
    port = _free_port()
    start_worker(mail_port=port)
    with transaction():
        queue_mail(session, "ada@example.org", "Patience", "The server was away")

    def tried() -> OutboxMail | None:
        session.expire_all()
        row = session.scalar(select(OutboxMail))
        return row if row.attempts >= 2 else None

    row = wait_for(tried, 30, "two failed attempts")
    assert row.state == "pending" and row.last_error
    sink = MailSink()
    server = Controller(sink, hostname="127.0.0.1", port=port)
    server.start()
    try:
        wait_for(lambda: sink.messages, 30, "the mail after the server came back")
        time.sleep(1)
        assert [m["Subject"] for m in sink.messages] == ["Patience"]
    finally:
        server.stop()
    session.expire_all()
    assert session.scalar(select(OutboxMail.state)) == "sent"
