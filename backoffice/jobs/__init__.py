"""The job queue wired to the app: which dispatcher runs jobs (Celery, or this process), the
Celery application the workers and beat run, and the schedule.

``init_jobs(app)`` (called by ``create_app``) imports every package's jobs and installs the
dispatcher. With ``QUEUE_BROKER_URL`` unset a job runs at once in the process that asked for it,
inside its app context; set (Redis), it is sent to Celery, whose workers run it in an app context
of their own (``backoffice.worker``).

Celery is configured for work that must not be lost: ``task_acks_late`` (a message is
acknowledged only after its job returned), ``task_reject_on_worker_lost`` (a job whose worker
process died is given back to the queue at once, not dropped) and ``worker_prefetch_multiplier=1``
(a worker holds no pile of messages a crash would delay). The price is at-least-once delivery,
which every job absorbs by claiming its row (``core.jobs``, ``core.outbox``).
"""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from ..core import outbox, queue, signals, tasks
from ..core.errors import Busy
from ..core.i18n import N_
from ..core.permissions import Permission
from ..extensions import settings_of

#: Longest wait between deliveries of a job that found the database busy.
BUSY_BACKOFF_MAX = 600

#: Mail the server refused waits on the start page (``core.signals.waiting_work``).
KINDS = (tasks.TaskKind(N_("Mail the mail server refused"), Permission.MAIL_OUTBOX, outbox.troubled,
                        "jobs.outbox_page", position=90),)


def waiting(sender: object, **kwargs: Any) -> tuple[tasks.TaskKind, ...]:
    return KINDS


signals.waiting_work.connect(waiting)


def init_jobs(app: Flask) -> None:
    from ..banking import import_job  # noqa: F401  (bank.import)
    from ..donations.receipts import run  # noqa: F401  (the year-end receipts, reissuing)
    from . import scheduled  # noqa: F401  (the scheduled jobs)

    queue.set_dispatcher(dispatch)


def dispatch(name: str, kwargs: dict, countdown: float | None) -> None:
    app = current_app._get_current_object()
    if not app.config.get("QUEUE_BROKER_URL"):
        queue.run_here(name, kwargs, app.config, settings_of(app))
        return
    celery_app(app).send_task(name, kwargs=kwargs, countdown=countdown)


def celery_app(app: Flask):
    """The Celery application for ``app`` (made once): every registered job as a task that runs
    inside an app context, acknowledged late and given back when its worker dies, and beat's
    schedule."""
    if "celery" in app.extensions:
        return app.extensions["celery"]
    from celery import Celery  # noqa: PLC0415 (only a configured queue needs Celery)

    from .schedule import beat_schedule  # noqa: PLC0415

    config = app.config
    celery = Celery("backoffice", broker=config["QUEUE_BROKER_URL"])
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,            # outcomes live in the jobs and outbox tables
        task_default_queue=config["QUEUE_NAME"],
        broker_transport_options={"visibility_timeout": config["QUEUE_VISIBILITY_TIMEOUT"]},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,    # the app's logging (request id, JSON) stays
        timezone="UTC",
        beat_schedule=beat_schedule(),
    )

    class AppTask(celery.Task):
        def __call__(self, *args, **kwargs: Any):
            with app.app_context(), queue.running_with(app.config, settings_of(app)):
                try:
                    return self.run(*args, **kwargs)
                except queue.RetryLater as later:
                    raise self.retry(countdown=later.countdown, max_retries=None) from later
                except Busy as error:
                    wait = min(BUSY_BACKOFF_MAX, 5 * 2 ** self.request.retries)
                    raise self.retry(countdown=wait, max_retries=8) from error

    for name, function in queue.JOBS.items():
        celery.task(name=name, base=AppTask)(function)
    app.extensions["celery"] = celery
    return celery
