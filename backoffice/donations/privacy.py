"""A donor, for ``core.privacy``: their gifts, plans and receipts exported with the receipts' PDFs.
A donor with gifts in the books or a receipt is anonymised on request (the gifts are bookkeeping
records and receipt copies are kept 10 years, with the name and address printed on them); a donor
who never gave is erased, on request or once the retention rule's years have passed."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from ..core.actors import Actor
from ..core.privacy import ANONYMISED, ERASED, KEPT, Holding, Outcome, months_before
from ..core.uploads import StoredFile, read_stored
from .models import Donation, Donor, DonorIban, PlanStatus, RecurringPlan
from .receipts.models import Receipt

ERASED_NAME = "Erased donor"
RUNNING = (PlanStatus.PENDING, PlanStatus.ACTIVE, PlanStatus.PAST_DUE)


def holdings(sender, *, session: Session, email: str, settings) -> list[Holding]:
    donors = session.scalars(select(Donor).where(func.lower(Donor.email) == email)
                             .order_by(Donor.id)).all()
    return [_holding(session, donor, settings) for donor in donors]


def _holding(session: Session, donor: Donor, settings) -> Holding:
    donations = session.scalars(select(Donation).where(Donation.donor_id == donor.id)
                                .order_by(Donation.id)).all()
    plans = session.scalars(select(RecurringPlan).where(RecurringPlan.donor_id == donor.id)).all()
    receipts = session.scalars(select(Receipt).where(Receipt.donor_id == donor.id)
                               .order_by(Receipt.id)).all()
    data = {
        "name": donor.name, "kind": donor.kind.value, "address": donor.address_lines,
        "email": donor.email, "language": donor.language.value, "notes": donor.notes,
        "thank_you_mail": donor.consent_thanks, "on_public_lists": donor.consent_public,
        "ibans": [row.iban for row in session.scalars(
            select(DonorIban).where(DonorIban.donor_id == donor.id))],
        "donations": [{"on": d.donated_on, "amount": d.amount, "currency": d.currency,
                       "channel": d.channel.value, "status": d.status.value,
                       "public_name": d.public_name} for d in donations],
        "recurring_plans": [{"status": p.status.value, "public_name": p.public_name}
                            for p in plans],
        "receipts": [{"number": r.number, "cancelled": r.cancelled_at is not None}
                     for r in receipts]}
    files = [(f"{r.number}.pdf", read_stored(session.get(StoredFile, r.pdf_file_id),
                                             settings.paths.uploads)) for r in receipts]
    return Holding("donor", f"Donor {donor.id}", data,
                   _erase(donor, kept=bool(receipts) or _has_gifts(session, donor.id),
                          running=any(p.status in RUNNING for p in plans)), files)


def _has_gifts(session: Session, donor_id: int) -> bool:
    return bool(session.scalar(select(exists().where(Donation.donor_id == donor_id,
                                                     Donation.journal_entry_id.is_not(None)))))


def _forget_contact(session: Session, donor: Donor) -> None:
    donor.email, donor.notes = None, ""
    donor.consent_thanks = donor.consent_public = False
    donor.updated_at = datetime.now(UTC)
    session.execute(delete(DonorIban).where(DonorIban.donor_id == donor.id))
    session.execute(update(Donation).where(Donation.donor_id == donor.id).values(public_name=None))
    session.execute(update(RecurringPlan).where(RecurringPlan.donor_id == donor.id)
                    .values(public_name=None))


def _erase_all(session: Session, donor: Donor) -> None:
    _forget_contact(session, donor)
    donor.name, donor.street, donor.postcode, donor.city = ERASED_NAME, "", "", ""
    donor.stripe_customer = None


def _erase(donor: Donor, *, kept: bool, running: bool):
    def erase(session: Session, actor: Actor | None, today: date) -> Outcome:
        label = f"Donor {donor.id}"
        if running:
            return Outcome(label, KEPT, "a recurring gift is still running: cancel the plan "
                           "(the donor's link or the treasurer's page) and ask again")
        if kept:
            _forget_contact(session, donor)
            return Outcome(label, ANONYMISED, "the gifts are bookkeeping records and receipt "
                           "copies are kept for 10 years (§ 50 (7) EStDV, § 147 AO), with the "
                           "name and address printed on them; e-mail address, notes, IBANs, "
                           "consents and public names are erased")
        _erase_all(session, donor)
        return Outcome(label, ERASED, "no gift was booked and no receipt issued")
    return erase


def retention(sender, *, session: Session, today: date, settings) -> dict[str, int]:
    cutoff = datetime.combine(months_before(today, 12 * settings.retention.donors_without_gifts_years),
                              time(), UTC)
    idle = session.scalars(select(Donor).where(
        Donor.created_at < cutoff, Donor.name != ERASED_NAME,
        ~exists().where(Donation.donor_id == Donor.id),
        ~exists().where(Receipt.donor_id == Donor.id),
        ~exists().where(RecurringPlan.donor_id == Donor.id,
                        RecurringPlan.status.in_(RUNNING)))).all()
    for donor in idle:
        _erase_all(session, donor)
    return {"donors without gifts": len(idle)}
