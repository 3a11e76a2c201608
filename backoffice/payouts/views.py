"""The treasurer's payout batch pages (under ``/expenses/payouts``, where they have always been)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..core.db import transaction
from ..core.errors import DomainError
from ..core.i18n import _
from ..core.permissions import Permission, requires
from ..core.views import run_form
from ..extensions import db, settings
from ..ledger.chart import Fund
from . import services as payouts
from .forms import BatchForm, CancelBatchForm, ExecutedForm
from .models import PayoutBatch

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from flask_wtf import FlaskForm

bp = Blueprint("payouts", __name__, url_prefix="/expenses")


@bp.route("/payouts")
@requires(Permission.PAYOUTS_MANAGE, also=Permission.BOOKS_AUDIT)
def batches():
    found = db.session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()).limit(200)).all()
    waiting = sum(len(p) for p in payouts.open_payables(db.session).values())
    return render_template("payouts/batches.html", batches=found, waiting=waiting,
                           not_yet=payouts.not_yet_payable(db.session))


@bp.route("/payouts/new", methods=["GET", "POST"])
@requires(Permission.PAYOUTS_MANAGE)
def new_batch():
    form = BatchForm()
    chosen = set(request.form.getlist("payable"))
    outcome = run_form(form, lambda: payouts.create_batch(
        db.session, selected=[tuple(value.split(":", 1)) for value in chosen if ":" in value],
        actor=current_user, requested_on=form.requested_on.data, settings=settings()))
    if outcome.done:
        batch = outcome.result
        flash(_("Batch %(message_id)s is ready: download the SEPA file and upload it to the bank.", message_id=batch.message_id), "success")
        return redirect(url_for(".batch", batch_id=batch.id))
    open_now = payouts.open_payables(db.session)
    labels = {kind: source.label for kind, source in payouts.sources().items()}
    return render_template("payouts/batch_new.html", form=form, open_now=open_now,
                           not_yet=payouts.not_yet_payable(db.session),
                           labels=labels, chosen=chosen,
                           funds={f.id: f for f in db.session.scalars(select(Fund))}), \
        outcome.status


@bp.route("/payouts/<int:batch_id>")
@requires(Permission.PAYOUTS_MANAGE, also=Permission.BOOKS_AUDIT)
def batch(batch_id: int):
    batch = payouts.get_batch(db.session, batch_id)
    return render_template("payouts/batch.html", batch=batch, executed_form=ExecutedForm(),
                           cancel_form=CancelBatchForm(),
                           needs_resolution=payouts.needs_resolution(batch))


@bp.route("/payouts/<int:batch_id>/sepa.xml")
@requires(Permission.PAYOUTS_MANAGE, also=Permission.BOOKS_AUDIT)
def batch_xml(batch_id: int):
    """The file for the bank; a batch above the board's limit waits for the resolution."""
    batch = payouts.get_batch(db.session, batch_id)
    try:
        with transaction():  # the audit log notes the resolution relied on
            xml = payouts.sepa_file(db.session, batch, current_user)
    except DomainError as refusal:
        flash(str(refusal), "danger")
        return render_template("payouts/batch.html", batch=batch, executed_form=ExecutedForm(),
                               cancel_form=CancelBatchForm(), needs_resolution=True), 400
    return Response(xml, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{batch.message_id}.xml"'})


def _batch_action(batch_id: int, form_class: type[FlaskForm], act: Callable[[PayoutBatch, Any], object], done: str):
    """Run ``act(batch, form)`` on a ready batch; the batch page with the form's errors if it is
    refused."""
    batch = payouts.get_batch(db.session, batch_id)
    form = form_class()
    if run_form(form, lambda: act(batch, form)).done:
        flash(done.format(batch=batch), "success")
        return redirect(url_for(".batch", batch_id=batch.id))
    forms = {"executed_form": ExecutedForm(), "cancel_form": CancelBatchForm(),
             "executed_form" if form_class is ExecutedForm else "cancel_form": form}
    return render_template("payouts/batch.html", batch=batch,
                           needs_resolution=payouts.needs_resolution(batch), **forms), 400


@bp.route("/payouts/<int:batch_id>/executed", methods=["POST"])
@requires(Permission.PAYOUTS_MANAGE)
def batch_executed(batch_id: int):
    return _batch_action(
        batch_id, ExecutedForm,
        lambda batch, form: payouts.mark_executed(db.session, batch, actor=current_user,
                                                  booked_on=form.booked_on.data, settings=settings()),
        "Batch {batch.message_id} is executed and posted; the payees are told by email.")


@bp.route("/payouts/<int:batch_id>/cancel", methods=["POST"])
@requires(Permission.PAYOUTS_MANAGE)
def batch_cancel(batch_id: int):
    return _batch_action(
        batch_id, CancelBatchForm,
        lambda batch, form: payouts.cancel_batch(db.session, batch, actor=current_user,
                                                 reason=form.reason.data),
        "Batch {batch.message_id} is cancelled; its payments can go into a new batch.")
