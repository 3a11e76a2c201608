"""Statement import: a bank's file parsed whole, its new lines written once (deduplicated by
a key the bank's data gives), each statement routed to the bank account of its IBAN and
currency, then the rules applied and confident matches accepted (``services``).

Plain functions that never commit: an import is one unit of work in the caller's
``transaction()`` (or the ``bank.import`` job's, ``import_job``).
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit, clock
from ..core.actors import Actor
from ..core.db import in_batches
from ..core.i18n import _, ngettext
from ..core.settings import Settings
from . import parsers
from .models import BankAccount, BankImport, BankLine, BankMatch, BankStatement
from .parsers import CsvMapping, ParsedLine
from .services import _insert_many, _lock, _reserve_ids, apply_rules, auto_accept, currency_accounts

if TYPE_CHECKING:
    from .parsers import ParsedStatement


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def dedup_keys(lines: Sequence[ParsedLine]) -> list[str]:
    """A key per line that is the same whenever the bank sends the line again.

    The bank's own reference where it gives one (with date and amount, since some banks reuse
    references within a batch); otherwise a fingerprint of what the line says, numbered among
    identical lines of the same statement (two equal donations on one day stay two lines)."""
    keys = []
    seen: Counter = Counter()
    for line in lines:
        if line.bank_reference:
            base = ("r", line.bank_reference, line.booking_date, line.amount)
        else:
            base = ("f", line.booking_date, line.amount, line.currency,
                    line.counterparty_iban.upper(), " ".join(line.remittance.lower().split()),
                    " ".join(line.counterparty_name.lower().split()))
        occurrence = seen[base]
        seen[base] += 1
        keys.append(f"{base[0]}:{_digest(*base, occurrence)[:60]}")
    return keys


def _account_matches(bank_account: BankAccount, identification: str) -> bool:
    """Whether a statement's account identification names this bank account."""
    if not identification:
        return True
    compact = "".join(identification.split()).upper()
    if bank_account.iban in compact:
        return True
    try:
        iban = IBAN(bank_account.iban)
        account_code, bank_code = iban.account_code.lstrip("0"), iban.bank_code
    except SchwiftyException:  # pragma: no cover (stored IBANs are valid)
        return False
    digits = "".join(ch for ch in compact if ch.isdigit() or ch == "/")
    bank_part, _, account_part = digits.rpartition("/")
    return bool(account_code) and account_part.lstrip("0") == account_code and (
        not bank_part or bank_part == bank_code)


@dataclass
class ImportResult:
    #: One import per bank account the file's statements went to (an IBAN that holds several
    #: currencies has one bank account per currency). Stored only when it brought something new.
    records: list[BankImport]
    skipped_statements: list[str]
    rule_matches: list[BankMatch]
    #: Nothing in the file was new: no import, statement or line was stored.
    already_imported: bool = False
    #: When ``already_imported``: the earlier import of the very same file, if there was one.
    previous: BankImport | None = None

    @property
    def record(self) -> BankImport:
        return self.records[0]

    @property
    def auto_matched(self) -> int:
        return sum(record.lines_auto_matched for record in self.records)

    @property
    def lines_new(self) -> int:
        return sum(record.lines_new for record in self.records)

    @property
    def lines_known(self) -> int:
        return sum(record.lines_duplicate for record in self.records)


def import_summary(session: Session, result: ImportResult, filename: str) -> list[tuple[str, str]]:
    """What an import brought, as (category, sentence) notes for the treasurer."""
    if result.already_imported:
        return [("info", _already_imported_note(result, filename))]
    notes = []
    for record in result.records:
        target = session.get(BankAccount, record.bank_account_id)
        parts = [ngettext("%(num)s new line", "%(num)s new lines", record.lines_new)]
        if record.lines_duplicate:
            parts.append(ngettext("%(num)s already known (skipped)",
                                  "%(num)s already known (skipped)", record.lines_duplicate))
        if record.lines_by_rule:
            parts.append(ngettext("%(num)s booked by rules", "%(num)s booked by rules",
                                  record.lines_by_rule))
        if record.lines_auto_matched:
            parts.append(ngettext("%(num)s matched automatically", "%(num)s matched automatically",
                                  record.lines_auto_matched))
        values = {"file": filename, "format": parsers.FORMATS[record.format],
                  "lines": ", ".join(parts)}
        if len(result.records) > 1:
            note = ngettext("%(file)s imported into %(account)s (%(currency)s) (%(format)s, "
                            "%(num)s statement): %(lines)s.",
                            "%(file)s imported into %(account)s (%(currency)s) (%(format)s, "
                            "%(num)s statements): %(lines)s.", record.statements,
                            account=target.name, currency=target.currency, **values)
        else:
            note = ngettext("%(file)s imported (%(format)s, %(num)s statement): %(lines)s.",
                            "%(file)s imported (%(format)s, %(num)s statements): %(lines)s.",
                            record.statements, **values)
        notes.append(("success", note))
    if result.skipped_statements:
        notes.append(("warning", _("Statements of other accounts were skipped: %(accounts)s.",
                                   accounts=", ".join(sorted(set(result.skipped_statements))))))
    return notes


def _already_imported_note(result: ImportResult, filename: str) -> str:
    known = result.lines_known
    if result.previous is not None:
        day = f"{result.previous.imported_at:%Y-%m-%d}"
        return ngettext(
            "%(file)s was already imported on %(day)s as %(previous)s: %(num)s line, all "
            "already known. Nothing was added.",
            "%(file)s was already imported on %(day)s as %(previous)s: %(num)s lines, all "
            "already known. Nothing was added.", known, file=filename,
            day=day, previous=result.previous.filename)
    return ngettext("%(file)s was already imported: %(num)s line, all already known. Nothing "
                    "was added.",
                    "%(file)s was already imported: %(num)s lines, all already known. Nothing "
                    "was added.", known, file=filename)


def already_imported_text(result: ImportResult) -> str:
    """What to tell the treasurer about a file that brought nothing new."""
    known = result.lines_known
    when = ""
    if result.previous is not None:
        when = (f" on {result.previous.imported_at:%Y-%m-%d} as "
                f"{result.previous.filename}")
    return (f"already imported{when}: {known} line{'s' if known != 1 else ''}, all already "
            f"known. Nothing was added.")


def route_statements(session: Session, bank_account: BankAccount, statements: Sequence[ParsedStatement]):
    """{bank account: its statements} and the account identifications of other accounts.

    A statement belongs to the IBAN of ``bank_account`` (or its German ``BLZ/Kontonummer``); it
    goes to the bank account of that IBAN in the statement's own currency. A currency the IBAN
    has no bank account for is refused, naming what to set up."""
    accounts = currency_accounts(session, bank_account)
    routed: dict[int, list] = {}
    skipped = []
    for statement in statements:
        if not _account_matches(bank_account, statement.account):
            skipped.append(statement.account)
            continue
        target = accounts.get(statement.currency)
        if target is None:
            kept = ", ".join(sorted(accounts))
            raise parsers.StatementFormatError(
                _("the statement is in %(currency)s; %(account)s keeps %(kept)s. To import it, "
                  "set up a %(currency)s bank account with the same IBAN",
                  currency=statement.currency, account=bank_account.name, kept=kept),
                statement.where)
        routed.setdefault(target.id, []).append(statement)
    if not routed:
        raise parsers.StatementFormatError(
            _("the file has no statement for %(iban)s (it is for %(accounts)s)",
              iban=bank_account.iban_display, accounts=", ".join(sorted(set(skipped)))))
    by_id = {account.id: account for account in accounts.values()}
    order = sorted(routed, key=lambda account_id: (account_id != bank_account.id, account_id))
    return [(by_id[account_id], routed[account_id]) for account_id in order], skipped


def import_statement(session: Session, bank_account: BankAccount, *, filename: str, data: bytes, actor: Actor,
                     settings: Settings, format: str | None = None,
                     progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Parse the whole file, then write its new lines, apply rules and (when the account says
    so) accept confident matches. Raises ``StatementFormatError`` before writing anything.
    ``progress(done, total)`` is called as lines are written.

    Each statement goes to the bank account of its IBAN and currency. The bank accounts are
    locked first, so the same file imported twice at the same moment is written once: the
    second import reads the first one's lines and finds nothing new. A file that brings nothing
    new stores nothing (``already_imported``)."""
    mapping = CsvMapping.from_dict(bank_account.csv_mapping)
    parsed = parsers.parse(data, currency=bank_account.currency, csv_mapping=mapping,
                           format=format)
    routed, skipped = route_statements(session, bank_account, parsed.statements)
    for account, _statements in sorted(routed, key=lambda pair: pair[0].id):
        _lock(session, account)
    sha256 = hashlib.sha256(data).hexdigest()
    total = sum(len(s.lines) for _, statements in routed for s in statements)
    done = 0

    def tick(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(done, total)

    records, stored, rule_matches = [], [], []
    for account, statements in routed:
        record = BankImport(bank_account_id=account.id, filename=filename[:255], sha256=sha256,
                            format=parsed.format, statements=len(statements),
                            imported_by_id=getattr(actor, "id", None))
        session.add(record)
        session.flush()
        new_line_ids, new_statements = _write_lines(session, account, record, statements, tick)
        records.append(record)
        if not new_line_ids and not new_statements:
            session.delete(record)  # nothing new for this account: no trace of the attempt
            continue
        stored.append(record)
        _extend_reconcile_from(account, statements)
        lines = _line_rows(session, new_line_ids)
        matches = apply_rules(session, account, lines, actor=actor)
        if account.auto_accept:
            booked = {part.bank_line_id for match in matches for part in match.lines}
            open_lines = [line for line in lines if line.id not in booked]
            record.lines_auto_matched = auto_accept(session, account, open_lines, actor=actor,
                                                    settings=settings)
        record.lines_by_rule = len(matches)
        rule_matches += matches
        session.flush()
        audit.record(session, actor, "bank.imported", "bank_import", record.id,
                     summary=f"{filename} into {account.name} ({account.currency}): "
                             f"{record.lines_new} new lines, {record.lines_duplicate} already "
                             f"known, {record.lines_by_rule} by rules, "
                             f"{record.lines_auto_matched} matched automatically",
                     after={"format": parsed.format, "statements": len(statements),
                            "new_statements": new_statements, "sha256": sha256})
    session.flush()
    if not stored:
        previous = session.scalar(
            select(BankImport).where(BankImport.sha256 == sha256,
                                     BankImport.bank_account_id.in_([a.id for a, _ in routed]))
            .order_by(BankImport.id.desc()).limit(1))
        return ImportResult(records, skipped, [], already_imported=True, previous=previous)
    return ImportResult(stored, skipped, rule_matches)


def _extend_reconcile_from(bank_account: BankAccount, statements: Sequence[ParsedStatement]) -> None:
    starts = [s.start_date for s in statements if s.start_date]
    if starts and (bank_account.reconcile_from is None or min(starts) < bank_account.reconcile_from):
        bank_account.reconcile_from = min(starts)


_LINE_COLUMNS = ("id", "bank_account_id", "booking_date", "amount", "currency",
                 "counterparty_name", "counterparty_iban", "remittance", "references",
                 "transaction_code", "status", "reversal")


def _line_rows(session: Session, ids: list[int]) -> list:
    """New lines as light rows (what rules and the matcher read), oldest first; an import of
    thousands of lines does not need thousands of ORM objects."""
    table = BankLine.__table__
    rows = []
    for batch in in_batches(ids):
        rows += session.execute(select(*(table.c[name] for name in _LINE_COLUMNS))
                                .where(table.c.id.in_(batch))).all()
    rows.sort(key=lambda row: (row.booking_date, row.id))
    return rows


def _existing_keys(session: Session, bank_account_id: int, keys: list[str]) -> set[str]:
    found = set()
    for batch in in_batches(keys):
        found.update(session.scalars(select(BankLine.dedup_key).where(
            BankLine.bank_account_id == bank_account_id,
            BankLine.dedup_key.in_(batch))))
    return found


def _write_lines(session: Session, bank_account: BankAccount, record: BankImport, statements: Sequence[ParsedStatement], tick: Callable[[int], None]) -> tuple[list[int], int]:
    """Write the statements' lines that are not known yet; returns (new line ids, number of
    statements stored). A statement is stored once (its fingerprint); one whose lines are all
    known already (the same days cut differently, a file that overlaps an earlier one) is not
    stored again, so the continuity check sees each day once."""
    new_ids: list[int] = []
    stored_count = 0
    seen_in_file: set[str] = set()
    for statement in statements:
        keys = dedup_keys(statement.lines)
        existing = _existing_keys(session, bank_account.id, keys)
        fingerprint = _digest(statement.reference, statement.sequence, statement.start_date,
                              statement.end_date, statement.opening, statement.closing,
                              statement.entries_total, len(statement.lines))
        fresh = []
        for key, line in zip(keys, statement.lines, strict=True):
            if key in existing or key in seen_in_file:
                record.lines_duplicate += 1
                continue
            seen_in_file.add(key)
            fresh.append((key, line))
        stored = session.scalar(select(BankStatement).where(
            BankStatement.bank_account_id == bank_account.id,
            BankStatement.fingerprint == fingerprint))
        if stored is None and (fresh or not statement.lines):
            today = clock.today()
            stored = BankStatement(
                bank_account_id=bank_account.id, import_id=record.id,
                reference=statement.reference[:100], sequence=statement.sequence[:40],
                start_date=statement.start_date or today, end_date=statement.end_date or today,
                opening=statement.opening, closing=statement.closing,
                currency=statement.currency, entries_total=statement.entries_total,
                line_count=len(statement.lines), fingerprint=fingerprint)
            session.add(stored)
            session.flush()
            stored_count += 1
        if fresh:
            rows = [_line_row(bank_account, stored.id, key, line) for key, line in fresh]
            ids = _reserve_ids(session, BankLine.__table__, len(rows))
            for row, line_id in zip(rows, ids, strict=True):
                row["id"] = line_id
            _insert_many(session, BankLine.__table__, rows)
            new_ids += ids
        record.lines_new += len(fresh)
        tick(len(statement.lines))
    return new_ids, stored_count


def _line_row(bank_account: BankAccount, statement_id: int, key: str, line: ParsedLine) -> dict:
    return {
        "bank_account_id": bank_account.id, "statement_id": statement_id,
        "booking_date": line.booking_date, "value_date": line.value_date, "amount": line.amount,
        "currency": line.currency, "counterparty_name": line.counterparty_name[:200],
        "counterparty_iban": line.counterparty_iban[:34].upper(),
        "counterparty_bic": line.counterparty_bic[:11], "remittance": line.remittance[:4000],
        "references": " ".join(line.references)[:4000],
        "bank_reference": line.bank_reference[:100], "transaction_code": line.transaction_code[:40],
        "reversal": line.reversal, "return_reason": line.return_reason[:35],
        "charges": line.charges, "details": line.details or None,
        "dedup_key": key, "status": "open", "match_id": None,
    }
