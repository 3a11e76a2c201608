from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..core.forms import current_locale, decimal_of
from ..core.i18n import _
from ..core.permissions import Permission, login_required, requires
from ..core.query import query_form
from ..core.views import run_form
from ..extensions import db, settings
from ..groups.models import MemberGroup
from ..groups.services import group_of_fund
from ..ledger.balances import fund_balances
from ..ledger.chart import Fund
from ..ledger.forms import RangeForm
from ..ledger.periods import FiscalYear
from . import fees
from .forms import FeePolicyForm
from .models import FeePolicy
from .services import current_policies, ensure_fund_visible
from .statements import statements, to_csv, to_pdf

bp = Blueprint("funds", __name__, url_prefix="/funds")


def _fund(fund_id: int) -> Fund:
    return ensure_fund_visible(db.session, current_user, db.session.get(Fund, fund_id))


def _range() -> tuple[RangeForm, date, date]:
    """The statement period from the query string; the fiscal year to date by default."""
    form = query_form(RangeForm)
    today = date.today()
    year_start = FiscalYear.of(settings().organisation).start(today)
    start = form.start.data or year_start
    end = form.end.data or today
    if end < start:
        flash(_("The end date is before the start date; showing the fiscal year so far."), "warning")
        start, end = year_start, today
    form.start.data, form.end.data = start, end
    return form, start, end


@bp.route("")
@requires(Permission.LEDGER_VIEW)
def index():
    funds = db.session.scalars(select(Fund).order_by(Fund.kind, Fund.code)).all()
    groups = {g.fund_id: g for g in db.session.scalars(
        select(MemberGroup).where(MemberGroup.fund_id.is_not(None)))}
    balances = fund_balances(db.session, date.max)
    policies = current_policies(db.session, date.today())
    rows = [(f, groups.get(f.id), policies.get(f.id),
             {c: v for (fid, c), v in balances.items() if fid == f.id}) for f in funds]
    return render_template("funds/index.html", rows=rows)


@bp.route("/<int:fund_id>")
@login_required
def fund(fund_id: int):
    fund = _fund(fund_id)
    form, start, end = _range()
    return _fund_page(fund, form, start, end, FeePolicyForm())


def _fund_page(fund: Fund, form: RangeForm, start: date, end: date, fee_form: FeePolicyForm, status: int = 200):
    group = group_of_fund(db.session, fund.id)
    policies = db.session.scalars(select(FeePolicy).where(FeePolicy.fund_id == fund.id)
                                  .order_by(FeePolicy.effective_from.desc())).all()
    return render_template("funds/fund.html", fund=fund, group=group, form=form,
                           statements=statements(db.session, fund, start, end),
                           policies=policies, fee_form=fee_form,
                           range_args={"start": start.isoformat(), "end": end.isoformat()}), status


@bp.route("/<int:fund_id>/statement.csv")
@login_required
def statement_csv(fund_id: int):
    fund = _fund(fund_id)
    _form, start, end = _range()
    body = to_csv(fund, statements(db.session, fund, start, end))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{fund.code}-{start}-{end}.csv"'})


@bp.route("/<int:fund_id>/statement.pdf")
@login_required
def statement_pdf(fund_id: int):
    fund = _fund(fund_id)
    _form, start, end = _range()
    group = group_of_fund(db.session, fund.id)
    pdf = to_pdf(fund, statements(db.session, fund, start, end), start=start, end=end,
                 group_name=group.name if group else None,
                 organisation=settings().organisation.name, locale=current_locale(),
                 today=date.today())
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{fund.code}-{start}-{end}.pdf"'})


@bp.route("/<int:fund_id>/fees", methods=["POST"])
@requires(Permission.FUNDS_MANAGE)
def add_fee_policy(fund_id: int):
    fund = _fund(fund_id)
    fee_form = FeePolicyForm()

    def set_policy():
        rate = decimal_of(fee_form.rate, "Give the rate as a number, e.g. 7 or 7.5.")
        fees.set_policy(db.session, fund, rate_percent=rate, kinds=fee_form.kinds.data,
                        effective_from=fee_form.effective_from.data, actor=current_user)
        return rate

    outcome = run_form(fee_form, set_policy)
    if outcome.done:
        flash(_("From %(data)s on, %(code)s pays %(result)s %% on %(value)s.", data=fee_form.effective_from.data, code=fund.code, result=outcome.result, value=', '.join(fee_form.kinds.data) or 'no income'), "success")
        return redirect(url_for(".fund", fund_id=fund.id))
    form, start, end = _range()
    return _fund_page(fund, form, start, end, fee_form, 400)
