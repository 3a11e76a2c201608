"""The year-end run: every receipt a year's donations still need, issued (and mailed) once.

``plan`` reads what is due: booked donations of the year with no valid receipt that need one
(``services.needs_receipt``), grouped by donor (a merged donor's gifts go to the donor they became).
A donor who gave money or membership fees more than once gets one collective receipt for the
year, a donor who gave once a single receipt; each gift in kind gets a receipt of its own. US
associations send one acknowledgment per donor listing the year's gifts.

``run`` issues them one by one, each receipt in a unit of work of its own (its PDF rendered
before it), so an interrupted run keeps what it issued, and running it again plans again from
the database and issues only what is still due: nothing twice (the database's partial unique
index would refuse a second valid receipt for a donation even if two runs raced). With ``send``
it also mails every valid receipt of the year not mailed yet.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...core import catalogs, clock, i18n, jobs
from ...core.actors import Actor
from ...core.db import transaction
from ...core.errors import AlreadyDone, Conflict
from ...core.i18n import _, ngettext
from ...core.queue import job, job_settings
from ...core.settings import Settings, refuse_unless_set_up
from ..models import Donation, DonationKind, DonationStatus, Donor
from . import services
from .models import Receipt, ReceiptMailing
from .notice import ReceiptRefused, check_notice, exemption_notice

JOB = "donations.receipts.annual"
Progress = Callable[[int, int], None]


@dataclass
class Outcome:
    issued: int = 0
    already: int = 0
    mailed: int = 0
    skipped: list[str] = field(default_factory=list)

    def lines(self, year: int) -> list[tuple[str, str]]:
        """What the run did, in the language of the moment (the job's: whoever started it)."""
        if self.mailed:
            done = ngettext("%(num)d receipt for %(year)s issued, %(mailed)s mailed.",
                            "%(num)d receipts for %(year)s issued, %(mailed)s mailed.",
                            self.issued, year=year, mailed=self.mailed)
        else:
            done = ngettext("%(num)d receipt for %(year)s issued.",
                            "%(num)d receipts for %(year)s issued.", self.issued, year=year)
        notes = [("success", done)]
        if self.already:
            notes.append(("info", ngettext("%(num)d was issued meanwhile by somebody else.",
                                           "%(num)d were issued meanwhile by somebody else.",
                                           self.already)))
        notes += [("warning", line) for line in self.skipped[:50]]
        if len(self.skipped) > 50:
            notes.append(("warning", ngettext("… and %(num)d more not issued.",
                                              "… and %(num)d more not issued.",
                                              len(self.skipped) - 50)))
        return notes


def _year(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def plan(session: Session, year: int, *, settings: Settings,
         issue_date: date) -> tuple[list[services.Request], list[str]]:
    """The receipts the year still needs, and why some donors get none now."""
    first, last = _year(year)
    donations = session.scalars(
        select(Donation).where(Donation.status == DonationStatus.BOOKED,
                               Donation.donated_on.between(first, last),
                               services.unreceipted(Donation.id))
        .order_by(Donation.donor_id, Donation.donated_on, Donation.id)).all()
    merged = dict(session.execute(select(Donor.id, Donor.merged_into_id)
                                  .where(Donor.merged_into_id.is_not(None))).all())

    def owner(donor_id: int) -> int:
        seen = set()
        while donor_id in merged and donor_id not in seen:
            seen.add(donor_id)
            donor_id = merged[donor_id]
        return donor_id

    by_donor: dict[int, list[Donation]] = defaultdict(list)
    for donation in donations:
        by_donor[owner(donation.donor_id)].append(donation)
    requests, skipped = [], []
    for donor_id in sorted(by_donor):
        gifts = by_donor[donor_id]
        if not any(services.needs_receipt(d, settings) for d in gifts):
            continue
        donor = session.get(Donor, donor_id)
        if settings.receipts.style == "de":
            foreign = [d for d in gifts if d.currency != "EUR"]
            if foreign:
                skipped.append(ngettext(
                    "%(name)s (%(ref)s): %(num)d gift not in euros gets no German receipt.",
                    "%(name)s (%(ref)s): %(num)d gifts not in euros get no German receipt.",
                    len(foreign), name=donor.name, ref=donor.ref))
                gifts = [d for d in gifts if d.currency == "EUR"]
            if gifts and not donor.has_postal_address:
                skipped.append(_("%(name)s (%(ref)s): no postal address on record; add it and "
                                 "run again.", name=donor.name, ref=donor.ref))
                continue
        in_kind = [d for d in gifts if d.kind is DonationKind.IN_KIND]
        money = [d for d in gifts if d.kind is not DonationKind.IN_KIND]
        if settings.receipts.style == "us":
            in_kind, money = [], gifts
        for donation in in_kind:
            requests.append(services.Request(donor_id, (donation.id,), issue_date))
        if len(money) == 1:
            requests.append(services.Request(donor_id, (money[0].id,), issue_date))
        elif money:
            requests.append(services.Request(donor_id, tuple(d.id for d in money), issue_date,
                                             period=_year(year)))
    return requests, skipped


def _unmailed(session: Session, year: int) -> list[int]:
    first, last = _year(year)
    return list(session.scalars(
        select(Receipt.id).where(Receipt.cancelled_at.is_(None),
                                 Receipt.period_end.between(first, last),
                                 ~Receipt.id.in_(select(ReceiptMailing.receipt_id)))
        .join(Donor, Donor.id == Receipt.donor_id).where(Donor.email.is_not(None))
        .order_by(Receipt.id)))


def refuse_unless_ready(session: Session, settings: Settings, issue_date: date) -> None:
    """Raise why no receipt may be issued on ``issue_date`` at all: the association's details
    incomplete (``SetupIncomplete``), receipts switched off, the exemption notice missing or too
    old (``ReceiptRefused``)."""
    refuse_unless_set_up(settings, "a donation receipt")
    if settings.receipts.style == "de":
        check_notice(exemption_notice(session, settings, issue_date), issue_date)
    elif settings.receipts.style != "us":
        raise ReceiptRefused(_("Receipts are switched off (RECEIPTS_STYLE is none)."))


def run(session: Session, year: int, *, settings: Settings, actor: Actor | None,
        send: bool = False, issue_date: date | None = None,
        progress: Progress | None = None) -> Outcome:
    """Issue (and with ``send`` mail) every receipt ``year`` still needs; see the module."""
    issue_date = issue_date or clock.today()
    refuse_unless_ready(session, settings, issue_date)
    requests, skipped = plan(session, year, settings=settings, issue_date=issue_date)
    session.commit()  # the plan's reads end here; each receipt is a unit of work of its own
    outcome = Outcome(skipped=skipped)
    total = len(requests)
    for done, request in enumerate(requests):
        if progress:
            progress(done, total)
        try:
            receipt = services.issue(session, request, settings=settings, actor=actor, send=send)
            outcome.issued += 1
            outcome.mailed += bool(send and session.scalar(select(ReceiptMailing.id).where(
                ReceiptMailing.receipt_id == receipt.id)))
        except (AlreadyDone, Conflict):
            outcome.already += 1
        except ReceiptRefused as refused:
            outcome.skipped.append(str(refused))
    if send:
        for receipt_id in _unmailed(session, year):
            with transaction(session):
                if services.mail_receipt(session, session.get(Receipt, receipt_id),
                                         settings=settings):
                    outcome.mailed += 1
    if progress:
        progress(total, total)
    return outcome


def start(session: Session, year: int, *, send: bool, actor: Actor, settings: Settings,
          issue_date: date | None = None, locale: str | None = None) -> jobs.Job:
    """The year-end run as a job (its page shows the progress bar): the one for ``year`` still
    queued or running (a double click starts nothing), else a new one, which issues only what is
    still due. Refused at once when no receipt may be issued (``refuse_unless_ready``). Its
    notes are written in ``locale`` (the language of whoever started it; the association's
    default without one)."""
    issue_date = issue_date or clock.today()
    refuse_unless_ready(session, settings, issue_date)
    for waiting in session.scalars(select(jobs.Job).where(
            jobs.Job.kind == JOB, jobs.Job.state.in_((jobs.QUEUED, jobs.RUNNING)))):
        if waiting.params.get("year") == year:
            return waiting
    return jobs.start(session, JOB, title=f"Donation receipts {year}" + (" (mailed)" if send else ""),
                      key=f"{JOB}:{year}:{uuid.uuid4().hex}", actor=actor,
                      params={"year": year, "send": send, "issue_date": issue_date.isoformat(),
                              "locale": locale})


def _work(session: Session, job_row: jobs.Job, progress: jobs.Progress) -> dict:
    params = job_row.params
    year = int(params["year"])

    def tick(done: int, total: int) -> None:
        job_row.total = total
        progress(done, total, force=done == total)

    settings = job_settings()
    locale = params.get("locale") or settings.organisation.default_locale
    with i18n.using(catalogs.translations(locale), locale):  # the notes for whoever started it
        outcome = run(session, year, settings=settings, actor=job_row.started_by,
                      send=bool(params.get("send")),
                      issue_date=date.fromisoformat(params["issue_date"]), progress=tick)
        notes = outcome.lines(year)
    return {"notes": notes, "link": {"endpoint": "receipts.year_end", "year": year}}


@job(JOB)
def annual_receipts(job_id: int) -> None:
    jobs.run(job_id, _work, in_steps=True)
