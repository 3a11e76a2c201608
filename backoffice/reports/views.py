"""The Reports menu: the index of every report, the statements' pages and their downloads.

Every statement answers at ``/reports/<name>`` (the page) and ``/reports/<name>.<pdf|csv|xlsx>``
(the same value rendered as a file, with the same filters).
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask import Blueprint, Response, abort, render_template, url_for
from flask_login import current_user

from ..core.permissions import Permission, login_required, requires
from ..core.query import arg, query_form
from ..extensions import db, settings
from ..ledger.periods import FiscalYear
from ..ledger.reads import chart_accounts
from . import catalogue, charts, drill, render, scope, statements
from .forms import AsOfForm, PeriodForm, YearForm
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


def drill_link(value: Drill) -> str:
    return url_for("reports.postings", **value.query())


def respond(fmt: str | None, found: list[statements.Statement], *, title: str, form,
            filename: str, chart_svgs: list[str] = (), lead: str = "", endpoint: str,
            **query) -> Response | str:
    """The page, or the same statements as a PDF, CSV or XLSX file."""
    images = [charts.data_url(svg) for svg in chart_svgs]
    if fmt is None:
        return render_template(
            "reports/statement.html", title=title, statements=found, form=form, lead=lead,
            charts=images, cell_text=render.cell_text, link=drill_link, section="reports",
            download=lambda kind: url_for(endpoint, fmt=kind, **query))
    if fmt not in FORMATS:
        abort(404)
    name = f"{filename}.{fmt}"
    if fmt == "csv":
        body, mimetype = render.to_csv(found), "text/csv"
    elif fmt == "xlsx":
        body, mimetype = render.to_xlsx(found, generated=f"Data as of {generated_now()}"), \
            render.XLSX_TYPE
    else:
        body = render.to_pdf(found, organisation=settings().organisation.name,
                             generated=generated_now(), charts=images)
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
    as_of = form.as_of.data or date.today()
    form.as_of.data = as_of
    found = statements.compute_balance_sheet(db.session, as_of)
    return respond(fmt, found, title="Balance sheet", form=form, endpoint="reports.balance_sheet",
                   filename=f"balance-sheet-{as_of.isoformat()}", **_query(form))


def _period(form) -> tuple[date, date]:
    today = date.today()
    start = form.start.data or fiscal_year().start(today)
    end = form.end.data or today
    if end < start:
        abort(400, "The period ends before it starts.")
    form.start.data, form.end.data = start, end
    return start, end


@bp.route("/activities", defaults={"fmt": None})
@bp.route("/activities.<fmt>")
@requires(Permission.REPORTS_VIEW)
def activities(fmt: str | None):
    form = query_form(PeriodForm)
    start, end = _period(form)
    by = form.by.data or "group"
    found = statements.compute_activities(db.session, start, end, by=by)
    return respond(fmt, found, title="Statement of activities", form=form,
                   endpoint="reports.activities",
                   filename=f"activities-{start.isoformat()}-{end.isoformat()}", **_query(form))


def _year(form) -> int:
    year = form.year.data or fiscal_year().start(date.today()).year
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
    svgs = [charts.income_and_expenses(s.chart["months"], s.chart["income"],
                                       s.chart["expenses"], s.currency,
                                       title=f"Income and expenses by month ({s.currency})")
            for s in found]
    return respond(fmt, found, title="Cash flow by month", form=form, chart_svgs=svgs,
                   endpoint="reports.cash_flow", filename=f"cash-flow-{year}", **_query(form))


# --- drill-down -------------------------------------------------------------------------------

def _ids(text: str) -> tuple[int, ...]:
    parts = [part for part in text.split(",") if part]
    if len(parts) > 10000 or not all(part.isdigit() and len(part) < 19 for part in parts):
        raise ValueError("Give fund ids separated by commas.")
    return tuple(int(part) for part in parts)


@bp.route("/postings")
@requires(Permission.REPORTS_VIEW)
def postings():
    """The postings behind a figure, each with its entry and its source document."""
    wanted = Drill(account_id=arg("account", int), account_type=arg(
        "type", {"asset", "liability", "net_assets", "income", "expense", "resource"}),
        funds=arg("funds", _ids, ()), start=arg("start", date), end=arg("end", date))
    after_date, after_id = arg("after_date", date), arg("after_id", int)
    after = (after_date, after_id) if after_date and after_id else None
    rows = drill.postings(db.session, wanted, after=after)
    accounts = {a.id: a for a in chart_accounts(db.session)}
    funds = {row.fund.id: row.fund for row in scope.fund_rows(db.session)}
    more = None
    if len(rows) == drill.PAGE_SIZE:
        more = url_for("reports.postings", **wanted.query(), after_date=rows[-1].booking_date,
                       after_id=rows[-1].id)
    return render_template("reports/postings.html", rows=rows, drill=wanted, accounts=accounts,
                           funds=funds, more=more, section="reports")
