"""Payout batches: one SEPA credit-transfer file (pain.001) paying many payables at once.

The treasurer picks approved payables, creates a batch (its XML is generated once, validated
against the pain.001 schema shipped with ``sepaxml`` and kept unchanged), uploads the file to the
bank, and marks the batch executed when the bank has paid it: that posts Dr liability / Cr bank
in each payable's fund. A batch that the bank refused is cancelled and its payables become
payable again.

Plugging in a payable source (expense claims are the first; grants are the next)
-------------------------------------------------------------------------------
A *payable source* owns documents that, once approved, owe money to somebody with an IBAN. At
approval the source posts Dr expense / Cr a liability account (``payables`` for claims,
``grants_payable`` for grants) in the document's fund. Its package answers the signal
``core.signals.payable_sources`` with the source, connected in the package's ``__init__.py``
(``payouts`` below is this module)::

    class GrantPayables:
        kind = "grant"      # unique, lower-case letters and _; stored as PayoutItem.source_kind
        label = "Grants"    # heading on the treasurer's selection page

        def open_payables(self, session) -> list[payouts.Payable]:
            # Every approved, unpaid document. The batches themselves leave out those already in
            # a batch that is not cancelled (no need to look at PayoutItem here).
            ...

        def payables(self, session, ids: list[str]) -> list[payouts.Payable]:
            # Exactly these documents (ids as strings), checked again inside the batch's
            # transaction, ideally locked (``with_for_update()``). Raise a ValidationError
            # naming the document when one is not payable any more.
            ...

        def executed(self, session, item: PayoutItem, batch: PayoutBatch, actor, *, settings) -> None:
            # The bank paid ``item`` (on ``batch.executed_on``): mark the document paid, record
            # it in the audit log, email the payee (``settings``: the typed settings, for its
            # links). The ledger entry is already posted.
            ...

        def released(self, session, item: PayoutItem, batch: PayoutBatch, actor) -> None:
            # The batch was cancelled: the document is payable again. Usually nothing to do.
            ...

        def returned(self, session, item, batch, returned: PayoutReturn, actor, *, settings) -> None:
            # The bank sent the executed transfer back (``returns.record_return``; the books
            # already owe it again): the document is payable again; tell the payee why
            # (``returns.describe(returned.reason_code)``) and how to correct the account.
            ...

        def return_undone(self, session, item, batch, returned: PayoutReturn, actor, *,
                          settings) -> None:
            # That return was matched by mistake: the document is paid after all.
            ...

    GRANT_PAYABLES = GrantPayables()

    def payable_source(sender, **kwargs) -> GrantPayables:
        return GRANT_PAYABLES

    # grants/__init__.py: signals.payable_sources.connect(payouts.payable_source)

A ``Payable`` carries everything the batch needs: the payee's name, IBAN and BIC (validate them
when the document is created, see ``expenses.services.normalise_iban``), the amount (``Money``,
EUR: SEPA), the fund it is paid from, the liability account the approval credited (debited on
execution), the remittance text the payee's bank shows (at most 140 characters) and a short
``reference`` such as ``EC42`` that starts the transfer's end-to-end id.

For the bank reconciliation
---------------------------
A batch is identified on the bank side by its ``message_id`` (the file's MsgId; its one PmtInfId is
``message_id + "-1"``), it is debited as one batch booking of ``batch.total``, and each transfer
carries ``end_to_end_id`` = ``<reference>-PB<batch id>`` (unique). ``batch_by_message_id`` and
``item_by_end_to_end_id`` find them again; the execution entry has source ``("payout_batch", id)``.
A transfer the bank sends back comes as a credit naming that end-to-end id: see ``returns``.
"""
from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Protocol

from sqlalchemy import insert, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..core import audit, clock
from ..core.actors import Actor
from ..core.db import in_batches, utcnow
from ..core.errors import Conflict, NotFound, ValidationError
from ..core.i18n import _
from ..core.money import Money
from ..core.settings import Settings
from ..core.signals import Resolved, answers, payable_sources, resolution_required
from ..ledger.chart import Account, Fund
from ..ledger.services import Line, account_by_role, post_entry
from ..ledger.spending import lock_funds
from .models import BATCH_STATES, BatchStatus, PayoutBatch, PayoutItem
from .sepa import debtor, sepa_id, sepa_xml

SEPA_CURRENCY = "EUR"
BANK_ROLE = "bank"
MAX_ITEMS = 5000


@dataclass(frozen=True)
class Payable:
    """Something owed that a batch can pay (see the module docstring)."""

    kind: str
    source_id: str
    reference: str
    payee_name: str
    iban: str
    bic: str | None
    amount: Money
    fund: Fund
    liability_account: Account
    remittance: str
    description: str = ""
    due_since: date | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.source_id


class PayableSource(Protocol):
    kind: str
    label: str

    def open_payables(self, session: Session) -> list[Payable]: ...

    def payables(self, session: Session, ids: list[str]) -> list[Payable]: ...

    def executed(self, session: Session, item: PayoutItem, batch: PayoutBatch, actor: Actor, *,
                 settings: Settings) -> None: ...

    def released(self, session: Session, item: PayoutItem, batch: PayoutBatch, actor: Actor) -> None: ...

    def returned(self, session: Session, item: PayoutItem, batch: PayoutBatch, returned, actor: Actor, *,
                 settings: Settings) -> None: ...

    def return_undone(self, session: Session, item: PayoutItem, batch: PayoutBatch, returned,
                      actor: Actor, *, settings: Settings) -> None: ...

    # Optional: ``not_yet_payable(session) -> list[NotYetPayable]``, what waits for somebody
    # before it becomes payable (the payout pages say so).


@dataclass(frozen=True)
class NotYetPayable:
    """Something a source will pay once somebody acts on it (an approved grant nobody made
    payable yet): the sentence the payout pages show and the page where it is done."""

    sentence: str
    endpoint: str
    arguments: dict = field(default_factory=dict)


def not_yet_payable(session: Session) -> list[NotYetPayable]:
    """What the sources say is not payable yet (a source may answer ``not_yet_payable``)."""
    notes: list[NotYetPayable] = []
    for source in sources().values():
        answer = getattr(source, "not_yet_payable", None)
        if answer is not None:
            notes += answer(session)
    return notes


def sources() -> dict[str, PayableSource]:
    """{kind: source} of every payable source (``core.signals.payable_sources``)."""
    found = {}
    for each in answers(payable_sources):
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", each.kind):
            raise ValueError(f"payable source kind {each.kind!r}: use lower-case letters and _")
        found[each.kind] = each
    return found


def source(kind: str, known: dict[str, PayableSource] | None = None) -> PayableSource:
    try:
        return (sources() if known is None else known)[kind]
    except KeyError:
        raise ValidationError(f"Nothing of the kind {kind!r} can be paid here.") from None


# --- what can be paid ------------------------------------------------------------------------

def _in_active_batches(session: Session, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    keys = list(keys)
    found: set[tuple[str, str]] = set()
    for batch in in_batches(keys):
        found.update((kind, source_id) for kind, source_id in session.execute(
            select(PayoutItem.source_kind, PayoutItem.source_id).where(
                PayoutItem.active.is_(True),
                tuple_(PayoutItem.source_kind, PayoutItem.source_id).in_(batch))))
    return found


def open_payables(session: Session) -> dict[str, list[Payable]]:
    """{kind: payables not yet in a batch}, for every payable source."""
    result = {}
    for kind, src in sorted(sources().items()):
        payables = src.open_payables(session)
        batched = _in_active_batches(session, [p.key for p in payables])
        result[kind] = [p for p in payables if p.key not in batched]
    return result


def active_item_for(session: Session, kind: str, source_id) -> PayoutItem | None:
    """The item of a batch (ready or executed) that pays this document, if any."""
    return session.scalar(select(PayoutItem).where(
        PayoutItem.source_kind == kind, PayoutItem.source_id == str(source_id),
        PayoutItem.active.is_(True)).options(selectinload(PayoutItem.batch)))


def batch_by_message_id(session: Session, message_id: str) -> PayoutBatch | None:
    return session.scalar(select(PayoutBatch).where(PayoutBatch.message_id == message_id))


def item_by_end_to_end_id(session: Session, end_to_end_id: str) -> PayoutItem | None:
    return session.scalar(select(PayoutItem).where(PayoutItem.end_to_end_id == end_to_end_id))


# --- batches -----------------------------------------------------------------------------------

def create_batch(session: Session, *, selected: Iterable[tuple[str, str]], requested_on: date, actor: Actor,
                 settings: Settings, today: date | None = None) -> PayoutBatch:
    """A ready batch paying the selected payables ((kind, source id) pairs) on ``requested_on``."""
    today = today or clock.today()
    if requested_on < today:
        raise ValidationError(_("The execution date cannot be in the past."), field="requested_on")
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, source_id in dict.fromkeys((k, str(i)) for k, i in selected):
        by_kind[kind].append(source_id)
    count = sum(len(ids) for ids in by_kind.values())
    if not count:
        raise ValidationError(_("Choose at least one payment."))
    if count > MAX_ITEMS:
        raise ValidationError(f"A batch holds at most {MAX_ITEMS:,} payments.")
    payables: list[Payable] = []
    known = sources()
    for kind, ids in sorted(by_kind.items()):
        found = source(kind, known).payables(session, ids)
        if sorted(p.source_id for p in found) != sorted(ids):
            raise ValidationError(_("Some of the chosen payments are not payable any more; reload "
                                  "the page and choose again."))
        payables += found
    taken = _in_active_batches(session, [p.key for p in payables])
    if taken:
        raise Conflict(_("%(value)s of the chosen payments are already in another batch.", value=len(taken)))
    for payable in payables:
        if payable.amount.currency != SEPA_CURRENCY:
            raise ValidationError(_("%(reference)s is in %(currency)s; SEPA transfers are in %(SEPA_CURRENCY)s only.", reference=payable.reference, currency=payable.amount.currency, SEPA_CURRENCY=SEPA_CURRENCY))
        if payable.amount.amount <= 0:
            raise ValidationError(_("%(reference)s has nothing to pay.", reference=payable.reference))
    payer = debtor(settings)
    limit = settings.banking.payout_batch_limit
    batch = PayoutBatch(
        message_id=uuid.uuid4().hex[:35], status=BatchStatus.READY, currency=SEPA_CURRENCY,
        total=sum(p.amount.amount for p in payables), item_count=len(payables),
        requested_on=requested_on, debtor_name=payer.name, debtor_iban=payer.iban,
        debtor_bic=payer.bic, pain_version=settings.banking.sepa_pain_version, xml="",
        created_by_id=getattr(actor, "id", None),
        board_limit=None if limit is None else Money.from_decimal(limit, SEPA_CURRENCY).amount)
    session.add(batch)
    session.flush()
    batch.message_id = sepa_id(f"BO-{batch.ref}-{today:%Y%m%d}")
    rows = [
        dict(batch_id=batch.id, line_no=number, source_kind=p.kind, source_id=p.source_id,
             payee_name=p.payee_name[:70], iban=p.iban, bic=p.bic, amount=p.amount.amount,
             currency=p.amount.currency, fund_id=p.fund.id,
             liability_account_id=p.liability_account.id, remittance=p.remittance[:140],
             end_to_end_id=sepa_id(f"{p.reference}-{batch.ref}"), active=True)
        for number, p in enumerate(sorted(payables, key=lambda p: (p.kind, p.reference)), 1)]
    batch.xml = sepa_xml(batch, [SimpleNamespace(**row) for row in rows]).decode()
    session.flush()
    try:  # one statement for all items (a thousand ORM objects would take a second)
        session.execute(insert(PayoutItem), rows)
    except IntegrityError:  # the partial unique index: a payable is in one live batch only
        raise Conflict(_("Some of the chosen payments were put into another batch a moment ago; "
                       "reload the page and choose again.")) from None
    session.expire(batch, ["items"])
    audit.record(session, actor, "payout_batch.created", "payout_batch", batch.id,
                 summary=f"{batch.message_id}: {batch.item_count} transfers, "
                         f"{batch.amount.format()}",
                 after={"message_id": batch.message_id, "total": batch.total,
                        "currency": batch.currency, "requested_on": requested_on,
                        "items": [f"{p.kind}:{p.source_id}" for p in payables]})
    return batch


def get_batch(session: Session, batch_id: int) -> PayoutBatch:
    batch = session.get(PayoutBatch, batch_id, options=[
        selectinload(PayoutBatch.items).joinedload(PayoutItem.fund)])
    if batch is None:
        raise NotFound(_("No such payout batch."))
    return batch


def _locked_ready(session: Session, batch: PayoutBatch, action: str) -> PayoutBatch:
    """Re-read the batch under its row lock (SQLite: the unit of work's write lock) and make sure
    ``action`` may still be done (``BATCH_STATES``). Asked again for what was done already (a
    double click, two treasurers): ``AlreadyDone``, and nothing happens a second time."""
    batch = session.scalars(select(PayoutBatch).where(PayoutBatch.id == batch.id)
                            .with_for_update().execution_options(populate_existing=True)).one()
    BATCH_STATES.check(batch, action)
    return batch


def needs_resolution(batch: PayoutBatch) -> bool:
    """Whether the batch's total is above the board's limit in force when it was made."""
    return batch.board_limit is not None and batch.total > batch.board_limit


def board_resolution(session: Session, batch: PayoutBatch, actor: Actor | None) -> Resolved | None:
    """The passed board resolution a batch above the limit rests on (None at or below it);
    ``ValidationError`` until the board has passed one naming the batch and allowing its total
    (the board records answer ``core.signals.resolution_required``)."""
    if not needs_resolution(batch):
        return None
    limit = Money(batch.board_limit, batch.currency)
    try:
        found = answers(resolution_required, "payout_batch", session=session,
                        subject_id=batch.id, amount=batch.amount, actor=actor)
    except ValidationError as refusal:
        raise ValidationError(_("Batch %(message_id)s pays %(value)s, above the limit of %(limit)s. %(refusal)s", message_id=batch.message_id, value=batch.amount, limit=limit, refusal=refusal), field="board_resolution") from None
    if not found:
        raise ValidationError(_("Batches above %(limit)s need a board resolution, and no board records are installed.", limit=limit), field="board_resolution")
    return found[0]


def sepa_file(session: Session, batch: PayoutBatch, actor: Actor) -> str:
    """The batch's SEPA file for the bank: above the limit only once the board has decided."""
    board_resolution(session, batch, actor)
    return batch.xml


def _flush(session: Session, batch: PayoutBatch) -> None:
    message_id = batch.message_id
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(_("Batch %(message_id)s was changed by somebody else a moment ago.", message_id=message_id)) from None


def mark_executed(session: Session, batch: PayoutBatch, *, booked_on: date, actor: Actor,
                  settings: Settings) -> int:
    """The bank has paid the batch: post Dr liability / Cr bank per fund, tell every source.
    Returns the id of the entry that booked the payment (``ledger.reads.entry`` reads it)."""
    if booked_on is None:
        raise ValidationError(_("Give the date the bank executed the batch."), field="booked_on")
    batch = _locked_ready(session, batch, "execute")
    resolution = board_resolution(session, batch, actor)
    lock_funds(session, [item.fund for item in batch.items])
    bank = account_by_role(session, BANK_ROLE)
    debits: dict[tuple[int, int], int] = defaultdict(int)
    credits: dict[int, int] = defaultdict(int)
    funds, accounts = {}, {}
    for item in batch.items:
        debits[(item.liability_account_id, item.fund_id)] += item.amount
        credits[item.fund_id] += item.amount
        funds[item.fund_id], accounts[item.liability_account_id] = item.fund, item.liability_account
    memo = f"Payout {batch.message_id}"
    lines = [Line(accounts[a], funds[f], Money(v, batch.currency), memo)
             for (a, f), v in sorted(debits.items())]
    lines += [Line(bank, funds[f], Money(-v, batch.currency), memo)
              for f, v in sorted(credits.items())]
    entry = post_entry(session, booking_date=booked_on, lines=lines, actor=actor,
                       description=f"Payout batch {batch.message_id}: {batch.item_count} "
                                   f"transfer{'s' if batch.item_count != 1 else ''}",
                       source=("payout_batch", batch.id))
    BATCH_STATES.apply(batch, "execute")
    batch.executed_on = booked_on
    batch.executed_by_id, batch.payment_entry_id = getattr(actor, "id", None), entry.id
    _flush(session, batch)
    known = sources()
    for item in batch.items:
        source(item.source_kind, known).executed(session, item, batch, actor, settings=settings)
    audit.record(session, actor, "payout_batch.executed", "payout_batch", batch.id,
                 summary=f"{batch.message_id} executed {booked_on.isoformat()} ({entry.ref})",
                 before={"status": BatchStatus.READY},
                 after={"status": BatchStatus.EXECUTED, "executed_on": booked_on,
                        "entry": entry.id,
                        "resolution": resolution.number if resolution else None})
    return entry.id


def cancel_batch(session: Session, batch: PayoutBatch, *, reason: str, actor: Actor) -> PayoutBatch:
    """The file was never paid (the bank refused it, or it was never uploaded): release its
    payables so that another batch can pay them."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the batch is cancelled."), field="reason")
    batch = _locked_ready(session, batch, "cancel")
    BATCH_STATES.apply(batch, "cancel")
    batch.cancelled_at, batch.cancel_reason = utcnow(), reason
    for item in batch.items:
        item.active = False
    _flush(session, batch)
    known = sources()
    for item in batch.items:
        source(item.source_kind, known).released(session, item, batch, actor)
    audit.record(session, actor, "payout_batch.cancelled", "payout_batch", batch.id,
                 summary=f"{batch.message_id} cancelled: {reason}"[:500],
                 before={"status": BatchStatus.READY},
                 after={"status": BatchStatus.CANCELLED, "reason": reason})
    return batch
