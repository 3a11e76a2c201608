"""Which DATEV account each ledger account is booked to: the default mapping to SKR 49 and the
treasurer's changes to it (table ``datev_accounts``).

The default goes by the account's role (what the application uses it for), then by the code of
the chart the first migration seeded; an account the treasurer added without a mapping is
booked under its own code when that is a number of the declared length, and otherwise named in
the export's notes and left out. The SKR 49 numbers are those of DATEV's chart for
associations ("Kontenrahmen für Vereine, Stiftungen, gGmbH"): ideeller Bereich in class 2,
Spenden in class 3, Vermögensverwaltung in 4, Zweckbetriebe in 5/6, wirtschaftlicher
Geschäftsbetrieb in 7/8. DATEV replaced SKR 49 by SKR 42 from the fiscal year 2025: a tax adviser
on SKR 42 sets ``DATEV_CHART`` and edits this mapping once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..core import audit
from ..core.actors import Actor
from ..core.db import UTCDateTime, utcnow
from ..core.errors import ValidationError
from ..core.i18n import _
from ..extensions import db
from ..ledger.reads import ChartAccount, chart_accounts

#: Ledger roles that never reach the DATEV file: interfund lines net out within an entry.
NOT_EXPORTED_ROLES = frozenset({"interfund"})

#: role -> SKR 49 account.
SKR49_BY_ROLE = {
    "cash": "0920",                # Kasse
    "bank": "0940",                # Bank
    "stripe_balance": "0705",      # Geldtransit
    "receivables": "0650",         # Forderungen aus Lieferungen und Leistungen
    "input_vat": "0780",           # Abziehbare Vorsteuer 19 %
    "payables": "1340",            # Verbindlichkeiten aus L&L
    "grants_payable": "1380",      # Verbindlichkeiten für satzungsgemäße Leistungen
    "vat_payable": "1850",         # Umsatzsteuer 19 %
    "deferred_income": "1990",     # Passive Rechnungsabgrenzungsposten
    "sponsor_credits": "1800",     # Sonstige Verbindlichkeiten
    "net_assets": "1170",          # Vereinskapital / nicht zeitnah zu verwendende Mittel
    "retained_surplus": "1120",    # Sonstige Ergebnisrücklagen
    "fund_transfers": "1075",      # Rücklage aus sonstigen zeitnah zu verwendenden Mitteln
    "membership_income": "2110",   # Echte Mitgliedsbeiträge
    "donation_income": "3220",     # Erhaltene Spenden / Zuwendungen
    "sponsorship_income": "8016",  # Sonstige Werbeeinnahmen (wirtschaftlicher Geschäftsbetrieb)
    "ticket_income": "6010",       # Eintrittsgelder (Zweckbetrieb)
    "grants_income": "2300",       # Zuschüsse
    "admin_fee_income": "2450",    # Verrechnete/aufgeteilte Einnahmen ideeller Bereich
    "interest_income": "4150",     # Zinserträge (Vermögensverwaltung)
    "fx_result": "2400",           # Sonstige Einnahmen ideeller Bereich
    "grants_expense": "3251",      # Gezahlte Spenden / Zuwendungen
    "event_costs": "2704",         # Sonstige Kosten
    "reimbursements": "2900",      # Sonstige Kosten ideeller Bereich
    "admin_fee_expense": "2902",   # Verrechnete/aufgeteilte Kosten
    "payment_fees": "2703",        # Einzugskosten
    "bank_fees": "2703",           # Einzugskosten
}

#: code of the seeded chart (accounts without a role) -> SKR 49 account.
SKR49_BY_CODE = {
    "1210": "0945",  # Bank (savings)
    "1410": "0700",  # Sonstige Vermögensgegenstände
    "1500": "0990",  # Aktive Rechnungsabgrenzungsposten
    "2900": "1800",  # Sonstige Verbindlichkeiten
    "4900": "2400",  # Sonstige Einnahmen ideeller Bereich
    "5100": "2661",  # Miete und Pacht
    "5110": "2810",  # Repräsentationskosten
    "5200": "2561",  # Reisekosten
    "5400": "2801",  # Vereinsmitteilungen
    "5500": "2701",  # Büromaterial
    "5600": "2753",  # Versicherungsbeiträge
    "5700": "2894",  # Rechts- und Beratungskosten
    "6900": "2900",  # Sonstige Kosten ideeller Bereich
}


class DatevAccount(db.Model):
    """The treasurer's choice of DATEV account for one ledger account (overrides the default)."""

    __tablename__ = "datev_accounts"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    datev_account: Mapped[str] = mapped_column(String(9))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


def default_for(account: ChartAccount, length: int) -> str | None:
    """The default DATEV account of a ledger account, or None when it has none."""
    if account.role in NOT_EXPORTED_ROLES:
        return None
    number = SKR49_BY_ROLE.get(account.role or "") or SKR49_BY_CODE.get(account.code)
    if number is None and account.code.isdigit() and len(account.code) <= length:
        number = account.code
    return number


@dataclass(frozen=True)
class MappedAccount:
    account: ChartAccount
    datev: str | None   # the number without padding, None: not exported
    changed: bool       # the treasurer chose it (not the default)


def mapping(session: Session, length: int) -> dict[int, MappedAccount]:
    """{ledger account id: its DATEV account}, every account of the chart."""
    chosen = {row.account_id: row.datev_account for row in session.scalars(select(DatevAccount))}
    result = {}
    for account in chart_accounts(session):
        if account.id in chosen:
            result[account.id] = MappedAccount(account, chosen[account.id] or None, True)
        else:
            result[account.id] = MappedAccount(account, default_for(account, length), False)
    return result


def check_number(number: str, length: int) -> str:
    number = (number or "").strip()
    if number and not (number.isdigit() and len(number) <= length + 1 and int(number)):
        raise ValidationError(_("A DATEV account is a number of up to %(digits)s digits "
                                "(%(personal)s for a personal account), not %(number)s.",
                                digits=length, personal=length + 1, number=repr(number)),
                              field="datev_account")
    return number


def set_account(session: Session, account: ChartAccount, number: str, *, length: int,
                actor: Actor) -> None:
    """Book ``account`` to DATEV account ``number`` from now on ('' leaves it out of the file)."""
    number = check_number(number, length)
    row = session.get(DatevAccount, account.id)
    before = row.datev_account if row else default_for(account, length)
    if row is None:
        row = DatevAccount(account_id=account.id, datev_account=number)
        session.add(row)
    row.datev_account, row.changed_at = number, utcnow()
    row.changed_by_id = getattr(actor, "id", None)
    session.flush()
    audit.record(session, actor, "datev.account_mapped", "account", account.id,
                 summary=f"{account.label} -> DATEV {number or '(not exported)'}",
                 before={"datev_account": before}, after={"datev_account": number})
