"""Personal data: what the product holds about one person, exported or erased on request, and the
retention rules that anonymise what has expired (GDPR Art. 15, 17, 20; docs/RETENTION.md).

Core knows no package's tables. It finds a person by e-mail address through the signal
``personal_data``: each package answers with ``Holding`` values (what it keeps, as plain data and
files, and how to erase it). ``erase`` never deletes what the law makes the association keep —
postings, issued invoices, donation receipts, the audit log — each holding says whether a duty
applies; where one does its package anonymises what the duty does not cover, and says why.
``sweep`` sends ``retention_due``: each package anonymises or removes what has outlived its rule.

The audit log records that an export or an erasure happened and what was done, never the data
itself (an erasure that copied the erased values into the append-only log would undo itself).
"""
from __future__ import annotations

import calendar
import io
import itertools
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import audit, signals
from .actors import Actor
from .db import utcnow
from .errors import ValidationError
from .outbox import SENT, OutboxMail

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

ERASED = "erased"
ANONYMISED = "anonymised"
KEPT = "kept"


@dataclass(frozen=True)
class Outcome:
    """What ``erase`` did with one holding: erased, anonymised or kept, and why."""

    label: str
    done: str
    why: str


@dataclass(frozen=True)
class Holding:
    """Something one package keeps about the person.

    ``data`` is JSON-ready (strings, numbers, lists, dicts); ``files`` are (name, bytes) pairs for
    the export; ``erase(session, actor, today)`` removes or anonymises it and returns the
    ``Outcome`` (it runs inside the caller's transaction and must not commit).
    """

    kind: str
    label: str
    data: dict[str, Any]
    erase: Callable[[Session, Actor | None, date], Outcome]
    files: list[tuple[str, bytes]] = field(default_factory=list)


def normalised(email: str) -> str:
    address = (email or "").strip().lower()
    if not EMAIL.fullmatch(address):
        raise ValidationError(f"{email!r} is not an e-mail address.")
    return address


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day where it has fewer days)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def placeholder_email(kind: str, key: object) -> str:
    """The address an anonymised record keeps (unique, and never deliverable: RFC 2606)."""
    return f"erased-{kind}-{key}@erased.invalid"


def is_placeholder(email: str) -> bool:
    return email.endswith("@erased.invalid")


def find(session: Session, email: str, settings: Any) -> list[Holding]:
    """Everything every package holds about the person with this address, in package order,
    then the copies of mail sent to them."""
    address = normalised(email)
    found = [holding for answer in signals.answers(signals.personal_data, session=session,
                                                   email=address, settings=settings)
             for holding in answer or ()]
    return found + _mail_to(session, address)


def _mail_to(session: Session, address: str) -> list[Holding]:
    rows = [row for row in session.scalars(select(OutboxMail).where(
        OutboxMail.recipients.contains(address)).order_by(OutboxMail.id))
        if address in (r.strip().lower() for r in row.recipients.split(","))]
    if not rows:
        return []

    def erase(session: Session, actor: Actor | None, today: date) -> Outcome:
        waiting = [row.id for row in rows if row.state != SENT]
        session.execute(delete(OutboxMail).where(OutboxMail.id.in_([r.id for r in rows]),
                                                 OutboxMail.state == SENT))
        if waiting:
            return Outcome("Mail sent to them", KEPT, f"{len(waiting)} message(s) not yet sent "
                           "stay in the outbox until they are; the sent copies are erased")
        return Outcome("Mail sent to them", ERASED, "copies of sent mail are not records the "
                       "association must keep")

    return [Holding("mail", "Mail sent to them", {"messages": [
        {"subject": row.subject, "state": row.state, "created_at": row.created_at,
         "sent_at": row.sent_at} for row in rows]}, erase,
        files=[(f"mail-{row.id}.eml", row.message) for row in rows])]


def export(session: Session, email: str, *, actor: Actor | None, today: date,
           settings: Any) -> bytes:
    """A ZIP: ``index.json`` (who, when, each holding's kind, label and data) and the files."""
    address = normalised(email)
    holdings = find(session, address, settings)
    buffer = io.BytesIO()
    numbers = itertools.count(1)
    listed = [{"kind": h.kind, "label": h.label, "data": h.data,
               "files": [f"files/{next(numbers):03d}-{name}" for name, _ in h.files]}
              for h in holdings]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.json", json.dumps(
            {"email": address, "exported_on": today.isoformat(), "holdings": listed},
            indent=2, ensure_ascii=False, default=str))
        for holding, entry in zip(holdings, listed):
            for path, (_, data) in zip(entry["files"], holding.files):
                archive.writestr(path, data)
    audit.record(session, actor, "privacy.export", "person", None,
                 summary=f"Personal data exported: {len(holdings)} holdings",
                 after={"kinds": sorted({h.kind for h in holdings})})
    return buffer.getvalue()


def erase(session: Session, email: str, *, actor: Actor | None, today: date,
          settings: Any) -> list[Outcome]:
    """Erase what no duty keeps, anonymise what one does; one outcome per holding, audited.

    Run it inside one transaction: either every holding is handled or none is."""
    address = normalised(email)
    outcomes = [holding.erase(session, actor, today)
                for holding in find(session, address, settings)]
    audit.record(session, actor, "privacy.erase", "person", None,
                 summary=f"Erasure on request: {len(outcomes)} holdings",
                 after={"outcomes": [[o.label, o.done, o.why] for o in outcomes]})
    return outcomes


def sweep(session: Session, *, today: date, settings: Any) -> dict[str, int]:
    """Apply every retention rule once (idempotent): ``{rule: rows handled}``."""
    cutoff = utcnow() - timedelta(days=settings.retention.sent_mail_days)
    sent = session.execute(delete(OutboxMail).where(OutboxMail.state == SENT,
                                                    OutboxMail.sent_at < cutoff)).rowcount
    done: dict[str, int] = {"sent mail": sent}
    for answer in signals.answers(signals.retention_due, session=session, today=today,
                                  settings=settings):
        for rule, count in (answer or {}).items():
            done[rule] = done.get(rule, 0) + count
    if any(done.values()):
        audit.record(session, None, "privacy.retention", "retention", None,
                     summary="Retention rules applied",
                     after={rule: count for rule, count in sorted(done.items()) if count})
    return done
