"""Where a page's CPU time goes (issue 17: "report the top costs per page"): each request's
process time is charged to the innermost of these parts that is running —

- **queries**: SQLAlchemy executing statements (``Connection.execute``: compiling or finding the
  compiled statement, sending it, the driver; for SQLite the database's own work too; rows read
  and turned into objects afterwards are charged to whoever reads them),
- **template**: Jinja rendering (queries it sets off are charged to queries),
- **session/auth**: loading the login session and its user (Flask-Login's user loader),
- **middleware**: the before- and after-request hooks (access check, language, security
  headers; the session loading they trigger is charged to session/auth),
- **view and Flask**: the rest — the view's own Python, routing, the request and response.

Wrapping, not sampling: the figures add up to the request's CPU time; the wrappers cost a few
microseconds a call themselves.
"""
from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager

import flask.templating
from sqlalchemy.engine import Connection

PARTS = ("queries", "template", "session/auth", "middleware", "view and Flask")


class Ledger:
    """CPU seconds per part; ``stack`` holds the parts running, innermost last."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.stack = ["view and Flask"]
        self.mark = time.process_time()

    def enter(self, part: str) -> None:
        now = time.process_time()
        self.spent[self.stack[-1]] += now - self.mark
        self.stack.append(part)
        self.mark = now

    def leave(self) -> None:
        now = time.process_time()
        self.spent[self.stack.pop()] += now - self.mark
        self.mark = now

    def close(self) -> dict[str, float]:
        self.spent[self.stack[-1]] += time.process_time() - self.mark
        return dict(self.spent)


def _charged(ledger_of, part: str, function):
    def wrapper(*args, **kwargs):
        ledger = ledger_of()
        if ledger is None:
            return function(*args, **kwargs)
        ledger.enter(part)
        try:
            return function(*args, **kwargs)
        finally:
            ledger.leave()
    wrapper.__wrapped__ = function
    return wrapper


@contextmanager
def measured(app):
    """Inside the block, ``ledger()`` starts a ``Ledger`` that the app's work is charged to; the
    wrappers are removed afterwards."""
    current: list[Ledger | None] = [None]
    login_manager = app.login_manager
    patches = [(Connection, "execute", "queries"),
               (flask.templating, "_render", "template"),
               (login_manager, "_user_callback", "session/auth"),
               (app, "preprocess_request", "middleware"),
               (app, "process_response", "middleware")]
    saved = [(owner, name, owner.__dict__.get(name), getattr(owner, name))
             for owner, name, _ in patches]
    for (owner, name, part), (_, _, _, original) in zip(patches, saved):
        setattr(owner, name, _charged(lambda: current[0], part, original))

    def ledger() -> Ledger:
        current[0] = Ledger()
        return current[0]
    try:
        yield ledger
    finally:
        current[0] = None
        for owner, name, own, _ in saved:
            if own is None:
                delattr(owner, name)
            else:
                setattr(owner, name, own)


def breakdown(app, client, path: str, repeat: int = 20) -> dict[str, float]:
    """CPU milliseconds per request of ``path`` (already warm) spent in each of ``PARTS``."""
    totals: dict[str, float] = defaultdict(float)
    with measured(app) as ledger:
        for _ in range(repeat):
            spent = ledger()
            client.get(path)
            for part, seconds in spent.close().items():
                totals[part] += seconds
    return {part: totals[part] / repeat * 1000 for part in PARTS}
