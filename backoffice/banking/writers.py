"""Write statements as CAMT.053 and MT940, from the same ``ParsedStatement`` the parsers return.

Used by the demo (a year of statements generated from the demo ledger), by tests (sample files
written from the specifications' structure) and by the benchmark. Not an export for banks.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from xml.sax.saxutils import escape

from ..core import clock
from ..core.money import Money
from .parsers import ParsedStatement

CAMT_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _decimal(amount: int, currency: str) -> str:
    return f"{Money(abs(amount), currency).to_decimal():f}"


def camt053(iban: str, statements: Sequence[ParsedStatement], *, message_id: str = "DEMO",
            bic: str = "", namespace: str = CAMT_NAMESPACE) -> bytes:
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{namespace}">'
             f"<BkToCstmrStmt><GrpHdr><MsgId>{escape(message_id)}</MsgId>"
             f"<CreDtTm>{clock.today().isoformat()}T00:00:00</CreDtTm></GrpHdr>"]
    for number, statement in enumerate(statements, 1):
        currency = statement.currency
        parts.append(
            f"<Stmt><Id>{escape(statement.reference or f'{message_id}-{number}')}</Id>"
            f"<ElctrncSeqNb>{escape(statement.sequence or str(number))}</ElctrncSeqNb>"
            f"<Acct><Id><IBAN>{statement.account or iban}</IBAN></Id><Ccy>{currency}</Ccy>"
            + (f"<Svcr><FinInstnId><BICFI>{bic}</BICFI></FinInstnId></Svcr>" if bic else "")
            + "</Acct>")
        for code, amount, day in (("OPBD", statement.opening, statement.opening_date),
                                  ("CLBD", statement.closing, statement.closing_date)):
            if amount is None:
                continue
            parts.append(
                f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
                f'<Amt Ccy="{currency}">{_decimal(amount, currency)}</Amt>'
                f"<CdtDbtInd>{'CRDT' if amount >= 0 else 'DBIT'}</CdtDbtInd>"
                f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>")
        for line in statement.lines:
            credit = line.amount > 0
            party, agent = ("Dbtr", "DbtrAgt") if credit != line.reversal else ("Cdtr", "CdtrAgt")
            tx = ["<TxDtls><Refs>"]
            if line.bank_reference:
                tx.append(f"<AcctSvcrRef>{escape(line.bank_reference)}</AcctSvcrRef>")
            tx.append(f"<EndToEndId>{escape(line.references[0] if line.references else 'NOTPROVIDED')}"
                      f"</EndToEndId></Refs>")
            tx.append(f'<Amt Ccy="{currency}">{_decimal(line.amount, currency)}</Amt>')
            if line.counterparty_name or line.counterparty_iban:
                tx.append("<RltdPties>")
                if line.counterparty_name:
                    tx.append(f"<{party}><Pty><Nm>{escape(line.counterparty_name)}</Nm></Pty></{party}>")
                if line.counterparty_iban:
                    tx.append(f"<{party}Acct><Id><IBAN>{line.counterparty_iban}</IBAN></Id></{party}Acct>")
                tx.append("</RltdPties>")
            if line.counterparty_bic:
                tx.append(f"<RltdAgts><{agent}><FinInstnId><BICFI>{line.counterparty_bic}</BICFI>"
                          f"</FinInstnId></{agent}></RltdAgts>")
            if line.remittance:
                tx.append(f"<RmtInf><Ustrd>{escape(line.remittance[:140])}</Ustrd></RmtInf>")
            if line.return_reason:
                tx.append(f"<RtrInf><Rsn><Cd>{escape(line.return_reason)}</Cd></Rsn></RtrInf>")
            tx.append("</TxDtls>")
            parts.append(
                f'<Ntry><Amt Ccy="{currency}">{_decimal(line.amount, currency)}</Amt>'
                f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>"
                + ("<RvslInd>true</RvslInd>" if line.reversal else "")
                + f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{line.booking_date.isoformat()}</Dt></BookgDt>"
                f"<ValDt><Dt>{(line.value_date or line.booking_date).isoformat()}</Dt></ValDt>"
                + (f"<AcctSvcrRef>{escape(line.bank_reference)}</AcctSvcrRef>"
                   if line.bank_reference else "")
                + "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>"
                + ("ICDT" if line.return_reason or not credit else "RCDT") + "</Cd><SubFmlyCd>"
                + ("RRTN" if line.return_reason else "ESCT" if credit else "DMCT")
                + "</SubFmlyCd></Fmly></Domn></BkTxCd>"
                + "<NtryDtls>" + "".join(tx) + "</NtryDtls></Ntry>")
        parts.append("</Stmt>")
    parts.append("</BkToCstmrStmt></Document>\n")
    return "".join(parts).encode("utf-8")


def _mt_amount(amount: int, currency: str) -> str:
    return f"{Decimal(abs(amount)).scaleb(-2):f}".replace(".", ",") if currency else ""


def _wrap(text: str, width: int = 27) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)] or [""]


def mt940(account: str, statements: Sequence[ParsedStatement]) -> bytes:
    """German-style MT940: structured :86: with ?00 posting text, ?20.. purpose (SVWZ+/EREF+),
    ?30 BIC, ?31 IBAN, ?32/?33 name; lines of at most 65 characters."""
    out = []
    for number, statement in enumerate(statements, 1):
        currency = statement.currency
        out += [f":20:{(statement.reference or f'STMT{number}')[:16]}", f":25:{account}",
                f":28C:{(statement.sequence or str(number))[:5]}/1"]
        sign = "C" if (statement.opening or 0) >= 0 else "D"
        out.append(f":60F:{sign}{statement.opening_date:%y%m%d}{currency}"
                   f"{_mt_amount(statement.opening or 0, currency)}")
        for line in statement.lines:
            mark = ("R" if line.reversal else "") + ("C" if line.amount > 0 else "D")
            reference = (line.bank_reference or "NONREF")[:16]
            out.append(f":61:{line.value_date or line.booking_date:%y%m%d}"
                       f"{line.booking_date:%m%d}{mark}{_mt_amount(line.amount, currency)}"
                       f"NTRFNONREF//{reference}")
            purpose = ""
            if line.references:
                purpose += f"EREF+{line.references[0]} "
            purpose += f"SVWZ+{line.remittance}"
            fields = ["166" if line.amount > 0 else "177",
                      "?00" + ("GUTSCHR. UEBERWEISUNG" if line.amount > 0 else "UEBERWEISUNG")]
            for index, chunk in enumerate(_wrap(purpose)[:10]):
                fields.append(f"?{20 + index}{chunk}")
            if line.counterparty_bic:
                fields.append(f"?30{line.counterparty_bic}")
            if line.counterparty_iban:
                fields.append(f"?31{line.counterparty_iban}")
            name = line.counterparty_name[:54]
            if name:
                fields.append(f"?32{name[:27]}")
                if len(name) > 27:
                    fields.append(f"?33{name[27:]}")
            details = "".join(fields)
            out.append(":86:" + details[:61])
            out += [details[i:i + 65] for i in range(61, len(details), 65)]
        sign = "C" if (statement.closing or 0) >= 0 else "D"
        out.append(f":62F:{sign}{statement.closing_date:%y%m%d}{currency}"
                   f"{_mt_amount(statement.closing or 0, currency)}")
        out.append("-")
    return ("\r\n".join(out) + "\r\n").encode("cp1252", errors="replace")
