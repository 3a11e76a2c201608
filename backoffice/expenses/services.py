"""Expense claims: submission with receipts, four-eyes approval, rejection, payment.

State machine: submitted → approved → paid, or submitted → rejected. Approval posts
Dr expense (each line's category) / Cr payables in the claim's fund; rejection posts nothing;
payment happens through a payout batch (``payouts``), for which claims are a payable source.
Every state change is in the audit log and emailed to the claimant.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from schwifty import IBAN
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, lazyload
from sqlalchemy.orm.exc import StaleDataError

from ..auth.models import User
from ..core import audit, clock
from ..core.actors import Actor
from ..core.bounds import as_id
from ..core.db import in_batches, utcnow
from ..core.errors import (
    AlreadyDone,
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from ..core.i18n import _, _l
from ..core.iban import normalise_iban
from ..core.money import Money
from ..core.permissions import Permission
from ..core.settings import Settings
from ..core.tables import DATE, MONEY, Column, Table
from ..core.uploads import StoredFile, check_upload, store_upload
from ..core.urls import absolute_url
from ..funds.fees import ADMIN_FEE_EXPENSE_ROLE
from ..funds.services import check_spending
from ..groups.models import GroupStatus, MemberGroup
from ..ledger.chart import Account, AccountType, Fund, FundKind
from ..ledger.services import Line, account_by_role, general_fund, post_entry
from ..payouts import returns
from ..payouts import services as payouts
from . import notify
from .models import CLAIM_STATES, ClaimApproval, ClaimLine, ClaimReceipt, ClaimStatus, ExpenseClaim

PAYABLES_ROLE = "payables"
RECEIPT_KINDS = {"pdf", "jpeg", "png"}
#: Expense accounts that are booked by their own processes, never claimed.
NOT_CLAIMABLE_ROLES = {ADMIN_FEE_EXPENSE_ROLE, "grants_expense", "payment_fees"}
MAX_LINES = 50
MAX_RECEIPTS = 20


@dataclass(frozen=True)
class LineInput:
    spent_on: date
    description: str
    account_id: int
    amount: Money


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


# --- who may claim what, and see which claims ------------------------------------------------

def categories(session: Session) -> list[Account]:
    """The expense accounts a claim line may be booked to."""
    return list(session.scalars(
        select(Account).where(Account.type == AccountType.EXPENSE, Account.active.is_(True),
                              or_(Account.role.is_(None), Account.role.not_in(NOT_CLAIMABLE_ROLES)))
        .order_by(Account.code)))


def claimable_funds(session: Session, user: User) -> list[Fund]:
    """The general fund for everybody; the funds of the active or dormant groups one organises;
    every active fund for those who approve claims."""
    general = general_fund(session)
    if user.can(Permission.EXPENSES_APPROVE):
        others = session.scalars(select(Fund).where(Fund.active.is_(True),
                                                    Fund.kind == FundKind.RESTRICTED)
                                 .order_by(Fund.code)).all()
    else:
        others = session.scalars(
            select(Fund).join(MemberGroup, MemberGroup.fund_id == Fund.id)
            .where(MemberGroup.id.in_(user.organised_group_ids or {-1}), Fund.active.is_(True),
                   MemberGroup.status.in_([GroupStatus.ACTIVE, GroupStatus.DORMANT]))
            .order_by(Fund.code)).all()
    return [general, *others]


def visible(user: User):
    """Conditions limiting claims to those the user may see: every claim for those who see all,
    else their own and those of the groups they organise."""
    if user.can(Permission.EXPENSES_VIEW_ALL):
        return []
    return [or_(ExpenseClaim.claimant_id == user.id,
                ExpenseClaim.group_id.in_(user.organised_group_ids or {-1}))]


def get_claim(session: Session, user: User, claim_id: int) -> ExpenseClaim:
    """The claim, or ``NotFound`` when it does not exist or the user may not see it."""
    claim = session.scalar(select(ExpenseClaim).where(ExpenseClaim.id == claim_id, *visible(user)))
    if claim is None:
        raise NotFound(_("No such expense claim."))
    return claim


def claims_page(session: Session, user: User, *, status: str | None = None,
                group_id: int | None = None, fund_id: int | None = None, page: int = 1,
                per_page: int = 50):
    """(claims newest first, total count) of the claims the user may see."""
    conditions = visible(user)
    if status:
        conditions.append(ExpenseClaim.status == ClaimStatus(status))
    if group_id:
        conditions.append(ExpenseClaim.group_id == group_id)
    if fund_id:
        conditions.append(ExpenseClaim.fund_id == fund_id)
    total = session.scalar(select(func.count()).select_from(ExpenseClaim).where(*conditions))
    claims = session.scalars(
        select(ExpenseClaim).where(*conditions)
        .options(joinedload(ExpenseClaim.fund), joinedload(ExpenseClaim.claimant))
        .order_by(ExpenseClaim.submitted_at.desc(), ExpenseClaim.id.desc())
        .offset((max(page, 1) - 1) * per_page).limit(per_page)).unique().all()
    return claims, total


def receipt_of(claim: ExpenseClaim, receipt_id: int) -> StoredFile:
    for receipt in claim.receipts:
        if receipt.id == receipt_id:
            return receipt.file
    raise NotFound(_("No such receipt."))


# --- checking what people typed --------------------------------------------------------------

def approvals_needed(claim: ExpenseClaim, settings: Settings) -> int:
    """Two different approvers above ``EXPENSE_SECOND_APPROVAL_ABOVE`` (major units), else one."""
    threshold = Money.from_decimal(settings.expenses.second_approval_above, claim.currency)
    return 2 if claim.total > threshold.amount else 1


def _title(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Give the purpose of the claim."), field="title")
    if len(value) > 200:
        raise ValidationError(_("The purpose of the claim is longer than %(limit)s characters.",
                                limit=200), field="title")
    return value


def _payee_name(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Give the name of the account holder."), field="payee_name")
    if len(value) > 70:
        raise ValidationError(_("The name of the account holder is longer than %(limit)s "
                                "characters.", limit=70), field="payee_name")
    return value


def _check_lines(session: Session, lines: list[LineInput], currency: str,
                 today: date) -> list[ClaimLine]:
    if not lines:
        raise ValidationError(_("Add at least one line with what was spent."), field="lines")
    if len(lines) > MAX_LINES:
        raise ValidationError(_("A claim has at most %(MAX_LINES)s lines.", MAX_LINES=MAX_LINES), field="lines")
    allowed = {a.id: a for a in categories(session)}
    checked = []
    for number, line in enumerate(lines, 1):
        if line.account_id not in allowed:
            raise ValidationError(_("Line %(number)s: choose a category.", number=number),
                                  field="lines")
        if not isinstance(line.spent_on, date) or line.spent_on > today:
            raise ValidationError(_("Line %(number)s: give the date of the expense (not in the "
                                    "future).", number=number), field="lines")
        if line.amount.currency != currency or line.amount.amount <= 0:
            raise ValidationError(_("Line %(number)s: give a positive amount in %(currency)s.",
                                    number=number, currency=currency), field="lines")
        line.amount.check_size()
        description = (line.description or "").strip()
        if not description or len(description) > 200:
            raise ValidationError(_("Line %(number)s: describe the expense in up to 200 "
                                    "characters.", number=number), field="lines")
        checked.append(ClaimLine(line_no=number, spent_on=line.spent_on, description=description,
                                 account_id=line.account_id, amount=line.amount.amount))
    return checked


# --- the claim's life --------------------------------------------------------------------------

def known_payees(session: Session, claimant: User, limit: int = 20) -> dict[str, tuple[str, str]]:
    """{payee name: (IBAN, BIC)} the claimant's earlier claims paid to, the newest account per
    name first: the claim form offers them so nobody types their IBAN again."""
    found: dict[str, tuple[str, str]] = {}
    for name, iban, bic in session.execute(
            select(ExpenseClaim.payee_name, ExpenseClaim.iban, ExpenseClaim.bic)
            .where(ExpenseClaim.claimant_id == claimant.id)
            .order_by(ExpenseClaim.id.desc()).limit(200)):
        if name not in found and len(found) < limit:
            found[name] = (iban, bic or "")
    return found


def submit_claim(session: Session, *, claimant: User, fund: Fund, title: str, payee_name: str,
                 iban: str, bic: str = "", currency: str, lines: list[LineInput],
                 receipts: list[Upload], settings: Settings,
                 today: date | None = None) -> ExpenseClaim:
    """Check everything (receipts first, so that a bad file stores nothing), then store."""
    today = today or clock.today()
    if fund is None or fund.id not in {f.id for f in claimable_funds(session, claimant)}:
        raise ValidationError(_("You cannot claim expenses from that fund."), field="fund")
    title = _title(title)
    payee_name = _payee_name(payee_name)
    iban, bic = normalise_iban(iban, bic)
    checked_lines = _check_lines(session, lines, currency, today)
    if not receipts:
        raise ValidationError(_("Attach a receipt for the expenses (PDF, JPEG or PNG)."),
                              field="receipts")
    if len(receipts) > MAX_RECEIPTS:
        raise ValidationError(_("Attach at most %(MAX_RECEIPTS)s receipts.", MAX_RECEIPTS=MAX_RECEIPTS), field="receipts")
    limit = settings.expenses.receipt_max_bytes
    for upload in receipts:
        try:
            check_upload(filename=upload.filename, data=upload.data, allowed=RECEIPT_KINDS,
                         max_bytes=limit)
        except ValidationError as error:
            raise ValidationError(_("Receipt refused: %(error)s Nothing was saved; attach the receipts again.", error=error), field="receipts") from None
    group_id = session.scalar(select(MemberGroup.id).where(MemberGroup.fund_id == fund.id))
    claim = ExpenseClaim(fund=fund, group_id=group_id, claimant=claimant, title=title,
                         payee_name=payee_name, iban=iban, bic=bic, currency=currency,
                         total=sum(line.amount for line in checked_lines), lines=checked_lines,
                         status=ClaimStatus.SUBMITTED)
    claim.amount.check_size()
    for upload in receipts:
        stored = store_upload(session, folder=settings.paths.uploads,
                              filename=upload.filename, data=upload.data,
                              allowed=RECEIPT_KINDS, max_bytes=limit, actor=claimant)
        claim.receipts.append(ClaimReceipt(file_id=stored.id))
    session.add(claim)
    session.flush()
    audit.record(session, claimant, "expense_claim.submitted", "expense_claim", claim.id,
                 summary=f"{claim.ref} {claim.title}: {claim.amount.format()} from {fund.code}",
                 after={"status": ClaimStatus.SUBMITTED, "total": claim.total,
                        "currency": currency, "fund": fund.code, "payee": payee_name})
    needed = approvals_needed(claim, settings)
    notify.received(session, claim, needed=needed, settings=settings)
    return claim


def _lock_for_decision(session: Session, claim: ExpenseClaim, actor: Actor, action: str) -> None:
    """Re-read the claim under a row lock; refuse what no decision may do. A claim decided
    already the same way (a double click, two treasurers) is ``AlreadyDone`` (``CLAIM_STATES``)."""
    session.refresh(claim, with_for_update=True)
    if not actor.can(Permission.EXPENSES_APPROVE):
        raise PermissionDenied(_("Only a treasurer decides expense claims."))
    CLAIM_STATES.check(claim, action)
    if claim.claimant_id == actor.id:
        raise PermissionDenied(_("You submitted this claim, so somebody else has to decide it."))


def _flush(session: Session, claim: ExpenseClaim) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(_("Claim %(ref)s was decided by somebody else a moment ago.", ref=claim.ref)) from None


def approve_claim(session: Session, claim: ExpenseClaim, *, actor: Actor, settings: Settings,
                  comment: str = "", override_reason: str | None = None,
                  today: date | None = None) -> ExpenseClaim:
    """Add the actor's approval; the last approval needed posts the expense to the fund."""
    _lock_for_decision(session, claim, actor, "approve")
    if any(a.approver_id == actor.id for a in claim.approvals):
        raise AlreadyDone(_("You have already approved %(ref)s; a second treasurer has to approve it too.", ref=claim.ref))
    comment = (comment or "").strip()[:2000]
    needed = approvals_needed(claim, settings)
    final = len(claim.approvals) + 1 >= needed
    reason = None
    if final:
        reason = check_spending(session, claim.fund, claim.amount, actor=actor,
                                what=_l("expense claim %(ref)s", ref=claim.ref), override_reason=override_reason)
    claim.approvals.append(ClaimApproval(approver_id=actor.id, comment=comment))
    if not final:
        _flush(session, claim)
        audit.record(session, actor, "expense_claim.first_approval", "expense_claim", claim.id,
                     summary=f"{claim.ref} approved by {actor.email}; a second approval is needed",
                     after={"approvals": len(claim.approvals), "needed": needed,
                            "comment": comment})
        return claim
    today = today or clock.today()
    payables = account_by_role(session, PAYABLES_ROLE)
    lines = [Line(line.account, claim.fund, Money(line.amount, claim.currency),
                  line.description[:200]) for line in claim.lines]
    lines.append(Line(payables, claim.fund, -claim.amount, f"{claim.ref} {claim.payee_name}"))
    entry = post_entry(session, booking_date=today, lines=lines, actor=actor,
                       description=f"Expense claim {claim.ref}: {claim.title}"[:500],
                       source=("expense_claim", claim.id))
    CLAIM_STATES.apply(claim, "approve")
    claim.decided_at, claim.decided_by_id = entry.posted_at, actor.id
    claim.decision_comment, claim.approval_entry_id, claim.overspend_reason = comment, entry.id, reason
    _flush(session, claim)
    audit.record(session, actor, "expense_claim.approved", "expense_claim", claim.id,
                 summary=f"{claim.ref} approved ({entry.ref})",
                 before={"status": ClaimStatus.SUBMITTED},
                 after={"status": ClaimStatus.APPROVED, "entry": entry.id, "comment": comment,
                        "approvers": [a.approver_id for a in claim.approvals],
                        "overspend_reason": reason})
    notify.approved(session, claim, comment=comment, settings=settings)
    return claim


def reject_claim(session: Session, claim: ExpenseClaim, *, actor: Actor, comment: str,
                 settings: Settings) -> ExpenseClaim:
    """Reject with a reason the claimant reads; nothing is posted."""
    _lock_for_decision(session, claim, actor, "reject")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(_("Tell the claimant why the claim is rejected."), field="comment")
    CLAIM_STATES.apply(claim, "reject")
    claim.decided_by_id, claim.decision_comment = actor.id, comment[:2000]
    claim.decided_at = utcnow()
    _flush(session, claim)
    audit.record(session, actor, "expense_claim.rejected", "expense_claim", claim.id,
                 summary=f"{claim.ref} rejected: {comment}"[:500],
                 before={"status": ClaimStatus.SUBMITTED},
                 after={"status": ClaimStatus.REJECTED, "comment": comment})
    notify.rejected(session, claim, comment=comment, settings=settings)
    return claim


def waive_claim(session: Session, claim: ExpenseClaim, *, actor: Actor) -> ExpenseClaim:
    """The claimant gives up the reimbursement of an approved, unpaid claim (its money stays
    with the fund): the claim is settled without a payout and leaves the payable list. The
    claimant or a treasurer may do it; the caller posts what settles the payable (a donation:
    ``donations.waivers``) in the same unit of work."""
    session.refresh(claim, with_for_update=True)
    if actor is None or (claim.claimant_id != actor.id
                         and not actor.can(Permission.EXPENSES_APPROVE)):
        raise PermissionDenied(_("Only the claimant or a treasurer can waive a claim."))
    CLAIM_STATES.check(claim, "waive")
    if payouts.active_item_for(session, ClaimPayables.kind, claim.id) is not None:
        raise InvalidTransition(_("Claim %(ref)s is in a payout batch; cancel the batch first.",
                                  ref=claim.ref))
    CLAIM_STATES.apply(claim, "waive")
    _flush(session, claim)
    audit.record(session, actor, "expense_claim.waived", "expense_claim", claim.id,
                 summary=f"{claim.ref} waived by its claimant: settled without a payout",
                 before={"status": ClaimStatus.APPROVED}, after={"status": ClaimStatus.WAIVED})
    return claim


# --- claims as a payable source for payout batches -------------------------------------------

class ClaimPayables:
    """Approved claims, paid through payout batches (see ``payouts``)."""

    kind = "expense_claim"
    label = _l("Expense claims")

    def _payable(self, claim: ExpenseClaim, payables: Account) -> payouts.Payable:
        return payouts.Payable(
            kind=self.kind, source_id=str(claim.id), reference=claim.ref,
            payee_name=claim.payee_name, iban=claim.iban, bic=claim.bic, amount=claim.amount,
            fund=claim.fund, liability_account=payables,
            remittance=f"Expense claim {claim.ref}: {claim.title}"[:140],
            description=f"{claim.title} ({claim.fund.code})",
            due_since=clock.day_of(claim.decided_at) if claim.decided_at else None)

    def _approved(self, session: Session, *conditions, lock: bool = False) -> list[ExpenseClaim]:
        statement = (select(ExpenseClaim)
                     .where(ExpenseClaim.status == ClaimStatus.APPROVED, *conditions)
                     .options(joinedload(ExpenseClaim.fund), lazyload(ExpenseClaim.lines),
                              lazyload(ExpenseClaim.receipts), lazyload(ExpenseClaim.approvals))
                     .order_by(ExpenseClaim.decided_at, ExpenseClaim.id))
        if lock:
            statement = statement.with_for_update(of=ExpenseClaim)
        return list(session.scalars(statement).unique())

    def open_payables(self, session: Session) -> list[payouts.Payable]:
        payables = account_by_role(session, PAYABLES_ROLE)
        return [self._payable(claim, payables) for claim in self._approved(session)]

    def payables(self, session: Session, ids: list[str]) -> list[payouts.Payable]:
        payables = account_by_role(session, PAYABLES_ROLE)
        wanted = [n for n in map(as_id, ids) if n is not None]
        claims = []
        for batch in in_batches(wanted):
            claims += self._approved(session, ExpenseClaim.id.in_(batch), lock=True)
        return [self._payable(claim, payables) for claim in claims]

    @staticmethod
    def _claim(session: Session, item, action: str) -> ExpenseClaim:
        """The claim a payout item pays, moved along ``action`` (``CLAIM_STATES``)."""
        claim = session.get(ExpenseClaim, int(item.source_id))
        CLAIM_STATES.apply(claim, action)
        return claim

    def executed(self, session: Session, item, batch, actor: Actor, *,
                 settings: Settings) -> None:
        claim = self._claim(session, item, "paid")
        claim.paid_on = batch.executed_on
        audit.record(session, actor, "expense_claim.paid", "expense_claim", claim.id,
                     summary=f"{claim.ref} paid by {batch.message_id}",
                     before={"status": ClaimStatus.APPROVED},
                     after={"status": ClaimStatus.PAID, "paid_on": batch.executed_on,
                            "end_to_end_id": item.end_to_end_id})
        notify.paid(session, claim, paid_on=batch.executed_on, reference=item.end_to_end_id,
                    settings=settings)

    def released(self, session: Session, item, batch, actor: Actor) -> None:
        """The claim stays approved and can go into the next batch."""

    def returned(self, session: Session, item, batch, returned, actor: Actor, *,
                 settings: Settings) -> None:
        """The bank sent the payment back: the claim is approved (payable) again, and the
        claimant is asked to check the account and correct the IBAN on the claim's page."""
        claim = self._claim(session, item, "payment_returned")
        claim.paid_on = None
        _flush(session, claim)
        reason = returns.describe(returned.reason_code)
        audit.record(session, actor, "expense_claim.payment_returned", "expense_claim", claim.id,
                     summary=f"{claim.ref}: {item.end_to_end_id} returned by the bank ({reason})",
                     before={"status": ClaimStatus.PAID},
                     after={"status": ClaimStatus.APPROVED, "reason": returned.reason_code,
                            "return": returned.id})
        notify.payment_returned(
            session, claim, returned_on=returned.returned_on, reason=reason,
            link=absolute_url(settings, "expenses.claim", claim_id=claim.id), settings=settings)

    def return_undone(self, session: Session, item, batch, returned, actor: Actor, *,
                      settings: Settings) -> None:
        claim = self._claim(session, item, "return_undone")
        claim.paid_on = batch.executed_on
        _flush(session, claim)
        audit.record(session, actor, "expense_claim.return_undone", "expense_claim", claim.id,
                     summary=f"{claim.ref}: the return of {item.end_to_end_id} was undone; paid",
                     before={"status": ClaimStatus.APPROVED}, after={"status": ClaimStatus.PAID})


def may_correct_iban(claim: ExpenseClaim, user: User) -> bool:
    """The claimant, an organiser of the claim's group or a treasurer may correct the account
    of an approved claim that is not in a payout batch (after a return, or before payment)."""
    return CLAIM_STATES.can(claim, "correct_iban") and (
        claim.claimant_id == user.id or user.can(Permission.EXPENSES_APPROVE)
        or (claim.group_id is not None and claim.group_id in (user.organised_group_ids or ())))


def correct_iban(session: Session, claim: ExpenseClaim, *, iban: str, bic: str = "",
                 payee_name: str | None = None, actor: User) -> ExpenseClaim:
    """Change where an approved claim is paid (the payee's bank sent a payment back, or the
    claimant noticed a typo). Refused once the claim is in a payout batch."""
    session.refresh(claim, with_for_update=True)
    if not may_correct_iban(claim, actor):
        CLAIM_STATES.check(claim, "correct_iban")
        raise PermissionDenied(_("Only the claimant, an organiser of the group or a treasurer "
                               "can correct the account."))
    batch = payouts.active_item_for(session, ClaimPayables.kind, claim.id)
    if batch is not None:
        raise InvalidTransition(_("Claim %(ref)s is in payout batch %(message_id)s; the account "
                                  "can be corrected if that batch is cancelled.", ref=claim.ref,
                                  message_id=batch.batch.message_id))
    iban, bic = normalise_iban(iban, bic)
    payee = claim.payee_name if payee_name is None else _payee_name(payee_name)
    before = {"iban": claim.iban, "bic": claim.bic, "payee_name": claim.payee_name}
    after = {"iban": iban, "bic": bic, "payee_name": payee}
    if before == after:
        raise ValidationError(_("That is the account the claim already has."), field="iban")
    claim.iban, claim.bic, claim.payee_name = iban, bic, payee
    _flush(session, claim)
    audit.record(session, actor, "expense_claim.iban_corrected", "expense_claim", claim.id,
                 summary=f"{claim.ref}: account corrected to {IBAN(iban).formatted}",
                 before=before, after=after)
    return claim


CLAIM_PAYABLES = ClaimPayables()


def payable_source(sender: object, **kwargs: Any) -> ClaimPayables:
    """Claims as a payable source of the payout batches (``core.signals.payable_sources``)."""
    return CLAIM_PAYABLES


def claims_table(session: Session, user: User, *, status: str | None = None,
                 group_id: int | None = None) -> Table:
    """The claims page's rows (those the user may see, with its filters, every page) as a table
    to download."""
    claims, total = claims_page(session, user, status=status, group_id=group_id,
                                per_page=10**9)
    return Table("claims", (
        Column("Claim", width=10), Column("Submitted", DATE), Column("Purpose"),
        Column("Fund", width=10), Column("By"), Column("Status", width=12),
        Column("Amount", MONEY), Column("Paid on", DATE)),
        ((claim.ref, clock.day_of(claim.submitted_at), claim.title, claim.fund.code,
          claim.claimant.display_name, claim.status.label, Money(claim.total, claim.currency),
          claim.paid_on) for claim in claims))
