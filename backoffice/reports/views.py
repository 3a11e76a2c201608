"""The Reports menu: the index of every report, the statements' pages and their downloads.

Every statement answers at ``/reports/<name>`` (the page) and ``/reports/<name>.<pdf|csv|xlsx>``
(the same value rendered as a file, with the same filters).
"""
from __future__ import annotations

import string
from dataclasses import replace
from datetime import date, datetime, timezone
from functools import partial
from urllib.parse import quote_plus

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..core import clock
from ..core.bounds import as_id
from ..core.errors import ValidationError
from ..core.forms import current_locale, options
from ..core.i18n import _, ngettext
from ..core.permissions import Permission, login_required, requires
from ..core.query import arg, page_arg, query_form
from ..core.uploads import StoredFile, read_stored
from ..core.views import get_or_404, run_form
from ..extensions import db, settings
from ..ledger.periods import FiscalYear
from ..ledger.reads import chart_accounts, postings_by_id
from . import (
    aging,
    beancount_job,  # noqa: F401  (the beancount.import job, registered for the worker)
    budgets,
    catalogue,
    charts,
    drill,
    fund_trend,
    pack,
    render,
    scope,
    spheres,
    statements,
    vat,
)
from .forms import (
    ApproveBudgetForm,
    AsOfForm,
    BudgetLinesForm,
    BudgetUploadForm,
    ClearPostingSphereForm,
    PeriodForm,
    PostingSphereForm,
    SphereForm,
    VatPeriodForm,
    YearForm,
)
from .models import BudgetRevision, ReportPack, Sphere
from .statements import Drill

bp = Blueprint("reports", __name__, url_prefix="/reports")
FORMATS = ("pdf", "csv", "xlsx")


@bp.route("")
@login_required
def index():
    """Every report the user may open; an organiser sees their own funds' statements only."""
    sections = catalogue.visible(current_user.can)
    own_funds = scope.organised_funds(db.session, current_user) if not sections else []
    return render_template("reports/index.html", sections=sections, own_funds=own_funds,
                           section="reports")


# --- the one way a statement answers ----------------------------------------------------------

def fiscal_year() -> FiscalYear:
    return FiscalYear.of(settings().organisation)


def generated_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def drill_links(endpoint: str = "reports.postings", **values):
    """A function from a figure's ``Drill`` to the URL of its postings: the page's few hundred
    links share one ``url_for`` (each costs about as much as a cell's whole rendering)."""
    base = url_for(endpoint, **values)
    tails: dict[tuple, str] = {}

    def link(value: Drill) -> str:
        # A column's figures differ in their account only: the rest of the address (the
        # account comes first) is quoted once a column.
        key = (value.account_type, value.funds, value.fund_group, value.start, value.end)
        tail = tails.get(key)
        if tail is None:
            tail = tails[key] = query_string(replace(value, account_id=None).query())
        if value.account_id is None:
            return f"{base}?{tail}"
        return f"{base}?account={value.account_id}&{tail}" if tail else \
            f"{base}?account={value.account_id}"

    return link


#: What ``quote_plus`` leaves as it is (with ``safe=","``).
_PLAIN = string.ascii_letters + string.digits + "_.,~-"


def query_string(values: dict[str, str]) -> str:
    """``urlencode(values, safe=",")``, quoting only what needs it: a figure's address is mostly
    ids, dates and names of kinds, and urlencode's quoting of every part cost as much as the
    rest of its cell."""
    def quoted(text: str) -> str:
        return quote_plus(text, safe=",") if text.strip(_PLAIN) else text  # all plain: nothing left

    return "&".join(f"{quoted(key)}={quoted(value)}" for key, value in values.items())


def respond(fmt: str | None, found: list[statements.Statement], *, title: str, form,
            filename: str, chart_svgs: list[str] = (), lead: str = "", endpoint: str,
            template: str = "reports/statement.html", page: dict | None = None,
            links=None, **query) -> Response | str:
    """The page, or the same statements as a PDF, CSV or XLSX file; ``links`` from a figure to
    its postings (``drill_links()`` by default)."""
    images = [charts.data_url(svg) for svg in chart_svgs]
    locale = current_locale()
    if fmt is None:
        return render_template(
            template, title=title, statements=found, form=form, lead=lead, charts=images,
            row=partial(render.row_html, locale=locale, link=links or drill_links()),
            section="reports",
            download=lambda kind: url_for(endpoint, fmt=kind, **query), **(page or {}))
    if fmt not in FORMATS:
        abort(404)
    name = f"{filename}.{fmt}"
    if fmt == "csv":
        body, mimetype = render.to_csv(found), "text/csv"
    elif fmt == "xlsx":
        body, mimetype = render.to_xlsx(
            found, generated=_("Data as of %(moment)s", moment=generated_now())), \
            render.XLSX_TYPE
    else:
        body = render.to_pdf(found, organisation=settings().organisation.name,
                             generated=generated_now(), charts=images, locale=locale)
        mimetype = "application/pdf"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _query(form) -> dict[str, str]:
    return {f.name: f.data.isoformat() if isinstance(f.data, date) else str(f.data)
            for f in form if f.data not in (None, "")}


# --- statements -------------------------------------------------------------------------------

@bp.route("/balance-sheet", defaults={"fmt": None})
@bp.route("/balance-sheet.<fmt>")
@requires(Permission.REPORTS_VIEW)
def balance_sheet(fmt: str | None):
    form = query_form(AsOfForm)
    as_of = form.as_of.data or clock.today()
    form.as_of.data = as_of
    found = statements.compute_balance_sheet(db.session, as_of)
    return respond(fmt, found, title=_("Balance sheet"), form=form, endpoint="reports.balance_sheet",
                   filename=f"balance-sheet-{as_of.isoformat()}", **_query(form))


def period_of(form) -> tuple[date, date]:
    """The form's period (the fiscal year so far by default); 400 when it ends first."""
    today = clock.today()
    start = form.start.data or fiscal_year().start(today)
    end = form.end.data or today
    if end < start:
        abort(400, _("The period ends before it starts."))
    form.start.data, form.end.data = start, end
    return start, end


@bp.route("/activities", defaults={"fmt": None})
@bp.route("/activities.<fmt>")
@requires(Permission.REPORTS_VIEW)
def activities(fmt: str | None):
    """The page shows a page of the fund columns and of the account lines (``column_page``,
    ``row_page``), with the totals over everything; the files are the whole statement."""
    form = query_form(PeriodForm)
    start, end = period_of(form)
    by = form.by.data or "group"
    query = _query(form)
    filename = f"activities-{start.isoformat()}-{end.isoformat()}"
    if fmt is not None:
        found = statements.compute_activities(db.session, start, end, by=by)
        return respond(fmt, found, title=_("Statement of activities"), form=form,
                       endpoint="reports.activities", filename=filename, **query)
    window = statements.Window(page_arg("column_page"), page_arg("row_page"))
    found = statements.compute_activities(db.session, start, end, by=by, window=window)
    paging = found[0].paging
    column_pages = paging.column_pages
    row_pages = max(s.paging.row_pages for s in found)
    if window.column_page > column_pages:
        abort(400, ngettext("There is %(num)s page of columns.",
                            "There are %(num)s pages of columns.", column_pages))
    if window.row_page > row_pages:
        abort(400, ngettext("There is %(num)s page of accounts.",
                            "There are %(num)s pages of accounts.", row_pages))

    def page_url(column_page: int = window.column_page, row_page: int = window.row_page) -> str:
        pages = {"column_page": column_page if column_page > 1 else None,
                 "row_page": row_page if row_page > 1 else None}
        return url_for("reports.activities", **query,
                       **{key: value for key, value in pages.items() if value})

    return respond(None, found, title=_("Statement of activities"), form=form,
                   endpoint="reports.activities", filename=filename,
                   page={"paging": paging, "row_pages": row_pages, "page_url": page_url}, **query)


def _year(form) -> int:
    year = form.year.data or fiscal_year().start(clock.today()).year
    form.year.data = year
    return year


@bp.route("/cash-flow", defaults={"fmt": None})
@bp.route("/cash-flow.<fmt>")
@requires(Permission.REPORTS_VIEW)
def cash_flow(fmt: str | None):
    form = query_form(YearForm)
    year = _year(form)
    year_start = date(year, fiscal_year().first_month, 1)
    found = statements.compute_cash_flow(db.session, year_start,
                                         bank_account_ids=scope.bank_ledger_accounts(db.session))
    svgs = [charts.of_cash_flow(s, locale=current_locale()) for s in found]
    return respond(fmt, found, title=_("Cash flow by month"), form=form, chart_svgs=svgs,
                   endpoint="reports.cash_flow", filename=f"cash-flow-{year}", **_query(form))


@bp.route("/fund-balances", defaults={"fmt": None})
@bp.route("/fund-balances.<fmt>")
@requires(Permission.REPORTS_VIEW)
def fund_balances(fmt: str | None):
    """The funds' balances at every month end of a fiscal year (up to today in the current
    one), with their line chart."""
    form = query_form(YearForm)
    year = _year(form)
    start, end = _year_bounds(year)
    found = fund_trend.compute(db.session, start, fund_trend.shown_until(start, end, clock.today()),
                               settings().organisation.default_currency)
    svgs = [fund_trend.chart_svg(s, locale=current_locale()) for s in found]
    return respond(fmt, found, title=_("Fund balances over time"), form=form, chart_svgs=svgs,
                   endpoint="reports.fund_balances", filename=f"fund-balances-{year}",
                   **_query(form))


# --- drill-down -------------------------------------------------------------------------------

def _ids(text: str) -> tuple[int, ...]:
    ids = [as_id(part) for part in text.split(",") if part]
    if len(ids) > 10000 or None in ids:  # an id beyond an INTEGER column's range is no fund
        raise ValueError(_("Give fund ids separated by commas."))
    return tuple(ids)


@bp.route("/postings")
@requires(Permission.REPORTS_VIEW)
def postings():
    """The postings behind a figure, each with its entry and its source document."""
    wanted = Drill(account_id=arg("account", int), account_type=arg(
        "type", DRILL_TYPES), funds=arg("funds", _ids, ()), start=arg("start", date),
        end=arg("end", date), fund_group=arg("group", scope.GROUP_ORDER))
    return postings_page(wanted, "reports.postings")


DRILL_TYPES = {"asset", "liability", "net_assets", "income", "expense", "resource"}


def postings_page(wanted: Drill, endpoint: str, *, limited: bool = False, **values) -> str:
    """A page of the postings ``wanted`` names, paged by key at ``endpoint``; ``limited``
    (an organiser's view of their fund) leaves out the links to entries and documents."""
    after_date, after_id = arg("after_date", date), arg("after_id", int)
    after = (after_date, after_id) if after_date and after_id else None
    rows = drill.postings(db.session, wanted, after=after)
    accounts = {a.id: a for a in chart_accounts(db.session)}
    funds = {row.fund.id: row.fund for row in scope.fund_rows(db.session)}
    more = None
    if len(rows) == drill.PAGE_SIZE:
        more = url_for(endpoint, **values, **wanted.query(), after_date=rows[-1].booking_date,
                       after_id=rows[-1].id)
    placed = spheres.placed_by_hand(db.session, [row.id for row in rows]) \
        if not limited and current_user.can(Permission.BUDGETS_MANAGE) else None
    return render_template("reports/postings.html", rows=rows, drill=wanted, accounts=accounts,
                           funds=funds, more=more, limited=limited, spheres=placed,
                           drill_types=statements.ACCOUNT_TYPES, fund_groups=scope.GROUP_LABELS,
                           section="reports")


# --- tax spheres ------------------------------------------------------------------------------

def _year_bounds(year: int) -> tuple[date, date]:
    start = date(year, fiscal_year().first_month, 1)
    return start, statements.day_before(date(year + 1, start.month, 1))


@bp.route("/spheres", defaults={"fmt": None})
@bp.route("/spheres.<fmt>")
@requires(Permission.REPORTS_VIEW)
def spheres_page(fmt: str | None):
    form = query_form(YearForm)
    year = _year(form)
    start, end = _year_bounds(year)
    found = [spheres.compute(db.session, start, end, settings().reports,
                             settings().organisation.default_currency, current_locale())]
    page = {}
    if fmt is None and current_user.can(Permission.BUDGETS_MANAGE):
        page = _sphere_page()
    return respond(fmt, found, title=_("Result per tax sphere"), form=form, page=page,
                   template="reports/spheres.html", endpoint="reports.spheres_page",
                   filename=f"tax-spheres-{year}", **_query(form))


def _sphere_form() -> SphereForm:
    form = SphereForm()
    form.account.choices = options(
        [(a.id, a.label) for a in chart_accounts(db.session) if a.type in ("income", "expense")])
    form.sphere.choices = options([(s.value, s.label) for s in Sphere])
    return form


def _sphere_page() -> dict:
    accounts = [a for a in chart_accounts(db.session) if a.type in ("income", "expense")]
    return {"sphere_form": _sphere_form(), "assigned": spheres.account_spheres(db.session),
            "sphere_accounts": accounts}


@bp.route("/spheres/accounts", methods=["POST"])
@requires(Permission.BUDGETS_MANAGE)
def set_sphere():
    form = _sphere_form()
    outcome = run_form(form, lambda: spheres.set_account_sphere(
        db.session, form.account.data, Sphere(form.sphere.data), actor=current_user),
        flash_refusal="danger")
    if outcome.done:
        flash(_("The account's tax sphere is saved."), "success")
    elif outcome.invalid:
        abort(400, _("Choose an account and a sphere."))
    return redirect(url_for("reports.spheres_page"), 303)


@bp.route("/spheres/postings/<int:posting_id>", methods=["GET", "POST"])
@requires(Permission.BUDGETS_MANAGE)
def posting_sphere(posting_id: int):
    """One posting's tax sphere: placed elsewhere than its account's by hand, or not."""
    posting = postings_by_id(db.session, [posting_id]).get(posting_id) or abort(404)
    form, clear = PostingSphereForm(), ClearPostingSphereForm(prefix="clear")
    form.sphere.choices = options([(s.value, s.label) for s in Sphere])
    status = 200
    if form.is_submitted():
        outcome = run_form(form, lambda: spheres.set_posting_sphere(
            db.session, posting_id, Sphere(form.sphere.data), reason=form.reason.data,
            actor=current_user))
        if outcome.done:
            flash(_("The posting is placed in that sphere."), "success")
            return redirect(url_for("reports.posting_sphere", posting_id=posting_id), 303)
        status = outcome.status
    return render_template(
        "reports/posting_sphere.html", posting=posting, form=form, clear=clear,
        placed=spheres.posting_sphere(db.session, posting_id),
        account_sphere=spheres.account_spheres(db.session).get(posting.account_id),
        section="reports"), status


@bp.route("/spheres/postings/<int:posting_id>/clear", methods=["POST"])
@requires(Permission.BUDGETS_MANAGE)
def clear_posting_sphere(posting_id: int):
    clear = ClearPostingSphereForm(prefix="clear")
    outcome = run_form(clear, lambda: spheres.clear_posting_sphere(
        db.session, posting_id, reason=clear.reason.data, actor=current_user),
        flash_refusal="danger")
    if outcome.done:
        flash(_("The posting follows its account's sphere again."), "success")
    elif outcome.invalid:
        flash(_("Say why the posting goes back to its account's sphere."), "danger")
    return redirect(url_for("reports.posting_sphere", posting_id=posting_id), 303)


# --- VAT --------------------------------------------------------------------------------------

@bp.route("/vat", defaults={"fmt": None})
@bp.route("/vat.<fmt>")
@requires(Permission.REPORTS_VIEW)
def vat_page(fmt: str | None):
    form = query_form(VatPeriodForm)
    today = clock.today()
    year = form.year.data or today.year
    period = form.period.data or f"Q{(today.month - 1) // 3 + 1}"
    form.year.data, form.period.data = year, period
    if period.startswith("Q"):
        start, end = vat.quarter_bounds(year, int(period[1:]))
    else:
        start, end = vat.month_bounds(year, int(period[1:]))
    statement, invoices = vat.compute(db.session, start, end,
                                      settings().organisation.default_currency,
                                      deducts_input_vat=settings().reports.deducts_input_vat)
    return respond(fmt, [statement], title=_("VAT return figures"), form=form,
                   template="reports/vat.html", page={"invoices": invoices},
                   endpoint="reports.vat_page", filename=f"vat-{year}-{period}", **_query(form))


# --- aging ------------------------------------------------------------------------------------

@bp.route("/aging", defaults={"fmt": None})
@bp.route("/aging.<fmt>")
@requires(Permission.REPORTS_VIEW)
def aging_page(fmt: str | None):
    form = query_form(AsOfForm)
    today = form.as_of.data or clock.today()
    form.as_of.data = today
    found, items = aging.compute(db.session, today)
    return respond(fmt, found, title=_("Receivables and payables by age"), form=form,
                   template="reports/aging.html",
                   page={"items": items, "buckets": dict(aging.AGING_BUCKETS)},
                   endpoint="reports.aging_page", filename=f"aging-{today.isoformat()}",
                   **_query(form))


# --- budgets ----------------------------------------------------------------------------------

@bp.route("/budget", defaults={"fmt": None})
@bp.route("/budget.<fmt>")
@requires(Permission.REPORTS_VIEW)
def budget(fmt: str | None):
    form = query_form(YearForm)
    year = _year(form)
    return _budget_page(fmt, form, year)


def _budget_page(fmt, form, year: int, *, upload=None, entry=None, approve=None, status=200):
    statement = budgets.compute(db.session, year, fiscal_year(), clock.today(),
                                settings().organisation.default_currency)
    svgs = [svg for svg in [charts.of_budget(statement)] if svg]
    revision = budgets.in_force(db.session, year)
    page = {"year": year, "revisions": budgets.revisions(db.session, year),
            "upload_form": upload or BudgetUploadForm(), "entry_form": entry or _entry_form(revision),
            "approve_form": approve or _approve_form(year)}
    answer = respond(fmt, [statement], title=_("Budget against actual %(year)s", year=year), form=form,
                     chart_svgs=svgs, template="reports/budget.html", page=page,
                     endpoint="reports.budget", filename=f"budget-{year}", **_query(form))
    return (answer, status) if fmt is None else answer


def _known_year(year: int) -> None:
    """A fiscal year in an address: 1900-2199 (the dates the app knows), else no such page."""
    if not 1900 <= year <= 2199:
        abort(404)


def _entry_form(revision: BudgetRevision | None) -> BudgetLinesForm:
    form = BudgetLinesForm()
    if not form.is_submitted() and revision is not None:
        accounts = {a.id: a.code for a in chart_accounts(db.session)}
        funds = {row.fund.id: row.fund.code for row in scope.fund_rows(db.session)}
        form.lines.data = "\n".join(
            f"{accounts[line.account_id]} {funds[line.fund_id]} "
            f"{render.decimal_of(line.amount, line.currency)} {line.currency}"
            for line in revision.lines)
    return form


def _approve_form(year: int) -> ApproveBudgetForm:
    form = ApproveBudgetForm()
    form.resolution.choices = options(
        [(r.id, f"{r.number}: {r.title}") for r in budgets.approvable_resolutions(db.session, year)],
        _("Choose the resolution"))
    return form


def _typed_lines(text: str) -> list[budgets.PlanLine]:
    """Lines typed as "account-code fund-code amount [currency]", one per line."""
    accounts = {a.code: a.id for a in chart_accounts(db.session)}
    funds = {row.fund.code: row.fund.id for row in scope.fund_rows(db.session)}
    default = settings().organisation.default_currency
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue
        if len(parts) not in (3, 4) or parts[0] not in accounts or parts[1] not in funds:
            raise ValidationError(_("Line %(number)s: write the account code, the fund code and "
                                    "the amount, e.g. \"5100 GEN 1200.00\".", number=number),
                                  field="lines")
        currency = parts[3].upper() if len(parts) == 4 else default
        if currency not in settings().organisation.currencies:
            raise ValidationError(_("Line %(number)s: %(currency)s is not a currency of the "
                                    "books.", number=number, currency=currency), field="lines")
        lines.append(budgets.PlanLine(accounts[parts[0]], funds[parts[1]], budgets.parse_amount(
            parts[2], currency, _("Line %(number)s", number=number))))
    return lines


@bp.route("/budget/<int:year>/lines", methods=["POST"])
@requires(Permission.BUDGETS_MANAGE)
def budget_lines(year: int):
    _known_year(year)
    entry = BudgetLinesForm()
    outcome = run_form(entry, lambda: budgets.revise(
        db.session, year, _typed_lines(entry.lines.data), note=entry.note.data or "",
        actor=current_user))
    if outcome.done:
        flash(_("%(revision)s is saved; it needs the board's approval.",
                revision=outcome.result.label), "success")
        return redirect(url_for("reports.budget", year=year), 303)
    form = YearForm(data={"year": year}, meta={"csrf": False})
    return _budget_page(None, form, year, entry=entry, status=outcome.status)


@bp.route("/budget/<int:year>/upload", methods=["POST"])
@requires(Permission.BUDGETS_MANAGE)
def budget_upload(year: int):
    _known_year(year)
    upload = BudgetUploadForm()

    def read_and_revise():
        data = upload.file.data.read(5 * 1024 * 1024 + 1)
        if len(data) > 5 * 1024 * 1024:
            raise ValidationError(_("The workbook is larger than 5 MB."), field="file")
        lines = budgets.read_xlsx(db.session, data, settings().organisation.default_currency)
        return budgets.revise(db.session, year, lines, note=upload.note.data or "",
                              actor=current_user)

    outcome = run_form(upload, read_and_revise)
    if outcome.done:
        flash(ngettext("%(revision)s is saved from the workbook (%(num)s line); it needs the "
                       "board's approval.",
                       "%(revision)s is saved from the workbook (%(num)s lines); it needs the "
                       "board's approval.", len(outcome.result.lines),
                       revision=outcome.result.label), "success")
        return redirect(url_for("reports.budget", year=year), 303)
    form = YearForm(data={"year": year}, meta={"csrf": False})
    return _budget_page(None, form, year, upload=upload, status=outcome.status)


@bp.route("/budget/<int:year>/workbook.xlsx")
@requires(Permission.REPORTS_VIEW)
def budget_workbook(year: int):
    _known_year(year)
    data = budgets.write_xlsx(db.session, budgets.in_force(db.session, year))
    return Response(data, mimetype=render.XLSX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="budget-{year}.xlsx"'})


@bp.route("/budget/revisions/<int:revision_id>/approve", methods=["POST"])
@requires(Permission.BUDGETS_APPROVE)
def approve_budget(revision_id: int):
    revision = get_or_404(BudgetRevision, revision_id)
    approve = _approve_form(revision.year)
    outcome = run_form(approve, lambda: budgets.approve(
        db.session, revision, resolution_id=approve.resolution.data, actor=current_user))
    if outcome.done:
        flash(_("%(revision)s is approved.", revision=revision.label), "success")
        return redirect(url_for("reports.budget", year=revision.year), 303)
    form = YearForm(data={"year": revision.year}, meta={"csrf": False})
    return _budget_page(None, form, revision.year, approve=approve, status=outcome.status)


# --- the annual report pack -------------------------------------------------------------------

@bp.route("/annual")
@requires(Permission.REPORTS_VIEW)
def annual():
    """The packs made so far (each kept with its SHA-256) and the button that makes one."""
    form = YearForm(meta={"csrf": True})
    if not form.year.data:
        form.year.data = fiscal_year().start(clock.today()).year - 1  # the year just closed
    return render_template("reports/annual.html", packs=pack.packs(db.session), form=form,
                           section="reports")


@bp.route("/annual", methods=["POST"])
@requires(Permission.REPORTS_VIEW)
def make_annual():
    form = YearForm(meta={"csrf": True})
    outcome = run_form(form, lambda: pack.start(db.session, form.year.data or 0,
                                                 actor=current_user, locale=current_locale()),
                       flash_refusal="danger")
    if outcome.done:
        return redirect(url_for("jobs.show", job_id=outcome.result.id), 303)
    abort(400, _("Give the fiscal year of the pack."))


@bp.route("/annual/<int:pack_id>.pdf")
@requires(Permission.REPORTS_VIEW)
def pack_file(pack_id: int):
    row = get_or_404(ReportPack, pack_id)
    stored = db.session.get(StoredFile, row.file_id)
    return Response(read_stored(stored, settings().paths.uploads), mimetype="application/pdf",
                    headers={"Content-Disposition":
                             f'attachment; filename="annual-report-{row.year}-{row.id}.pdf"'})
