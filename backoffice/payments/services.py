"""Online payment of invoices with Stripe: Checkout, the webhook's event store and handlers.

Every event is stored once by its id (the exact body, for replay) and processed in the same
transaction. Handlers converge on Stripe's state rather than trusting the order of events: each
booking is keyed by the Stripe object it comes from (PaymentIntent, refund, balance
transaction, payout), so a duplicate, a concurrent duplicate or a late event changes nothing
that is already booked, and an early event fetches what it needs from the API.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from ..core import audit
from ..core.db import utcnow
from ..core.errors import InvalidTransition, ValidationError
from ..core.money import Money
from ..invoicing import services as invoicing
from ..invoicing import state
from ..invoicing.models import Invoice, InvoicePayment, InvoiceStatus, PaymentKind
from ..ledger.models import Fund, FundKind, JournalEntry, Posting
from ..ledger.services import Line, account_by_role, post_entry, reverse_entry
from . import stripe_api
from .models import CheckoutSession, StripeEvent, StripeFee, StripePayout

STRIPE_BALANCE, PAYMENT_FEES, BANK = "stripe_balance", "payment_fees", "bank"
IGNORED = "Event type not handled (stored and acknowledged)."


def _day(timestamp: int | None) -> date:
    return datetime.fromtimestamp(timestamp, UTC).date() if timestamp else date.today()


def _currency(code: str) -> str:
    return (code or "").upper()


# --- Checkout ----------------------------------------------------------------------------------

def start_checkout(session, invoice: Invoice, *, success_url: str,
                   cancel_url: str) -> CheckoutSession:
    """A Stripe Checkout Session for what is still owed (card, and SEPA Direct Debit for EUR).

    An open session for the same amount is reused; a new one carries an idempotency key, so a
    double click or a retried request never creates two.
    """
    amount = state.outstanding(invoice)
    if invoice.is_draft or state.is_cancelled(invoice) or amount <= 0:
        raise InvalidTransition(f"Invoice {invoice.label} has nothing to pay.")
    now = utcnow()
    existing = session.scalar(
        select(CheckoutSession).where(CheckoutSession.invoice_id == invoice.id,
                                      CheckoutSession.status == "open",
                                      CheckoutSession.amount == amount,
                                      CheckoutSession.expires_at > now)
        .order_by(CheckoutSession.id.desc()).limit(1))
    if existing is not None:
        return existing
    attempt = session.scalar(select(func.count()).select_from(CheckoutSession)
                             .where(CheckoutSession.invoice_id == invoice.id))
    key = f"invoice-{invoice.public_id}-checkout-{attempt + 1}-{amount}"
    metadata = {"invoice_id": str(invoice.id), "invoice_number": invoice.number}
    methods = ["card", "sepa_debit"] if invoice.currency == "EUR" else ["card"]
    emails = [e for e in invoice.buyer_emails.splitlines() if e.strip()]
    params = {
        "mode": "payment",
        "payment_method_types": methods,
        "line_items": [{"quantity": 1, "price_data": {
            "currency": invoice.currency.lower(), "unit_amount": amount,
            "product_data": {"name": f"Invoice {invoice.number}",
                             "description": f"{invoice.seller['name']} – {invoice.buyer_name}"}}}],
        "client_reference_id": str(invoice.id),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata,
                                "description": f"Invoice {invoice.number}"},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if emails:
        params["customer_email"] = emails[0].strip()
    created = stripe_api.create_checkout_session(params, idempotency_key=key)
    row = CheckoutSession(
        invoice_id=invoice.id, stripe_id=created["id"], url=created.get("url"), amount=amount,
        currency=invoice.currency, status=created.get("status") or "open",
        payment_status=created.get("payment_status") or "unpaid", idempotency_key=key,
        expires_at=datetime.fromtimestamp(created["expires_at"], UTC)
        if created.get("expires_at") else None)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the same session, recorded by a concurrent request
        return session.scalar(select(CheckoutSession)
                              .where(CheckoutSession.stripe_id == created["id"]))
    audit.record(session, None, "payment.checkout_started", "invoice", invoice.id,
                 summary=f"{invoice.number}: Stripe Checkout {created['id']} for "
                         f"{Money(amount, invoice.currency)}")
    return row


def pending_checkout(session, invoice: Invoice) -> CheckoutSession | None:
    """A completed checkout whose money has not arrived yet (SEPA Direct Debit takes days)."""
    return session.scalar(select(CheckoutSession).where(
        CheckoutSession.invoice_id == invoice.id, CheckoutSession.status == "complete",
        CheckoutSession.payment_status == "unpaid").order_by(CheckoutSession.id.desc()).limit(1))


# --- the event store -----------------------------------------------------------------------------

class BadEvent(ValidationError):
    """Not a well-formed Stripe event."""


@dataclass
class Outcome:
    event_id: str
    status: str          # processed, ignored, duplicate
    note: str = ""


def parse(payload: str) -> dict:
    try:
        event = json.loads(payload)
    except ValueError:
        raise BadEvent("The body is not JSON.") from None
    if not isinstance(event, dict) or not str(event.get("id", "")).startswith("evt_") \
            or not isinstance(event.get("data", {}).get("object"), dict) or not event.get("type"):
        raise BadEvent("The body is not a Stripe event.")
    return event


@lru_cache(maxsize=2)
def _insert_statement(dialect: str):
    """INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id, built once (hot path)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = StripeEvent.__table__
    return (insert(table).values({c: bindparam(c) for c in (
        "id", "type", "created", "livemode", "object_id", "payload", "status", "note", "attempts",
        "received_at", "processed_at")}).on_conflict_do_nothing(index_elements=["id"])
        .returning(table.c.id))


def _insert_event(session, event: dict, payload: str, status: str) -> bool:
    """Insert the event unless its id is stored already (a concurrent insert of the same id
    waits for the first transaction and then does nothing)."""
    now = utcnow()
    result = session.execute(_insert_statement(session.get_bind().dialect.name), {
        "id": event["id"], "type": event["type"],
        "created": datetime.fromtimestamp(int(event.get("created") or 0), UTC),
        "livemode": bool(event.get("livemode")),
        "object_id": str(event["data"]["object"].get("id") or "")[:255] or None,
        "payload": payload, "status": status, "note": "", "attempts": 1, "received_at": now,
        "processed_at": None if status == "failed" else now})
    return result.scalar() is not None


def receive(session, payload: str, event: dict | None = None) -> Outcome:
    """Store a verified event once by its id and process it, in the caller's transaction.

    The row is written first, already with the outcome it will have if the transaction commits
    (if processing raises, everything rolls back and ``record_failure`` keeps the event). A
    duplicate (also one delivered concurrently: the second insert waits for the first and then
    finds it) changes nothing; an event whose processing failed earlier is processed again.
    """
    event = event or parse(payload)
    handler = HANDLERS.get(event["type"])
    status = "processed" if handler else "ignored"
    if not _insert_event(session, event, payload, status):
        stored = session.scalar(select(StripeEvent).where(StripeEvent.id == event["id"])
                                .with_for_update())
        if stored.status != "failed":
            return Outcome(event["id"], "duplicate")
        return process(session, stored, event)
    if handler is None:
        return Outcome(event["id"], status, IGNORED)
    note = handler(session, event["data"]["object"], event) or ""
    if note:
        session.execute(update(StripeEvent).where(StripeEvent.id == event["id"])
                        .values(note=note[:2000]).execution_options(synchronize_session=False))
    return Outcome(event["id"], status, note)


def record_failure(session, payload: str, error: Exception) -> None:
    """Keep an event whose processing raised (in a transaction of its own), so that it is not
    lost: Stripe's retry, or ``backoffice payments replay``, processes it again."""
    event = parse(payload)
    if not _insert_event(session, event, payload, "failed"):
        session.get(StripeEvent, event["id"]).attempts += 1
    stored = session.get(StripeEvent, event["id"])
    stored.status, stored.note = "failed", f"{type(error).__name__}: {error}"[:2000]
    session.flush()


def process(session, stored: StripeEvent, event: dict) -> Outcome:
    """Process a stored event (again): replays and retries of failed events."""
    handler = HANDLERS.get(event["type"])
    stored.attempts += 1
    if handler is None:
        stored.status, stored.note = "ignored", IGNORED
    else:
        note = handler(session, event["data"]["object"], event)
        stored.status, stored.note = "processed", (note or "")[:2000]
    stored.processed_at = utcnow()
    session.flush()
    return Outcome(stored.id, stored.status, stored.note)


def replay(session, event_id: str) -> Outcome:
    """Process a stored event again (handlers are idempotent: nothing is booked twice)."""
    stored = session.get(StripeEvent, event_id)
    if stored is None:
        raise ValidationError(f"No stored event {event_id}.")
    return process(session, stored, parse(stored.payload))


# --- finding the invoice -------------------------------------------------------------------------

def _invoice_from_metadata(session, metadata: dict | None) -> Invoice | None:
    invoice_id = (metadata or {}).get("invoice_id")
    if not invoice_id or not str(invoice_id).isdigit():
        return None
    # Handlers need the invoice row only: not its lines, not the sponsor.
    invoice = session.get(Invoice, int(invoice_id),
                          options=[lazyload(Invoice.lines), lazyload(Invoice.sponsor)])
    if invoice is None or invoice.status != InvoiceStatus.ISSUED or invoice.is_cancellation:
        return None
    number = (metadata or {}).get("invoice_number")
    return invoice if not number or number == invoice.number else None


def _invoice_for_payment_intent(session, pi: dict) -> Invoice | None:
    invoice = _invoice_from_metadata(session, pi.get("metadata"))
    if invoice is None:
        checkout = session.scalar(select(CheckoutSession)
                                  .where(CheckoutSession.payment_intent == pi["id"]))
        invoice = checkout.invoice if checkout else None
    return invoice


# --- bookings ------------------------------------------------------------------------------------

def _book_fee(session, invoice: Invoice, txn: dict, source: str) -> None:
    """Stripe's fee on a balance transaction (a dispute's, or a charge's that arrived after its
    payment was booked): Dr payment fees / Cr Stripe balance (a negative fee, e.g. one returned
    after a won dispute, books the other way). Once per balance transaction."""
    fee = int(txn.get("fee") or 0)
    if not fee or session.get(StripeFee, txn["id"]) is not None:
        return
    currency = _currency(txn["currency"])
    fund = session.get(Fund, invoice.fund_id)
    try:
        with session.begin_nested():
            entry = post_entry(
                session, booking_date=invoicing.booking_date(session, _day(txn.get("created"))),
                description=f"Stripe fee {invoice.number} ({txn['id']})", actor=None,
                source=("stripe_fee", txn["id"]),
                lines=[Line(account_by_role(session, PAYMENT_FEES), fund, Money(fee, currency),
                            txn["id"]),
                       Line(account_by_role(session, STRIPE_BALANCE), fund, Money(-fee, currency),
                            f"Fee {invoice.number}")])
            session.add(StripeFee(balance_transaction=txn["id"], invoice_id=invoice.id,
                                  source=source, amount=fee, currency=currency,
                                  journal_entry_id=entry.id))
            session.flush()
    except IntegrityError:
        pass  # booked by a concurrent delivery


def _charge_of(pi: dict) -> dict | None:
    charge = pi.get("latest_charge")
    if isinstance(charge, str):
        return stripe_api.retrieve_charge(charge)
    return charge


def ensure_payment(session, invoice: Invoice, pi: dict, *, fetched: bool = False) -> str:
    """Book a succeeded PaymentIntent once, in one entry: Dr Stripe balance / Cr receivables
    for the amount, and Stripe's fee from its balance transaction: Dr payment fees / Cr Stripe
    balance."""
    if session.scalar(select(InvoicePayment.id).where(InvoicePayment.reference == pi["id"])):
        return f"{pi['id']} already booked"
    charge = pi.get("latest_charge")
    if not fetched or pi.get("status") != "succeeded" or not isinstance(charge, dict) \
            or not isinstance(charge.get("balance_transaction"), dict):
        pi = stripe_api.retrieve_payment_intent(pi["id"])  # with charge and balance transaction
    if pi.get("status") != "succeeded":
        return f"{pi['id']} is {pi.get('status')}: nothing to book yet"
    currency = _currency(pi["currency"])
    amount = Money(int(pi.get("amount_received") or pi["amount"]), currency)
    charge = _charge_of(pi)
    txn = (charge or {}).get("balance_transaction")
    if isinstance(txn, str):
        txn = stripe_api.retrieve_balance_transaction(txn)
    fee = int((txn or {}).get("fee") or 0)
    payment = invoicing.record_payment(
        session, invoice, amount=amount, reference=pi["id"], method="stripe",
        received_on=_day((charge or pi).get("created")), debit_role=STRIPE_BALANCE,
        fee=Money(fee, currency) if fee else None,
        note=f"charge {charge['id'] if charge else '-'}")
    if payment is not None and fee:
        session.add(StripeFee(balance_transaction=txn["id"], invoice_id=invoice.id,
                              source=charge["id"], amount=fee, currency=currency,
                              journal_entry_id=payment.journal_entry_id))
        session.flush()
    booked = f"{invoice.number}: payment {amount} booked"
    return f"{booked}, fee {Money(fee, currency)}" if fee else booked


def _pi_for(session, pi_id: str | None) -> tuple[Invoice | None, dict | None]:
    if not pi_id:
        return None, None
    pi = stripe_api.retrieve_payment_intent(pi_id)
    return _invoice_for_payment_intent(session, pi), pi


# --- handlers ------------------------------------------------------------------------------------

def _checkout_row(session, checkout: dict) -> CheckoutSession | None:
    row = session.scalar(select(CheckoutSession).where(CheckoutSession.stripe_id == checkout["id"]))
    if row is not None:
        if row.status != "complete" or checkout.get("status") == "complete":
            row.status = checkout.get("status") or row.status
        if row.payment_status != "paid":
            row.payment_status = checkout.get("payment_status") or row.payment_status
        row.payment_intent = checkout.get("payment_intent") or row.payment_intent
        row.updated_at = utcnow()
    return row


def on_checkout_completed(session, checkout: dict, event: dict) -> str:
    """checkout.session.completed and async_payment_succeeded: book once the money is in
    (cards at once; SEPA Direct Debit later, with async_payment_succeeded)."""
    row = _checkout_row(session, checkout)
    invoice = _invoice_from_metadata(session, checkout.get("metadata")) or (row.invoice if row else None)
    if invoice is None:
        return "no invoice of ours"
    if checkout.get("payment_status") != "paid":
        return f"{invoice.number}: payment is processing"
    pi_id = checkout.get("payment_intent")
    pi_id = pi_id["id"] if isinstance(pi_id, dict) else pi_id
    if not pi_id:
        return "no payment intent"
    return ensure_payment(session, invoice, {"id": pi_id})


def on_checkout_failed(session, checkout: dict, event: dict) -> str:
    row = _checkout_row(session, checkout)
    if row is not None:
        row.payment_status = "failed"
    return "asynchronous payment failed; the invoice stays open"


def on_checkout_expired(session, checkout: dict, event: dict) -> str:
    row = _checkout_row(session, checkout)
    return "checkout expired" if row else "no checkout of ours"


def on_payment_intent_succeeded(session, pi: dict, event: dict) -> str:
    invoice = _invoice_for_payment_intent(session, pi)
    if invoice is None:
        return "no invoice of ours"
    return ensure_payment(session, invoice, pi, fetched=True)


def on_payment_intent_failed(session, pi: dict, event: dict) -> str:
    invoice = _invoice_for_payment_intent(session, pi)
    error = (pi.get("last_payment_error") or {}).get("message") or "payment failed"
    # A late failure of an earlier attempt never undoes a payment that succeeded.
    return f"{invoice.number if invoice else 'no invoice of ours'}: {error}"


def on_charge_refunded(session, charge: dict, event: dict) -> str:
    """Each refund once: Dr receivables / Cr Stripe balance (the invoice is owed again, unless
    it is cancelled; Stripe keeps its original fee)."""
    invoice, pi = _pi_for(session, charge.get("payment_intent"))
    if invoice is None:
        return "no invoice of ours"
    ensure_payment(session, invoice, pi, fetched=True)
    refunds = (charge.get("refunds") or {}).get("data")
    if refunds is None or len(refunds) < (charge.get("refunds") or {}).get("total_count", 0):
        refunds = stripe_api.list_refunds(charge["id"])
    booked = []
    for refund in refunds:
        if refund.get("status") not in ("succeeded", "pending"):
            continue
        amount = Money(-int(refund["amount"]), _currency(refund["currency"]))
        if invoicing.record_payment(session, invoice, amount=amount, reference=refund["id"],
                                    received_on=_day(refund.get("created")), method="stripe",
                                    debit_role=STRIPE_BALANCE, kind=PaymentKind.REFUND):
            booked.append(refund["id"])
    return f"{invoice.number}: refunds booked {booked or 'none new'}"


def on_charge_updated(session, charge: dict, event: dict) -> str:
    """A charge's balance transaction can appear after the payment was booked (Stripe creates
    it asynchronously for some payment methods); its fee is booked then, so the Stripe balance in
    the books keeps matching Stripe's."""
    txn = charge.get("balance_transaction")
    payment = session.scalar(select(InvoicePayment).where(
        InvoicePayment.reference == (charge.get("payment_intent") or "")))
    if not txn or payment is None:
        return "nothing to book: no balance transaction, or the payment is not booked yet"
    if isinstance(txn, str):
        if session.get(StripeFee, txn) is not None:
            return f"fee of {txn} already booked"
        txn = stripe_api.retrieve_balance_transaction(txn)
    invoice = session.get(Invoice, payment.invoice_id)
    _book_fee(session, invoice, txn, source=charge["id"])
    return f"{invoice.number}: fee of {txn['id']} booked (if it had one)"


def on_dispute(session, dispute: dict, event: dict) -> str:
    """charge.dispute.created / closed: book each of the dispute's balance transactions once —
    the withdrawal (Dr receivables / Cr Stripe balance) and its fee when the dispute opens, the
    reinstatement when it is won. A lost dispute leaves the money withdrawn: the invoice is
    open again for the treasurer to pursue or cancel."""
    pi_id = dispute.get("payment_intent")
    if not pi_id and dispute.get("charge"):
        pi_id = stripe_api.retrieve_charge(dispute["charge"]).get("payment_intent")
    invoice, pi = _pi_for(session, pi_id)
    if invoice is None:
        return "no invoice of ours"
    ensure_payment(session, invoice, pi, fetched=True)
    for txn in dispute.get("balance_transactions") or []:
        amount = int(txn.get("amount") or 0)
        if amount:
            invoicing.record_payment(
                session, invoice, amount=Money(amount, _currency(txn["currency"])),
                reference=txn["id"], received_on=_day(txn.get("created")), method="stripe",
                debit_role=STRIPE_BALANCE, kind=PaymentKind.DISPUTE,
                note=f"dispute {dispute['id']} ({dispute.get('status')})")
        _book_fee(session, invoice, txn, source=dispute["id"])
    return f"{invoice.number}: dispute {dispute['id']} {dispute.get('status')}"


def _stripe_holdings(session, currency: str) -> list[tuple[Fund, int]]:
    stripe = account_by_role(session, STRIPE_BALANCE)
    rows = session.execute(
        select(Posting.fund_id, func.sum(Posting.amount)).where(
            Posting.account_id == stripe.id, Posting.currency == currency)
        .group_by(Posting.fund_id)).all()
    return [(session.get(Fund, fund_id), int(held)) for fund_id, held in rows if held > 0]


def payout_lines(session, amount: Money) -> list[Line]:
    """Dr bank / Cr Stripe balance, fund by fund as the money is held at Stripe (largest
    holdings first); what no fund holds comes from the general fund."""
    bank, stripe = account_by_role(session, BANK), account_by_role(session, STRIPE_BALANCE)
    lines, remaining = [], amount.amount
    for fund, held in sorted(_stripe_holdings(session, amount.currency),
                             key=lambda item: (item[0].kind == FundKind.GENERAL, -item[1])):
        part = min(held, remaining)
        if part > 0:
            lines.append((fund, part))
            remaining -= part
    if remaining:
        general = session.scalar(select(Fund).where(Fund.kind == FundKind.GENERAL))
        lines.append((general, remaining))
    merged: dict[int, tuple[Fund, int]] = {}
    for fund, part in lines:
        merged[fund.id] = (fund, merged.get(fund.id, (fund, 0))[1] + part)
    result = []
    for fund, part in merged.values():
        result += [Line(bank, fund, Money(part, amount.currency)),
                   Line(stripe, fund, Money(-part, amount.currency))]
    return result


def on_payout_paid(session, payout: dict, event: dict) -> str:
    """Dr bank / Cr Stripe balance, once per payout id; a payout that already failed stays so."""
    row = session.scalar(select(StripePayout).where(StripePayout.stripe_id == payout["id"]))
    if row is not None:
        return f"payout {payout['id']} already {row.status}"
    amount = Money(int(payout["amount"]), _currency(payout["currency"]))
    arrival = _day(payout.get("arrival_date"))
    try:
        with session.begin_nested():
            entry = post_entry(
                session, booking_date=invoicing.booking_date(session, arrival), actor=None,
                description=f"Stripe payout {payout['id']}", source=("stripe_payout", payout["id"]),
                lines=[Line(line.account, line.fund, line.amount, payout["id"])
                       for line in payout_lines(session, amount)])
            session.add(StripePayout(stripe_id=payout["id"], amount=amount.amount,
                                     currency=amount.currency, arrival_date=arrival,
                                     status="paid", journal_entry_id=entry.id))
            session.flush()
    except IntegrityError:
        return f"payout {payout['id']} booked by a concurrent delivery"
    return f"payout {payout['id']} of {amount} booked"


def on_payout_failed(session, payout: dict, event: dict) -> str:
    """A failed payout returns to the Stripe balance: the booking, if any, is reversed."""
    row = session.scalar(select(StripePayout).where(StripePayout.stripe_id == payout["id"])
                         .with_for_update())
    if row is None:
        try:
            with session.begin_nested():
                session.add(StripePayout(
                    stripe_id=payout["id"], amount=int(payout["amount"]),
                    currency=_currency(payout["currency"]),
                    arrival_date=_day(payout.get("arrival_date")), status="failed"))
                session.flush()
        except IntegrityError:
            return on_payout_failed(session, payout, event)
        return f"payout {payout['id']} failed before it was booked"
    if row.status == "failed":
        return f"payout {payout['id']} already failed"
    if row.journal_entry_id and row.reversal_entry_id is None:
        reversal = reverse_entry(session, session.get(JournalEntry, row.journal_entry_id),
                                 actor=None, reason=f"payout {payout['id']} failed",
                                 booking_date=invoicing.booking_date(session, date.today()))
        row.reversal_entry_id = reversal.id
    row.status, row.updated_at = "failed", utcnow()
    return f"payout {payout['id']} failed: booking reversed"


HANDLERS = {
    "checkout.session.completed": on_checkout_completed,
    "checkout.session.async_payment_succeeded": on_checkout_completed,
    "checkout.session.async_payment_failed": on_checkout_failed,
    "checkout.session.expired": on_checkout_expired,
    "payment_intent.succeeded": on_payment_intent_succeeded,
    "payment_intent.payment_failed": on_payment_intent_failed,
    "charge.refunded": on_charge_refunded,
    "charge.updated": on_charge_updated,
    "charge.dispute.created": on_dispute,
    "charge.dispute.closed": on_dispute,
    "payout.paid": on_payout_paid,
    "payout.failed": on_payout_failed,
}


# --- for bank reconciliation ---------------------------------------------------------------------

def payouts(session, *, status: str | None = "paid", start: date | None = None,
            end: date | None = None) -> list[StripePayout]:
    """Stripe payouts by arrival date (a bank line "STRIPE PAYOUT po_..." matches ``stripe_id``
    and ``amount``)."""
    statement = select(StripePayout).order_by(StripePayout.arrival_date, StripePayout.id)
    if status:
        statement = statement.where(StripePayout.status == status)
    if start:
        statement = statement.where(StripePayout.arrival_date >= start)
    if end:
        statement = statement.where(StripePayout.arrival_date <= end)
    return list(session.scalars(statement))


def payout_by_id(session, stripe_id: str) -> StripePayout | None:
    return session.scalar(select(StripePayout).where(StripePayout.stripe_id == stripe_id))


def fees_of(session, invoice: Invoice) -> list[StripeFee]:
    return list(session.scalars(select(StripeFee).where(StripeFee.invoice_id == invoice.id)
                                .order_by(StripeFee.created_at)))

