"""Doing things at the same moment: each job in its own thread and app context, all released by
one barrier, so that the database (not the test's timing) has to keep them apart."""
from __future__ import annotations

import threading
from collections.abc import Callable

from backoffice.extensions import db


def at_once(app, jobs: list[Callable], *, timeout: float = 120) -> list:
    """Run ``job(session)`` for each job at once; returns, in order, what each job returned or
    the exception it raised. The caller ends its own session's transaction first if the jobs
    must not wait for it (``db.session.remove()``)."""
    barrier, outcome = threading.Barrier(len(jobs)), [None] * len(jobs)

    def run(position: int, job: Callable) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                outcome[position] = job(db.session)
            except Exception as error:  # noqa: BLE001 (handed to the test)
                outcome[position] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcome
