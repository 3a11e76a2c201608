"""Deciding on an application: approval (with its guards) and its commitment in the programme's
fund, rejection, reducing or cancelling an award."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core import audit, clock
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import ValidationError
from ..core.i18n import _, ngettext
from ..core.money import Money
from ..core.settings import Settings
from ..ledger import reads
from ..ledger import services as ledger
from ..ledger import spending as ledger_spending
from ..ledger.balances import fund_balance
from . import conflicts, resolutions
from .lifecycle import (
    GRANTS_EXPENSE_ROLE,
    GRANTS_PAYABLE_ROLE,
    S,
    check,
    locked,
    record_event,
    required_text,
    transition,
)
from .models import Application, Budget, DisbursementStatus, Programme
from .notify import applicant_mail
from .paying import check_not_in_batch, waiting_amount
from .reviewing import Tally, tally


def has_overdue_report(session: Session, *, group_id: int | None, email: str | None,
                       exclude_id: int | None = None) -> Application | None:
    """An earlier grant of the same group (or, without a group, the same contact) whose report
    back is overdue."""
    condition = (Application.group_id == group_id) if group_id is not None else \
        (Application.contact_email == email)
    statement = select(Application).where(condition, Application.status == S.REPORT_OVERDUE)
    if exclude_id is not None:
        statement = statement.where(Application.id != exclude_id)
    return session.scalar(statement.limit(1))


def awarded_in_year(session: Session, programme_id: int, year: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(Application.amount_awarded), 0))
                              .where(Application.programme_id == programme_id,
                                     Application.budget_year == year)) or 0)


def available_in_fund(session: Session, programme: Programme) -> int:
    return fund_balance(session, programme.fund_id, date.max).get(programme.currency, 0)


def _commit(session: Session, application: Application, money: Money, actor: Actor, day: date,
            what: str) -> ledger.JournalEntry:
    fund = application.programme.fund
    return ledger.post_entry(
        session, booking_date=day, actor=actor, source=("grant", application.id),
        description=f"Grant {application.reference} to {application.applicant_name}: {what}",
        lines=[ledger.Line(ledger.account_by_role(session, GRANTS_EXPENSE_ROLE), fund, money,
                           application.title[:200] or None),
               ledger.Line(ledger.account_by_role(session, GRANTS_PAYABLE_ROLE), fund, -money,
                           application.applicant_name[:200] or None)])


@dataclass(frozen=True)
class ApprovalFacts:
    """What approving an award of ``amount`` depends on, read under the locks (``approve``)."""

    amount: Money
    currency: str                     # the application's
    requested: int | None             # what was asked for
    programme: str                    # the programme's name
    max_per_grant: int
    votes: Tally
    board: ValidationError | None     # why the board resolution does not suffice, if it does not
    overdue: str | None               # an earlier grant whose report back is overdue
    year: int
    budget: int | None                # the programme's budget for ``year``
    awarded: int                      # awarded from that budget already
    fund: str                         # the programme fund's code
    available: Money                  # what the fund has available


def _no_quorum(votes: Tally) -> str:
    return _("The committee has not reached its quorum: %(cast)s of %(quorum)s votes cast.",
             cast=votes.cast, quorum=votes.quorum)


def approval_refusal(facts: ApprovalFacts) -> ValidationError | None:
    """The first reason an award may not be made, in the order a committee reads them: the
    amount, the vote, the board, earlier grants, the budget, the fund. ``None``: it may."""
    f, amount, currency = facts, facts.amount, facts.currency
    if amount.currency != currency:
        return ValidationError(_("Give the amount in %(currency)s.", currency=currency), field="amount")
    if amount.amount <= 0:
        return ValidationError(_("The amount awarded must be positive; reject the application "
                                 "instead."), field="amount")
    if f.requested is not None and amount.amount > f.requested:
        return ValidationError(_("The award cannot be more than the %(amount)s asked for.",
                                 amount=Money(f.requested, currency)), field="amount")
    if amount.amount > f.max_per_grant:
        return ValidationError(_("A grant from “%(programme)s” is at most %(amount)s.",
                                 programme=f.programme,
                                 amount=Money(f.max_per_grant, currency)),
                               field="amount")
    votes = f.votes
    if not votes.quorate:
        return ValidationError(_no_quorum(votes))
    if not votes.carried:
        return ValidationError(ngettext(
            "The committee did not vote for it (%(yes)s yes, %(no)s no, %(num)s abstention).",
            "The committee did not vote for it (%(yes)s yes, %(no)s no, %(num)s abstentions).",
            votes.abstain, yes=votes.yes, no=votes.no))
    if f.board is not None:
        return f.board
    if f.overdue is not None:
        return ValidationError(_("The report back for grant %(reference)s is overdue: no new "
                                 "grant until it is in.", reference=f.overdue))
    if f.budget is None:
        return ValidationError(_("The programme “%(programme)s” has no budget for %(year)s.",
                                 programme=f.programme, year=f.year), field="amount")
    if f.awarded + amount.amount > f.budget:
        left = Money(f.budget - f.awarded, currency)
        return ValidationError(_("This would exceed the %(year)s budget of the programme "
                                 "“%(programme)s”: %(left)s is left.", year=f.year,
                                 programme=f.programme, left=left), field="amount")
    if amount > f.available:
        return ValidationError(_("Fund %(fund)s has only %(amount)s available.", fund=f.fund,
                                 amount=f.available), field="amount")
    return None


def approve(session: Session, application: Application, *, amount: Money, actor: Actor,
            conditions: str = "", note: str = "",
            today: date | None = None, settings: Settings) -> Application:
    """Award ``amount`` (at most what was asked) and commit it in the programme's fund, unless
    ``approval_refusal`` names a reason not to."""
    today = today or clock.today()
    application = locked(session, application)
    check(application, "approve")
    conflicts.refuse(application, actor, "approve")
    programme = session.scalars(select(Programme).where(Programme.id == application.programme_id)
                                .with_for_update(of=Programme)).one()  # one approval at a time
    currency = application.currency
    try:
        resolution = resolutions.require(session, application, amount=amount, actor=actor)
        board_refusal = None
    except ValidationError as refusal:
        resolution, board_refusal = None, refusal
    overdue = has_overdue_report(session, group_id=application.group_id,
                                 email=application.contact_email, exclude_id=application.id)
    budget = session.scalar(select(Budget.amount).where(Budget.programme_id == programme.id,
                                                        Budget.year == today.year))
    # The fund's lock: no other award, claim or payout spends from it until this one commits.
    available = ledger_spending.locked_available(session, programme.fund, currency)
    refusal = approval_refusal(ApprovalFacts(
        amount=amount, currency=currency, requested=application.amount_requested,
        programme=programme.name, max_per_grant=programme.max_per_grant,
        votes=tally(application), board=board_refusal,
        overdue=overdue.reference if overdue is not None else None, year=today.year,
        budget=budget, awarded=awarded_in_year(session, programme.id, today.year),
        fund=programme.fund.code, available=available))
    if refusal is not None:
        raise refusal
    entry = _commit(session, application, amount, actor, today, "commitment")
    application.amount_awarded = amount.amount
    application.budget_year = today.year
    application.commitment_entry_id = entry.id
    application.board_resolution_id = resolution.id if resolution else None
    application.board_resolution_ref = resolution.number if resolution else None
    application.conditions = (conditions or "").strip() or programme.conditions
    end = application.event_end or application.event_start or today
    application.report_due_on = max(end, today) + timedelta(days=programme.report_days)
    application.decided_at = utcnow()
    transition(session, application, "approve", actor, reason=(note or "").strip(),
               settings=settings)
    return application


def reject(session: Session, application: Application, *, reason: str, actor: Actor,
           settings: Settings) -> Application:
    application = locked(session, application)
    check(application, "reject")
    conflicts.refuse(application, actor, "reject")
    reason = required_text(reason, "reason", _("Please give the applicant a reason."), 5000)
    votes = tally(application)
    if not votes.quorate:
        raise ValidationError(_no_quorum(votes))
    if votes.carried:
        raise ValidationError(_("The committee voted for the grant (%(yes)s yes, %(no)s no): "
                                "approve it, or vote again.", yes=votes.yes, no=votes.no))
    application.decided_at = utcnow()
    transition(session, application, "reject", actor, reason=reason, settings=settings)
    return application


def _recommit(session: Session, application: Application, remaining: Money, reason: str,
              actor: Actor, today: date) -> None:
    """Release the commitment (a reversal) and commit what remains, if anything."""
    old = reads.entry(session, application.commitment_entry_id)
    ledger.reverse_entry(session, old, actor=actor, reason=reason[:200])
    application.commitment_entry_id = None
    if remaining.amount > 0:
        application.commitment_entry_id = _commit(session, application, remaining, actor, today,
                                                   "commitment after change").id
    application.amount_awarded = remaining.amount


def reduce_grant(session: Session, application: Application, *, amount: Money, reason: str,
                 actor: Actor, today: date | None = None, settings: Settings) -> Application:
    """Lower the award; the difference is released from the commitment."""
    today = today or clock.today()
    application = locked(session, application)
    check(application, "reduce")
    conflicts.refuse(application, actor, "reduce")
    reason = required_text(reason, "reason", _("Please say why the grant is reduced."), 2000)
    if amount.currency != application.currency:
        raise ValidationError(_("Give the amount in %(currency)s.", currency=application.currency),
                              field="amount")
    floor = application.amount_paid + waiting_amount(application)
    previous = application.amount_awarded
    if not floor <= amount.amount < previous:
        raise ValidationError(_(
            "Give an amount below %(previous)s and not below what is paid or waiting to be paid "
            "(%(floor)s).", previous=Money(previous, application.currency),
            floor=Money(floor, application.currency)), field="amount")
    if amount.amount == 0:
        raise ValidationError(_("To take the whole grant back, cancel it."), field="amount")
    _recommit(session, application, amount, f"grant {application.reference} reduced",
              actor, today)
    record_event(session, application, "reduced", actor, reason=reason)
    audit.record(session, actor, "grant.reduced", "grant_application", application.id,
                 summary=f"{application.reference}: {reason[:200]}",
                 before={"amount_awarded": previous}, after={"amount_awarded": amount.amount})
    applicant_mail(session, application, "reduced", reason=reason, previous=previous,
                   settings=settings)
    if application.amount_paid == application.amount_awarded:
        transition(session, application, "paid", actor, settings=settings)
    return application


def cancel_grant(session: Session, application: Application, *, reason: str, actor: Actor,
                 today: date | None = None, settings: Settings) -> Application:
    """Cancel an approved grant of which nothing was paid; its commitment is reversed."""
    today = today or clock.today()
    application = locked(session, application)
    check(application, "cancel")
    conflicts.refuse(application, actor, "cancel")
    reason = required_text(reason, "reason", _("Please say why the grant is cancelled."), 2000)
    if application.amount_paid:
        raise ValidationError(_("Part of this grant is paid already: reduce it to the amount "
                                "paid instead of cancelling it."))
    for disbursement in application.disbursements:
        if disbursement.status is DisbursementStatus.READY:
            check_not_in_batch(session, disbursement)
            disbursement.status = DisbursementStatus.CANCELLED
    _recommit(session, application, Money.zero(application.currency),
              f"grant {application.reference} cancelled", actor, today)
    transition(session, application, "cancel", actor, reason=reason, settings=settings)
    return application
