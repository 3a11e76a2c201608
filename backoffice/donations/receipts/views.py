"""The receipts' pages: the year-end run (its progress on the job's page), a receipt with its
PDF, cancelling and replacing it, issuing one for a donation on request, and the donor's own
page behind a signed link."""
from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from ...core import clock
from ...core.errors import NotFound
from ...core.forms import ConfirmForm, current_locale
from ...core.i18n import _
from ...core.permissions import Permission, public, requires
from ...core.query import arg
from ...core.settings import SetupIncomplete
from ...core.views import get_or_404, run_form
from ...extensions import db
from ...extensions import settings as app_settings
from ..models import Donation
from . import run, services
from .forms import ReasonForm, YearEndForm
from .models import Receipt
from .notice import ReceiptRefused, exemption_notice, last_day

bp = Blueprint("receipts", __name__)


def _pdf(receipt: Receipt, disposition: str = "inline") -> Response:
    return Response(services.stored_pdf(db.session, receipt, app_settings()),
                    mimetype="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{receipt.number}.pdf"',
                             "Cache-Control": "private, no-store"})


@bp.route("/donations/receipts", methods=["GET", "POST"])
@requires(Permission.DONATION_RECEIPTS, also=Permission.BOOKS_AUDIT)
def year_end():
    settings = app_settings()
    year = arg("year", int, clock.today().year - 1, minimum=2000, maximum=2199)
    form = YearEndForm(year=year)
    outcome = run_form(form, lambda: run.start(db.session, form.year.data, send=form.send.data,
                                               actor=current_user, settings=settings,
                                               locale=current_locale()))
    if outcome.done:
        return redirect(url_for("jobs.show", job_id=outcome.result.id))
    notice = exemption_notice(db.session, settings)
    problem = None
    try:
        run.refuse_unless_ready(db.session, settings, clock.today())
    except (ReceiptRefused, SetupIncomplete) as refused:
        problem = str(refused)
    due, skipped = run.plan(db.session, year, settings=settings, issue_date=clock.today())
    receipts = db.session.scalars(
        select(Receipt).where(Receipt.period_end.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(Receipt.id.desc()).limit(200)).all()
    issued = db.session.scalar(select(func.count()).select_from(Receipt).where(
        Receipt.period_end.between(date(year, 1, 1), date(year, 12, 31)),
        Receipt.cancelled_at.is_(None)))
    return render_template("donations/receipts/year_end.html", form=form, year=year, due=due,
                           skipped=skipped, receipts=receipts, issued=issued, notice=notice,
                           notice_until=last_day(notice) if notice else None, problem=problem,
                           style=settings.receipts.style), outcome.status


@bp.route("/donations/receipts/<int:receipt_id>")
@requires(Permission.DONATION_RECEIPTS, also=Permission.BOOKS_AUDIT)
def receipt(receipt_id: int):
    row = get_or_404(Receipt, receipt_id)
    return render_template("donations/receipts/receipt.html", receipt=row,
                           cancel_form=ReasonForm(), replace_form=ReasonForm(),
                           link=services.receipts_url(app_settings(), row.donor))


@bp.route("/donations/receipts/<int:receipt_id>.pdf")
@requires(Permission.DONATION_RECEIPTS, also=Permission.BOOKS_AUDIT)
def pdf(receipt_id: int):
    return _pdf(get_or_404(Receipt, receipt_id))


@bp.route("/donations/receipts/<int:receipt_id>/cancel", methods=["POST"])
@requires(Permission.DONATION_RECEIPTS)
def cancel(receipt_id: int):
    row, form = get_or_404(Receipt, receipt_id), ReasonForm()
    outcome = run_form(form, lambda: services.cancel(db.session, row, reason=form.reason.data,
                                                     actor=current_user, settings=app_settings()),
                       flash_refusal="warning")
    if outcome.done:
        flash(_("Receipt %(number)s is cancelled; the donor is told.", number=row.number),
              "success")
    elif outcome.invalid:
        flash(_("Say why the receipt is cancelled."), "warning")
    return redirect(url_for(".receipt", receipt_id=row.id))


@bp.route("/donations/receipts/<int:receipt_id>/replace", methods=["POST"])
@requires(Permission.DONATION_RECEIPTS)
def replace(receipt_id: int):
    row, form = get_or_404(Receipt, receipt_id), ReasonForm()
    outcome = run_form(form, lambda: services.replace(  # in units of work of its own
        db.session, row, reason=form.reason.data, actor=current_user, settings=app_settings()),
        flash_refusal="warning")
    if outcome.done:
        flash(_("Receipt %(number)s is replaced by %(new)s, mailed to the donor.",
                number=row.number, new=outcome.result.number),
              "success")
        return redirect(url_for(".receipt", receipt_id=outcome.result.id))
    if outcome.invalid:
        flash(_("Say why the receipt is replaced."), "warning")
    return redirect(url_for(".receipt", receipt_id=row.id))


@bp.route("/donations/<int:donation_id>/receipt", methods=["POST"])
@requires(Permission.DONATION_RECEIPTS)
def issue_for_donation(donation_id: int):
    donation = get_or_404(Donation, donation_id)
    outcome = run_form(ConfirmForm(), lambda: services.issue_for_donation(  # own units of work
        db.session, donation, settings=app_settings(), actor=current_user),
        flash_refusal="warning")
    if outcome.done:
        flash(_("Receipt %(number)s is issued and mailed to the donor.",
                number=outcome.result.number), "success")
        return redirect(url_for(".receipt", receipt_id=outcome.result.id))
    if outcome.invalid:
        abort(400)
    return redirect(url_for(".year_end"))


# --- the donor's own page ---------------------------------------------------------------------

def _donor(token: str):
    try:
        return services.donor_for_token(db.session, app_settings(), token)
    except NotFound:
        abort(404)


def _speak_the_donors_language(donor) -> None:
    """The donor's own page is in the language the donor chose with us (the one of their
    mails), unless the visitor picked another with the switch."""
    if session.get("locale"):
        return
    for locale in app_settings().organisation.locales:
        if locale.split("_")[0] == donor.language.value:
            g.locale = locale
            g.pop("translations", None)
            g.pop("_flask_babel", None)
            return


@bp.route("/receipts/<token>")
@public
def donor_receipts(token: str):
    donor = _donor(token)
    _speak_the_donors_language(donor)
    return render_template("donations/receipts/donor.html", donor=donor, token=token,
                           receipts=services.receipts_of(db.session, donor))


donor_receipts.access_note = "the donor, through the signed link in their receipt mails"


@bp.route("/receipts/<token>/<int:receipt_id>.pdf")
@public
def donor_pdf(token: str, receipt_id: int):
    donor = _donor(token)
    row = next((r for r in services.receipts_of(db.session, donor) if r.id == receipt_id), None)
    if row is None:
        abort(404)
    return _pdf(row, "attachment")


donor_pdf.access_note = "the donor, through the signed link (their own receipts only)"
