"""The job queue's registry and its doors: what a job is, how one is asked for.

A job is a plain function registered with ``@job("name")`` that takes keyword arguments of JSON
values and works with sessions of its own (never the caller's). ``enqueue(name, **kwargs)`` hands it
to the dispatcher that the app installed (``backoffice.jobs``): Celery on Redis when
``QUEUE_BROKER_URL`` is set, else a call at once in this process, so the same code runs in both and
``make run`` needs no Redis. ``enqueue_on_commit(session, ...)`` waits until the session's
outermost transaction has committed (what the job reads must be visible to the worker) and forgets
it on a rollback. Jobs read the typed settings they run with from ``job_settings()`` (and the raw
configuration, for the keys the typed settings do not hold, from ``settings()``).

Delivery is at least once (a worker that dies mid-job gets its message delivered again): every
job is written to do its work once however often it runs (``core.jobs``, ``core.outbox``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger("backoffice.jobs")

JOBS: dict[str, Callable[..., object]] = {}
_ON_COMMIT = "backoffice_jobs_on_commit"
_settings: ContextVar[Mapping] = ContextVar("job_config")
_typed: ContextVar[Settings | None] = ContextVar("job_settings", default=None)


class RetryLater(Exception):
    """Raised by a job that cannot do its work now (another worker holds it, a mail server is
    away): delivered again after ``countdown`` seconds; run in-process, left for a later run."""

    def __init__(self, reason: str, countdown: float):
        super().__init__(reason)
        self.countdown = countdown


def job(name: str):
    """Register a job function under ``name`` (the Celery task name)."""
    def decorator(function):
        if JOBS.get(name, function) is not function:
            raise RuntimeError(f"two jobs named {name}")
        JOBS[name] = function
        return function
    return decorator


def _no_dispatcher(name: str, kwargs: dict, countdown: float | None) -> None:
    raise RuntimeError("no job dispatcher installed (backoffice.jobs.init_jobs)")


_dispatch: Callable[[str, dict, float | None], None] = _no_dispatcher


def set_dispatcher(dispatch: Callable[[str, dict, float | None], None]) -> None:
    global _dispatch
    _dispatch = dispatch


def enqueue(name: str, *, countdown: float | None = None, **kwargs: Any) -> None:
    """Run job ``name`` with ``kwargs``: on a worker, or now in this process."""
    if name not in JOBS:
        raise KeyError(f"no job named {name}")
    _dispatch(name, kwargs, countdown)


@contextmanager
def running_with(config: Mapping, typed: Settings | None = None) -> Iterator[None]:
    """Jobs called inside read ``config`` (the app's configuration) through ``settings()`` and
    ``typed`` (the app's frozen ``Settings``, what services receive) through ``job_settings()``."""
    token, typed_token = _settings.set(config), _typed.set(typed)
    try:
        yield
    finally:
        _typed.reset(typed_token)
        _settings.reset(token)


def settings() -> Mapping:
    """The configuration of the job that runs now (the keys the typed settings do not hold:
    the outbox's and the jobs' timings)."""
    return _settings.get()


def job_settings() -> Settings:
    """The typed settings of the job that runs now, which the job hands to the services."""
    typed = _typed.get()
    if typed is None:
        raise RuntimeError("no settings for this job (core.queue.running_with)")
    return typed


def run_here(name: str, kwargs: dict, settings: Mapping, typed: Settings | None = None) -> object:
    """Call the job in this process. One that cannot work now is left for a later run (the next
    enqueue, the schedule, ``backoffice jobs run-scheduled``); a failure is logged, never raised
    into the page or command that caused it (the job records its own outcome)."""
    try:
        with running_with(settings, typed):
            return JOBS[name](**kwargs)
    except RetryLater as later:
        log.info("job %s: %s; left for a later run", name, later)
    except Exception:
        log.exception("job %s failed", name)
    return None


def enqueue_on_commit(session: Session, name: str, **kwargs: Any) -> None:
    """``enqueue`` once the session's outermost transaction has committed (once per name and
    arguments); nothing when it rolls back."""
    pending = session.info.setdefault(_ON_COMMIT, {})
    pending[(name, tuple(sorted(kwargs.items())))] = kwargs


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session):
    if session.in_nested_transaction():
        return  # a released savepoint: the outer transaction may still roll back
    pending = session.info.pop(_ON_COMMIT, None)
    for (name, _), kwargs in (pending or {}).items():
        try:
            enqueue(name, **kwargs)
        except Exception:
            # The change is committed; a broker that does not answer must not turn it into an
            # error page. The schedule picks up what is left (the outbox every minute).
            log.exception("could not enqueue job %s", name)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop(_ON_COMMIT, None)
