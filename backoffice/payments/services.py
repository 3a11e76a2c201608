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
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from ..core import audit, clock
from ..core.bounds import as_id
from ..core.db import utcnow
from ..core.errors import InvalidTransition, ValidationError
from ..core.i18n import _
from ..core.money import Money
from ..core.signals import answers, stripe_event
from ..invoicing import services as invoicing
from ..invoicing import state
from ..invoicing.models import Invoice, InvoicePayment, InvoiceStatus, PaymentKind
from ..ledger import reads
from ..ledger.balances import account_by_fund
from ..ledger.chart import Fund, FundKind
from ..ledger.services import Line, account_by_role, booking_date_for, post_entry, reverse_entry
from . import settlement, stripe_api
from .models import CheckoutSession, StripeEvent, StripeFee, StripePayout

if TYPE_CHECKING:
    from ..core.settings import Settings, Stripe
    from ..ledger.chart import Account

STRIPE_BALANCE, BANK, RECEIVABLES = "stripe_balance", "bank", invoicing.RECEIVABLES
IGNORED = "Event type not handled (stored and acknowledged)."




def _arrival_date(payout: dict) -> date:
    """The day a Stripe payout reaches the bank: Stripe gives it as that day's midnight UTC."""
    seconds = payout.get("arrival_date")
    return datetime.fromtimestamp(seconds, UTC).date() if seconds else clock.today()


def _currency(code: str) -> str:
    return (code or "").upper()


# --- Checkout ----------------------------------------------------------------------------------

def start_checkout(session: Session, invoice: Invoice, *, success_url: str,
                   cancel_url: str, config: Stripe) -> CheckoutSession:
    """A Stripe Checkout Session for what is still owed (card, and SEPA Direct Debit for EUR).

    An open session for the same amount is reused; a new one carries an idempotency key, so a
    double click or a retried request never creates two.
    """
    amount = state.outstanding(invoice)
    if invoice.is_draft or state.is_cancelled(invoice) or amount <= 0:
        raise InvalidTransition(_("Invoice %(number)s has nothing to pay.", number=invoice.label))
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
    created = stripe_api.create_checkout_session(config, params, idempotency_key=key)
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


def checkout_of(session: Session, invoice: Invoice, stripe_id: str | None) -> CheckoutSession | None:
    """The checkout ``stripe_id`` if it was started for ``invoice`` (None otherwise)."""
    if not stripe_id:
        return None
    return session.scalar(select(CheckoutSession).where(
        CheckoutSession.invoice_id == invoice.id, CheckoutSession.stripe_id == stripe_id))


def pending_checkout(session: Session, invoice: Invoice) -> CheckoutSession | None:
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


def _insert_event(session: Session, event: dict, payload: str, status: str) -> bool:
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


def receive(session: Session, payload: str, settings: Settings, event: dict | None = None) -> Outcome:
    """Store a verified event once by its id and process it, in the caller's transaction.

    The row is written first, already with the outcome it will have if the transaction commits
    (if processing raises, everything rolls back and ``record_failure`` keeps the event). A
    duplicate (also one delivered concurrently: the second insert waits for the first and then
    finds it) changes nothing; an event whose processing failed earlier is processed again.
    """
    event = event or parse(payload)
    status = "processed" if handled(event["type"]) else "ignored"
    if not _insert_event(session, event, payload, status):
        stored = session.scalar(select(StripeEvent).where(StripeEvent.id == event["id"])
                                .with_for_update())
        if stored.status != "failed":
            return Outcome(event["id"], "duplicate")
        return process(session, stored, event, settings)
    if status == "ignored":
        return Outcome(event["id"], status, IGNORED)
    note = _handle(session, event, settings)
    if note:
        session.execute(update(StripeEvent).where(StripeEvent.id == event["id"])
                        .values(note=note[:2000]).execution_options(synchronize_session=False))
    return Outcome(event["id"], status, note)


def handled(event_type: str) -> bool:
    """Whether events of this type are processed here or by another package (``stripe_event``)."""
    return event_type in HANDLERS or stripe_event.has_receivers_for(event_type)


def _handle(session: Session, event: dict, settings: Settings) -> str:
    """Our handler for the event (invoices, payouts), then the other packages' receivers of
    ``stripe_event`` (donations): each books what is its own and says what it did."""
    obj = event["data"]["object"]
    handler = HANDLERS.get(event["type"])
    notes = [handler(session, obj, event, settings) or ""] if handler else []
    notes += answers(stripe_event, event["type"], session=session, obj=obj, event=event,
                     config=settings.stripe, settings=settings)
    return "; ".join(note for note in notes if note)


def record_failure(session: Session, payload: str, error: Exception) -> None:
    """Keep an event whose processing raised (in a transaction of its own), so that it is not
    lost: Stripe's retry, or ``backoffice payments replay``, processes it again."""
    event = parse(payload)
    if not _insert_event(session, event, payload, "failed"):
        session.get(StripeEvent, event["id"]).attempts += 1
    stored = session.get(StripeEvent, event["id"])
    stored.status, stored.note = "failed", f"{type(error).__name__}: {error}"[:2000]
    session.flush()


def process(session: Session, stored: StripeEvent, event: dict, settings: Settings) -> Outcome:
    """Process a stored event (again): replays and retries of failed events."""
    stored.attempts += 1
    if not handled(event["type"]):
        stored.status, stored.note = "ignored", IGNORED
    else:
        stored.status, stored.note = "processed", _handle(session, event, settings)[:2000]
    stored.processed_at = utcnow()
    session.flush()
    return Outcome(stored.id, stored.status, stored.note)


def replay(session: Session, event_id: str, settings: Settings) -> Outcome:
    """Process a stored event again (handlers are idempotent: nothing is booked twice)."""
    stored = session.get(StripeEvent, event_id)
    if stored is None:
        raise ValidationError(_("No stored event %(event_id)s.", event_id=event_id))
    return process(session, stored, parse(stored.payload), settings)


# --- finding the invoice -------------------------------------------------------------------------

def _invoice_from_metadata(session: Session, metadata: dict | None) -> Invoice | None:
    invoice_id = as_id(str((metadata or {}).get("invoice_id") or ""))
    if invoice_id is None:
        return None
    # Handlers need the invoice row only: not its lines, not the sponsor.
    invoice = session.get(Invoice, invoice_id,
                          options=[lazyload(Invoice.lines), lazyload(Invoice.sponsor)])
    if invoice is None or invoice.status != InvoiceStatus.ISSUED or invoice.is_cancellation:
        return None
    number = (metadata or {}).get("invoice_number")
    return invoice if not number or number == invoice.number else None


def _invoice_for_payment_intent(session: Session, pi: dict) -> Invoice | None:
    invoice = _invoice_from_metadata(session, pi.get("metadata"))
    if invoice is None:
        checkout = session.scalar(select(CheckoutSession)
                                  .where(CheckoutSession.payment_intent == pi["id"]))
        invoice = checkout.invoice if checkout else None
    return invoice


# --- bookings ------------------------------------------------------------------------------------

def _entry_lines(session: Session, fund: Fund, booked: list[settlement.Part], counter: Account) -> list[Line]:
    """``settlement.parts`` as ledger lines in ``fund``; ``counter`` is the account of the side
    the movement settles (receivables, the bank, the Stripe balance)."""
    accounts = {role: account_by_role(session, role)
                for role in {part.role for part in booked} - {settlement.COUNTER}}
    accounts[settlement.COUNTER] = counter
    return [Line(accounts[part.role], fund, part.amount, part.memo[:200]) for part in booked]


def _movement(txn: dict | str | None, settings: Settings) -> settlement.Movement | None:
    """The balance transaction (fetched when only its id is given) as a movement."""
    if isinstance(txn, str):
        txn = stripe_api.retrieve_balance_transaction(settings.stripe, txn)
    return settlement.Movement.from_stripe(txn) if txn else None


def _remember_fee(session: Session, invoice: Invoice, movement: settlement.Movement, source: str,
                  entry_id: int | None) -> None:
    """Note the balance transaction as booked (its fee may be zero), so that a later event
    about it books nothing again."""
    session.add(StripeFee(balance_transaction=movement.id, invoice_id=invoice.id, source=source,
                          amount=movement.fee.amount, currency=movement.fee.currency,
                          journal_entry_id=entry_id))
    session.flush()


def _book_invoice_money(session: Session, invoice: Invoice, movement: settlement.Movement,
                        settles: Money, *, reference: str, source: str, received_on: date,
                        kind: PaymentKind, settings: Settings,
                        note: str = "") -> InvoicePayment | None:
    """Money Stripe moved for an invoice (a payment, a refund, a dispute's withdrawal or
    reinstatement): the receivable settled by ``settles`` in the invoice's currency, the Stripe
    balance and the fee as the balance transaction says, the exchange between them
    (``settlement.parts``). Once per ``reference``."""
    fund = session.get(Fund, invoice.fund_id)
    booked = settlement.parts(movement, settles, what=f"{invoice.number} {reference}")
    payment = invoicing.record_payment(
        session, invoice, amount=settles, reference=reference, received_on=received_on,
        method="stripe", kind=kind, note=note,
        lines=_entry_lines(session, fund, booked, account_by_role(session, RECEIVABLES)))
    if payment is not None and movement.id and session.get(StripeFee, movement.id) is None:
        _remember_fee(session, invoice, movement, source, payment.journal_entry_id)
    if payment is not None and PaymentKind(kind) is PaymentKind.PAYMENT:
        invoicing.confirm_paid(session, invoice, settings=settings)
    return payment


def _book_movement(session: Session, invoice: Invoice, movement: settlement.Movement,
                   settles: Money | None, *, counter: str, source: str) -> bool:
    """A balance transaction that is not money received or given back for the invoice (a fee
    that Stripe reported after its payment was booked, a dispute's fee, the conversion of a
    payment booked before its balance transaction said in which currency it settled): booked
    once per balance transaction. False when there was nothing (new) to book."""
    if not movement.id or session.get(StripeFee, movement.id) is not None:
        return False
    booked = settlement.parts(movement, settles, what=f"{invoice.number} {movement.id}")
    if not booked:
        return False
    fund = session.get(Fund, invoice.fund_id)
    try:
        with session.begin_nested():
            entry = post_entry(
                session, booking_date=booking_date_for(session, clock.today()),
                description=f"Stripe {invoice.number} ({movement.id})", actor=None,
                source=("stripe_fee", movement.id),
                lines=_entry_lines(session, fund, booked, account_by_role(session, counter)))
            _remember_fee(session, invoice, movement, source, entry.id)
    except IntegrityError:
        return False  # booked by a concurrent delivery
    return True


def _charge_of(pi: dict, settings: Settings) -> dict | None:
    charge = pi.get("latest_charge")
    if isinstance(charge, str):
        return stripe_api.retrieve_charge(settings.stripe, charge)
    return charge


def ensure_payment(session: Session, invoice: Invoice, pi: dict, *, settings: Settings,
                   fetched: bool = False) -> str:
    """Book a succeeded PaymentIntent once, in one entry, as its balance transaction says
    (``settlement.parts``): Cr receivables in the invoice's currency, Dr Stripe balance and
    payment fees in the currency Stripe settled in, the exchange between the two if they
    differ. A payment whose balance transaction does not exist yet is booked in its own
    currency; ``on_charge_updated`` books the fee and any conversion when it appears."""
    if session.scalar(select(InvoicePayment.id).where(InvoicePayment.reference == pi["id"])):
        return f"{pi['id']} already booked"
    charge = pi.get("latest_charge")
    if not fetched or pi.get("status") != "succeeded" or not isinstance(charge, dict) \
            or not isinstance(charge.get("balance_transaction"), dict):
        pi = stripe_api.retrieve_payment_intent(settings.stripe, pi["id"])  # with charge and balance transaction
    if pi.get("status") != "succeeded":
        return f"{pi['id']} is {pi.get('status')}: nothing to book yet"
    amount = Money(int(pi.get("amount_received") or pi["amount"]), _currency(pi["currency"]))
    charge = _charge_of(pi, settings)
    movement = _movement((charge or {}).get("balance_transaction"), settings) \
        or settlement.Movement.unconverted(None, amount)
    payment = _book_invoice_money(
        session, invoice, movement, amount, reference=pi["id"],
        source=charge["id"] if charge else pi["id"],
        received_on=clock.day_of_timestamp((charge or pi).get("created")), kind=PaymentKind.PAYMENT,
        note=f"charge {charge['id'] if charge else '-'}", settings=settings)
    if payment is None:
        return f"{pi['id']} already booked"
    booked = f"{invoice.number}: payment {amount} booked"
    if movement.amount.currency != amount.currency:
        booked += f" as {movement.amount}"
    return f"{booked}, fee {movement.fee}" if movement.fee else booked


def _pi_for(session: Session, pi_id: str | None,
            settings: Settings) -> tuple[Invoice | None, dict | None]:
    if not pi_id:
        return None, None
    pi = stripe_api.retrieve_payment_intent(settings.stripe, pi_id)
    return _invoice_for_payment_intent(session, pi), pi


def _paid_invoice_of(session: Session, obj: dict, settings: Settings) -> Invoice | None:
    """The invoice a refund or dispute belongs to (through its payment intent, or its charge's),
    with the payment itself booked first: Stripe may tell of a refund before the payment."""
    pi_id = obj.get("payment_intent")
    if not pi_id and obj.get("charge"):
        pi_id = stripe_api.retrieve_charge(settings.stripe, obj["charge"]).get("payment_intent")
    invoice, pi = _pi_for(session, pi_id, settings)
    if invoice is not None:
        ensure_payment(session, invoice, pi, settings=settings, fetched=True)
    return invoice


# --- handlers ------------------------------------------------------------------------------------

def _checkout_row(session: Session, checkout: dict) -> CheckoutSession | None:
    row = session.scalar(select(CheckoutSession).where(CheckoutSession.stripe_id == checkout["id"]))
    if row is not None:
        if row.status != "complete" or checkout.get("status") == "complete":
            row.status = checkout.get("status") or row.status
        if row.payment_status != "paid":
            row.payment_status = checkout.get("payment_status") or row.payment_status
        row.payment_intent = checkout.get("payment_intent") or row.payment_intent
        row.updated_at = utcnow()
    return row


def on_checkout_completed(session: Session, checkout: dict, event: dict, settings: Settings) -> str:
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
    return ensure_payment(session, invoice, {"id": pi_id}, settings=settings)


def on_checkout_failed(session: Session, checkout: dict, event: dict, settings: Settings) -> str:
    row = _checkout_row(session, checkout)
    if row is not None:
        row.payment_status = "failed"
    return "asynchronous payment failed; the invoice stays open"


def on_checkout_expired(session: Session, checkout: dict, event: dict, settings: Settings) -> str:
    row = _checkout_row(session, checkout)
    return "checkout expired" if row else "no checkout of ours"


def on_payment_intent_succeeded(session: Session, pi: dict, event: dict, settings: Settings) -> str:
    invoice = _invoice_for_payment_intent(session, pi)
    if invoice is None:
        return "no invoice of ours"
    return ensure_payment(session, invoice, pi, settings=settings, fetched=True)


def on_payment_intent_failed(session: Session, pi: dict, event: dict, settings: Settings) -> str:
    invoice = _invoice_for_payment_intent(session, pi)
    error = (pi.get("last_payment_error") or {}).get("message") or "payment failed"
    # A late failure of an earlier attempt never undoes a payment that succeeded.
    return f"{invoice.number if invoice else 'no invoice of ours'}: {error}"


REFUND_BOOKED, REFUND_FAILED = ("succeeded", "pending"), ("failed", "canceled")


def _book_refund(session: Session, invoice: Invoice, refund: dict,
                 settings: Settings) -> InvoicePayment | None:
    """A refund once, as its balance transaction moved it (``settlement.parts``): Dr
    receivables in the invoice's currency / Cr Stripe balance in the settlement currency.
    Stripe keeps the original fee. None if booked already or not yet bookable (Stripe has not
    created its balance transaction). A refund that reopens the invoice is not asked for until
    the treasurer decides: a partial credit note, or the money is owed again
    (``invoicing.services.decide_refund``)."""
    if session.scalar(select(InvoicePayment.id).where(InvoicePayment.reference == refund["id"])):
        return None
    amount = -Money(int(refund["amount"]), _currency(refund["currency"]))
    movement = _movement(refund.get("balance_transaction"), settings)
    if movement is None:
        if invoice.currency != amount.currency:
            return None
        movement = settlement.Movement.unconverted(None, amount)
    payment = _book_invoice_money(session, invoice, movement, amount, reference=refund["id"],
                                  source=refund["id"], received_on=clock.day_of_timestamp(refund.get("created")),
                                  kind=PaymentKind.REFUND,
                                  note=f"refund {refund.get('status')}", settings=settings)
    if payment is not None:
        invoicing.note_refund(session, payment)  # a credit note, or owed again: the treasurer's
    return payment


def _reverse_refund(session: Session, refund_id: str, status: str) -> bool:
    """A refund that failed (or was cancelled) gave nothing back: its booking is reversed and
    the invoice shows the money as received again. Once; False if there is nothing to do."""
    payment = session.scalar(select(InvoicePayment).where(InvoicePayment.reference == refund_id))
    if payment is None or session.scalar(select(InvoicePayment.id).where(
            InvoicePayment.reverses_id == payment.id)):
        return False
    reason = f"Stripe refund {refund_id} {status}"
    reversal = reverse_entry(session, reads.entry(session, payment.journal_entry_id),
                             actor=None, reason=reason,
                             booking_date=booking_date_for(session, clock.today()))
    invoicing.reverse_payment(session, payment, reason=reason, journal_entry_id=reversal.id,
                              actor=None)
    return True


def _refund_state(session: Session, invoice: Invoice, refund: dict, settings: Settings) -> str:
    """Converge on the refund's state: booked while pending or succeeded; booked and reversed
    once it failed (also when the failure is the first we hear of it, so that a late event
    showing it pending books nothing)."""
    status = refund.get("status")
    if status in REFUND_BOOKED:
        return f"refund {refund['id']} booked" if _book_refund(session, invoice, refund, settings) else ""
    if status in REFUND_FAILED:
        _book_refund(session, invoice, refund, settings)
        if _reverse_refund(session, refund["id"], status):
            return f"refund {refund['id']} {status}: reversed"
    return ""


def on_charge_refunded(session: Session, charge: dict, event: dict, settings: Settings) -> str:
    """Each refund of the charge once (see ``_refund_state``)."""
    invoice = _paid_invoice_of(session, charge, settings)
    if invoice is None:
        return "no invoice of ours"
    refunds = (charge.get("refunds") or {}).get("data")
    if refunds is None or len(refunds) < (charge.get("refunds") or {}).get("total_count", 0):
        refunds = stripe_api.list_refunds(settings.stripe, charge["id"])
    done = [note for refund in refunds if (note := _refund_state(session, invoice, refund, settings))]
    return f"{invoice.number}: {'; '.join(done) or 'no new refunds'}"


def on_refund_updated(session: Session, refund: dict, event: dict, settings: Settings) -> str:
    """refund.updated, charge.refund.updated, refund.failed: a refund reported pending can
    later succeed (nothing changes), fail or be cancelled (its booking is reversed)."""
    invoice = _paid_invoice_of(session, refund, settings)
    if invoice is None:
        return "no invoice of ours"
    return f"{invoice.number}: {_refund_state(session, invoice, refund, settings) or 'nothing new'}"


def on_charge_updated(session: Session, charge: dict, event: dict, settings: Settings) -> str:
    """A charge's balance transaction can appear after the payment was booked (Stripe creates
    it asynchronously for some payment methods). Its fee is booked then, and, if Stripe settled
    in another currency than the charge's, the conversion of what was booked in the charge's
    currency (``settlement.parts``), so the Stripe balance in the books keeps matching
    Stripe's."""
    txn = charge.get("balance_transaction")
    payment = session.scalar(select(InvoicePayment).where(
        InvoicePayment.reference == (charge.get("payment_intent") or "")))
    if not txn or payment is None:
        return "nothing to book: no balance transaction, or the payment is not booked yet"
    if isinstance(txn, str) and session.get(StripeFee, txn) is not None:
        return f"{txn} already booked"
    movement = _movement(txn, settings)
    booked_as = Money(payment.amount, payment.currency)
    converted = movement.amount.currency != booked_as.currency
    invoice = session.get(Invoice, payment.invoice_id)
    if not _book_movement(session, invoice, movement, booked_as if converted else None,
                          counter=STRIPE_BALANCE, source=charge["id"]):
        return f"{movement.id}: nothing (new) to book"
    return f"{invoice.number}: {movement.id} booked (fee {movement.fee}" \
           f"{f', converted to {movement.amount}' if converted else ''})"


def on_dispute(session: Session, dispute: dict, event: dict, settings: Settings) -> str:
    """charge.dispute.created / closed: book each of the dispute's balance transactions once,
    as it moved the money (``settlement.parts``) — the withdrawal (Dr receivables / Cr Stripe
    balance, with the dispute fee) when the dispute opens, the reinstatement when it is won.
    The receivable moves by the dispute's amount in the invoice's currency, the Stripe balance
    by the transaction's amount in its own. A lost dispute leaves the money withdrawn: the
    invoice is open again for the treasurer to pursue or cancel."""
    invoice = _paid_invoice_of(session, dispute, settings)
    if invoice is None:
        return "no invoice of ours"
    disputed = Money(int(dispute.get("amount") or 0), _currency(dispute.get("currency")))
    for txn in dispute.get("balance_transactions") or []:
        movement = _movement(txn, settings)
        if not movement.amount:
            _book_movement(session, invoice, movement, None, counter=STRIPE_BALANCE,
                           source=dispute["id"])
            continue
        settles = movement.amount if movement.amount.currency == disputed.currency \
            else (disputed if movement.amount.amount > 0 else -disputed)
        _book_invoice_money(session, invoice, movement, settles, reference=movement.id,
                            source=dispute["id"], received_on=clock.day_of_timestamp(txn.get("created")),
                            kind=PaymentKind.DISPUTE,
                            note=f"dispute {dispute['id']} ({dispute.get('status')})", settings=settings)
    return f"{invoice.number}: dispute {dispute['id']} {dispute.get('status')}"


def _stripe_holdings(session: Session, currency: str) -> list[tuple[Fund, int]]:
    stripe = account_by_role(session, STRIPE_BALANCE)
    held_by = account_by_fund(session, stripe.id, currency=currency)
    return [(session.get(Fund, fund_id), held) for (fund_id, _), held in sorted(held_by.items()) if held > 0]


def payout_lines(session: Session, amount: Money, what: str = "Stripe payout") -> list[Line]:
    """Dr bank / Cr Stripe balance (``settlement.parts`` of the money leaving Stripe for the
    bank), fund by fund as the money is held at Stripe (largest holdings first); what no fund
    holds comes from the general fund."""
    bank = account_by_role(session, BANK)
    shares, remaining = [], amount.amount
    for fund, held in sorted(_stripe_holdings(session, amount.currency),
                             key=lambda item: (item[0].kind == FundKind.GENERAL, -item[1])):
        part = min(held, remaining)
        if part > 0:
            shares.append((fund, part))
            remaining -= part
    if remaining:
        shares.append((session.scalar(select(Fund).where(Fund.kind == FundKind.GENERAL)),
                       remaining))
    merged: dict[int, tuple[Fund, int]] = {}
    for fund, part in shares:
        merged[fund.id] = (fund, merged.get(fund.id, (fund, 0))[1] + part)
    lines = []
    for fund, part in merged.values():
        out = Money(-part, amount.currency)
        lines += _entry_lines(session, fund, settlement.parts(
            settlement.Movement.unconverted(what, out), out, what=what), bank)
    return lines


def on_payout_paid(session: Session, payout: dict, event: dict, settings: Settings) -> str:
    """Dr bank / Cr Stripe balance, once per payout id; a payout that already failed stays so."""
    row = session.scalar(select(StripePayout).where(StripePayout.stripe_id == payout["id"]))
    if row is not None:
        return f"payout {payout['id']} already {row.status}"
    amount = Money(int(payout["amount"]), _currency(payout["currency"]))
    arrival = _arrival_date(payout)
    try:
        with session.begin_nested():
            entry = post_entry(
                session, booking_date=booking_date_for(session, arrival), actor=None,
                description=f"Stripe payout {payout['id']}", source=("stripe_payout", payout["id"]),
                lines=payout_lines(session, amount, payout["id"]))
            session.add(StripePayout(stripe_id=payout["id"], amount=amount.amount,
                                     currency=amount.currency, arrival_date=arrival,
                                     status="paid", journal_entry_id=entry.id))
            session.flush()
    except IntegrityError:
        return f"payout {payout['id']} booked by a concurrent delivery"
    return f"payout {payout['id']} of {amount} booked"


def on_payout_failed(session: Session, payout: dict, event: dict, settings: Settings) -> str:
    """A failed payout returns to the Stripe balance: the booking, if any, is reversed."""
    row = session.scalar(select(StripePayout).where(StripePayout.stripe_id == payout["id"])
                         .with_for_update())
    if row is None:
        try:
            with session.begin_nested():
                session.add(StripePayout(
                    stripe_id=payout["id"], amount=int(payout["amount"]),
                    currency=_currency(payout["currency"]),
                    arrival_date=_arrival_date(payout), status="failed"))
                session.flush()
        except IntegrityError:
            return on_payout_failed(session, payout, event)
        return f"payout {payout['id']} failed before it was booked"
    if row.status == "failed":
        return f"payout {payout['id']} already failed"
    if row.journal_entry_id and row.reversal_entry_id is None:
        reversal = reverse_entry(session, reads.entry(session, row.journal_entry_id),
                                 actor=None, reason=f"payout {payout['id']} failed",
                                 booking_date=booking_date_for(session, clock.today()))
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
    "charge.refund.updated": on_refund_updated,
    "refund.updated": on_refund_updated,
    "refund.failed": on_refund_updated,
    "charge.updated": on_charge_updated,
    "charge.dispute.created": on_dispute,
    "charge.dispute.closed": on_dispute,
    "payout.paid": on_payout_paid,
    "payout.failed": on_payout_failed,
}


# --- for bank reconciliation ---------------------------------------------------------------------

def payouts(session: Session, *, status: str | None = "paid", start: date | None = None,
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


def payout_by_id(session: Session, stripe_id: str) -> StripePayout | None:
    return session.scalar(select(StripePayout).where(StripePayout.stripe_id == stripe_id))


def fees_of(session: Session, invoice: Invoice) -> list[StripeFee]:
    """The fees Stripe kept on the invoice's money (balance transactions without one are
    remembered too, so that they are booked once, but not listed)."""
    return list(session.scalars(select(StripeFee).where(StripeFee.invoice_id == invoice.id,
                                                        StripeFee.amount != 0)
                                .order_by(StripeFee.created_at)))


def invoice_panel(sender: object, *, session: Session, invoice: Invoice, **kwargs: Any) -> dict:
    """The Stripe fees kept on an invoice's money, for its page (``page_panels``)."""
    return {"stripe_fees": fees_of(session, invoice)}
