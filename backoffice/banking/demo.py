"""Demo bank data: a year of statements for the demo current account, written from the demo
ledger's bank postings as a bank would send them (CAMT.053 for recent months, MT940 before),
imported through the same service as an upload, and reconciled up to three weeks ago, so that a
fresh demo shows a realistic queue: recent lines with suggestions of every kind (booked
postings, open invoices paid by transfer, an executed payout batch booked as one debit, a Stripe
payout), bank fees booked by a rule, a cash deposit and interest nobody has booked yet, payments
the bank has not shown yet.

Auto-accept is off for the demo account, so that the queue shows the confident suggestions too;
switch it on in the account's settings to have the next import accept them."""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.actors import Actor
from ..core.settings import Settings
from ..invoicing import state
from ..invoicing.models import Invoice
from ..ledger.balances import account_balances
from ..ledger.reads import postings_with_entries
from ..ledger.services import account_by_role, general_fund
from ..payments import services as stripe
from ..payouts.models import PayoutBatch
from . import imports, services, writers
from .matching import provider, rank
from .models import BankLine
from .parsers import ParsedLine, ParsedStatement
from .reconciliation import books_balance

if TYPE_CHECKING:
    from ..ledger.models import JournalEntry

IBAN = "DE89370400440532013000"
BIC = "COBADEFFXXX"
RECONCILED_UNTIL_DAYS = 21
#: The newest day's statement, written to ``instance/demo-bank/`` and not imported: the upload
#: to try on the bank account's page (the other files there are imported already).
NEWCOMER_STATEMENT = "newest-day-camt053.xml"
MEMBERS = ["Anna Schmidt", "Jonas Weber", "Lena Fischer", "Mehmet Yilmaz", "Sofia Rossi",
           "Paul Wagner", "Marie Becker", "Luca Hoffmann", "Emma Schulz", "Noah Koch"]
VENDORS = {"Venue": "Betahaus GmbH", "Catering": "Pizzeria Da Mario", "Video": "Video Crew eG",
           "Speaker": "Deutsche Bahn AG", "Hosting": "Hetzner Online GmbH",
           "Liability": "Allianz Versicherungs-AG", "Reimbursement": "Organiser"}
#: The accounts the demo sponsors pay from (``invoicing.demo.SPONSORS``).
SPONSOR_IBANS = {"Rheinwerk Software GmbH": "DE75512108001245126199",
                 "Voorbeeld Cloud B.V.": "NL02ABNA0123456789",
                 "Example Analytics Inc.": "GB33BUKB20201555555555",
                 "Datenfabrik AG": "DE02700202700010108669"}


def _describe(rng: random.Random, entry: JournalEntry, amount: int, day: date) -> tuple[str, str]:
    """(counterparty, remittance) as the bank would show them for a demo entry."""
    text = entry.description
    if text.startswith("Membership fee"):
        drawn = rng.choice(MEMBERS)  # drawn always, so that the demo's later choices stay put
        name = next((member for member in MEMBERS if text.endswith(member)), drawn)
        return name, f"Mitgliedsbeitrag {day.year} {name}"
    if text == "Account maintenance fee":
        return "Commerzbank", f"Kontofuehrung {day:%m/%Y}"
    for key, vendor in VENDORS.items():
        if text.startswith(key) or key in text:
            return vendor, f"{text} {day:%d.%m.%Y}"
    if "sponsor" in text.lower():
        return text.split(":")[0].replace(" sponsor", "").strip() + " Sponsor GmbH", text
    return ("", text) if amount > 0 else ("", text)


def _stripe_payout(session: Session, today: date, settings: Settings) -> None:
    """What Stripe holds now, paid out five days ago through the webhook's handler (so it has
    its payout id, as payouts do outside the demo's history)."""
    stripe_account = account_by_role(session, "stripe_balance")
    held = account_balances(session, today, account_ids=[stripe_account.id]).get(
        (stripe_account.id, "EUR"), 0)
    if held > 0:
        arrival = datetime.combine(today - timedelta(days=5), time(12), UTC)
        stripe.on_payout_paid(session, {"id": "po_1QdEm0DemoPayout5x", "amount": held,
                                        "currency": "eur",
                                        "arrival_date": int(arrival.timestamp())}, {}, settings)


def _document_lines(session: Session, entry: JournalEntry, amount: int, day: date) -> ParsedLine | None:
    """The bank's one line for an entry that names its document: a payout batch (one debit,
    the PmtInfId as reference), a Stripe payout (its id in the text)."""
    if entry.source_kind == "payout_batch":
        batch = session.get(PayoutBatch, int(entry.source_id))
        return ParsedLine(booking_date=day, value_date=day, amount=amount, currency="EUR",
                          remittance=f"SEPA-Sammelueberweisung {batch.item_count} Posten",
                          references=(f"{batch.message_id}-1",),
                          bank_reference=f"B{day:%y%m%d}{batch.id:06d}")
    return ParsedLine(booking_date=day, value_date=day, amount=amount, currency="EUR",
                      counterparty_name="Stripe Payments Europe Ltd",
                      remittance=f"STRIPE PAYOUT {entry.source_id}",
                      bank_reference=f"S{day:%y%m%d}{entry.id:06d}")


def _paid_by_transfer(session: Session, today: date) -> tuple[list[ParsedLine], ParsedLine | None]:
    """Sponsors paying open invoices by bank transfer, not yet in the books: two invoices at
    once (one number misread), an instalment and the rest of it, a remainder without a
    reference from a known account. Returns the lines and the first instalment (which the
    treasurer has already matched)."""
    open_by_buyer: dict[str, list] = {}
    for item in state.open_invoices(session, currency="EUR"):
        open_by_buyer.setdefault(item.invoice.buyer_name, []).append(item)
    lines, first_instalment = [], None

    def transfer(days_ago, buyer, amount, text):
        day = today - timedelta(days=days_ago)
        return ParsedLine(booking_date=day, value_date=day, amount=amount, currency="EUR",
                          counterparty_name=buyer, counterparty_iban=SPONSOR_IBANS[buyer],
                          remittance=text, bank_reference=f"T{day:%y%m%d}{len(lines)}")

    both = open_by_buyer.get("Datenfabrik AG", [])[:2]
    if len(both) == 2:
        numbers = [both[0].invoice.number, _misread(both[1].invoice.number)]
        lines.append(transfer(6, "Datenfabrik AG", sum(i.outstanding for i in both),
                              f"Rechnungen {numbers[0]} und {numbers[1]}"))
    analytics = sorted(open_by_buyer.get("Example Analytics Inc.", []),
                       key=lambda i: i.invoice.issue_date)
    if len(analytics) == 2:
        older, newer = analytics
        half = newer.outstanding // 2
        spaced = newer.invoice.number.replace("-", " ")
        first_instalment = transfer(4, "Example Analytics Inc.", half,
                                    f"INV {spaced} instalment 1 of 2")
        lines += [first_instalment,
                  transfer(3, "Example Analytics Inc.", older.outstanding, "Remaining balance"),
                  transfer(2, "Example Analytics Inc.", newer.outstanding - half,
                           f"INV {_misread(newer.invoice.number)} instalment 2 of 2")]
    return lines, first_instalment


def _misread(number: str) -> str:
    """'2026-00007' as somebody typed it: letter O for zero, a space for the dash."""
    year, _, sequence = number.rpartition("-")
    return f"{year} {sequence.replace('0', 'O', 2)}"


def seed_banking(session: Session, actor: Actor, today: date, settings: Settings) -> dict:
    rng = random.Random(20260505)
    bank_ledger = account_by_role(session, "bank")
    account = services.create_bank_account(session, name="Current account", iban=IBAN, bic=BIC,
                                           currency="EUR", ledger_account=bank_ledger,
                                           auto_accept=False, actor=actor)
    services.create_rule(session, name="Commerzbank fees", counterparty_contains="Commerzbank",
                         text_contains="Entgelt", direction="out",
                         account=account_by_role(session, "bank_fees"), fund=general_fund(session),
                         actor=actor)
    _stripe_payout(session, today, settings)
    start = date(today.year - 1, today.month, 1) + timedelta(days=0)
    postings = postings_with_entries(session, bank_ledger.id, start)
    buyers = dict(session.execute(select(Invoice.id, Invoice.buyer_name)).all())
    lines: list[ParsedLine] = []
    per_document: dict[int, tuple[JournalEntry, int, date]] = {}
    for posting, entry in postings:
        if posting.booking_date > today - timedelta(days=2):
            continue  # booked, not at the bank yet
        delay = 0 if posting.amount > 0 else rng.choice([0, 0, 0, 1])
        day = min(posting.booking_date + timedelta(days=delay), today)
        if entry.source_kind in ("payout_batch", "stripe_payout") and entry.source_id:
            _, total, _ = per_document.get(entry.id, (entry, 0, day))
            per_document[entry.id] = (entry, total + posting.amount, day)
            continue
        name, text = _describe(rng, entry, posting.amount, day)
        iban = ""
        if entry.source_kind == "invoice" and buyers.get(int(entry.source_id or 0)) in SPONSOR_IBANS:
            name = buyers[int(entry.source_id)]
            iban = SPONSOR_IBANS[name]
        lines.append(ParsedLine(booking_date=day, value_date=day, amount=posting.amount,
                                currency="EUR", counterparty_name=name, counterparty_iban=iban,
                                remittance=text,
                                bank_reference=f"{day:%y%m%d}{rng.getrandbits(32):010d}"))
    lines += [_document_lines(session, entry, total, day)
              for entry, total, day in per_document.values()]
    transfers, first_instalment = _paid_by_transfer(session, today)
    lines += transfers
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
    # Today's line: the newest day is always today, so the payout batches' and Stripe's debits
    # (at most a day after their booking, which is two days old at most) are always imported.
    lines.append(ParsedLine(booking_date=today, value_date=today, amount=3600, currency="EUR",
                            counterparty_name="Jana Neumann",
                            remittance=f"Mitgliedsbeitrag {today.year} Jana Neumann",
                            bank_reference=f"N{today:%y%m%d}"))
    lines.sort(key=lambda line: line.booking_date)
    # The newest day's lines are left for the newcomer to import (NEWCOMER_STATEMENT).
    last_day = lines[-1].booking_date if lines else today
    newest = [line for line in lines if line.booking_date == last_day]
    lines = [line for line in lines if line.booking_date < last_day]
    imported_until = last_day - timedelta(days=1)
    opening = books_balance(session, account, start - timedelta(days=1))
    statements, balance = [], opening
    month_start = start
    while month_start <= imported_until:
        following = date(month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1)
        month_lines = [line for line in lines if month_start <= line.booking_date < following]
        end = min(following - timedelta(days=1), imported_until)
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
    folder = Path(settings.paths.instance) / "demo-bank"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
        imports.import_statement(session, account, filename=name, data=data, actor=actor,
                                 settings=settings)
    following = ParsedStatement(
        account=IBAN, currency="EUR", reference=f"{last_day:%Y-%m-%d}",
        sequence=str(len(statements) + 1), opening=balance, opening_date=imported_until,
        closing_date=last_day, lines=newest, closing=balance + sum(line.amount for line in newest))
    (folder / NEWCOMER_STATEMENT).write_bytes(
        writers.camt053(IBAN, [following], message_id=f"DEMO-{last_day:%Y%m%d}", bic=BIC))
    matched = _reconcile_older_lines(session, account, actor, today)
    if first_instalment is not None:  # the treasurer matched it when it came in
        line = session.scalar(select(BankLine).where(
            BankLine.bank_account_id == account.id,
            BankLine.remittance == first_instalment.remittance))
        best = rank(services.facts(line), services.open_items(session, account), limit=1)
        if best and best[0].item.provider == "invoice":
            services.accept(session, account, lines=[line],
                            items=[(best[0].item.provider, best[0].item.key)], actor=actor,
                            reason=best[0].reason_source, settings=settings)
            matched += 1
    return {"bank_lines": len(lines), "bank_matched": matched}


def _reconcile_older_lines(session: Session, account, actor: Actor, today: date) -> int:
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
                     and not provider(s.item.provider).posts_entries
                     and abs((s.item.date - line.booking_date).days) <= 3), None)
        if best is not None:
            index.allocate((best.item.provider, best.item.key), line.amount)
            pairs.append((line, best))
    matched = services.bulk_matches(session, account, pairs, actor=actor, how="manual")
    return matched


