"""An organiser's report: their group's fund statement (page, PDF, CSV, XLSX), its movements,
and the postings behind each figure, never wider than that one fund.

Who may open a fund here: whoever may read every report, and an organiser of the group that
owns the fund (``funds.services.ensure_fund_visible``). Anyone else gets 404, as for a fund
that does not exist: guessing ids tells nothing.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint
from flask_login import current_user

from ..core.i18n import _
from ..core.permissions import Permission, login_required
from ..core.query import arg, query_form
from ..extensions import db
from ..funds.services import ensure_fund_visible
from ..funds.statements import recent_movements
from ..ledger.chart import Fund
from ..ledger.forms import RangeForm
from . import fund_report
from .statements import Drill
from .views import DRILL_TYPES, drill_links, period_of, postings_page, respond

bp = Blueprint("report_funds", __name__, url_prefix="/reports/funds")


def _fund(fund_id: int) -> Fund:
    fund = db.session.get(Fund, fund_id)
    if current_user.can(Permission.REPORTS_VIEW) and fund is not None:
        return fund
    return ensure_fund_visible(db.session, current_user, fund)


@bp.route("/<int:fund_id>", defaults={"fmt": None})
@bp.route("/<int:fund_id>.<fmt>")
@login_required
def statement(fund_id: int, fmt: str | None):
    """The fund's statement for a period (the fiscal year so far by default)."""
    fund = _fund(fund_id)
    form = query_form(RangeForm)
    start, end = period_of(form)
    found = fund_report.compute(db.session, fund, start, end)
    page = {"movements": recent_movements(db.session, fund, limit=20), "fund": fund}
    return respond(fmt, found, title=_("Fund statement: %(fund)s", fund=fund.name), form=form,
                   endpoint="report_funds.statement", template="reports/fund.html", page=page,
                   filename=f"fund-{fund.code}-{start.isoformat()}-{end.isoformat()}",
                   links=drill_links("report_funds.postings", fund_id=fund.id),
                   fund_id=fund.id, start=start.isoformat(), end=end.isoformat())


statement.access_note = ("report readers every fund, organisers their groups' funds (404 "
                         "otherwise): the one fund statement")


@bp.route("/<int:fund_id>/postings")
@login_required
def postings(fund_id: int):
    """The postings behind a figure of the fund's statement: this fund's only, whatever the
    address asks for."""
    fund = _fund(fund_id)
    wanted = Drill(account_id=arg("account", int), account_type=arg("type", DRILL_TYPES),
                   funds=(fund.id,), start=arg("start", date), end=arg("end", date))
    return postings_page(wanted, "report_funds.postings", fund_id=fund.id,
                         limited=not current_user.can(Permission.REPORTS_VIEW))


postings.access_note = "as the fund's statement; never another fund's postings"
