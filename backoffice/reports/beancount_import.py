"""Bringing a Beancount history into an empty ledger (``backoffice import beancount FILE``).

Beancount loads and checks the file first (its balance assertions included); a file with errors
is refused. Each Beancount account is mapped to a ledger account and a fund:

1. an account this back office exported carries ``code`` and ``fund`` on its ``open``: those;
2. otherwise the mapping file (TOML) names a ledger account code for the account or one of its
   parents (the longest that matches wins)::

       fund = "GEN"              # every posting in this fund (default: the general fund), or
       fund_segment = true       # the component after the matched prefix names the fund
                                 # (a fund with that code is created when missing)
       [accounts]
       "Assets:Bank:Checking" = "1200"
       "Expenses:Travel" = "5200"
       "Income:Donations" = "4100"

A transaction on an account that maps to nothing, in a commodity that is not a currency, with
more decimals than its currency has, or that balances only through a price or cost (a
conversion) is skipped and listed; so are the directives that are not transactions (balance
assertions, prices, notes, documents, events). Everything else is posted through the ledger's
bulk path in one transaction: all of it, or (on any refusal) nothing. ``--dry-run`` does all
of that and rolls back.
"""
from __future__ import annotations

import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from beancount import loader
from beancount.core import data
from sqlalchemy.orm import Session

from ..core.actors import Actor
from ..core.db import transaction
from ..core.errors import NotFound, ValidationError
from ..core.money import Money, known_currencies
from ..ledger import bulk, reads, services
from ..ledger.checks import INTERFUND_ROLE, Line

SOURCE_KIND = "beancount"


@dataclass(frozen=True)
class Mapping:
    accounts: dict[str, str] = field(default_factory=dict)
    fund: str | None = None
    fund_segment: bool = False


def read_mapping(path: str | Path | None) -> Mapping:
    if path is None:
        return Mapping()
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValidationError(f"The mapping file cannot be read: {error}") from None
    accounts = raw.get("accounts", {})
    if not isinstance(accounts, dict) or not all(isinstance(v, str) for v in accounts.values()):
        raise ValidationError("The mapping file's [accounts] maps Beancount accounts to ledger "
                              "account codes (text).")
    return Mapping(accounts=dict(accounts), fund=raw.get("fund"),
                   fund_segment=bool(raw.get("fund_segment", False)))


@dataclass
class ImportReport:
    entries: int = 0
    postings: int = 0
    dry_run: bool = False
    created_funds: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)         # transactions, one line each
    skipped_directives: Counter = field(default_factory=Counter)
    unmapped: set[str] = field(default_factory=set)

    def lines(self) -> list[str]:
        verb = "would be imported" if self.dry_run else "imported"
        out = [f"{self.entries} transactions with {self.postings} postings {verb}."]
        if self.created_funds:
            out.append(f"Funds created: {', '.join(self.created_funds)}.")
        if self.unmapped:
            out.append(f"Accounts mapped to nothing: {', '.join(sorted(self.unmapped))}.")
        for kind, count in sorted(self.skipped_directives.items()):
            out.append(f"Skipped {count} {kind} directive(s) (not transactions).")
        if self.skipped:
            out.append(f"Skipped {len(self.skipped)} transaction(s):")
            out += [f"  {line}" for line in self.skipped]
        return out


class _DryRun(Exception):
    pass


class _Resolver:
    """Beancount account -> (ledger account, fund), looked up once per account."""

    def __init__(self, session: Session, opens: dict[str, data.Open], mapping: Mapping,
                 actor: Actor, report: ImportReport):
        self.session, self.opens, self.mapping = session, opens, mapping
        self.actor, self.report = actor, report
        self.cache: dict[str, tuple | None] = {}
        self.funds: dict[str, object] = {}
        self.default_fund = (self._fund(mapping.fund) if mapping.fund
                             else services.general_fund(session))

    def _fund(self, code: str):
        if code not in self.funds:
            try:
                self.funds[code] = services.fund_by_code(self.session, code)
            except NotFound:
                self.funds[code] = services.create_fund(
                    self.session, code=code, name=f"{code} (from Beancount)", actor=self.actor)
                self.report.created_funds.append(code)
        return self.funds[code]

    def __call__(self, name: str):
        if name not in self.cache:
            self.cache[name] = self._resolve(name)
            if self.cache[name] is None:
                self.report.unmapped.add(name)
        return self.cache[name]

    def _resolve(self, name: str):
        meta = getattr(self.opens.get(name), "meta", None) or {}
        if "code" in meta:
            account = services.account_by_code(self.session, str(meta["code"]))
            fund = self._fund(str(meta["fund"])) if "fund" in meta else self.default_fund
            return account, fund
        prefix = max((p for p in self.mapping.accounts if name == p or name.startswith(p + ":")),
                     key=len, default=None)
        if prefix is None:
            return None
        try:
            account = services.account_by_code(self.session, self.mapping.accounts[prefix])
        except NotFound as error:
            raise ValidationError(f"The mapping names {prefix} -> "
                                  f"{self.mapping.accounts[prefix]}: {error}") from None
        rest = name[len(prefix) + 1:]
        if self.mapping.fund_segment and rest:
            return account, self._fund(rest.split(":")[0])
        return account, self.default_fund


def _lines(txn: data.Transaction, resolve: _Resolver) -> tuple[list[Line] | None, str]:
    """The ledger lines of a transaction, or None and why it is skipped."""
    currencies = known_currencies()
    lines: list[Line] = []
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for posting in txn.postings:
        units = posting.units
        if units is None or units.number is None:
            return None, "a posting without an amount"
        if units.currency not in currencies:
            return None, f"{units.currency} is not a currency"
        if posting.cost is not None or posting.price is not None:
            return None, "held at a cost or price (a conversion)"
        target = resolve(posting.account)
        if target is None:
            return None, f"{posting.account} maps to no ledger account"
        try:
            money = Money.from_decimal(units.number, units.currency)
        except ValidationError as error:
            return None, str(error)
        sums[units.currency] += units.number
        if money.amount and target[0].role != INTERFUND_ROLE:  # the ledger adds those itself
            lines.append(Line(target[0], target[1], money))
    if any(total for total in sums.values()):
        return None, "does not balance in each currency"
    if len(lines) < 2:
        return None, "fewer than two postings with an amount"
    return lines, ""


def _drafts(entries: list, resolve: _Resolver, report: ImportReport, filename: str):
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            if not isinstance(entry, (data.Open, data.Close, data.Commodity)):
                report.skipped_directives[type(entry).__name__.lower()] += 1
            continue
        lines, reason = _lines(entry, resolve)
        description = " – ".join(part for part in (entry.payee, entry.narration) if part) \
            or "Imported from Beancount"
        if lines is None:
            report.skipped.append(f"{entry.date} {description[:60]!r} "
                                  f"(line {entry.meta.get('lineno')}): {reason}")
            continue
        report.entries += 1
        report.postings += len(lines)
        source = str(entry.meta.get("entry") or f"{filename}:{entry.meta.get('lineno')}")[:64]
        yield bulk.EntryDraft(entry.date, description[:500], lines, source)


def _load(path: str | Path):
    """Beancount's loader (parse, book, run the plugins, validate) without its pickle cache,
    which would write a hidden file beside the user's books."""
    uncached = getattr(loader, "_uncached_load_file", None)
    if uncached is None:  # a Beancount without it: the public loader, cache and all
        return loader.load_file(str(path))
    return uncached(str(Path(path).resolve()), None, None, None)


def import_file(session: Session, path: str | Path, *, mapping: Mapping, actor: Actor,
                dry_run: bool = False) -> ImportReport:
    """Import the Beancount file at ``path`` into the (empty) ledger; one transaction."""
    entries, errors, _ = _load(path)
    if errors:
        shown = "; ".join(f"line {getattr(e, 'source', {}).get('lineno', '?')}: {e.message}"
                          for e in errors[:5])
        raise ValidationError(f"Beancount finds {len(errors)} error(s) in the file: {shown}")
    if reads.entry_count(session):
        raise ValidationError("The ledger has entries already: a Beancount history is imported "
                              "into an empty ledger only.")
    report = ImportReport(dry_run=dry_run)
    opens = {entry.account: entry for entry in entries if isinstance(entry, data.Open)}
    try:
        with transaction(session):
            resolve = _Resolver(session, opens, mapping, actor, report)
            bulk.post_entries(session, _drafts(entries, resolve, report, Path(path).name),
                              actor=actor, source_kind=SOURCE_KIND,
                              summary=f"imported from {Path(path).name}")
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report
