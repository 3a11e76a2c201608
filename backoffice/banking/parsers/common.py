"""What every statement parser returns, and the errors it raises.

Parsers turn bytes into plain data (no database, no Flask): ``ParsedFile`` with its statements
and their lines. Amounts are already integer minor units; ``Decimal`` lives only inside the
parsers. Anything that is not what the format promises raises ``StatementFormatError`` naming
where (line, column, statement, entry) and why; the import then writes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from ...core.errors import ValidationError
from ...core.i18n import _
from ...core.money import Money, check_currency

#: No statement line of any format is longer than this (MT940 lines are 65 characters, CSV rows
#: and CAMT lines of a few hundred); a longer one is refused before anything is parsed.
MAX_LINE_CHARS = 20_000
#: The largest file accepted (a year of a busy account as CAMT.053 is a few megabytes).
MAX_FILE_BYTES = 25 * 1024 * 1024


class StatementFormatError(ValidationError):
    """The file is not a well-formed statement; ``where`` says where the parser gave up."""

    def __init__(self, message: str, where: str | None = None):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message, field="file")


@dataclass
class ParsedLine:
    booking_date: date
    amount: int                    # minor units, signed from the account holder's view (in > 0)
    currency: str
    value_date: date | None = None
    counterparty_name: str = ""
    counterparty_iban: str = ""
    counterparty_bic: str = ""
    remittance: str = ""           # what the payer wrote (structured references included)
    references: tuple[str, ...] = ()  # end-to-end ids, mandate ids, creditor references
    bank_reference: str = ""       # the bank's own unique reference for the entry, if any
    transaction_code: str = ""     # BkTxCd / GVC / MT940 transaction type
    reversal: bool = False
    #: The ISO 20022 reason a transfer came back (CAMT RtrInf, MT940 /RTRN/ or a German return):
    #: "AC04", "MD07", ...; '' for anything else.
    return_reason: str = ""
    charges: int | None = None     # charges the bank reports for the entry (minor units)
    details: list[dict] = field(default_factory=list)  # batch transactions, original amounts
    where: str = ""                # "statement 1, entry 3": for messages


@dataclass
class ParsedStatement:
    account: str = ""              # IBAN or the bank's account identification
    currency: str = ""
    reference: str = ""            # statement id (CAMT Stmt/Id, MT940 :20:)
    sequence: str = ""             # electronic sequence / statement number
    opening: int | None = None
    opening_date: date | None = None
    closing: int | None = None
    closing_date: date | None = None
    lines: list[ParsedLine] = field(default_factory=list)
    where: str = ""

    @property
    def start_date(self) -> date | None:
        """The first day the statement covers. Banks date the opening balance either on the
        day before (MT940's :60F:, the previous closing) or on the first day (CAMT's OPBD):
        the day after it, unless a line is booked earlier."""
        dates = [line.booking_date for line in self.lines]
        after_opening = self.opening_date + timedelta(days=1) if self.opening_date else None
        candidates = [d for d in (after_opening, min(dates, default=None), self.closing_date) if d]
        return min(candidates, default=None)

    @property
    def end_date(self) -> date | None:
        dates = [line.booking_date for line in self.lines]
        candidates = [d for d in (self.closing_date, max(dates, default=None)) if d]
        return max(candidates, default=None)

    @property
    def entries_total(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass
class ParsedFile:
    format: str                    # "camt053", "mt940", "csv"
    statements: list[ParsedStatement]

    @property
    def line_count(self) -> int:
        return sum(len(s.lines) for s in self.statements)


def minor_units(text: str, currency: str, where: str, *, decimal_comma: bool = False) -> int:
    """A statement amount ("1234.56", or "1234,56" with ``decimal_comma``) in minor units."""
    raw = (text or "").strip()
    if decimal_comma:
        raw = raw.replace(".", "").replace(",", ".") if "," in raw else raw
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise StatementFormatError(_("%(text)s is not an amount", text=repr(text)), where) from None
    try:
        return Money.from_decimal(value, check_currency(currency)).amount
    except ValidationError as error:
        raise StatementFormatError(str(error), where) from None


def check_lines(text: str, name: str = "the file") -> None:
    """Refuse text with an absurdly long line before a parser spends time on it."""
    start = 0
    number = 1
    length = len(text)
    while start < length:
        end = text.find("\n", start)
        end = length if end == -1 else end
        if end - start > MAX_LINE_CHARS:
            found, limit = f"{end - start:,}", f"{MAX_LINE_CHARS:,}"
            raise StatementFormatError(
                _("the line is %(length)s characters long (at most %(limit)s are expected); this "
                  "is not a bank statement", length=found, limit=limit),
                _("line %(number)s", number=number))
        start = end + 1
        number += 1


def clean(text: str | None) -> str:
    """Collapse whitespace; ``None`` becomes ''."""
    return " ".join((text or "").split())
