from __future__ import annotations

from typing import TYPE_CHECKING

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from schwifty import IBAN

from ..core.forms import current_locale
from ..core.i18n import _
from ..core.iban import grouped
from ..core.permissions import Permission, login_required, requires
from ..core.query import arg, given, others, page_arg
from ..core.views import export_format, run_form, send_stored, send_table
from ..extensions import db, settings
from ..ledger.spending import available
from ..payouts import returns
from ..payouts import services as payouts
from . import services
from .forms import AccountForm, ClaimForm, DecisionForm
from .models import ClaimStatus

if TYPE_CHECKING:
    from flask_wtf import FlaskForm

    from .models import ExpenseClaim

bp = Blueprint("expenses", __name__, url_prefix="/expenses")


def _claim(claim_id: int):
    return services.get_claim(db.session, current_user, claim_id)


# --- claims ------------------------------------------------------------------------------------

@bp.route("/")
@login_required
def claims():
    default = ClaimStatus.SUBMITTED.value if current_user.can(Permission.EXPENSES_APPROVE) else ""
    status = arg("status", {s.value for s in ClaimStatus} | {""}, "") if given("status") \
        else default
    group_id, page = arg("group", int), page_arg()
    if fmt := export_format():
        return send_table(services.claims_table(db.session, current_user, status=status or None,
                                                group_id=group_id), fmt)
    size = current_app.config["PAGE_SIZE"]
    found, total = services.claims_page(db.session, current_user, status=status or None,
                                        group_id=group_id, page=page, per_page=size)
    query = others("page", "status")
    return render_template("expenses/claims.html", claims=found, total=total, status=status,
                           page=page, pages=max(1, -(-total // size)), query=query,
                           statuses=list(ClaimStatus))


@bp.route("/claims/new", methods=["GET", "POST"])
@login_required
def new_claim():
    funds = services.claimable_funds(db.session, current_user)
    form = ClaimForm()
    payees = services.known_payees(db.session, current_user)
    if request.method == "GET":
        form.currency.data = current_app.config["DEFAULT_CURRENCY"]
        form.payee_name.data = current_user.display_name[:70]
        if payees:  # the account of the last claim, already checked then
            form.payee_name.data, (iban, bic) = next(iter(payees.items()))
            form.iban.data, form.bic.data = grouped(iban), bic
        wanted = arg("fund", int)
        form.fund.data = wanted if wanted in {f.id for f in funds} else funds[-1].id
    categories = services.categories(db.session)
    form.set_choices(funds, categories, current_app.config["CURRENCIES"])
    status = 200
    if form.add_line.data:
        form.lines.append_entry()
        form.set_choices(funds, categories, current_app.config["CURRENCIES"])
        flash(_("A line was added. Attach the receipts again before you submit."), "info")
    else:
        outcome = run_form(form, lambda: services.submit_claim(
            db.session, claimant=current_user,
            fund=next((f for f in funds if f.id == form.fund.data), None),
            title=form.title.data, payee_name=form.payee_name.data, iban=form.iban.data,
            bic=form.bic.data, currency=form.currency.data,
            lines=form.claim_lines(current_locale()),
            receipts=[services.Upload(f.filename, f.read())
                      for f in request.files.getlist(form.receipts.name) if f.filename],
            settings=settings()))
        if outcome.done:
            flash(_("Claim %(ref)s is submitted. You will get an email when it is decided.", ref=outcome.result.ref), "success")
            return redirect(url_for(".claim", claim_id=outcome.result.id))
        status = outcome.status
    return render_template("expenses/claim_form.html", form=form, payees=payees), status


@bp.route("/claims/<int:claim_id>")
@login_required
def claim(claim_id: int):
    claim = _claim(claim_id)
    return _claim_page(claim, DecisionForm())


def _may_decide(claim: ExpenseClaim) -> bool:
    return (current_user.can(Permission.EXPENSES_APPROVE) and claim.claimant_id != current_user.id
            and claim.status is ClaimStatus.SUBMITTED
            and all(a.approver_id != current_user.id for a in claim.approvals))


def _claim_page(claim: ExpenseClaim, form: FlaskForm, status: int = 200, account_form: AccountForm | None = None):
    decide = _may_decide(claim)
    item = payouts.active_item_for(db.session, services.ClaimPayables.kind, claim.id)
    held = available(db.session, claim.fund, claim.currency) if decide else None
    returned = returns.latest_return(db.session, services.ClaimPayables.kind, claim.id) \
        if claim.status is ClaimStatus.APPROVED else None
    if item is not None or not services.may_correct_iban(claim, current_user) or (
            returned is None and account_form is None):
        account_form = None  # shown after a return (the service allows it any time it waits)
    elif account_form is None:
        account_form = AccountForm(formdata=None, payee_name=claim.payee_name,
                                   iban=IBAN(claim.iban).formatted, bic=claim.bic or "")
    return render_template("expenses/claim.html", claim=claim, form=form if decide else None,
                           needed=services.approvals_needed(claim, settings()), item=item, held=held,
                           short=held is not None and held < claim.amount, returned=returned,
                           describe=returns.describe, account_form=account_form), status


@bp.route("/claims/<int:claim_id>/account", methods=["POST"])
@login_required  # the claimant, an organiser of the group or a treasurer (the service checks)
def correct_account(claim_id: int):
    claim = _claim(claim_id)
    form = AccountForm()
    outcome = run_form(form, lambda: services.correct_iban(
        db.session, claim, iban=form.iban.data, bic=form.bic.data,
        payee_name=form.payee_name.data, actor=current_user))
    if outcome.done:
        flash(_("Claim %(ref)s will be paid to %(value)s with the next payout batch.", ref=claim.ref, value=IBAN(claim.iban).formatted), "success")
        return redirect(url_for(".claim", claim_id=claim.id))
    if outcome.refusal and not services.may_correct_iban(claim, current_user):
        flash(str(outcome.refusal), "danger")  # no form left to show it in
        return redirect(url_for(".claim", claim_id=claim.id))
    return _claim_page(claim, DecisionForm(), 400, account_form=form)


@bp.route("/claims/<int:claim_id>/decide", methods=["POST"])
@requires(Permission.EXPENSES_APPROVE)
def decide(claim_id: int):
    claim = _claim(claim_id)
    form = DecisionForm()

    def decide_claim():
        if form.reject.data:
            return services.reject_claim(db.session, claim, actor=current_user,
                                         comment=form.comment.data, settings=settings())
        return services.approve_claim(db.session, claim, actor=current_user,
                                      comment=form.comment.data,
                                      override_reason=form.override_reason.data,
                                      settings=settings())

    outcome = run_form(form, decide_claim)
    if outcome.refusal:
        db.session.refresh(claim)
        if not _may_decide(claim):  # decided meanwhile: no form left to show the error in
            flash(str(outcome.refusal), "danger")
            return redirect(url_for(".claim", claim_id=claim.id))
    elif outcome.done:
        if claim.status is ClaimStatus.APPROVED:
            flash(_("Claim %(ref)s is approved and posted.", ref=claim.ref), "success")
        elif claim.status is ClaimStatus.REJECTED:
            flash(_("Claim %(ref)s is rejected.", ref=claim.ref), "success")
        else:
            flash(_("Your approval of %(ref)s is recorded; it needs a second approver.",
                    ref=claim.ref), "success")
        return redirect(url_for(".claim", claim_id=claim.id))
    return _claim_page(claim, form, 400)


@bp.route("/claims/<int:claim_id>/receipts/<int:receipt_id>")
@login_required
def receipt(claim_id: int, receipt_id: int):
    claim = _claim(claim_id)
    return send_stored(services.receipt_of(claim, receipt_id))
