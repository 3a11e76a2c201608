"""CAMT.053 (ISO 20022 bank-to-customer statement), versions 001.02 to 001.13.

Safe parsing: defusedxml reads the prolog with document type declarations forbidden outright
(no external entities, no entity expansion such as billion laughs, no network) up to the root
element; since a DTD can only stand before the root element, the rest is then read by the C
parser of the standard library (defusedxml's own parser is pure Python and several times
slower on a 10,000-entry file). Several statements per file; entries with one
or several transactions (batch bookings); the reversal indicator; charges; amounts in another
currency than the account's (kept in the line's details).

Signs: CdtDbtInd is the direction of the booking itself, also for a reversal (ISO 20022: "if
CdtDbtInd is CRDT and RvslInd is true, the original operation was a debit"). The counterparty is
the debtor of a credit and the creditor of a debit, taken from the original direction.
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from xml.etree.ElementTree import Element, ParseError, XMLParser

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from ...core.i18n import _
from .common import (
    ParsedFile,
    ParsedLine,
    ParsedStatement,
    StatementFormatError,
    clean,
    minor_units,
)

NAMESPACE = re.compile(r"^\{urn:iso:std:iso:20022:tech:xsd:(camt\.\d{3})\.001\.(\d{2})\}Document$")
OPENING_CODES = ("OPBD", "PRCD")  # opening booked; previous closing booked (used by some banks)
CLOSING_CODES = ("CLBD",)
BOOKED = ("BOOK", "")             # entries with another status (PDNG, INFO) are not booked yet


class _RootReached(Exception):
    pass


class _Gate:
    """An ElementTree parser target that stops at the root element's start tag."""

    def start(self, tag: str, attributes: dict[str, str]):
        raise _RootReached

    def end(self, tag: str):
        pass

    def data(self, text: str):
        pass

    def close(self):
        pass


def _check_prolog(data: bytes) -> None:
    """defusedxml over everything before the root element: a DTD or an entity is refused."""
    gate = DefusedXMLParser(target=_Gate(), forbid_dtd=True, forbid_entities=True,
                            forbid_external=True)
    try:
        for start in range(0, len(data), 65536):
            gate.feed(data[start:start + 65536])
        gate.close()
    except _RootReached:
        return


def _read(data: bytes) -> Element:
    _check_prolog(data)
    parser = XMLParser()
    parser.feed(data)
    return parser.close()


def parse(data: bytes) -> ParsedFile:
    try:
        root = _read(data)
    except DefusedXmlException as error:
        raise StatementFormatError(
            _("the XML declares a document type or entities (%(error)s); bank statements never "
              "do, so the file is refused unread", error=type(error).__name__)) from None
    except ParseError as error:
        line, column = getattr(error, "position", (None, None))
        reason = str(error).split(":")[0]
        raise StatementFormatError(_("the XML is not well-formed (%(reason)s)", reason=reason),
                                   _("line %(line)s, column %(column)s", line=line, column=column)
                                   if line else None) from None
    match = NAMESPACE.match(root.tag)
    if not match:
        raise StatementFormatError(
            _("this XML is not an ISO 20022 CAMT document (its root element is %(root)s)",
              root=repr(root.tag)))
    message, version = match.groups()
    if message != "camt.053":
        raise StatementFormatError(
            _("this is a %(kind)s message; import the account statement (camt.053) instead",
              kind=message))
    x = _Paths(root.tag[1:root.tag.index("}")])
    body = x.find(root, "BkToCstmrStmt")
    if body is None:
        raise StatementFormatError(_("the document has no BkToCstmrStmt element"))
    statements = []
    for number, element in enumerate(x.findall(body, "Stmt"), 1):
        statements.append(_statement(x, element, _("statement %(number)s", number=number)))
    if not statements:
        raise StatementFormatError(_("the file contains no statement"))
    return ParsedFile("camt053", statements)


class _Paths:
    """Namespaced ElementTree paths from plain ones ("Bal/Tp" -> "{ns}Bal/{ns}Tp")."""

    def __init__(self, namespace: str):
        self.ns = namespace

    @lru_cache(maxsize=256)  # noqa: B019 (a handful of instances, one per file)
    def path(self, plain: str) -> str:
        return "/".join(f"{{{self.ns}}}{part}" for part in plain.split("/"))

    def find(self, element: Element, plain: str) -> Element | None:
        return element.find(self.path(plain))

    def findall(self, element: Element, plain: str) -> list[Element]:
        return element.findall(self.path(plain))

    def text(self, element: Element | None, plain: str) -> str:
        if element is None:
            return ""
        found = element.find(self.path(plain))
        return clean(found.text) if found is not None and found.text else ""

    def first(self, element: Element | None, *plains: str) -> str:
        for plain in plains:
            value = self.text(element, plain)
            if value:
                return value
        return ""


_LOCAL: dict[str, str] = {}  # "{namespace}Tag" -> "Tag"


class _Flat:
    """An element's descendants by local path ("RltdPties/Dbtr/Nm"), walked once: looking up
    twenty paths per entry this way costs a fraction of twenty ElementTree searches."""

    __slots__ = ("paths",)

    def __init__(self, element: Element, skip: frozenset[str] = frozenset()):
        self.paths: dict[str, list[Element]] = {}
        paths = self.paths
        stack = [(child, "") for child in element]
        stack.reverse()
        while stack:
            node, prefix = stack.pop()
            local = _LOCAL.get(node.tag)
            if local is None:
                tag = node.tag
                local = tag[tag.index("}") + 1:] if tag[0] == "{" else tag
                if len(_LOCAL) < 2000:  # CAMT has a few hundred tags; a hostile file more
                    _LOCAL[tag] = local
            path = prefix + local
            found = paths.get(path)
            if found is None:
                paths[path] = [node]
            else:
                found.append(node)
            if len(node) and local not in skip:
                children = [(child, path + "/") for child in node]
                children.reverse()
                stack.extend(children)

    def all(self, path: str) -> list[Element]:
        return self.paths.get(path, [])

    def text(self, path: str) -> str:
        found = self.paths.get(path)
        return clean(found[0].text) if found and found[0].text else ""

    def first(self, *paths: str) -> str:
        for path in paths:
            value = self.text(path)
            if value:
                return value
        return ""

    def amount(self, path: str, where: str) -> tuple[int, str] | None:
        found = self.paths.get(path)
        return _money(found[0], where) if found else None


def _money(found: Element, where: str) -> tuple[int, str]:
    currency = found.get("Ccy", "")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise StatementFormatError(f"the amount {found.text!r} has no valid currency", where)
    return minor_units(found.text or "", currency, where), currency


def _flat_date(flat: _Flat, path: str, where: str, what: str) -> date | None:
    """A <Dt> or <DtTm> under ``path`` as a date (a date-time keeps its calendar day)."""
    text = flat.first(f"{path}/Dt", f"{path}/DtTm")
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise StatementFormatError(f"the {what} {text!r} is not a date", where) from None


def _amount(x: _Paths, element: Element, path: str, where: str) -> tuple[int, str] | None:
    found = x.find(element, path)
    return None if found is None else _money(found, where)


def _statement(x: _Paths, element: Element, where: str) -> ParsedStatement:
    statement = ParsedStatement(where=where)
    statement.reference = x.text(element, "Id")
    statement.sequence = x.first(element, "ElctrncSeqNb", "LglSeqNb")
    account = x.find(element, "Acct")
    statement.account = x.first(account, "Id/IBAN", "Id/Othr/Id")
    statement.currency = x.text(account, "Ccy")
    for balance in x.findall(element, "Bal"):
        code = x.first(balance, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
        parsed = _amount(x, balance, "Amt", f"{where}, balance {code}")
        if parsed is None:
            raise StatementFormatError(f"the {code} balance has no amount", where)
        amount, currency = parsed
        if x.text(balance, "CdtDbtInd") == "DBIT":
            amount = -amount
        day = _flat_date(_Flat(balance), "Dt", where, f"date of the {code} balance")
        if code in OPENING_CODES and statement.opening is None:
            statement.opening, statement.opening_date = amount, day
        elif code in CLOSING_CODES:
            statement.closing, statement.closing_date = amount, day
        statement.currency = statement.currency or currency
    for number, entry in enumerate(x.findall(element, "Ntry"), 1):
        line = _entry(x, entry, _("%(where)s, entry %(number)s", where=where, number=number))
        if line is not None:
            statement.lines.append(line)
    if not statement.currency:
        currencies = {line.currency for line in statement.lines}
        statement.currency = currencies.pop() if len(currencies) == 1 else ""
    if not statement.currency:
        raise StatementFormatError(_("the statement names no currency"), where)
    for line in statement.lines:
        if line.currency != statement.currency:
            raise StatementFormatError(
                _("an entry is booked in %(currency)s on a %(kept)s account",
                  currency=line.currency, kept=statement.currency),
                line.where)
    return statement


def _entry(x: _Paths, element: Element, where: str) -> ParsedLine | None:
    entry = _Flat(element, skip=frozenset({"TxDtls"}))
    status = entry.first("Sts/Cd", "Sts")
    if status not in BOOKED:
        return None
    parsed = entry.amount("Amt", where)
    if parsed is None:
        raise StatementFormatError(_("the entry has no amount"), where)
    amount, currency = parsed
    direction = entry.text("CdtDbtInd")
    if direction not in ("CRDT", "DBIT"):
        raise StatementFormatError(f"the credit/debit indicator is {direction!r}", where)
    reversal = entry.text("RvslInd").lower() in ("true", "1")
    booking = _flat_date(entry, "BookgDt", where, "booking date")
    value = _flat_date(entry, "ValDt", where, "value date")
    if booking is None and value is None:
        raise StatementFormatError(_("the entry has neither a booking nor a value date"), where)
    domain = "/".join(filter(None, (entry.text("BkTxCd/Domn/Cd"), entry.text("BkTxCd/Domn/Fmly/Cd"),
                                    entry.text("BkTxCd/Domn/Fmly/SubFmlyCd"))))
    line = ParsedLine(
        booking_date=booking or value, value_date=value,
        amount=amount if direction == "CRDT" else -amount, currency=currency,
        bank_reference=entry.first("AcctSvcrRef", "NtryRef"),
        transaction_code=domain or entry.text("BkTxCd/Prtry/Cd"),
        reversal=reversal, where=where)
    # The counterparty is on the other side of the original booking.
    original_credit = (direction == "CRDT") != reversal
    party, agent = ("Dbtr", "DbtrAgt") if original_credit else ("Cdtr", "CdtrAgt")
    line.charges = _charges(entry, where)
    texts, references, names, ibans, bics = [], [], [], [], []
    transactions = entry.all("NtryDtls/TxDtls")
    for number, element in enumerate(transactions, 1):
        tx_where = f"{where}, transaction {number}"
        tx = _Flat(element)
        name = tx.first(f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm",
                        f"RltdPties/Ultmt{party}/Nm", f"RltdPties/Ultmt{party}/Pty/Nm")
        iban = tx.first(f"RltdPties/{party}Acct/Id/IBAN", f"RltdPties/{party}Acct/Id/Othr/Id")
        bic = tx.first(f"RltdAgts/{agent}/FinInstnId/BIC", f"RltdAgts/{agent}/FinInstnId/BICFI")
        unstructured = " ".join(clean(u.text) for u in tx.all("RmtInf/Ustrd") if u.text)
        structured = [clean(r.text) for r in tx.all("RmtInf/Strd/CdtrRefInf/Ref") if r.text]
        refs = [value for value in (tx.text("Refs/EndToEndId"), tx.text("Refs/MndtId"),
                                    tx.text("Refs/PmtInfId"), tx.text("Refs/InstrId"))
                if value and value.upper() != "NOTPROVIDED"]
        text = " ".join(filter(None, (unstructured, *structured)))
        detail = {"name": name, "iban": iban, "text": text, "references": refs + structured}
        tx_amount = tx.amount("AmtDtls/TxAmt/Amt", tx_where) or tx.amount("Amt", tx_where)
        if tx_amount:
            detail["amount"], detail["currency"] = tx_amount
        instructed = tx.amount("AmtDtls/InstdAmt/Amt", tx_where)
        if instructed and instructed[1] != currency:
            detail["original_amount"], detail["original_currency"] = instructed
        reason = tx.first("RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry")
        explained = " ".join(clean(a.text) for a in tx.all("RtrInf/AddtlInf") if a.text)
        if reason or explained:
            detail["return_reason"] = reason or explained
            line.return_reason = line.return_reason or (reason or "RTRN")[:35]
            if explained:
                detail["return_information"] = explained
        line.details.append(detail)
        texts.append(text or tx.text("AddtlTxInf"))
        references += refs + structured
        names.append(name)
        ibans.append(iban)
        bics.append(bic)
        if not line.bank_reference and len(transactions) == 1:
            line.bank_reference = tx.text("Refs/AcctSvcrRef")
    if entry.all("NtryDtls/Btch") and len(transactions) != 1:
        batch = entry.first("NtryDtls/Btch/PmtInfId", "NtryDtls/Btch/MsgId")
        line.details.insert(0, {"batch": batch, "transactions": entry.text("NtryDtls/Btch/NbOfTxs")})
        references.append(batch)
    line.remittance = " / ".join(t for t in texts if t) or entry.text("AddtlNtryInf")
    line.references = tuple(dict.fromkeys(r for r in references if r))
    distinct_names = list(dict.fromkeys(n for n in names if n))
    line.counterparty_name = distinct_names[0] if len(distinct_names) == 1 else (
        f"{len(transactions)} payments" if len(distinct_names) > 1 else "")
    # An account only when every transaction names the same one (a batch of several payers
    # has no single counterparty).
    line.counterparty_iban = ibans[0] if ibans and ibans[0] and len(set(ibans)) == 1 else ""
    line.counterparty_bic = bics[0] if bics and bics[0] and len(set(bics)) == 1 else ""
    return line


def _charges(entry: _Flat, where: str) -> int | None:
    """Total charges reported on the entry (camt.053.001.02: Chrgs/Amt; later versions:
    Chrgs/TtlChrgsAndTaxAmt or one Chrgs/Rcrd/Amt per charge)."""
    parsed = entry.amount("Chrgs/TtlChrgsAndTaxAmt", where) or entry.amount("Chrgs/Amt", where)
    if parsed:
        return parsed[0]
    records = [_money(amount, f"{where}, charges") for amount in entry.all("Chrgs/Rcrd/Amt")]
    return sum(amount for amount, _ in records) if records else None
