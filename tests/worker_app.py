"""The Celery application the real-worker tests start (``celery -A tests.worker_app worker``):
the product's, plus one slow job that a test kills mid-way."""
from __future__ import annotations

import os
import time
from pathlib import Path

from backoffice.core import jobs
from backoffice.core.audit import record
from backoffice.core.queue import job

SLOW = "test.slow"


def _slow_work(session, current: jobs.Job, progress: jobs.Progress) -> dict:
    Path(current.params["pidfile"]).write_text(str(os.getpid()))
    steps = current.params["steps"]
    current.total = steps
    for step in range(steps):
        time.sleep(0.3)
        progress(step + 1, steps, force=True)
    record(session, None, "test.slow_done", "job", current.id, summary=f"pid {os.getpid()}")
    return {"pid": os.getpid()}


@job(SLOW)
def slow(job_id: int) -> None:
    jobs.run(job_id, _slow_work)


from backoffice.worker import celery  # noqa: E402, F401  (after the job is registered)
