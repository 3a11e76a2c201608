"""Queue benchmark: mails per second through the outbox (a local aiosmtpd server; queued in one
transaction, then drained over one SMTP connection, and by two workers at once), and a 10,000-line
CAMT.053 statement imported as a job (time; peak memory of the Python heap while it runs)."""
from __future__ import annotations

import logging
import socket
import threading
import time
import tracemalloc

from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.banking import import_job
from backoffice.core import outbox
from backoffice.core.db import transaction
from backoffice.core.jobs import DONE, Job
from backoffice.core.mail import queue_mail
from backoffice.core.queue import running_with
from backoffice.extensions import db

from .banking import _setup
from .common import bench_app, fresh_database

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per command

MAILS, QUICK_MAILS = 2_000, 200
LINES, QUICK_LINES = 10_000, 1_000


class _Count:
    def __init__(self):
        self.received = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.received += 1
        return "250 OK"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _queue(app, n: int) -> float:
    """Queue n mails in one transaction without draining them; returns the seconds taken."""
    app.config["MAIL_SERVER"] = None  # the on-commit drain would only log: keep them pending
    started = time.perf_counter()
    with transaction():
        for i in range(n):
            queue_mail(db.session, f"person{i}@example.org", f"Reminder {i}",
                       "Your invoice is due.\n" * 20)
        db.session.info.pop("backoffice_jobs_on_commit", None)  # drained below, timed
    return time.perf_counter() - started


def _drain(app, workers: int) -> None:
    def work():
        with app.app_context(), running_with(app.config), \
                Session(db.engine, expire_on_commit=False) as session:
            outbox.drain(session)
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _mails(report, backend: str, n: int) -> None:
    sink = _Count()
    server = Controller(sink, hostname="127.0.0.1", port=_port())
    server.start()
    try:
        for workers in (1, 2):
            with fresh_database(backend) as url:
                app = bench_app(url)
                with app.app_context():
                    seconds = _queue(app, n)
                    if workers == 1:
                        report.add("queue", "queue_mail + commit (outbox rows)", backend,
                                   f"{n:,}", n / seconds, "/s", higher_is_better=True)
                    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
                    before = sink.received
                    started = time.perf_counter()
                    _drain(app, workers)
                    seconds = time.perf_counter() - started
                    sent = db.session.scalar(select(func.count()).select_from(outbox.OutboxMail)
                                             .where(outbox.OutboxMail.state == outbox.SENT))
                    assert sent == n == sink.received - before, (sent, n, sink.received - before)
                    report.add("queue", f"outbox drained to SMTP, {workers} worker(s)", backend,
                               f"{n:,}", n / seconds, "/s", higher_is_better=True)
                    db.session.remove()
                    db.engine.dispose()
    finally:
        server.stop()


def _import_job(report, backend: str, n: int, *, trace: bool) -> None:
    with fresh_database(backend) as url:
        app = bench_app(url)
        app.config["BANK_IMPORT_JOB_BYTES"] = 0
        with app.app_context():
            actor, account, data = _setup(db.session, n, booked=False)
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            with transaction():  # the job runs in this process once this commits
                job = import_job.start(db.session, account, filename="bench.xml", data=data,
                                       actor=actor)
            seconds = time.perf_counter() - started
            if trace:
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            db.session.expire_all()
            job = db.session.get(Job, job.id)
            assert job.state == DONE and job.done == n, (job.state, job.done, job.error)
            size = f"{n:,} lines, {len(data) / 1e6:.1f} MB"
            if trace:
                report.add("queue", "CAMT.053 import job: peak Python heap", backend, size,
                           peak / 1e6, "MB")
            else:
                report.add("queue", "CAMT.053 import job: time", backend, size, seconds, "s")
            db.session.remove()
            db.engine.dispose()


def run(report, backends, quick: bool) -> None:
    for backend in backends:
        _mails(report, backend, QUICK_MAILS if quick else MAILS)
        for trace in (False, True):
            _import_job(report, backend, QUICK_LINES if quick else LINES, trace=trace)
