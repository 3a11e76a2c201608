"""Grant payments as a payable source of the payout batches (``backoffice.payouts``).

A ``Disbursement`` in the state ``ready`` is a payable: payee, IBAN, amount (EUR), the
programme's fund, the ``grants_payable`` account that the approval credited, a remittance text and
its reference. When a batch holding it is executed, the batch posts Dr grants payable / Cr bank
and calls ``executed``, which records the payment on the grant (``paying.record_payment``).

A payment in a live batch cannot be cancelled (``paying.batch_of``); a cancelled batch releases it
for the next one.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ..core import clock
from ..core.actors import Actor
from ..core.bounds import as_id
from ..core.db import in_batches
from ..core.errors import ValidationError
from ..core.i18n import _, _l, ngettext
from ..core.money import Money
from ..core.settings import Settings
from ..ledger.services import account_by_role
from ..payouts import services as batches
from ..payouts.returns import describe
from .models import Application, Disbursement, DisbursementStatus, Status
from .paying import KIND, record_payment, record_return

SEPA_CURRENCY = "EUR"


def pay_at_once(session: Session, disbursements: list[Disbursement], *, reference: str, paid_on: date,
                actor: Actor, settings: Settings) -> None:
    """Pay grant payments straight away in one payout batch executed on ``paid_on`` (demo data
    and tests; the treasurer uses the payout pages)."""
    if not disbursements:
        return
    batch = batches.create_batch(session, selected=[(KIND, str(d.id)) for d in disbursements],
                                 requested_on=max(paid_on, clock.today()), actor=actor,
                                 settings=settings)
    batches.mark_executed(session, batch, booked_on=paid_on, actor=actor, settings=settings)


class GrantPayables:
    """Grant payments waiting for payout (``Disbursement`` rows in the state ``ready``)."""

    kind = KIND
    label = _l("Grants")

    def _payable(self, disbursement: Disbursement, liability):
        application = disbursement.application
        return batches.Payable(
            kind=self.kind, source_id=str(disbursement.id),
            reference=disbursement.end_to_end_id, payee_name=disbursement.payee_name,
            iban=disbursement.iban, bic=None,
            amount=Money(disbursement.amount, disbursement.currency), fund=disbursement.fund,
            liability_account=liability, remittance=disbursement.remittance,
            description=f"{application.reference} {application.applicant_name}: "
                        f"{application.title}",
            due_since=clock.day_of(disbursement.created_at))

    def _ready(self, session: Session, *conditions, lock: bool = False) -> list[Disbursement]:
        statement = select(Disbursement).where(
            Disbursement.status == DisbursementStatus.READY,
            Disbursement.currency == SEPA_CURRENCY, *conditions).order_by(Disbursement.id)
        if lock:
            statement = statement.with_for_update(of=Disbursement)
        return list(session.scalars(statement))

    def not_yet_payable(self, session: Session) -> list[batches.NotYetPayable]:
        """Approved grants with no payment made payable yet (the treasurer does that on the
        grant's page, choosing the amount of the first instalment)."""
        count = session.scalar(select(func.count()).select_from(Application).where(
            Application.status == Status.APPROVED,
            ~exists().where(Disbursement.application_id == Application.id)))
        if not count:
            return []
        return [batches.NotYetPayable(ngettext(
            "%(num)s approved grant is not yet payable: open it and choose “Make payable”.",
            "%(num)s approved grants are not yet payable: open each and choose “Make payable”.",
            count), "grants.queue", {"status": Status.APPROVED.value})]

    def open_payables(self, session: Session) -> list:
        liability = account_by_role(session, "grants_payable")
        return [self._payable(d, liability) for d in self._ready(session)]

    def payables(self, session: Session, ids: list[str]) -> list:
        liability = account_by_role(session, "grants_payable")
        wanted = [n for n in map(as_id, ids) if n is not None]
        found = []
        for batch in in_batches(wanted):
            found += self._ready(session, Disbursement.id.in_(batch), lock=True)
        missing = set(wanted) - {d.id for d in found}
        if missing:
            raise ValidationError(_("Grant payment %(number)s is no longer waiting for payout.",
                                    number=min(missing)))
        return [self._payable(d, liability) for d in found]

    def executed(self, session: Session, item, batch, actor: Actor, *,
                 settings: Settings) -> None:
        disbursement = session.get(Disbursement, int(item.source_id))
        record_payment(session, disbursement, batch_ref=batch.message_id,
                       paid_on=batch.executed_on, entry_id=batch.payment_entry_id, actor=actor,
                       settings=settings)

    def released(self, session: Session, item, batch, actor: Actor) -> None:
        """The batch was cancelled: the payment waits for the next batch."""

    def returned(self, session: Session, item, batch, returned, actor: Actor, *,
                 settings: Settings) -> None:
        """The bank sent the payment back: it waits for the next batch again."""
        record_return(session, session.get(Disbursement, int(item.source_id)),
                      reason=describe(returned.reason_code), returned_on=returned.returned_on,
                      actor=actor, settings=settings)

    def return_undone(self, session: Session, item, batch, returned, actor: Actor, *,
                      settings: Settings) -> None:
        """The return was matched by mistake: the payment counts as made by the batch."""
        self.executed(session, item, batch, actor, settings=settings)


GRANT_PAYABLES = GrantPayables()


def payable_source(sender: object, **kwargs: Any) -> GrantPayables:
    """Grant payments as a payable source (``core.signals.payable_sources``)."""
    return GRANT_PAYABLES
