"""Demo bank data: a year of statements for the demo current account, written from the demo
ledger's bank postings as a bank would send them (CAMT.053 for recent months, MT940 before),
imported through the same service as an upload, and reconciled up to three weeks ago, so that a
fresh demo shows a realistic queue: recent lines with suggestions, bank fees booked by a rule,
a cash deposit and interest nobody has booked yet, payments the bank has not shown yet."""
from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..ledger.models import JournalEntry, Posting
from ..ledger.services import account_by_role, general_fund
from . import services, writers
from .matching import rank
from .models import BankLine
from .parsers import ParsedLine, ParsedStatement
from .reconciliation import books_balance

IBAN = "DE89370400440532013000"
BIC = "COBADEFFXXX"
RECONCILED_UNTIL_DAYS = 21
MEMBERS = ["Anna Schmidt", "Jonas Weber", "Lena Fischer", "Mehmet Yilmaz", "Sofia Rossi",
           "Paul Wagner", "Marie Becker", "Luca Hoffmann", "Emma Schulz", "Noah Koch"]
VENDORS = {"Venue": "Betahaus GmbH", "Catering": "Pizzeria Da Mario", "Video": "Video Crew eG",
           "Speaker": "Deutsche Bahn AG", "Hosting": "Hetzner Online GmbH",
           "Liability": "Allianz Versicherungs-AG", "Reimbursement": "Organiser"}


def _describe(rng: random.Random, entry: JournalEntry, amount: int, day: date) -> tuple[str, str]:
    """(counterparty, remittance) as the bank would show them for a demo entry."""
    text = entry.description
    if text == "Membership fee":
        name = rng.choice(MEMBERS)
        return name, f"Mitgliedsbeitrag {day.year} {name}"
    if text == "Stripe payout":
        return "Stripe Payments Europe Ltd", f"STRIPE PAYOUT po_{rng.getrandbits(40):010x}"
    if text == "Account maintenance fee":
        return "Commerzbank", f"Kontofuehrung {day:%m/%Y}"
    for key, vendor in VENDORS.items():
        if text.startswith(key) or key in text:
            return vendor, f"{text} {day:%d.%m.%Y}"
    if "sponsor" in text.lower():
        return text.split(":")[0].replace(" sponsor", "").strip() + " Sponsor GmbH", text
    return ("", text) if amount > 0 else ("", text)


def seed_banking(session, actor, today: date) -> dict:
    rng = random.Random(20260505)
    bank_ledger = account_by_role(session, "bank")
    account = services.create_bank_account(session, name="Current account", iban=IBAN, bic=BIC,
                                           currency="EUR", ledger_account=bank_ledger,
                                           auto_accept=True, actor=actor)
    services.create_rule(session, name="Commerzbank fees", counterparty_contains="Commerzbank",
                         text_contains="Entgelt", direction="out",
                         account=account_by_role(session, "bank_fees"), fund=general_fund(session),
                         actor=actor)
    start = date(today.year - 1, today.month, 1) + timedelta(days=0)
    postings = session.execute(
        select(Posting, JournalEntry).join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Posting.account_id == bank_ledger.id, Posting.booking_date >= start)
        .order_by(Posting.booking_date, Posting.id)).all()
    lines: list[ParsedLine] = []
    for posting, entry in postings:
        if posting.booking_date > today - timedelta(days=2):
            continue  # booked, not at the bank yet
        delay = 0 if posting.amount > 0 else rng.choice([0, 0, 0, 1])
        day = min(posting.booking_date + timedelta(days=delay), today)
        name, text = _describe(rng, entry, posting.amount, day)
        lines.append(ParsedLine(booking_date=day, value_date=day, amount=posting.amount,
                                currency="EUR", counterparty_name=name, remittance=text,
                                bank_reference=f"{day:%y%m%d}{rng.getrandbits(32):010d}"))
    # What only the bank knows (so far): fees, interest, a cash deposit.
    month = date(today.year, today.month, 1)
    for first in (date((month - timedelta(days=1)).year, (month - timedelta(days=1)).month, 1), month):
        day = first + timedelta(days=1)
        if day <= today:
            lines.append(ParsedLine(booking_date=day, amount=-450, currency="EUR",
                                    counterparty_name="Commerzbank",
                                    remittance=f"Entgelt Buchungsposten {first:%m/%Y}",
                                    bank_reference=f"FEE{first:%y%m}"))
    for offset, amount, name, text in ((5, 35000, "PyMunich", "Bareinzahlung Kasse Meetup"),
                                       (3, 1234, "Commerzbank", "Habenzinsen Quartal"),
                                       (9, 12000, "Jonas Weber", "Spende Sommerfest")):
        day = today - timedelta(days=offset)
        lines.append(ParsedLine(booking_date=day, amount=amount, currency="EUR",
                                counterparty_name=name, remittance=text,
                                bank_reference=f"X{day:%y%m%d}{offset}"))
    lines.sort(key=lambda line: line.booking_date)
    opening = books_balance(session, account, start - timedelta(days=1))
    statements, balance = [], opening
    month_start = start
    while month_start <= today:
        following = date(month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1)
        month_lines = [line for line in lines if month_start <= line.booking_date < following]
        end = min(following - timedelta(days=1), today)
        statement = ParsedStatement(
            account=IBAN, currency="EUR", reference=f"{month_start:%Y-%m}",
            sequence=str(len(statements) + 1), opening=balance,
            opening_date=month_start - timedelta(days=1), closing_date=end, lines=month_lines)
        balance += sum(line.amount for line in month_lines)
        statement.closing = balance
        statements.append(statement)
        month_start = following
    half = len(statements) // 2
    files = {"demo-statements-mt940.sta": writers.mt940(IBAN, statements[:half]),
             "demo-statements-camt053.xml": writers.camt053(IBAN, statements[half:],
                                                            message_id="DEMO", bic=BIC)}
    folder = Path(current_app.instance_path) / "demo-bank"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
        services.import_statement(session, account, filename=name, data=data, actor=actor)
    matched = _reconcile_older_lines(session, account, actor, today)
    return {"bank_lines": len(lines), "bank_matched": matched}


def _reconcile_older_lines(session, account, actor, today: date) -> int:
    """What the treasurer did before: accept the obvious match of every line up to three weeks
    ago (same amount, booked within three days)."""
    cutoff = today - timedelta(days=RECONCILED_UNTIL_DAYS)
    lines = session.scalars(select(BankLine).where(
        BankLine.bank_account_id == account.id, BankLine.status == "open",
        BankLine.booking_date <= cutoff).order_by(BankLine.booking_date, BankLine.id)).all()
    index = services.open_items(session, account)
    pairs = []
    for line in lines:
        best = next((s for s in rank(services.facts(line), index, limit=1)
                     if s.exact_amount and s.item.date
                     and abs((s.item.date - line.booking_date).days) <= 3), None)
        if best is not None:
            index.allocate((best.item.provider, best.item.key), line.amount)
            pairs.append((line, best))
    matched = services.bulk_matches(session, account, pairs, actor=actor, how="manual")
    return matched


