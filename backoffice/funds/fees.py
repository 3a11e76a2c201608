"""The admin fee the association takes on income into a sponsored group's fund.

Every package that books income into a fund builds its lines with ``income_lines``, so the fee is
posted in the same entry (and transaction) as the income it belongs to. The fee is rounded once,
half away from zero, to whole minor units (``core.money.split_percent``); fee and remainder always
add up to the income exactly.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.errors import ValidationError
from ..core.i18n import _
from ..core.money import Money, split_percent
from ..ledger.chart import Fund, FundKind
from ..ledger.services import Line, account_by_role, general_fund
from .models import FeePolicy, IncomeKind

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..ledger.chart import Account

ADMIN_FEE_EXPENSE_ROLE = "admin_fee_expense"
ADMIN_FEE_INCOME_ROLE = "admin_fee_income"


def policy_on(session: Session, fund_id: int, day: date) -> FeePolicy | None:
    """The policy in force for the fund on that day (the latest one that started by then)."""
    return session.scalar(_policy_statement(), {"fund_id": fund_id, "day": day})


@cache
def _policy_statement() -> Select:
    """``policy_on``'s query, built once (every booking of income asks)."""
    return (select(FeePolicy).where(FeePolicy.fund_id == bindparam("fund_id"),
                                    FeePolicy.effective_from <= bindparam("day"))
            .order_by(FeePolicy.effective_from.desc()).limit(1))


def _basis_points(rate_percent: Decimal, field: str) -> int:
    rate_bp = rate_percent * 100
    if rate_bp != rate_bp.to_integral_value() or not 0 <= rate_bp <= 10000:
        raise ValidationError(_("Give a rate between 0 and 100 %% with at most two decimals."),
                              field=field)
    return int(rate_bp)


def set_policy(session: Session, fund: Fund, *, rate_percent: Decimal, kinds: Iterable[IncomeKind | str], effective_from: date,
               actor: Actor, donation_rate_percent: Decimal | None = None) -> FeePolicy:
    """Add a policy starting on ``effective_from``; earlier income keeps the earlier rate.
    ``donation_rate_percent``, when given, is the rate donations pay instead of ``rate_percent``."""
    if fund.kind is FundKind.GENERAL:
        raise ValidationError(_("The general fund pays no admin fee to itself."))
    rate_bp = _basis_points(rate_percent, "rate")
    donation_bp = (None if donation_rate_percent is None
                   else _basis_points(donation_rate_percent, "donation_rate"))
    kinds = sorted({IncomeKind(k) for k in kinds})
    if session.scalar(select(FeePolicy).where(FeePolicy.fund_id == fund.id,
                                              FeePolicy.effective_from == effective_from)):
        raise ValidationError(_("Fund %(code)s already has a policy starting %(effective_from)s.", code=fund.code, effective_from=effective_from),
                              field="effective_from")
    policy = FeePolicy(fund_id=fund.id, effective_from=effective_from, rate_bp=rate_bp,
                       donation_rate_bp=donation_bp,
                       income_kinds=",".join(k.value for k in kinds),
                       created_by_id=getattr(actor, "id", None))
    session.add(policy)
    session.flush()
    audit.record(session, actor, "fee_policy.created", "fund", fund.id,
                 summary=f"{fund.code}: {rate_percent} % from {effective_from}",
                 after={"rate_percent": rate_percent, "kinds": [k.value for k in kinds],
                        "donation_rate_percent": donation_rate_percent,
                        "effective_from": effective_from})
    return policy


def fee_for(session: Session, fund: Fund, kind: IncomeKind, amount: Money, day: date) -> Money:
    """The admin fee due on this income (zero where no policy applies)."""
    return _fee_and_rate(session, fund, kind, amount, day)[0]


def _fee_and_rate(session: Session, fund: Fund, kind: IncomeKind, amount: Money,
                  day: date) -> tuple[Money, Decimal]:
    """The admin fee due on this income and the rate (percent) it was taken at; one query."""
    if fund.kind is FundKind.GENERAL:
        return Money.zero(amount.currency), Decimal(0)
    policy = policy_on(session, fund.id, day)
    if policy is None or not policy.applies_to(kind):
        return Money.zero(amount.currency), Decimal(0)
    rate = Decimal(policy.rate_for(kind)) / 100
    fee, _rest = split_percent(amount.amount, rate)
    return Money(fee, amount.currency), rate


def income_lines(session: Session, *, fund: Fund, kind: IncomeKind, amount: Money, day: date,
                 debit_account: Account, income_account: Account, memo: str | None = None) -> list[Line]:
    """Lines booking ``amount`` of income into ``fund`` (debit ``debit_account``, e.g. bank or
    receivables), plus the fund's admin fee moving to the general fund, if one applies.

    ``amount`` is positive for income and negative to take income back (a refund, a cancelled
    invoice): the fee then comes back with it, computed with the same rule.
    """
    lines = [Line(debit_account, fund, amount, memo), Line(income_account, fund, -amount, memo)]
    return lines + admin_fee_lines(session, fund=fund, kind=kind, amount=amount, day=day)


def admin_fee_lines(session: Session, *, fund: Fund, kind: IncomeKind, amount: Money,
                    day: date) -> list[Line]:
    """The lines moving the fund's admin fee on ``amount`` of income to the general fund (none
    where no policy applies): for a package whose income side is not one debit line (Stripe
    money in another currency, a fee kept by Stripe)."""
    fee, rate = _fee_and_rate(session, fund, kind, amount, day)
    return _lines(session, fund, fee, rate)


def admin_fee_change_lines(session: Session, *, fund: Fund, kind: IncomeKind, before: Money,
                           after: Money, day: date) -> list[Line]:
    """The lines moving the change of the admin fee when the income ``before`` becomes
    ``after`` (a partial refund): the fee on ``after`` less the fee on ``before``, each rounded
    by the one rule, so that refunds in several steps give back exactly the fee taken."""
    fee_before, rate = _fee_and_rate(session, fund, kind, before, day)
    fee_after, _rate = _fee_and_rate(session, fund, kind, after, day)
    return _lines(session, fund, fee_after - fee_before, rate)


def _lines(session: Session, fund: Fund, fee: Money, rate: Decimal) -> list[Line]:
    if not fee:
        return []
    return [
        Line(account_by_role(session, ADMIN_FEE_EXPENSE_ROLE), fund, fee,
             f"Admin fee {rate.normalize():f} %"),
        Line(account_by_role(session, ADMIN_FEE_INCOME_ROLE), general_fund(session), -fee,
             f"Admin fee from {fund.code}"),
    ]
