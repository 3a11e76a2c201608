"""The annual report pack for the general assembly: one PDF, made once, kept with its SHA-256.

``compute`` gathers the year into a frozen ``Pack`` (the same statement values the pages show:
balance sheet, activities, spheres, budget, plus fund movements per group, grants, donations,
open receivables and the year's resolutions); ``render`` turns it into HTML and the PDF (cover,
contents with page numbers, numbered pages, the association's details, the date of the data);
``make`` renders outside any write and then stores the file and its ``ReportPack`` row in one
short unit of work. ``backoffice reports pack --year 2026`` and the page's button (a job with
progress, ``reports.pack``) both call ``make``.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from ..board.models import Resolution, ResolutionStatus
from ..core import catalogs, clock, i18n, jobs
from ..core.db import transaction
from ..core.i18n import N_, _, ngettext, pgettext
from ..core.queue import job
from ..core.templates import render_document
from ..core.uploads import store_upload
from ..donations.models import Donation, DonationStatus
from ..grants.models import Application, Disbursement, DisbursementStatus, Programme
from ..invoicing.state import open_invoices
from ..ledger.balances import fund_account_movements, fund_balances
from ..ledger.periods import FiscalYear
from ..ledger.reads import chart_accounts
from ..pdf import html_to_pdf_pages
from . import budgets, charts, fund_trend, spheres, statements
from .models import ReportPack
from .render import page_numbers_css, row_html
from .scope import GROUP_LABELS, GROUP_ORDER, GROUP_TOTALS, fund_rows
from .statements import HEADING, LINE, SUBTOTAL, TOTAL, Line, Statement, period

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..core.actors import Actor
    from ..core.settings import Settings

KIND = "reports.pack"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    statements: tuple[Statement, ...] = ()
    charts: tuple[str, ...] = ()  # data: URLs of SVG charts
    rows: tuple[tuple[str, ...], ...] = ()  # a plain table (the resolutions)
    header: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Pack:
    year: int
    start: date
    end: date
    organisation: str
    details: tuple[str, ...]  # address, register, tax number, board, as printed on the cover
    data_as_of: datetime
    sections: tuple[Section, ...] = field(default_factory=tuple)
    locale: str = "en_IE"  # the language it is written in

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


Progress = Callable[[int, int], None]

#: The sections in their order, titled in English (translated into the pack's language).
SECTION_TITLES = (
    ("balance_sheet", N_("Balance sheet")),
    ("activities", N_("Statement of activities")),
    ("spheres", N_("Result per tax sphere")),
    ("budget", N_("Budget against actual")),
    ("funds", N_("Fund balances and movements")),
    ("grants", N_("Grants awarded and paid")),
    ("donations", N_("Donations")),
    ("receivables", N_("Open receivables")),
    ("resolutions", N_("Resolutions of the year")),
)


def year_bounds(year: int, fiscal_year: FiscalYear) -> tuple[date, date]:
    start = date(year, fiscal_year.first_month, 1)
    return start, date(year + 1, fiscal_year.first_month, 1) - timedelta(days=1)


def compute(session: Session, year: int, settings: Settings, *, now: datetime | None = None,
            locale: str | None = None, progress: Progress = lambda done, total: None) -> Pack:
    """The year's pack, written in ``locale`` (the association's default language without
    one)."""
    locale = locale or settings.organisation.default_locale
    with i18n.using(catalogs.translations(locale), locale):
        return _compute(session, year, settings, now=now, locale=locale, progress=progress)


def _compute(session: Session, year: int, settings: Settings, *, now: datetime | None,
             locale: str, progress: Progress) -> Pack:
    fiscal_year = FiscalYear.of(settings.organisation)
    start, end = year_bounds(year, fiscal_year)
    currency = settings.organisation.default_currency
    now = now or datetime.now(timezone.utc)
    today = clock.day_of(now)  # the data's date, as the page shows it
    total = len(SECTION_TITLES)
    sections: list[Section] = []

    def add(section: Section) -> None:
        sections.append(section)
        progress(len(sections), total)

    titles = {key: _(title) for key, title in SECTION_TITLES}
    add(Section("balance_sheet", titles["balance_sheet"],
                tuple(statements.compute_balance_sheet(session, end))))
    flow = statements.compute_cash_flow(session, start)
    add(Section("activities", titles["activities"],
                tuple(statements.compute_activities(session, start, end)),
                tuple(charts.data_url(charts.of_cash_flow(s, locale=locale))
                      for s in flow if s.currency == currency)))
    add(Section("spheres", titles["spheres"],
                (spheres.compute(session, start, end, settings.reports, currency, locale),)))
    budget = budgets.compute(session, year, fiscal_year, min(end, today), currency)
    add(Section("budget", titles["budget"], (budget,), tuple(
        charts.data_url(svg) for svg in [charts.of_budget(budget)] if svg)))
    # Up to the date of the data, as the page shows it (and the budget is measured).
    trend = fund_trend.compute(session, start, fund_trend.shown_until(start, end, today),
                               currency)[0]
    add(Section("funds", titles["funds"], (fund_movements(session, start, end, currency),),
                (charts.data_url(fund_trend.chart_svg(trend, locale=locale)),)))
    add(Section("grants", titles["grants"], (grants_statement(session, start, end, currency),)))
    add(Section("donations", titles["donations"],
                (donations_statement(session, start, end, currency),)))
    add(Section("receivables", titles["receivables"],
                (receivables_statement(session, end, currency),),
                note=_("Invoices issued up to the year end that are still open on the date of "
                       "the data.")))
    add(resolutions_section(session, start, end))
    seller = settings.invoicing.seller
    details = tuple(part for part in (
        seller.street.replace("\n", ", "), f"{seller.postcode} {seller.city}".strip(),
        seller.register,
        _("Tax number %(number)s", number=seller.tax_number) if seller.tax_number else "",
        _("Board: %(board)s", board=seller.board) if seller.board else "", seller.email,
        seller.website) if part)
    return Pack(year, start, end, settings.organisation.name, details, now, tuple(sections),
                locale)


def fund_movements(session: Session, start: date, end: date, currency: str) -> Statement:
    """Per fund, grouped: net assets at start, income, expenses, transfers, net assets at end."""
    kinds = {a.id: a.type for a in chart_accounts(session)
             if a.type in ("income", "expense", "net_assets")}
    moved = fund_account_movements(session, start, end, account_ids=list(kinds))
    opening = fund_balances(session, start - timedelta(days=1))
    closing = fund_balances(session, end)
    per_fund: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (fund_id, account_id, cur), amount in moved.items():
        if cur == currency:
            index = {"income": 0, "expense": 1, "net_assets": 2}[kinds[account_id]]
            per_fund[fund_id][index] += amount if index == 1 else -amount
    lines: list[Line] = []
    grand = [0] * 5
    rows = fund_rows(session)
    for group in GROUP_ORDER:
        members = [r for r in rows if r.group == group]
        subtotal = [0] * 5
        group_lines = []
        for row in members:
            income, expenses, transfers = per_fund[row.fund.id]
            values = [opening.get((row.fund.id, currency), 0), income, expenses, transfers,
                      closing.get((row.fund.id, currency), 0)]
            if any(values):
                group_lines.append(Line(row.fund.name, tuple(values), LINE, row.fund.code, 1))
                subtotal = [a + b for a, b in zip(subtotal, values)]
        if group_lines:
            lines.append(Line(str(GROUP_LABELS[group]), kind=HEADING))
            lines.extend(group_lines)
            lines.append(Line(str(GROUP_TOTALS[group]), tuple(subtotal), SUBTOTAL))
            grand = [a + b for a, b in zip(grand, subtotal)]
    lines.append(Line(_("All funds"), tuple(grand), TOTAL))
    return Statement("funds", _("Fund balances and movements"), period(start, end), currency,
                     (_("At start"), pgettext("statement", "Income"),
                      pgettext("statement", "Expenses"), pgettext("between funds", "Transfers"),
                      _("At end")), tuple(lines))


def grants_statement(session: Session, start: date, end: date, currency: str) -> Statement:
    """Per programme: awarded (the grants expense booked in its fund: awards less reductions
    and cancellations) and paid out (disbursements paid in the year)."""
    grants = next((a for a in chart_accounts(session) if a.role == "grants_expense"), None)
    moved = fund_account_movements(session, start, end,
                                   account_ids=[grants.id] if grants else [])
    paid = dict(session.execute(
        select(Application.programme_id, func.sum(Disbursement.amount))
        .join(Application, Application.id == Disbursement.application_id)
        .where(Disbursement.status == DisbursementStatus.PAID, Disbursement.paid_on >= start,
               Disbursement.paid_on <= end, Disbursement.currency == currency)
        .group_by(Application.programme_id)).all())
    lines = []
    totals = [0, 0]
    for programme in session.scalars(select(Programme).order_by(Programme.name)):
        awarded = moved.get((programme.fund_id, grants.id, currency), 0) if grants else 0
        out = int(paid.get(programme.id) or 0)
        if awarded or out:
            lines.append(Line(programme.name, (awarded, out), LINE, depth=1))
            totals = [totals[0] + awarded, totals[1] + out]
    lines.append(Line(_("All programmes"), tuple(totals), TOTAL))
    return Statement("grants", _("Grants awarded and paid"), period(start, end), currency,
                     (_("Awarded"), _("Paid out")), tuple(lines))


def donations_statement(session: Session, start: date, end: date, currency: str) -> Statement:
    """Donations booked in the year by kind and channel: how many and how much (reversed ones
    counted apart)."""
    rows = session.execute(
        select(Donation.kind, Donation.channel, Donation.status, func.count(),
               func.sum(Donation.amount))
        .where(Donation.donated_on >= start, Donation.donated_on <= end,
               Donation.currency == currency,
               Donation.status.in_([DonationStatus.BOOKED, DonationStatus.REVERSED]))
        .group_by(Donation.kind, Donation.channel, Donation.status)).all()
    booked: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    reversed_ = [0, 0]
    for kind, channel, status, count, amount in rows:
        if status == DonationStatus.REVERSED:
            reversed_ = [reversed_[0] + int(amount or 0), reversed_[1] + count]
            continue
        label = f"{kind.label} ({channel.label})"
        booked[label] = [booked[label][0] + int(amount or 0), booked[label][1] + count]
    lines = [Line(label, tuple(values), LINE, depth=1) for label, values in sorted(booked.items())]
    lines.append(Line(_("Donations received"), (sum(v[0] for v in booked.values()),
                                                sum(v[1] for v in booked.values())), SUBTOTAL))
    lines.append(Line(_("Refunded or disputed"), tuple(reversed_), LINE))
    return Statement("donations", _("Donations"), period(start, end), currency,
                     (_("Amount"), _("Count")), tuple(lines), count_columns=(1,))


def receivables_statement(session: Session, end: date, currency: str) -> Statement:
    lines = []
    total = 0
    for item in open_invoices(session, currency=currency):
        if item.invoice.issue_date and item.invoice.issue_date <= end:
            lines.append(Line(f"{item.invoice.number} {item.invoice.buyer_name}",
                              (item.invoice.gross_total, item.outstanding), LINE,
                              (item.invoice.due_date or end).isoformat(), 1))
            total += item.outstanding
    lines.append(Line(_("Open receivables"), (None, total), TOTAL))
    return Statement("receivables", _("Open receivables"),
                     _("issued up to %(day)s", day=end.isoformat()), currency,
                     (_("Invoiced"), pgettext("amount", "Open")), tuple(lines))


def resolutions_section(session: Session, start: date, end: date) -> Section:
    found = session.scalars(
        select(Resolution).where(Resolution.decided_at >= datetime.combine(start, datetime.min.time(), timezone.utc),
                                 Resolution.decided_at < datetime.combine(end + timedelta(days=1), datetime.min.time(), timezone.utc),
                                 Resolution.status != ResolutionStatus.OPEN)
        .order_by(Resolution.decided_at, Resolution.id))
    rows = tuple((r.number, r.title, str(r.status.label), clock.day_of(r.decided_at).isoformat())
                 for r in found)
    return Section("resolutions", _("Resolutions of the year"), rows=rows,
                   header=(_("Number"), _("Resolution"), _("Outcome"), _("Decided")),
                   note="" if rows else _("No resolution was decided in the year."))


# --- rendering and keeping ------------------------------------------------------------------

def render_html(pack: Pack) -> str:
    """The pack's HTML, in its language (its texts, its amounts)."""
    return render_document("reports/pdf_pack.html", pack=pack, locale=pack.locale,
                           lang=pack.locale.split("_")[0],
                           page_numbers=page_numbers_css(pack.locale),
                           row=partial(row_html, locale=pack.locale))


def render(pack: Pack) -> tuple[bytes, int]:
    """The PDF and its number of pages."""
    return html_to_pdf_pages(render_html(pack))


def make(session: Session, year: int, settings: Settings, *, actor: Actor | None,
         locale: str | None = None, progress: Progress = lambda done, total: None) -> ReportPack:
    """Compute and render the pack in ``locale`` (reads only, no write lock held meanwhile),
    then keep the file and its row in one short unit of work."""
    pack = compute(session, year, settings, locale=locale, progress=progress)
    data, pages = render(pack)
    with transaction(session):
        return keep(session, pack, data, pages, settings, actor=actor)


def keep(session: Session, pack: Pack, data: bytes, pages: int, settings: Settings, *,
         actor: Actor | None) -> ReportPack:
    """Store the PDF (content-addressed by its SHA-256) and its append-only row."""
    stored = store_upload(session, folder=settings.paths.uploads,
                          filename=f"annual-report-{pack.year}.pdf", data=data, allowed={"pdf"},
                          max_bytes=len(data) + 1, actor=actor)
    row = ReportPack(year=pack.year, file_id=stored.id, sha256=stored.sha256, pages=pages,
                     data_as_of=pack.data_as_of, created_by_id=getattr(actor, "id", None))
    session.add(row)
    session.flush()
    return row


def packs(session: Session) -> list[ReportPack]:
    return list(session.scalars(select(ReportPack).order_by(ReportPack.id.desc()).limit(50)))


def start(session: Session, year: int, *, actor: Actor, locale: str | None = None) -> jobs.Job:
    """The job that makes the pack in ``locale`` (the language of whoever asked; one per year
    and minute: a double click starts one)."""
    minute = datetime.now(timezone.utc).strftime("%Y%m%d%H%M")
    return jobs.start(session, KIND, title=f"Annual report pack {year}",
                      key=f"{KIND}:{year}:{minute}", actor=actor,
                      params={"year": year, "locale": locale})


def _work(session: Session, current: jobs.Job, progress: jobs.Progress) -> dict:
    from ..core.queue import settings as job_config  # noqa: PLC0415
    from ..core.settings import build  # noqa: PLC0415

    settings = build(job_config())
    year = int(current.params["year"])

    def tick(done: int, total: int) -> None:
        # Progress writes the counters on a connection of its own; the job's row is never
        # changed through this unit of work, which would lock it against those writes
        # (PostgreSQL: the progress update then waits for the lock and times out).
        progress(done, total + 1)  # the rendering is the last step

    pack = compute(session, year, settings, locale=current.params.get("locale"), progress=tick)
    data, pages = render(pack)  # before the job's unit of work writes anything
    row = keep(session, pack, data, pages, settings, actor=current.started_by)
    with i18n.using(catalogs.translations(pack.locale), pack.locale):  # the note for whoever asked
        note = ngettext("Annual report pack %(year)s: %(num)s page, SHA-256 %(sha256)s.",
                        "Annual report pack %(year)s: %(num)s pages, SHA-256 %(sha256)s.",
                        row.pages, year=year, sha256=row.sha256)
    return {"notes": [("success", note)],
            "link": {"endpoint": "reports.pack_file", "pack_id": row.id}}


@job(KIND)
def make_pack(job_id: int) -> None:
    jobs.run(job_id, _work)
