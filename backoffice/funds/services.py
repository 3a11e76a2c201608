"""Fiscal sponsorship rules on funds: who may see a fund, and the overspend guard.

``check_spending`` is the guard a package calls before it books an expense against a fund
(expense claims): a fund may not go below zero through an expense unless a user with
``Permission.FUNDS_OVERSPEND`` (the treasurer) overrides it with a written reason, which goes to
the audit log. It decides on the balance read behind the fund's lock (``ledger.spending``).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.errors import NotFound, ValidationError
from ..core.i18n import Lazy, _, source
from ..core.money import Money
from ..core.permissions import Permission, group_scope
from ..groups.models import MemberGroup
from ..ledger.chart import Fund
from ..ledger.spending import locked_available
from .models import FeePolicy


class Overspend(ValidationError):
    """The expense would take the fund below zero and nobody (allowed to) overrode that."""


def ensure_fund_visible(session: Session, user: Actor, fund: Fund | None) -> Fund:
    """The fund if the user may read its statements: ledger readers every fund, organisers the
    funds of their groups. ``NotFound`` otherwise (no hint that it exists)."""
    if fund is None:
        raise NotFound(_("No such fund."))
    if user.can(Permission.LEDGER_VIEW):
        return fund
    group_id = session.scalar(select(MemberGroup.id).where(MemberGroup.fund_id == fund.id))
    if not group_scope(user).allows(group_id):
        raise NotFound(_("No such fund."))
    return fund


def check_spending(session: Session, fund: Fund, amount: Money, *, actor: Actor, what: str | Lazy,
                   override_reason: str | None = None) -> str | None:
    """Allow spending ``amount`` from ``fund``, or raise ``Overspend``. ``what`` names the
    spending in the refusal (a marked text: the audit log keeps its English).

    Returns the override reason when one was needed (and records it in the audit log), else None.
    Locks the fund first, so that two approvals cannot both spend the last euro.
    """
    held = locked_available(session, fund, amount.currency)
    after = held - amount
    if after.amount >= 0:
        return None
    reason = (override_reason or "").strip()
    facts = {"fund": fund.label, "held": held, "what": what, "amount": amount, "after": after}
    if not actor.can(Permission.FUNDS_OVERSPEND):
        raise Overspend(_("%(fund)s holds %(held)s; %(what)s of %(amount)s would take it to "
                          "%(after)s. Only a treasurer can allow that.", **facts),
                        field="override_reason")
    if not reason:
        raise Overspend(_("%(fund)s holds %(held)s; %(what)s of %(amount)s would take it to "
                          "%(after)s. To allow it anyway, write down why.", **facts),
                        field="override_reason")
    if len(reason) > 1000:
        raise Overspend(_("Keep the reason under 1,000 characters."), field="override_reason")
    audit.record(session, actor, "fund.overspend_allowed", "fund", fund.id,
                 summary=f"{fund.code} below zero: {source(what)} ({reason})"[:500],
                 after={"held": held.amount, "amount": amount.amount, "after": after.amount,
                        "currency": amount.currency, "what": source(what), "reason": reason})
    return reason


def current_policies(session: Session, day: date) -> dict[int, FeePolicy]:
    """{fund id: the fee policy in force on ``day``} for every fund that has one (one query)."""
    policies: dict[int, FeePolicy] = {}
    for policy in session.scalars(select(FeePolicy).where(FeePolicy.effective_from <= day)
                                  .order_by(FeePolicy.fund_id, FeePolicy.effective_from)):
        policies[policy.fund_id] = policy
    return policies
