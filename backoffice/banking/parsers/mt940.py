"""MT940 (SWIFT customer statement) through the ``mt-940`` library.

The library reads the fields, including the structured ``:86:`` of German banks (``?00`` posting
text, ``?20``-``?29`` purpose with the SEPA keywords EREF/KREF/MREF/SVWZ, ``?30``/``?31`` the
counterparty's BIC and IBAN, ``?32``/``?33`` its name). This module adds what a bank-statement
import needs around it: the SWIFT envelope (``{1:...}{4:`` ... ``-}``) removed, statements split
over several messages (``:60M:``/``:62M:``) joined, Dutch slash-coded ``:86:`` details
(``/EREF/.../NAME/.../REMI/...``) read, a ``:61:`` line tolerated whose customer reference is
longer than the 16 characters of the standard (ASN, SNS put the IBAN there), and every failure
turned into a message naming the line.
"""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, ClassVar

import mt940
from mt940 import tags as library_tags

from ...core.errors import ValidationError
from ...core.i18n import _
from ...core.money import Money
from .common import (
    ParsedFile,
    ParsedLine,
    ParsedStatement,
    StatementFormatError,
    check_lines,
    clean,
)

if TYPE_CHECKING:
    from datetime import date

# The library logs each pattern it fails to match; we report failures ourselves, with the line.
logging.getLogger("mt940").setLevel(logging.CRITICAL)

ENVELOPE = re.compile(r"^\{1:[^\n]*?\{4:\s*$|^-\}.*$|^-\s*$|^\{5:.*$", re.MULTILINE)
SLASH_CODES = re.compile(r"/(EREF|MARF|CSID|CNTP|REMI|NAME|ADDR|IBAN|BIC|ORDP|BENM|TRCD|RTRN|"
                         r"PREF|ISDT|CDTRREF|CDTRREFTP|USTD|STRD|CD|ISSR|ID|FX|OCMT)/")


# The library keys its processors (the February-30 fix, the :86: reader) by a slug it derives
# from the tag's class name, so these keep the names of the classes they extend.
class Statement(library_tags.Statement):
    """``:61:`` as the standard has it, or else with a customer reference of up to 34 characters
    and supplementary details on the following lines."""

    LENIENT: ClassVar[re.Pattern] = re.compile(r"""^
    (?P<year>\d{2})(?P<month>\d{2})(?P<day>\d{2})
    (?P<entry_month>\d{2}|\s{2})?(?P<entry_day>\d{2}|\s{2})?
    (?P<status>R?[DC])(?P<funds_code>[A-Z])?[\n ]?
    (?P<amount>[\d,]{1,15})
    (?P<id>[A-Z][A-Z0-9 ]{3})?
    (?P<customer_reference>((?!//)[^\n]){0,34})
    (//(?P<bank_reference>[^\n]{0,23}))?
    (\n(?P<extra_details>[\s\S]*))?
    $""", library_tags.Statement.RE_FLAGS)

    def parse(self, transactions: mt940.models.Transactions, value: str):
        match = self.re.match(value)
        if match:
            return match.groupdict()
        match = self.LENIENT.match(value)
        if match:
            return match.groupdict()
        return super().parse(transactions, value)  # raises, naming the value


class StatementNumber(library_tags.StatementNumber):
    """``:28C:`` even when a bank wrapped it over two lines."""

    def parse(self, transactions: mt940.models.Transactions, value: str):
        return super().parse(transactions, "".join(value.split()))


TAGS = {61: Statement(), 28: StatementNumber()}
OPTIONS = mt940.Options.all()


def decode(data: bytes) -> str:
    """UTF-8 when it is; otherwise Windows-1252 (German banks' usual ISO-8859-1 superset)."""
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")


def _line_of(text: str, fragment: str) -> int | None:
    position = text.find(fragment[:60]) if fragment else -1
    return None if position < 0 else text.count("\n", 0, position) + 1


def parse(data: bytes) -> ParsedFile:
    text = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    check_lines(text)
    body = ENVELOPE.sub("", text)
    if not re.search(r"(?m)^:20:", body) or not re.search(r"(?m)^:6[01][FM]?:", body):
        raise StatementFormatError(
            _("this is not an MT940 statement: it needs the fields :20:, :25:, :28C:, :60F:, "
              ":61:/:86: and :62F:"))
    try:
        chunks = mt940.parse_statements(body, tags=TAGS, options=OPTIONS)
    except RuntimeError as error:
        value = error.args[2] if len(error.args) > 2 else ""
        tag = error.args[1] if len(error.args) > 1 else None
        line = _line_of(text, value)
        field = f":{tag.id}:" if tag is not None else ""
        raise StatementFormatError(
            _("%(tag)s %(value)s is not valid MT940", tag=field, value=repr(clean(value)[:80]))
            if tag is not None else
            _("a field %(value)s is not valid MT940", value=repr(clean(value)[:80])),
            _("line %(number)s", number=line) if line else None) from None
    except (ValueError, KeyError, AttributeError, TypeError, IndexError) as error:
        raise StatementFormatError(_("the MT940 file could not be read (%(error)s)", error=error)) from None
    statements: list[ParsedStatement] = []
    continued = False
    for number, chunk in enumerate(chunks, 1):
        where = _("statement %(number)s", number=number)
        data_ = chunk.data
        opening = data_.get("final_opening_balance") or data_.get("opening_balance")
        intermediate_opening = data_.get("intermediate_opening_balance")
        closing = data_.get("final_closing_balance") or data_.get("closing_balance")
        intermediate_closing = data_.get("intermediate_closing_balance")
        account = clean(data_.get("account_identification"))
        if continued and statements and statements[-1].account == account and opening is None:
            statement = statements[-1]  # the next message of a statement split over several
        else:
            statement = ParsedStatement(where=where, account=account)
            statement.reference = clean(data_.get("transaction_reference"))
            sequence = [data_.get("statement_number"), data_.get("sequence_number")]
            statement.sequence = "/".join(str(s) for s in sequence if s)
            balance = opening or intermediate_opening
            if balance is not None:
                statement.opening, statement.currency = _money(balance.amount, where)
                statement.opening_date = _plain_date(balance.date)
            statements.append(statement)
        balance = closing or intermediate_closing
        if balance is not None:
            statement.closing, currency = _money(balance.amount, where)
            statement.closing_date = _plain_date(balance.date)
            statement.currency = statement.currency or currency
        continued = closing is None and intermediate_closing is not None
        for index, transaction in enumerate(chunk.transactions, 1):
            statement.lines.append(_line(transaction.data, statement,
                                         _("%(where)s, entry %(number)s", where=where, number=index)))
    for statement in statements:
        if statement.opening is None or statement.closing is None:
            raise StatementFormatError(
                _("the statement has no opening (:60F:) or closing (:62F:) balance; an MT942 "
                  "interim report or a fragment cannot be imported"), statement.where)
        for line in statement.lines:
            if line.currency != statement.currency:
                raise StatementFormatError(
                    _("an entry in %(currency)s on a %(kept)s statement", currency=line.currency,
                      kept=statement.currency), line.where)
    if not statements:
        raise StatementFormatError(_("the file contains no MT940 statement"))
    return ParsedFile("mt940", statements)


def _plain_date(value: date | None):
    from datetime import date
    return date(value.year, value.month, value.day) if value is not None else None


def _money(amount: mt940.models.Amount, where: str) -> tuple[int, str]:
    currency = str(amount.currency or "")
    try:
        return Money.from_decimal(amount.amount, currency).amount, currency
    except ValidationError as error:
        raise StatementFormatError(str(error), where) from None


def _line(data: dict, statement: ParsedStatement, where: str) -> ParsedLine:
    if "amount" not in data or "date" not in data:
        raise StatementFormatError(_("an :86: field comes before any :61: line"), where)
    amount, currency = _money(data["amount"], where)
    value_date = _plain_date(data["date"])
    booking_date = _plain_date(data.get("entry_date")) or value_date
    details = clean(data.get("transaction_details"))
    name = clean(data.get("applicant_name"))
    iban = clean(data.get("applicant_iban") or data.get("gvc_applicant_iban"))
    bic = clean(data.get("applicant_bin") or data.get("gvc_applicant_bin"))
    purpose = clean(data.get("purpose"))
    references = [clean(data.get(key)) for key in
                  ("end_to_end_reference", "additional_position_reference",
                   "applicant_creditor_id")]
    if purpose or data.get("posting_text"):   # German structured :86:
        remittance = purpose or clean(data.get("posting_text"))
    else:
        codes = _slash_codes(data.get("transaction_details") or "")
        remittance = re.sub(r"^(USTD//|STRD/CUR/)", "", codes.get("REMI", "")) or details
        name = name or codes.get("NAME", "")
        if codes.get("CNTP"):  # ING: /CNTP/IBAN/BIC/NAME/
            parts = codes["CNTP"].split("/")
            iban = iban or parts[0]
            bic = bic or (parts[1] if len(parts) > 1 else "")
            name = name or (parts[2] if len(parts) > 2 else "")
        iban = iban or codes.get("IBAN", "")
        references.append(codes.get("EREF", ""))
    customer_reference = clean(data.get("customer_reference"))
    if customer_reference and customer_reference.upper() != "NONREF":
        references.append(customer_reference)
    bank_reference = clean(data.get("bank_reference"))
    if bank_reference.upper() == "NONREF":
        bank_reference = ""
    status = str(data.get("status") or "")
    line = ParsedLine(
        booking_date=booking_date, value_date=value_date, amount=amount, currency=currency,
        counterparty_name=name, counterparty_iban=iban.replace(" ", ""), counterparty_bic=bic,
        remittance=remittance, references=tuple(dict.fromkeys(r for r in references if r)),
        bank_reference=bank_reference,
        transaction_code=clean(data.get("transaction_code") or data.get("id")),
        reversal=status.upper().startswith("R"), where=where)
    if data.get("posting_text"):
        line.details.append({"posting_text": clean(data.get("posting_text"))})
    line.return_reason = _return_reason(line.transaction_code, details, remittance,
                                        clean(data.get("posting_text")))
    return line


#: German banks book a returned SEPA transfer with business transaction code (GVC) 159.
GERMAN_RETURN_CODES = ("159",)
REASON_CODE = re.compile(r"\b([A-Z]{2}\d{2}|FOCR|CUST|DUPL|TECH|FRAD|NARR)\b")


def _return_reason(code: str, details: str, remittance: str, posting_text: str) -> str:
    """The reason of a returned transfer, where the :86: says it cheaply: the Dutch
    ``/RTRN/AC04/`` slash code, or a German return (GVC 159, or "RETOURE"/"RUECKUEBERWEISUNG"
    in the posting text) with the ISO reason code in its text ("RETURN", when it names none)."""
    dutch = _slash_codes(details).get("RTRN", "") if "/RTRN/" in details else ""
    if dutch:
        return dutch.split("/")[0][:35]
    german = code in GERMAN_RETURN_CODES or any(
        word in posting_text.upper() for word in ("RETOURE", "RUECKUEBERWEISUNG", "RÜCKÜBERWEISUNG"))
    if not german:
        return ""
    found = REASON_CODE.search(f"{remittance} {details}".upper())
    return found.group(1) if found else "RETURN"


def _slash_codes(details: str) -> dict[str, str]:
    """Dutch banks' ``/CODE/value/CODE/value`` :86: details as a dict."""
    flat = "".join(details.split("\n"))
    found: dict[str, str] = {}
    matches = list(SLASH_CODES.finditer(flat))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(flat)
        value = flat[match.end():end].strip("/ ")
        if match.group(1) == "USTD" and "REMI" in found and not found["REMI"]:
            found["REMI"] = clean(value)
        found.setdefault(match.group(1), clean(value))
    return found
