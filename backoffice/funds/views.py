from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..core import clock
from ..core.forms import decimal_of
from ..core.i18n import _
from ..core.permissions import Permission, login_required, requires
from ..core.query import others
from ..core.views import run_form
from ..extensions import db
from ..groups.models import MemberGroup
from ..groups.services import group_of_fund
from ..ledger.balances import fund_balances
from ..ledger.chart import Fund
from . import fees
from .forms import FeePolicyForm
from .models import FeePolicy
from .services import current_policies, ensure_fund_visible

bp = Blueprint("funds", __name__, url_prefix="/funds")


def _fund(fund_id: int) -> Fund:
    return ensure_fund_visible(db.session, current_user, db.session.get(Fund, fund_id))


@bp.route("")
@requires(Permission.LEDGER_VIEW)
def index():
    funds = db.session.scalars(select(Fund).order_by(Fund.kind, Fund.code)).all()
    groups = {g.fund_id: g for g in db.session.scalars(
        select(MemberGroup).where(MemberGroup.fund_id.is_not(None)))}
    balances = fund_balances(db.session, date.max)
    policies = current_policies(db.session, clock.today())
    rows = [(f, groups.get(f.id), policies.get(f.id),
             {c: v for (fid, c), v in balances.items() if fid == f.id}) for f in funds]
    return render_template("funds/index.html", rows=rows)


@bp.route("/<int:fund_id>")
@login_required
def fund(fund_id: int):
    """The fund's admin-fee policy (set here by the treasurer) and the way to its statement,
    which is the Reports one (``report_funds.statement``): one statement for everybody."""
    fund = _fund(fund_id)
    return _fund_page(fund, FeePolicyForm())


def _fund_page(fund: Fund, fee_form: FeePolicyForm, status: int = 200):
    group = group_of_fund(db.session, fund.id)
    policies = db.session.scalars(select(FeePolicy).where(FeePolicy.fund_id == fund.id)
                                  .order_by(FeePolicy.effective_from.desc())).all()
    return render_template("funds/fund.html", fund=fund, group=group, policies=policies,
                           fee_form=fee_form), status


def _moved(fund_id: int, fmt: str):
    """Where the fund statement's files were: the same files in Reports, for the same period."""
    fund = _fund(fund_id)
    return redirect(url_for("report_funds.statement", fund_id=fund.id, fmt=fmt,
                            **others("fmt", "fund_id")), 301)


@bp.route("/<int:fund_id>/statement.csv")
@login_required
def statement_csv(fund_id: int):
    return _moved(fund_id, "csv")


@bp.route("/<int:fund_id>/statement.pdf")
@login_required
def statement_pdf(fund_id: int):
    return _moved(fund_id, "pdf")


_MOVED = "ledger readers, the fund's group's organisers; redirects to `report_funds.statement`"
fund.access_note = "ledger readers every fund, organisers their groups' funds (404 otherwise)"
statement_csv.access_note = statement_pdf.access_note = _MOVED


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
    return _fund_page(fund, fee_form, 400)
