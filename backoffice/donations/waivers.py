"""A waived reimbursement (Aufwandsspende): the organiser of an approved, unpaid expense claim
gives it up. The claim is settled without a payout (``expenses.services.waive_claim``) and the
same unit of work records the donation: Dr payables (the claim's liability ends) / Cr donation
income in the claim's fund. No cash moves; the receipt says "Verzicht auf Erstattung von
Aufwendungen: ja"."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from ..core import clock
from ..core.actors import Actor
from ..expenses.models import ExpenseClaim
from ..expenses.services import waive_claim
from ..ledger.services import account_by_role
from .booking import Gift, record
from .donors import DonorDetails, find_or_create
from .models import Channel, Donation, DonationKind, Language


def waive(session: Session, claim: ExpenseClaim, *, actor: Actor, receipt_wanted: bool = True,
          today: date | None = None) -> Donation:
    """Waive the claim and record it as the claimant's donation, once."""
    waive_claim(session, claim, actor=actor)
    claimant = claim.claimant
    donor = find_or_create(session, DonorDetails(
        name=claim.payee_name or claimant.display_name, email=claimant.email,
        language=Language.DE if (claimant.locale or "").startswith("de") else Language.EN),
        iban=claim.iban, actor=actor)
    donation, _ = record(session, Gift(
        donor=donor, fund=claim.fund, amount=claim.amount, day=today or clock.today(),
        channel=Channel.WAIVER, kind=DonationKind.WAIVED_REIMBURSEMENT,
        receipt_wanted=receipt_wanted, note=f"Expense claim {claim.ref}: {claim.title}"[:500],
        refs={"expense_claim_id": claim.id}), actor=actor,
        debit=account_by_role(session, "payables"))
    return donation
