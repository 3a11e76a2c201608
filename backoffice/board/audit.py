"""The auditors' checklist for a fiscal year and the report it ends in.

An auditor starts the audit of a fiscal year, draws a random sample of its journal entries (the
seed is recorded: ``random.Random(seed).sample`` over the year's entry ids in id order draws the
same entries again), adds entries they pick, and marks each item checked or queried with a note.
When no item is open they write the report (text, findings, whether they recommend discharging
the board); it is rendered to PDF and kept once in the document register with its SHA-256
(``documents.add``), and the audit changes no more. The assembly's discharge resolution for
that year needs the report (``services.propose`` asks ``report_for``) and links to it.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..banking.models import BankLine, BankMatch, BankMatchLine
from ..core import audit as audit_log
from ..core.db import utcnow
from ..core.errors import AlreadyDone, Conflict, ValidationError
from ..core.i18n import _
from ..core.templates import render_document
from ..ledger import reads
from ..ledger.periods import FiscalYear, PeriodKind
from ..pdf import html_to_pdf
from . import documents, wording
from .audit_models import AUDIT_STATES, ITEM_STATES, Audit, AuditItem, AuditStatus, ItemState
from .models import Body, BodyKind, DocumentKind, Term

if TYPE_CHECKING:
    from ..core.actors import Actor
    from .models import Document

SAMPLE_MAX = 500
NOTE_MAX = 5_000


def start(session: Session, auditors: Body, *, year: int, fiscal: FiscalYear,
          actor: Actor) -> Audit:
    """The audit of the fiscal year beginning in ``year`` by the body ``auditors``."""
    if auditors.kind is not BodyKind.AUDITORS:
        raise ValidationError(_("%(body)s is not a body of auditors.", body=auditors.name),
                              field="auditors")
    if not 1900 <= year <= 2199:
        raise ValidationError(_("Give the fiscal year as a year (1900–2199)."), field="year")
    if session.scalar(select(Audit.id).where(Audit.auditors_id == auditors.id,
                                             Audit.year == year)):
        raise AlreadyDone(_("The audit of %(year)s is started already.", year=year))
    first, last = fiscal.bounds(PeriodKind.YEAR, date(year, fiscal.first_month, 1))
    audit = Audit(auditors_id=auditors.id, year=year, starts_on=first, ends_on=last,
                  started_by_id=getattr(actor, "id", None))
    session.add(audit)
    session.flush()
    audit_log.record(session, actor, "board.audit_started", "board_audit", audit.id,
                     summary=f"{auditors.name}: audit of the fiscal year {first} to {last}")
    return audit


def _lock(session: Session, audit: Audit) -> None:
    """Lock the audit's row before reading what a change decides on, so that two auditors at
    once (a double click, two tabs) are served one after the other: the second sees the sample
    drawn or the report written (PostgreSQL ``FOR UPDATE``; SQLite begins as the writer)."""
    session.execute(select(Audit.id).where(Audit.id == audit.id).with_for_update())
    session.refresh(audit)


def _add(session: Session, audit: Audit, entry_id: int, origin: str) -> AuditItem:
    item = AuditItem(audit=audit, entry_id=entry_id, origin=origin, status=ItemState.OPEN,
                     note="")
    session.add(item)
    return item


def draw(session: Session, audit: Audit, *, size: int, seed: int | None = None,
         actor: Actor) -> list[AuditItem]:
    """Draw ``size`` entries of the year at random (once per audit), with ``seed`` or a new one;
    entries picked before stay in the sample once."""
    _lock(session, audit)
    AUDIT_STATES.check(audit, "sample")
    if audit.seed is not None:
        raise AlreadyDone(_("The random sample of %(year)s is drawn already (seed %(seed)s).",
                            year=audit.year, seed=audit.seed))
    if not 1 <= size <= SAMPLE_MAX:
        raise ValidationError(_("Draw from 1 to %(most)s entries.", most=SAMPLE_MAX), field="size")
    if seed is not None and not 0 <= seed < 2 ** 31:
        raise ValidationError(_("A seed is a whole number from 0."), field="seed")
    ids = reads.entry_ids_between(session, audit.starts_on, audit.ends_on)
    if not ids:
        raise ValidationError(_("No entry is booked in the fiscal year %(year)s.",
                                year=audit.year), field="size")
    audit.seed = secrets.randbelow(2 ** 31) if seed is None else seed
    have = {item.entry_id for item in audit.items}
    chosen = random.Random(audit.seed).sample(ids, min(size, len(ids)))
    added = [_add(session, audit, entry_id, "random") for entry_id in chosen
             if entry_id not in have]
    session.flush()
    audit_log.record(session, actor, "board.audit_sampled", "board_audit", audit.id,
                     summary=f"{len(chosen)} of {len(ids)} entries drawn with seed {audit.seed}")
    return added


def pick(session: Session, audit: Audit, entry_id: int, *, actor: Actor) -> AuditItem:
    """Add an entry the auditor chose to the sample."""
    _lock(session, audit)
    AUDIT_STATES.check(audit, "sample")
    entry = reads.entry(session, entry_id)
    if entry is None or not audit.starts_on <= entry.booking_date <= audit.ends_on:
        raise ValidationError(_("No entry #%(entry)s is booked in the fiscal year %(year)s.",
                                entry=entry_id, year=audit.year), field="entry")
    if any(item.entry_id == entry_id for item in audit.items):
        raise AlreadyDone(_("Entry #%(entry)s is in the sample already.", entry=entry_id))
    item = _add(session, audit, entry_id, "picked")
    session.flush()
    audit_log.record(session, actor, "board.audit_picked", "board_audit", audit.id,
                     summary=f"entry #{entry_id} added to the sample")
    return item


def mark(session: Session, item: AuditItem, action: str, note: str | None, *,
         actor: Actor) -> ItemState:
    """Mark an item ``check``ed or ``query`` it (a query says what is asked in its note)."""
    _lock(session, item.audit)
    session.refresh(item)
    AUDIT_STATES.check(item.audit, "check")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(_("A note has at most %(most)s characters.", most=NOTE_MAX),
                              field="note")
    if action == "query" and not note:
        raise ValidationError(_("Say in the note what is queried."), field="note")
    ITEM_STATES.apply(item, action)
    item.note = note or item.note
    item.checked_by_id = getattr(actor, "id", None)
    item.checked_at = utcnow()
    audit_log.record(session, actor, f"board.audit_{action}", "board_audit_item", item.id,
                     summary=f"entry #{item.entry_id}: {item.status.value}"
                             + (f" ({note[:200]})" if note else ""))
    return item.status


# --- what an item shows ------------------------------------------------------------------------

@dataclass(frozen=True)
class BankLineShown:
    id: int
    booking_date: date
    amount: int
    currency: str
    counterparty: str
    purpose: str


def bank_lines(session: Session, entry_ids: list[int]) -> dict[int, list[BankLineShown]]:
    """The bank lines matched (and not undone) to each entry."""
    if not entry_ids:
        return {}
    rows = session.execute(
        select(BankMatch.journal_entry_id, BankLine)
        .join(BankMatchLine, BankMatchLine.match_id == BankMatch.id)
        .join(BankLine, BankLine.id == BankMatchLine.bank_line_id)
        .where(BankMatch.journal_entry_id.in_(entry_ids), BankMatch.undone_at.is_(None))
        .order_by(BankLine.booking_date, BankLine.id)).all()
    shown: dict[int, list[BankLineShown]] = {}
    for entry_id, line in rows:
        shown.setdefault(entry_id, []).append(BankLineShown(
            line.id, line.booking_date, line.amount, line.currency, line.counterparty_name,
            line.text))
    return shown


# --- the report --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportInput:
    text: str
    findings: str
    recommend_discharge: bool


def report_refusal(audit: Audit) -> str | None:
    """Why the report cannot be written yet (None: it can)."""
    if not audit.items:
        return _("Sample entries first: the report follows the checklist.")
    still = [f"#{item.entry_id}" for item in audit.items if item.status is ItemState.OPEN]
    if still:
        return _("Check or query every item first: %(count)s open (%(entries)s).",
                 count=len(still), entries=", ".join(still[:10]))
    return None


def render(session: Session, audit: Audit, *, organisation: str, today: date,
           locale: str = "en", zone: str = "UTC") -> bytes:
    """The auditors' report as PDF, from the audit's rows (and the report's values set on it),
    written in ``locale``."""
    entries = reads.entries(session, [item.entry_id for item in audit.items])
    members = session.scalars(select(Term).where(
        Term.body_id == audit.auditors_id, Term.start_on <= audit.ends_on,
        (Term.end_on.is_(None)) | (Term.end_on >= audit.starts_on)).order_by(Term.name)).all()
    html = render_document("pdf/audit_report.html", organisation=organisation, today=today,
                           **wording.written(locale, zone), audit=audit, entries=entries, members=members,
                           queried=[i for i in audit.items if i.status is ItemState.QUERIED])
    return html_to_pdf(html)


#: The audit's columns the report sets.
REPORT_COLUMNS = ("report_text", "findings", "recommend_discharge", "reported_at",
                  "reported_by_id")


def _report_text(audit: Audit, report: ReportInput) -> str:
    """The report's text, once the audit may be reported (else a refusal)."""
    AUDIT_STATES.check(audit, "report")
    refusal = report_refusal(audit)
    if refusal:
        raise ValidationError(refusal)
    text = (report.text or "").strip()
    if not text:
        raise ValidationError(_("Write the report's text."), field="text")
    return text


def _set_report(audit: Audit, text: str, report: ReportInput, reported_at, actor: Actor) -> None:
    audit.report_text, audit.findings = text, (report.findings or "").strip()
    audit.recommend_discharge = bool(report.recommend_discharge)
    audit.reported_at, audit.reported_by_id = reported_at, getattr(actor, "id", None)


def _checklist(session: Session, audit: Audit) -> list[tuple]:
    """What the report prints of the checklist, as stored now: its seed and each item."""
    return [(audit.seed,), *session.execute(
        select(AuditItem.id, AuditItem.entry_id, AuditItem.origin, AuditItem.status,
               AuditItem.note).where(AuditItem.audit_id == audit.id).order_by(AuditItem.id))]


def finish(session: Session, audit: Audit, report: ReportInput, *, organisation: str,
           folder: str, today: date, actor: Actor, locale: str = "en",
           zone: str = "UTC") -> Document:
    """Write the report: rendered to PDF in ``locale`` (the association's language), kept once
    in the document register; the audit is closed.

    The PDF (0.2-0.5 s) is rendered before anything is written or locked: in the unit of work
    it would hold the database's write lock that long (on SQLite all of it), and other writers
    would wait past their timeout. Then the audit is locked, checked again, and its report and
    PDF are written; if the checklist changed meanwhile (another auditor's mark), nothing is
    written (``Conflict``: write the report again)."""
    text = _report_text(audit, report)
    reported_at = utcnow()
    shown = _checklist(session, audit)
    with session.no_autoflush:  # the values are printed, not written, before the lock
        _set_report(audit, text, report, reported_at, actor)
        try:
            pdf = render(session, audit, organisation=organisation, today=today, locale=locale,
                         zone=zone)
        finally:
            session.expire(audit, REPORT_COLUMNS)
    _lock(session, audit)
    text = _report_text(audit, report)
    if _checklist(session, audit) != shown:
        raise Conflict(_("The checklist changed while the report was written; nothing was "
                         "saved. Write the report again."))
    _set_report(audit, text, report, reported_at, actor)
    document = documents.add(
        session, kind=DocumentKind.AUDIT_REPORT, title=f"Auditors' report {audit.year}",
        effective_on=today, data=pdf, filename=f"auditors-report-{audit.year}.pdf",
        folder=folder, details={"audit_id": audit.id, "year": audit.year,
                                "recommend_discharge": audit.recommend_discharge},
        actor=actor)
    audit.document_id = document.id
    AUDIT_STATES.apply(audit, "report")
    audit_log.record(session, actor, "board.audit_reported", "board_audit", audit.id,
                     summary=f"report on {audit.year}: discharge "
                             + ("recommended" if audit.recommend_discharge else "not recommended")
                             + f" (sha256 {document.sha256[:12]})")
    return document


def report_for(session: Session, year: int | None) -> Audit | None:
    """The reported audit of the fiscal year beginning in ``year`` (the newest report)."""
    if year is None:
        return None
    return session.scalar(select(Audit).where(
        Audit.year == year, Audit.status == AuditStatus.REPORTED)
        .order_by(Audit.reported_at.desc()).limit(1))


def audits(session: Session) -> list[Audit]:
    return list(session.scalars(select(Audit).order_by(Audit.year.desc(), Audit.id.desc())))


def auditor_bodies(session: Session) -> list[Body]:
    return list(session.scalars(select(Body).where(Body.kind == BodyKind.AUDITORS)
                                .order_by(Body.name)))
