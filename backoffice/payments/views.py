"""The public pay link and Stripe's webhook."""
from __future__ import annotations

import stripe
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from ..core import clock
from ..core.db import transaction
from ..core.forms import ConfirmForm, prefer_language
from ..core.headers import SECURITY_HEADERS
from ..core.i18n import _
from ..core.permissions import Permission, public, requires
from ..core.query import arg
from ..core.urls import absolute_url
from ..core.views import run_form
from ..extensions import csrf, db, settings
from ..invoicing import documents, state
from ..invoicing import services as invoicing
from ..invoicing.views import pdf_response
from . import services, stripe_api
from .models import StripeEvent

bp = Blueprint("payments", __name__)


def _checkout_origin() -> str:
    return settings().stripe.checkout_origin


def _with_checkout_csp(response: Response) -> Response:
    """The pay page's form redirects to Stripe Checkout: allow exactly that origin as a form
    target (browsers apply form-action to the redirect too)."""
    policy = SECURITY_HEADERS["Content-Security-Policy"].replace(
        "form-action 'self'", f"form-action 'self' {_checkout_origin()}")
    response.headers["Content-Security-Policy"] = policy
    return response


@bp.route("/pay/<token>")
@public
def pay(token: str):
    invoice = invoicing.invoice_for_token(db.session, token, settings=settings())
    prefer_language(invoice.language)
    due = state.outstanding(invoice)
    html = render_template(
        "payments/pay.html", invoice=invoice, token=token,
        status=state.status(invoice, clock.today()), outstanding=due,
        paid=state.paid_amount(invoice), owed=state.owed(invoice), seller=invoice.seller,
        qr=documents.girocode(invoice.seller, invoice.currency, due,
                              f"{invoice.payment_reference} {invoice.number}"),
        pending=services.pending_checkout(db.session, invoice),
        online=stripe_api.is_configured(settings().stripe), form=ConfirmForm())
    return _with_checkout_csp(Response(html))


@bp.route("/pay/<token>/invoice.pdf")
@public
def pay_pdf(token: str):
    return pdf_response(invoicing.invoice_for_token(db.session, token, settings=settings()), disposition="attachment")


@bp.route("/pay/<token>/checkout", methods=["POST"])
@public
def checkout(token: str):
    invoice = invoicing.invoice_for_token(db.session, token, settings=settings())
    prefer_language(invoice.language)  # the refusals it flashes
    try:
        outcome = run_form(ConfirmForm(), lambda: services.start_checkout(
            db.session, invoice,
            success_url=absolute_url(settings(), "payments.done", token=token)
            + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=absolute_url(settings(), "payments.pay", token=token),
            config=settings().stripe), flash_refusal="info")
    except (stripe_api.StripeNotConfigured, stripe.StripeError):
        current_app.logger.exception("Stripe Checkout for invoice %s failed", invoice.number)
        flash(_("Online payment is not available at the moment. Please pay by bank transfer "
              "with the details below, or try again later."), "warning")
        return redirect(url_for(".pay", token=token))
    if outcome.invalid:
        flash(_("The page had expired. Please try again."), "warning")
    if not outcome.done:
        return redirect(url_for(".pay", token=token))
    return redirect(outcome.result.url, code=303)


@bp.route("/pay/<token>/done")
@public
def done(token: str):
    """Where Stripe sends the sponsor back after paying: only for a checkout of this invoice
    (its session id in the address); anything else goes to the pay page, which thanks nobody."""
    invoice = invoicing.invoice_for_token(db.session, token, settings=settings())
    prefer_language(invoice.language)
    checkout = services.checkout_of(db.session, invoice, arg("session_id", str, max_length=255))
    if checkout is None:
        return redirect(url_for(".pay", token=token))
    return render_template("payments/done.html", invoice=invoice, token=token,
                           status=state.status(invoice, clock.today()), checkout=checkout)


@bp.route("/stripe/webhook", methods=["POST"])
@public
@csrf.exempt
def webhook():
    payload = request.get_data(as_text=True)
    configured = settings()
    try:
        stripe_api.verify_signature(configured.stripe, payload,
                                    request.headers.get("Stripe-Signature", ""))
        event = services.parse(payload)
    except (stripe.SignatureVerificationError, services.BadEvent) as error:
        current_app.logger.warning("stripe webhook refused: %s", error)
        return {"error": str(error)}, 400
    try:
        with transaction():
            outcome = services.receive(db.session, payload, configured, event)
    except Exception as error:  # noqa: BLE001 (any failure: keep the event, let Stripe retry)
        current_app.logger.exception("stripe webhook %s %s failed: %s", event.get("id"),
                                     event.get("type"), error)
        with transaction():
            services.record_failure(db.session, payload, error)
        return {"error": "processing failed; the event is stored and will be retried"}, 500
    current_app.logger.info("stripe webhook %s %s %s", outcome.event_id, event.get("type"),
                            outcome.status)
    return {"id": outcome.event_id, "status": outcome.status}


# --- the event store, for the treasurer ------------------------------------------------------

#: The states an event can be in (``StripeEvent.status``), for the filter.
EVENT_STATUSES = ("received", "processed", "ignored", "failed")


@bp.route("/payments/events")
@requires(Permission.INVOICES_VIEW)
def events():
    status = arg("status", EVENT_STATUSES, "")
    statement = select(StripeEvent).order_by(StripeEvent.received_at.desc()).limit(
        current_app.config["PAGE_SIZE"])
    if status:
        statement = statement.where(StripeEvent.status == status)
    return render_template("payments/events.html", events=db.session.scalars(statement).all(),
                           status=status, form=ConfirmForm(),
                           payouts=services.payouts(db.session, status=None)[-20:])


@bp.route("/payments/events/<event_id>/replay", methods=["POST"])
@requires(Permission.INVOICES_MANAGE)
def replay(event_id: str):
    outcome = run_form(ConfirmForm(), lambda: services.replay(db.session, event_id, settings()),
                       flash_refusal="danger")
    if outcome.invalid:
        abort(400)
    if outcome.done:
        flash(_("%(event_id)s: %(status)s. %(note)s", event_id=event_id, status=outcome.result.status, note=outcome.result.note), "success")
    return redirect(url_for(".events"))
