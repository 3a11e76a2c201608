"""Bank accounts, matching, entries from lines, rules, undo (the statement import is
``imports``).

Plain functions ``(session, ..., actor)`` that never commit: an accepted match or an undo is one
unit of work in the caller's ``transaction()``.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import JSON, func, select, text
from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.db import in_batches, utcnow
from ..core.errors import Conflict, NotFound, ValidationError
from ..core.i18n import Lazy, _, _l
from ..core.money import Money, check_currency
from ..core.settings import Settings
from ..funds.services import check_spending
from ..invoicing import credits
from ..ledger import services as ledger
from ..ledger.chart import Account, AccountType, Fund
from . import invoices, open_postings, write_offs
from .differences import Difference, How, is_small, small_difference_limit
from .matching import (
    ItemIndex,
    LineFacts,
    OpenItem,
    Suggestion,
    allocate,
    one_pass,
    provider,
    providers,
    rank,
    split_over_postings,
)
from .models import (
    BankAccount,
    BankLine,
    BankMatch,
    BankMatchItem,
    BankMatchLine,
    BankRule,
)
from .parsers import CsvMapping

if TYPE_CHECKING:
    from sqlalchemy import Table

    from ..ledger.services import Line

# --- bank accounts -----------------------------------------------------------------------------


def normalise_iban(text: str) -> str:
    try:
        return IBAN(text or "").compact
    except SchwiftyException as error:
        raise ValidationError(_("%(text)s is not a valid IBAN (%(error)s).", text=repr(text),
                                error=error), field="iban") from None


def normalise_bic(text: str) -> str:
    text = (text or "").strip().replace(" ", "").upper()
    if not text:
        return ""
    try:
        return str(BIC(text))
    except SchwiftyException as error:
        raise ValidationError(_("%(text)s is not a valid BIC (%(error)s).", text=repr(text),
                                error=error), field="bic") from None


def _check_ledger_account(account: Account) -> Account:
    if account is None or account.type is not AccountType.ASSET or not account.active:
        raise ValidationError(_("Choose an active asset account of the ledger."),
                              field="ledger_account")
    return account


def create_bank_account(session: Session, *, name: str, iban: str, currency: str, ledger_account: Account,
                        actor: Actor, bic: str = "", auto_accept: bool = False) -> BankAccount:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError(_("Give the account a name of up to 200 characters."), field="name")
    iban = normalise_iban(iban)
    bic = normalise_bic(bic)
    try:
        check_currency(currency)
    except ValidationError:
        raise ValidationError(_("Unknown currency %(currency)s.", currency=repr(currency)),
                              field="currency") from None
    _check_ledger_account(ledger_account)
    if session.scalar(select(BankAccount).where(BankAccount.iban == iban,
                                                BankAccount.currency == currency)):
        raise ValidationError(_("The %(currency)s account of %(iban)s is already set up.",
                                currency=currency, iban=iban),
                              field="iban")
    if session.scalar(select(BankAccount).where(BankAccount.ledger_account_id == ledger_account.id,
                                                BankAccount.currency == currency)):
        raise ValidationError(_("%(account)s already belongs to another %(currency)s bank account; "
                                "give each bank account its own ledger account.",
                                account=ledger_account.label, currency=currency),
                              field="ledger_account")
    account = BankAccount(name=name, iban=iban, bic=bic, currency=currency,
                          ledger_account_id=ledger_account.id, auto_accept=auto_accept)
    session.add(account)
    session.flush()
    open_postings.rebuild(session, account)  # the postings already on its ledger account
    audit.record(session, actor, "bank_account.created", "bank_account", account.id,
                 summary=account.label, after={"iban": iban, "currency": currency,
                                               "ledger_account": ledger_account.code})
    return account


def update_bank_account(session: Session, account: BankAccount, *, actor: Actor, name: str, bic: str,
                        auto_accept: bool, active: bool = True) -> BankAccount:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError(_("Give the account a name of up to 200 characters."), field="name")
    new = {"name": name, "bic": normalise_bic(bic), "auto_accept": bool(auto_accept),
           "active": bool(active)}
    before, after = audit.changes(account, list(new), new)
    for key, value in after.items():
        setattr(account, key, value)
    if after:
        session.flush()
        audit.record(session, actor, "bank_account.updated", "bank_account", account.id,
                     summary=account.label, before=before, after=after)
    return account


def bank_account_by_iban(session: Session, iban: str, currency: str | None = None) -> BankAccount:
    """The bank account of this IBAN (in ``currency``; without it, the IBAN's first account:
    an import routes each statement to the account of its own currency anyway)."""
    statement = select(BankAccount).where(BankAccount.iban == normalise_iban(iban))
    if currency:
        statement = statement.where(BankAccount.currency == currency.upper())
    account = session.scalar(statement.order_by(BankAccount.id).limit(1))
    if account is None:
        raise NotFound(_("No bank account %(iban)s in %(currency)s is set up.", iban=iban,
                         currency=currency.upper()) if currency
                       else _("No bank account %(iban)s is set up.", iban=iban))
    return account


def currency_accounts(session: Session, bank_account: BankAccount) -> dict[str, BankAccount]:
    """{currency: bank account} of the account's IBAN (one per currency it holds)."""
    return {account.currency: account for account in session.scalars(
        select(BankAccount).where(BankAccount.iban == bank_account.iban)
        .order_by(BankAccount.id))}


def save_csv_mapping(session: Session, account: BankAccount, mapping: CsvMapping, *, actor: Actor) -> None:
    if not mapping.date or not (mapping.amount or (mapping.debit and mapping.credit)):
        raise ValidationError(_("Choose the date column and the amount column (or the debit and "
                                "credit columns)."), field="amount")
    before = account.csv_mapping
    account.csv_mapping = mapping.as_dict()
    session.flush()
    audit.record(session, actor, "bank_account.csv_mapping", "bank_account", account.id,
                 summary=f"CSV column mapping of {account.label}", before=before,
                 after=account.csv_mapping)


# --- rows written in bulk (an import's lines, the matches of many lines) ------------------

def _insert_many(session: Session, table: Table, rows: list[dict]) -> None:
    """Bulk insert below the ORM: COPY on PostgreSQL (psycopg's executemany sends a statement
    per row), the driver's executemany on SQLite (SQLAlchemy's per-row parameter processing
    would double the time of a 10,000-line import). Values are converted here the way the
    column types would: JSON as text; on SQLite dates as ISO text, UTC datetimes naive."""
    if not rows:
        return
    connection = session.connection()
    columns = list(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
    quoted = ", ".join(f'"{name}"' for name in columns)

    def value(name: str, item: object):
        if item is None:
            return None
        if name in json_columns:
            return json.dumps(item)
        if postgres:
            return item
        if isinstance(item, datetime):
            return item.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(item, date):
            return item.isoformat()
        return int(item) if isinstance(item, bool) else item

    postgres = connection.dialect.name == "postgresql"
    values = [[value(name, row[name]) for name in columns] for row in rows]
    if postgres:
        with connection.connection.dbapi_connection.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        connection.exec_driver_sql(f"INSERT INTO {table.name} ({quoted}) VALUES ({marks})",
                                   [tuple(row) for row in values])


def _reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """Primary keys for ``count`` rows about to be inserted in bulk (RETURNING in parameter
    order makes SQLAlchemy insert SQLite rows one at a time). PostgreSQL: from the table's
    sequence. SQLite: after the current maximum; safe because this transaction has already
    written (the import record), so it holds the database's only write lock."""
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                 "FROM generate_series(1, :count)"), {"table": table.name, "count": count}))
    start = session.scalar(select(func.coalesce(func.max(table.c.id), 0))) + 1
    return list(range(start, start + count))


# --- matching ----------------------------------------------------------------------------------


def allocations(session: Session, bank_account: BankAccount,
                items: Sequence[OpenItem] | None = None) -> dict[tuple[str, str], int]:
    """{(provider, key): amount} allocated by active matches of this account; of ``items``
    only, when given (issue 17: a long history's allocations are many, the open items few)."""
    if items is not None and not items:  # nothing to ask (issue 17: the queue's usual case)
        return {}
    statement = (
        select(BankMatchItem.provider, BankMatchItem.item_key, func.sum(BankMatchItem.amount))
        .join(BankMatch, BankMatch.id == BankMatchItem.match_id)
        .where(BankMatch.bank_account_id == bank_account.id, BankMatchItem.active.is_(True))
        .group_by(BankMatchItem.provider, BankMatchItem.item_key))
    if items is None:
        return {(p, k): int(total) for p, k, total in session.execute(statement)}
    wanted = {(item.provider, item.key) for item in items}
    keys = sorted({key for _, key in wanted})
    found = {}
    for batch in in_batches(keys):
        for name, key, total in session.execute(
                statement.where(BankMatchItem.item_key.in_(batch))):
            if (name, key) in wanted:
                found[name, key] = int(total)
    return found


def open_items(session: Session, bank_account: BankAccount,
               lines: Sequence[BankLine] | None = None) -> ItemIndex:
    """Every provider's open items, indexed, less what matches allocated to them. With
    ``lines``: the items that may be suggested for those lines (``Provider.items_for``)."""
    items: list[OpenItem] = []
    own = set()
    with one_pass(session):
        for each in providers():
            items.extend(each.items_for(session, bank_account, lines))
            if each.counts_own_allocations:
                own.add(each.name)
    counted = [item for item in items if item.provider not in own and item.allocated is None]
    allocated = allocations(session, bank_account, counted)
    allocated.update(((item.provider, item.key), item.allocated) for item in items
                     if item.allocated and item.provider not in own)
    return ItemIndex.build(items, allocated)


def facts(line: BankLine) -> LineFacts:
    return LineFacts(amount=line.amount, currency=line.currency, booking_date=line.booking_date,
                     text=f"{line.remittance} {line.references}",
                     counterparty_name=line.counterparty_name,
                     counterparty_iban=line.counterparty_iban, bank_line_id=line.id)


def suggestions_for(session: Session, bank_account: BankAccount, lines: Sequence[BankLine],
                    index: ItemIndex | None = None, limit: int = 3) -> dict[int, list[Suggestion]]:
    index = index or open_items(session, bank_account)
    return {line.id: rank(facts(line), index, limit) for line in lines}


def accept(session: Session, bank_account: BankAccount, *, lines: Sequence[BankLine],
           items: Sequence[tuple[str, str]], actor: Actor, settings: Settings, how: str = "manual",
           reason: str = "",
           index: ItemIndex | None = None, difference: Difference | None = None,
           small_difference_limit: Decimal | None = None) -> BankMatch:
    """Match the lines to the items: the lines' total is allocated over the items in order.

    When the lines pay more or less than the items ask, ``difference`` says what to do with the
    rest or the shortfall (``differences.py``); without it the total must be used up exactly
    (a shortfall stays open on the last item, as an instalment). A write-off needs
    ``small_difference_limit`` (``Settings.banking``): up to it the rest is written off at once,
    above it a second approver decides.

    Without an ``index`` (one match from the page, not many in an import that holds the lock
    already) the bank account is locked first, so that what the items still owe is read after
    any match made at the same moment has been committed."""
    lines = list(lines)
    if not lines:
        raise ValidationError(_("Choose at least one bank line."))
    if not items:
        raise ValidationError(_("Choose at least one item to match."))
    if index is None:
        _lock(session, bank_account)
    for line in lines:
        if line.bank_account_id != bank_account.id:
            raise NotFound(_("No such bank line."))
        if line.status != "open":
            raise Conflict(_("The bank line of %(day)s (%(amount)s) is already matched.",
                             day=line.booking_date, amount=Money(line.amount, line.currency)))
    if len({line.currency for line in lines}) != 1:
        raise ValidationError(_("The lines are in different currencies."))
    index = index or open_items(session, bank_account)
    chosen = []
    for key in dict.fromkeys((key[0], str(key[1])) for key in items):
        if key not in index.items or index.open(key) == 0:
            refusal = provider(key[0]).refusal(session, bank_account, key[1]) \
                if key[0] in {p.name for p in providers()} else None
            raise (ValidationError(refusal) if refusal else Conflict(
                _("That item is no longer open (matched meanwhile?). Reload the page.")))
        chosen.append((key, index.open(key)))
    total = sum(line.amount for line in lines)
    currency = lines[0].currency
    plan = _plan(session, bank_account, index, chosen, total, currency, difference,
                 small_difference_limit)
    match = BankMatch(bank_account_id=bank_account.id, how=how, reason=reason[:300],
                      created_by_id=getattr(actor, "id", None),
                      reviewed_at=None if how in ("auto", "rule") else utcnow())
    session.add(match)
    session.flush()
    booking_date = ledger.booking_date_for(session, max(line.booking_date for line in lines))
    entry_lines: list[ledger.Line] = []
    labels = []
    by_provider: dict[str, list[tuple[OpenItem, int]]] = defaultdict(list)
    item_funds: dict[tuple[str, str], Fund] = {}
    for (key, _open), amount in zip(chosen, plan.amounts, strict=True):
        item = index.items[key]
        handler = provider(item.provider)
        own = handler.accept(session, bank_account=bank_account, match=match, item=item,
                             amount=amount, booking_date=booking_date, actor=actor)
        if own:
            item_funds[key] = own[0].fund
        entry_lines += own
        session.add_all(BankMatchItem(match_id=match.id, provider=item.provider,
                                      item_key=item.key, label=item.label[:300], amount=part,
                                      posting_id=posting_id)
                        for posting_id, part in _item_rows(item, amount))
        by_provider[item.provider].append((item, amount - plan.written_off.get(key, 0)))
        index.allocate(key, amount)
        labels.append(item.label)
    entry_lines += _difference_lines(session, plan, chosen, index, item_funds, currency, actor)
    if plan.rest:
        labels.append(f"rest {Money(plan.rest, currency).format()} "
                      f"{'as credit' if plan.how is How.CREDIT else 'to ' + plan.account.name}")
    entry = None
    if entry_lines:
        entry = _post_for_match(session, bank_account, match, lines, entry_lines, booking_date,
                                "; ".join(labels), actor)
    for name, allocated in by_provider.items():
        provider(name).posted(session, bank_account=bank_account, match=match, entry=entry,
                              allocations=allocated, booking_date=booking_date, actor=actor,
                              settings=settings)
    for key, amount in plan.written_off.items():
        provider(key[0]).written_off(session, match=match, item=index.items[key], amount=amount,
                                     entry=entry, booking_date=booking_date, actor=actor)
    if plan.how is How.CREDIT and plan.rest:
        invoices.record_credit(session, plan.credit_invoice, Money(plan.rest, currency),
                               match=match, entry=entry, actor=actor)
    if plan.pending_write_off:
        key, amount = plan.pending_write_off
        write_offs.request(session, match=match, item=index.items[key], amount=amount,
                           account=plan.account, fund=item_funds.get(key) or plan.fund
                           or ledger.general_fund(session), actor=actor)
    _link_lines(session, match, lines)
    # What the match confirmed of bank postings (after _link_lines' flush).
    open_postings.refresh(session, posting_ids=[row.posting_id for row in match.items])
    audit.record(session, actor, "bank.matched", "bank_match", match.id,
                 summary=f"{how}: {len(lines)} line(s) {Money(total, currency)} ↔ "
                         f"{'; '.join(labels)}"[:500],
                 after={"lines": [line.id for line in lines], "items": [list(k) for k, _ in chosen],
                        "amounts": plan.amounts, "rest": plan.rest,
                        "written_off": [[list(k), v] for k, v in plan.written_off.items()],
                        "difference": plan.how.value if plan.how else None})
    return match


@dataclass
class _Plan:
    """How a match spreads the lines' total: per item, and what is left over or short."""

    amounts: list[int]
    how: How | None = None
    rest: int = 0                                   # beyond the items, signed like the bank
    written_off: dict = field(default_factory=dict)  # {item key: amount written off now}
    pending_write_off: tuple | None = None          # (item key, amount) for a second approver
    account: Account | None = None
    fund: Fund | None = None
    credit_invoice: object = None
    override_reason: str | None = None


def _plan(session: Session, bank_account: BankAccount, index: ItemIndex, chosen: list[tuple[tuple[str, str], int]], total: int, currency: str,
          difference: Difference | None, limit: Decimal | None) -> _Plan:
    """Check what the lines and items allow, before anything is written."""
    open_total = sum(open_amount for _, open_amount in chosen)
    same_direction = all((open_amount > 0) == (total > 0) for _, open_amount in chosen)
    how = difference.how if difference else None
    if same_direction and abs(total) > abs(open_total) and how in (How.CREDIT, How.ACCOUNT):
        plan = _Plan([open_amount for _, open_amount in chosen], how=how, rest=total - open_total)
        if how is How.CREDIT:
            plan.credit_invoice = invoices.credit_target(session, [key for key, _ in chosen])
        else:
            plan.account, plan.fund = _difference_account(session, bank_account, difference,
                                                          required=True)
        plan.override_reason = difference.override_reason
        return plan
    try:
        amounts = allocate(total, chosen)
    except ValueError:
        open_money = Money(open_total, currency)
        values = {"lines": Money(total, currency), "items": open_money}
        raise ValidationError(
            _("The lines add up to %(lines)s, the chosen items to %(items)s: they cannot be "
              "matched as they are. Choose items that add up, put the rest on the sponsor's "
              "account as credit or on an account, or book the line as an entry.", **values)
            if abs(total) > abs(open_total) else
            _("The lines add up to %(lines)s, the chosen items to %(items)s: they cannot be "
              "matched as they are. Choose items that add up, or book the line as an entry.",
              **values)) from None
    plan = _Plan(amounts)
    shortfall = open_total - total
    if how is not How.WRITE_OFF or not shortfall:
        if how in (How.CREDIT, How.ACCOUNT) and not shortfall:
            raise ValidationError(_("The lines pay exactly what the items ask: there is no "
                                    "rest to put anywhere."))
        return plan
    last_key = chosen[-1][0]
    plan.how, plan.override_reason = How.WRITE_OFF, difference.override_reason
    plan.account, plan.fund = _difference_account(session, bank_account, difference,
                                                  required=False)
    if limit is None:
        raise ValueError("a write-off needs the limit for small differences")
    if is_small(Money(shortfall, currency), limit):
        plan.amounts[-1] += shortfall
        plan.written_off = {last_key: shortfall}
    else:
        if not provider(last_key[0]).posts_entries:
            raise ValidationError(
                _("%(amount)s is above the %(limit)s limit for small differences: leave it open, "
                  "or book the line as an entry.", amount=Money(abs(shortfall), currency),
                  limit=small_difference_limit(limit, currency)))
        plan.pending_write_off = (last_key, shortfall)
    return plan


def _difference_account(session: Session, bank_account: BankAccount, difference: Difference, *, required: bool):
    account, fund = difference.account, difference.fund
    if account is None:
        if required:
            raise ValidationError(_("Choose the account the rest goes to."), field="rest_account")
        account = ledger.account_by_role(session, "bank_fees")
    if not account.active or account.role == ledger.INTERFUND_ROLE:
        raise ValidationError(_("Choose an active account for the difference."), field="rest_account")
    if account.id == bank_account.ledger_account_id:
        raise ValidationError(_("Choose the account the difference belongs to, not the bank "
                                "account itself."), field="rest_account")
    if fund is not None and not fund.active:
        raise ValidationError(_("Choose an active fund for the difference."), field="rest_fund")
    return account, fund


def _difference_lines(session: Session, plan: _Plan, chosen: list[tuple[tuple[str, str], int]], index: ItemIndex, item_funds: dict[tuple[str, str], Fund], currency: str, actor: Actor):
    """The counter lines of a rest (credit or account) or of a write-off made at once."""
    if plan.how is How.CREDIT and plan.rest:
        return invoices.credit_lines(session, plan.credit_invoice, Money(plan.rest, currency))
    result = []
    if plan.how is How.ACCOUNT and plan.rest:
        fund = plan.fund or item_funds.get(chosen[-1][0]) or ledger.general_fund(session)
        _check_fund(session, fund, plan.account, Money(-plan.rest, currency), actor,
                    plan.override_reason, _l("the rest of a bank line"))
        result.append(ledger.Line(plan.account, fund, Money(-plan.rest, currency),
                                  "Rest of a bank line"))
    for key, amount in plan.written_off.items():
        fund = item_funds.get(key) or plan.fund or ledger.general_fund(session)
        _check_fund(session, fund, plan.account, Money(amount, currency), actor,
                    plan.override_reason, _l("a write-off for %(item)s", item=index.items[key].label))
        result.append(ledger.Line(plan.account, fund, Money(amount, currency),
                                  f"Written off: {index.items[key].label}"[:200]))
    return result


def _check_fund(session: Session, fund: Fund, account: Account, debit: Money, actor: Actor,
                override_reason: str | None, what: Lazy) -> None:
    """An expense debited to a fund (a write-off, bank charges) may not take it below zero
    unless somebody allowed to says why."""
    if debit.amount > 0 and account.type is AccountType.EXPENSE:
        check_spending(session, fund, debit, actor=actor, what=what,
                       override_reason=override_reason)


def _lock(session: Session, bank_account: BankAccount) -> None:
    """Matches on one bank account are made one at a time: writing the account's row takes its
    row lock on PostgreSQL and the write lock on SQLite, until the commit. Whatever is read
    afterwards (lines still open, what items still owe) is what the previous match left, so two
    treasurers, or a double click, cannot allocate the same open amount twice."""
    table = BankAccount.__table__
    session.execute(table.update().where(table.c.id == bank_account.id).values(id=table.c.id))
    session.expire_all()


def _item_rows(item: OpenItem, amount: int) -> list[tuple[int | None, int]]:
    """The ``bank_match_items`` rows of an allocation: one per bank posting the item is (each
    with its part of the amount, so the reconciliation knows what the bank confirmed), or one
    without a posting for a document."""
    return split_over_postings(amount, item.postings) if item.postings else [(None, amount)]


def _link_lines(session: Session, match: BankMatch, lines: Sequence[BankLine]) -> None:
    """Claim the lines for the match. The UPDATE only takes a line that is still open, so of two
    treasurers matching the same line at the same moment one gets a Conflict (and rolls back)."""
    table = BankLine.__table__
    for line in lines:
        claimed = session.execute(
            table.update().where(table.c.id == line.id, table.c.status == "open")
            .values(status="matched", match_id=match.id))
        if claimed.rowcount != 1:
            raise Conflict(_("The bank line of %(day)s was matched by somebody else a moment ago. "
                             "Reload the page.", day=line.booking_date))
        session.add(BankMatchLine(match_id=match.id, bank_line_id=line.id, amount=line.amount))
        session.expire(line, ["status", "match_id"])
    session.flush()


def _post_for_match(session: Session, bank_account: BankAccount, match: BankMatch, lines: Sequence[BankLine], counter_lines: list[Line], booking_date: date,
                    description: str, actor: Actor):
    """One entry: the bank side per fund of the counter lines, and the counter lines."""
    bank = session.get(Account, bank_account.ledger_account_id)
    per_fund: dict[int, int] = defaultdict(int)
    funds = {}
    for line in counter_lines:
        per_fund[line.fund.id] -= line.amount.amount
        funds[line.fund.id] = line.fund
    bank_lines = [ledger.Line(bank, funds[fund_id], Money(amount, bank_account.currency),
                              "Bank statement line")
                  for fund_id, amount in per_fund.items() if amount]
    text = " ".join(filter(None, [lines[0].counterparty_name, lines[0].remittance]))[:120]
    entry = ledger.post_entry(
        session, booking_date=booking_date,
        description=f"Bank {lines[0].booking_date}: {description}"[:240] + (f" ({text})" if text else ""),
        lines=[*bank_lines, *counter_lines], actor=actor, source=("bank_match", match.id))
    match.journal_entry_id = entry.id
    open_postings.matched_entry(session, bank_account.id, entry.id)
    return entry


def book_line(session: Session, line: BankLine, *, account: Account, fund: Fund, description: str, actor: Actor,
              rule: BankRule | None = None, remember: bool = False) -> BankMatch:
    """Post an entry for the line (bank fees, interest, a cash deposit) and match it.

    With ``remember``, a rule is saved that books this counterparty's lines (money in the same
    direction) the same way from now on."""
    if line.status != "open":
        raise Conflict(_("The bank line is already matched."))
    description = (description or "").strip()
    if not description:
        raise ValidationError(_("Describe the entry."), field="description")
    if account is None or not account.active:
        raise ValidationError(_("Choose an active account."), field="account")
    if fund is None or not fund.active:
        raise ValidationError(_("Choose an active fund."), field="fund")
    bank_account = session.get(BankAccount, line.bank_account_id)
    if account.id == bank_account.ledger_account_id:
        raise ValidationError(_("Choose the account the money came from or went to, not the "
                                "bank account itself."), field="account")
    match = BankMatch(bank_account_id=bank_account.id, how="rule" if rule else "entry",
                      rule_id=rule.id if rule else None,
                      reason=(f"rule {rule.name}" if rule else f"booked to {account.label}")[:300],
                      created_by_id=getattr(actor, "id", None),
                      reviewed_at=None if rule else utcnow())
    session.add(match)
    session.flush()
    counter = [ledger.Line(account, fund, Money(-line.amount, line.currency), description[:200])]
    _post_for_match(session, bank_account, match, [line], counter,
                    ledger.booking_date_for(session, line.booking_date), description, actor)
    _link_lines(session, match, [line])
    audit.record(session, actor, "bank.booked", "bank_match", match.id,
                 summary=f"{Money(line.amount, line.currency)} of {line.booking_date} to "
                         f"{account.label} / {fund.code}: {description}"[:500])
    if remember:
        if not line.counterparty_name:
            raise ValidationError(_("The line names no counterparty to recognise it by."),
                                  field="make_rule")
        create_rule(session, name=f"{line.counterparty_name} → {account.name}"[:200],
                    counterparty_contains=line.counterparty_name, account=account, fund=fund,
                    direction="in" if line.amount > 0 else "out", bank_account=bank_account,
                    actor=actor)
    return match


def undo_match(session: Session, match: BankMatch, *, actor: Actor, settings: Settings,
               reason: str = "") -> BankMatch:
    """Reverse what the match posted, give the items back, reopen the lines. Nothing deleted."""
    if match.undone_at is not None:
        raise Conflict(_("This match was already undone."))
    # One change of what the account's matches confirm at a time (``open_postings``), as
    # ``accept`` makes them; then read again, in case the match was undone meanwhile.
    _lock(session, session.get(BankAccount, match.bank_account_id))
    if match.undone_at is not None:
        raise Conflict(_("This match was already undone."))
    reason = (reason or "").strip() or "match undone"
    write_offs.cancel_for_match(session, match, actor=actor)
    credits.check_reversible(session, match.id)  # refused if its credit was used meanwhile
    if match.journal_entry_id is not None:
        entry = match.journal_entry
        reversal = ledger.reverse_entry(session, entry, actor=actor,
                                        reason=f"bank match undone: {reason}"[:200])
        match.undo_entry_id = reversal.id
        credits.reverse_for_match(session, match.id, journal_entry_id=reversal.id, actor=actor,
                                  reason=f"bank match #{match.id} undone: {reason}")
    known, seen = {p.name for p in providers()}, set()
    for row in match.items:
        if row.provider in known and (row.provider, row.item_key) not in seen:
            provider(row.provider).undo(session, match=match, item_row=row, actor=actor,
                                        settings=settings)
        seen.add((row.provider, row.item_key))
        row.active = False
    for part in match.lines:
        part.line.status = "open"
        part.line.match_id = None
    match.undone_at = utcnow()
    match.undone_by_id = getattr(actor, "id", None)
    session.flush()
    open_postings.refresh(session, posting_ids=[row.posting_id for row in match.items])
    audit.record(session, actor, "bank.unmatched", "bank_match", match.id,
                 summary=f"match #{match.id} undone: {reason}"[:500],
                 before={"how": match.how, "entry": match.journal_entry_id},
                 after={"reversal": match.undo_entry_id})
    return match


def mark_reviewed(session: Session, match: BankMatch, *, actor: Actor) -> BankMatch:
    if match.reviewed_at is None:
        match.reviewed_at = utcnow()
        session.flush()
        audit.record(session, actor, "bank.reviewed", "bank_match", match.id,
                     summary=f"{match.how} match #{match.id} looked at and kept")
    return match


def auto_accept(session: Session, bank_account: BankAccount, lines: Sequence[BankLine], *, actor: Actor,
                settings: Settings, index: ItemIndex | None = None) -> int:
    """Accept, for each line, a confident suggestion (exact reference and exact amount) when it
    is the only confident one. Everything accepted waits in the review list.

    Matches to items whose provider posts nothing (booked postings) are written in bulk, with
    one audit record for all of them; the others go through ``accept`` one by one. Returns how
    many lines were matched."""
    if not lines:
        return 0
    # The items that may be suggested for these lines (a gift is its own line's item: not
    # every open line of the account, issue 17).
    index = index or open_items(session, bank_account, lines)
    posting = _posts_entries()
    matched, bulk = 0, []
    for line in lines:
        confident = [s for s in rank(facts(line), index, limit=3) if s.confident]
        if len(confident) != 1:
            continue
        suggestion = confident[0]
        key = (suggestion.item.provider, suggestion.item.key)
        if posting[suggestion.item.provider]:
            accept(session, bank_account, lines=[_orm(session, line)], items=[key], actor=actor,
                   settings=settings, how="auto", reason=suggestion.reason_source, index=index)
            matched += 1
        else:
            index.allocate(key, line.amount)
            bulk.append((line, suggestion))
    if bulk:
        matched += bulk_matches(session, bank_account, bulk, actor=actor)
    return matched


def _posts_entries() -> dict[str, bool]:
    """Whether each provider posts entries, by name: asked once for a whole import (issue 17:
    ``provider(name)`` asks every package for its provider, twice a line of a 10,000-line
    import)."""
    return {each.name: each.posts_entries for each in providers()}


def _orm(session: Session, line: BankLine | LineFacts) -> BankLine:
    return line if isinstance(line, BankLine) else session.get(BankLine, line.id)


def bulk_matches(session: Session, bank_account: BankAccount, pairs: Sequence[tuple[BankLine | LineFacts, Suggestion]], *, actor: Actor, how: str = "auto") -> int:
    """Write matches of single lines to items of a provider that posts nothing (booked
    postings) with a handful of statements; ``pairs`` are (line, suggestion). Automatic matches
    wait for review, others (``how="manual"``) count as looked at."""
    posting = _posts_entries()
    if any(posting[s.item.provider] for _, s in pairs):
        raise ValueError("bulk matches are only for providers that post nothing")
    now, actor_id = utcnow(), getattr(actor, "id", None)
    matches, parts, items = (BankMatch.__table__, BankMatchLine.__table__,
                             BankMatchItem.__table__)
    ids = _reserve_ids(session, matches, len(pairs))
    _insert_many(session, matches, [
        {"id": match_id, "bank_account_id": bank_account.id, "how": how,
         "reason": s.reason_source[:300], "created_at": now, "created_by_id": actor_id,
         "reviewed_at": None if how == "auto" else now}
        for match_id, (_, s) in zip(ids, pairs, strict=True)])
    _insert_many(session, parts, [
        {"match_id": match_id, "bank_line_id": line.id, "amount": line.amount}
        for match_id, (line, _) in zip(ids, pairs, strict=True)])
    _insert_many(session, items, [
        {"match_id": match_id, "provider": s.item.provider, "item_key": s.item.key,
         "label": s.item.label[:300], "amount": part, "active": True, "posting_id": posting_id}
        for match_id, (line, s) in zip(ids, pairs, strict=True)
        for posting_id, part in _item_rows(s.item, line.amount)])
    lines = BankLine.__table__
    for batch in in_batches(ids):  # UPDATE ... FROM, a statement per batch of lines
        session.execute(
            lines.update().where(lines.c.id == parts.c.bank_line_id,
                                 parts.c.match_id.in_(batch))
            .values(status="matched", match_id=parts.c.match_id))
    open_postings.refresh(session, posting_ids=[
        posting_id for line, s in pairs for posting_id, _part in _item_rows(s.item, line.amount)])
    session.expire_all()  # loaded lines (if any) read their new status from the database
    audit.record(session, actor, f"bank.{how}_matched_in_bulk", "bank_account", bank_account.id,
                 summary=f"{len(ids)} line(s) matched ({how})", after={"matches": list(ids)})
    return len(ids)


# --- rules -------------------------------------------------------------------------------------


def create_rule(session: Session, *, name: str, account: Account, fund: Fund, actor: Actor,
                counterparty_contains: str = "", text_contains: str = "", direction: str = "any",
                bank_account: BankAccount | None = None) -> BankRule:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Name the rule."), field="name")
    counterparty_contains = (counterparty_contains or "").strip()
    text_contains = (text_contains or "").strip()
    if not counterparty_contains and not text_contains:
        raise ValidationError(_("A rule needs a counterparty or a text to look for."),
                              field="counterparty_contains")
    if direction not in ("in", "out", "any"):
        raise ValidationError(_("Choose money in, money out or both."), field="direction")
    if account is None or not account.active or account.role == ledger.INTERFUND_ROLE:
        raise ValidationError(_("Choose an active account."), field="account")
    if fund is None or not fund.active:
        raise ValidationError(_("Choose an active fund."), field="fund")
    rule = BankRule(name=name[:200], counterparty_contains=counterparty_contains[:200],
                    text_contains=text_contains[:200], direction=direction,
                    account_id=account.id, fund_id=fund.id,
                    bank_account_id=bank_account.id if bank_account else None,
                    created_by_id=getattr(actor, "id", None))
    session.add(rule)
    session.flush()
    audit.record(session, actor, "bank_rule.created", "bank_rule", rule.id, summary=rule.name,
                 after={"counterparty": counterparty_contains, "text": text_contains,
                        "direction": direction, "account": account.code, "fund": fund.code})
    return rule


def set_rule_active(session: Session, rule: BankRule, active: bool, *, actor: Actor) -> BankRule:
    if rule.active != active:
        rule.active = active
        session.flush()
        audit.record(session, actor, "bank_rule.updated", "bank_rule", rule.id, summary=rule.name,
                     before={"active": not active}, after={"active": active})
    return rule


def rule_applies(rule: BankRule, line: BankLine) -> bool:
    if rule.bank_account_id is not None and rule.bank_account_id != line.bank_account_id:
        return False
    if rule.direction == "in" and line.amount < 0 or rule.direction == "out" and line.amount > 0:
        return False
    if rule.counterparty_contains and \
            rule.counterparty_contains.lower() not in line.counterparty_name.lower():
        return False
    text = f"{line.remittance} {line.references} {line.transaction_code}".lower()
    return not rule.text_contains or rule.text_contains.lower() in text


def apply_rules(session: Session, bank_account: BankAccount, lines: Sequence[BankLine], *, actor: Actor,
                rules: Sequence[BankRule] | None = None) -> list[BankMatch]:
    """Book every open line that an active rule fits (the first rule by id wins)."""
    if rules is None:
        rules = list(session.scalars(select(BankRule).where(BankRule.active.is_(True))
                                     .order_by(BankRule.id)))
    if not rules:
        return []
    matches = []
    for line in lines:
        if line.status != "open":
            continue
        rule = next((r for r in rules if rule_applies(r, line)), None)
        if rule is not None:
            text = line.remittance or line.counterparty_name or rule.name
            matches.append(book_line(session, _orm(session, line), account=rule.account,
                                     fund=rule.fund,
                                     description=f"{rule.name}: {text}"[:200], actor=actor,
                                     rule=rule))
    return matches
