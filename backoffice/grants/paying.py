"""Paying a grant: payments (``Disbursement``) wait for a payout batch, whose hooks record them
as paid or returned."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.errors import InvalidTransition, ValidationError
from ..core.i18n import _
from ..core.iban import normalise_iban
from ..core.money import Money
from ..core.settings import Settings
from ..payouts import services as payouts
from .lifecycle import can_do, check, locked, record_event, required_text, transition
from .models import DISBURSEMENT_STATES, Application, Disbursement, DisbursementStatus
from .notify import applicant_mail

#: What grant payments are called as a payable source of the payout batches (``payouts.py``).
KIND = "grant"


def waiting_amount(application: Application) -> int:
    return sum(d.amount for d in application.disbursements
               if d.status is DisbursementStatus.READY)


def create_disbursement(session: Session, application: Application, *, amount: Money | None = None,
                        actor: Actor, organisation: str) -> Disbursement:
    """Make (part of) the award payable: it waits in the payout list for a payout batch. The
    transfer's remittance text starts with ``organisation`` (``Settings.organisation.name``)."""
    application = locked(session, application)
    check(application, "pay")
    left = application.outstanding - waiting_amount(application)
    money = amount or Money(left, application.currency)
    if money.currency != application.currency:
        raise ValidationError(_("Give the amount in %(currency)s.", currency=application.currency),
                              field="amount")
    if not 0 < money.amount <= left:
        raise ValidationError(_("Give an amount between 0 and %(left)s (what is neither paid "
                                "nor waiting to be paid).",
                                left=Money(left, application.currency)), field="amount")
    if not application.iban or not application.account_holder:
        raise ValidationError(_("The application has no bank account to pay to."))
    number = len(application.disbursements) + 1
    disbursement = Disbursement(
        application=application, amount=money.amount, currency=money.currency,
        fund_id=application.programme.fund_id, payee_name=application.account_holder[:70],
        iban=application.iban, created_by_id=getattr(actor, "id", None),
        end_to_end_id=f"GRANT-{application.id}-{number}",
        remittance=f"{organisation[:50]} grant {application.reference} "
                   f"{application.title}"[:140])
    session.add(disbursement)
    session.flush()
    audit.record(session, actor, "grant.disbursement_created", "grant_application",
                 application.id, summary=f"{application.reference}: {money} ready for payout",
                 after={"disbursement": disbursement.id, "amount": money.amount})
    return disbursement


def batch_of(session: Session, disbursement: Disbursement) -> str | None:
    """The reference of the live payout batch holding this payment, if any."""
    item = payouts.active_item_for(session, KIND, disbursement.id)
    return item.batch.message_id if item is not None else None


def check_not_in_batch(session: Session, disbursement: Disbursement) -> None:
    batch = batch_of(session, disbursement)
    if batch is not None:
        raise InvalidTransition(f"Payment {disbursement.end_to_end_id} is in payout batch {batch}; "
                                "cancel the batch first.")


def cancel_disbursement(session: Session, disbursement: Disbursement, *,
                        actor: Actor) -> Disbursement:
    DISBURSEMENT_STATES.check(disbursement, "cancel")
    check_not_in_batch(session, disbursement)
    DISBURSEMENT_STATES.apply(disbursement, "cancel")
    audit.record(session, actor, "grant.disbursement_cancelled", "grant_application",
                 disbursement.application_id, summary=f"payment {disbursement.end_to_end_id}")
    return disbursement


def _locked_payment(session: Session, disbursement: Disbursement,
                    action: str) -> tuple[Disbursement, Application]:
    """The payment and its application re-read under row locks, the payment moved along
    ``action`` (``DISBURSEMENT_STATES``)."""
    disbursement = session.scalars(select(Disbursement).where(Disbursement.id == disbursement.id)
                                   .with_for_update(of=Disbursement)
                                   .execution_options(populate_existing=True)).one()
    DISBURSEMENT_STATES.apply(disbursement, action)
    return disbursement, locked(session, disbursement.application)


def record_payment(session: Session, disbursement: Disbursement, *, batch_ref: str, paid_on: date,
                   entry_id: int, actor: Actor, settings: Settings) -> Disbursement:
    """The payout hook: this payment left the bank in the batch ``batch_ref``; ``entry_id`` is the
    batch's ledger entry (Dr grants payable / Cr bank). The grant is paid once its payments reach
    the award."""
    disbursement, application = _locked_payment(session, disbursement, "record_payment")
    money = Money(disbursement.amount, disbursement.currency)
    disbursement.batch_ref, disbursement.paid_on = batch_ref, paid_on
    disbursement.entry_id = entry_id
    application.amount_paid += disbursement.amount
    record_event(session, application, "payment", actor,
                 reason=f"{money.format()} paid ({batch_ref})")
    audit.record(session, actor, "grant.paid_out", "grant_application", application.id,
                 summary=f"{application.reference}: {money} in {batch_ref}",
                 after={"disbursement": disbursement.id, "entry": entry_id})
    if application.amount_paid == application.amount_awarded:
        transition(session, application, "paid", actor, settings=settings)
    else:
        applicant_mail(session, application, "payment", amount=disbursement.amount,
                       settings=settings)
    return disbursement


def record_return(session: Session, disbursement: Disbursement, *, reason: str, returned_on: date,
                  actor: Actor, settings: Settings) -> Disbursement:
    """The payout hook for a transfer the bank sent back (``payouts.returns``; the books owe
    the payment again already): the payment waits for the next payout batch, the grant counts
    it as unpaid (a fully paid grant is approved again) and the applicant is asked to check the
    account. ``reason`` is what the bank said, in words."""
    disbursement, application = _locked_payment(session, disbursement, "record_return")
    money = Money(disbursement.amount, disbursement.currency)
    batch_ref = disbursement.batch_ref
    disbursement.batch_ref = disbursement.paid_on = disbursement.entry_id = None
    application.amount_paid -= disbursement.amount
    text = (f"{money.format()} ({batch_ref}) returned by the bank on {returned_on.isoformat()}: "
            f"{reason}")
    if can_do(application, "payment_returned"):
        transition(session, application, "payment_returned", actor, reason=text, mail=False,
                   settings=settings)
    else:
        record_event(session, application, "payment_returned", actor, reason=text)
    audit.record(session, actor, "grant.payment_returned", "grant_application", application.id,
                 summary=f"{application.reference}: {text}"[:500],
                 after={"disbursement": disbursement.id, "status": DisbursementStatus.READY})
    applicant_mail(session, application, "payment_returned", reason=reason,
                   amount=disbursement.amount, iban=disbursement.iban, settings=settings)
    return disbursement


def correct_payee(session: Session, disbursement: Disbursement, *, iban: str, payee_name: str,
                  actor: Actor) -> Disbursement:
    """The treasurer corrects where a waiting payment goes (after a return, the applicant sent
    the right account); the application keeps the new account for later payments too."""
    DISBURSEMENT_STATES.check(disbursement, "correct_payee")
    check_not_in_batch(session, disbursement)
    iban, _bic = normalise_iban(iban)
    payee_name = required_text(payee_name, "payee_name",
                               _("Please give the account holder's name."), 70)
    before = {"iban": disbursement.iban, "payee_name": disbursement.payee_name}
    if before == {"iban": iban, "payee_name": payee_name}:
        raise ValidationError(_("That is the account the payment already goes to."), field="iban")
    application = locked(session, disbursement.application)
    disbursement.iban, disbursement.payee_name = iban, payee_name
    application.iban, application.account_holder = iban, payee_name
    session.flush()
    record_event(session, application, "account_corrected", actor, public=False,
                 reason=f"payment {disbursement.end_to_end_id} now goes to {iban}")
    audit.record(session, actor, "grant.payee_corrected", "grant_application", application.id,
                 summary=f"{application.reference}: payment {disbursement.end_to_end_id} to "
                         f"{iban}", before=before, after={"iban": iban, "payee_name": payee_name})
    return disbursement
