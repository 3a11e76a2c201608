"""A claimant's expense claims, for ``core.privacy``: exported with their receipts. Claims that were
approved or paid are bookkeeping records with their receipts (kept 10 years, § 147 AO); a rejected
claim is erased on request."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..auth.models import User
from ..core.actors import Actor
from ..core.privacy import ERASED, KEPT, Holding, Outcome
from ..core.uploads import forget_linked, read_stored
from .models import ClaimStatus, ExpenseClaim


def holdings(sender, *, session: Session, email: str, settings) -> list[Holding]:
    claims = session.scalars(select(ExpenseClaim).join(User, User.id == ExpenseClaim.claimant_id)
                             .where(func.lower(User.email) == email)
                             .order_by(ExpenseClaim.id)).all()
    return [Holding("expense claim", f"Expense claim {c.id}: {c.title}", {
        "title": c.title, "status": c.status.value, "payee": c.payee_name, "iban": c.iban,
        "currency": c.currency, "total": c.total, "submitted_at": c.submitted_at,
        "lines": [{"description": line.description, "amount": line.amount} for line in c.lines]},
        _erase(c), files=[(r.file.original_name, read_stored(r.file, settings.paths.uploads))
                          for r in c.receipts])
        for c in claims]


def _erase(claim: ExpenseClaim):
    def erase(session: Session, actor: Actor | None, today: date) -> Outcome:
        label = f"Expense claim {claim.id}: {claim.title}"
        if claim.status == ClaimStatus.SUBMITTED:
            return Outcome(label, KEPT, "it waits for a decision: ask again once it is decided")
        if claim.status != ClaimStatus.REJECTED:
            return Outcome(label, KEPT, "an approved or paid claim and its receipts are "
                           "bookkeeping records, kept for 10 years (§ 147 AO)")
        claim.payee_name, claim.iban, claim.bic = "Erased", "", None
        forget_linked(session, claim.receipts)
        return Outcome(label, ERASED, "a rejected claim is not a bookkeeping record")
    return erase
