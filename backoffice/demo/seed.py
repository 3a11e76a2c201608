"""Builds the demo association: users for every role, member groups with their funds, and two
years of ledger activity posted through the same services the application uses."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from ..auth import services as auth
from ..auth.models import User
from ..banking.demo import MEMBERS, seed_banking
from ..board.audit_demo import seed_audit
from ..board.demo import seed_board, seed_documents
from ..core import clock
from ..core.mail import discard_outbox
from ..core.money import Money
from ..core.permissions import Role
from ..core.settings import Settings
from ..funds.fees import income_lines, set_policy
from ..funds.models import IncomeKind
from ..grants.demo import seed_grants
from ..groups.models import GroupKind, GroupStatus, MemberGroup
from ..invoicing import services as invoicing
from ..invoicing.demo import seed_invoicing
from ..invoicing.models import Sponsor
from ..ledger import reads as ledger_reads
from ..ledger import services as ledger
from ..ledger.balances import account_balances
from ..ledger.periods import FiscalYear, PeriodKind
from ..ledger.services import Line
from ..payments.services import ensure_payment, on_payout_paid
from .sponsorship import seed_sponsorship

if TYPE_CHECKING:
    from ..ledger.chart import Account, Fund

DEMO_PASSWORD = "backoffice-demo"
DEMO_USERS = [
    ("admin@example.org", "Ada Admin", [Role.ADMIN]),
    ("treasurer@example.org", "Tomas Treasurer", [Role.TREASURER]),
    ("board@example.org", "Bea Board", [Role.BOARD]),
    ("reviewer@example.org", "Rui Reviewer", [Role.REVIEWER]),
    ("organiser@example.org", "Olu Organiser", [Role.ORGANISER]),
    # the auditors' member in the board records (board/demo.py) logs in as the auditor
    ("audit@example.org", "Kim Kassenprüferin", [Role.AUDITOR]),
]

# code, name, kind of activity, monthly scale in euros (0: a programme without a group)
GROUPS = [
    ("BER", "Python Users Berlin", "meetup", 400),
    ("MUC", "PyMunich", "meetup", 300),
    ("HH", "Python Usergroup Hamburg", "meetup", 250),
    ("CGN", "PyCologne", "meetup", 200),
    ("KA", "Python Karlsruhe", "meetup", 120),
    ("LEJ", "Python Leipzig", "meetup", 100),
    ("PYCON", "PyConf Regional", "conference", 6000),
    ("DATA", "PyData Rhein-Main", "conference", 2500),
    ("LADIES", "PyLadies Germany", "user group", 300),
    ("DJANGO", "Django Girls Workshops", "project", 250),
]
PROGRAMMES = [
    ("GRANTS", "Community grants programme"),
    ("EDU", "Education and outreach"),
]
GROUP_CODES = {code for code, *_ in GROUPS}
ORGANISED_BY_DEMO_ORGANISER = ["BER", "MUC"]
ADMIN_FEE = Decimal("7")


def already_seeded(session: Session) -> bool:
    return bool(ledger_reads.entry_count(session)) or \
        session.scalar(select(User).where(User.email == DEMO_USERS[0][0])) is not None


def has_demo_data(session: Session) -> bool:
    """Whether the demo logins exist (false on a database not migrated yet)."""
    if not inspect(session.get_bind()).has_table(User.__tablename__):
        return False
    emails = [email for email, _, _ in DEMO_USERS]
    return session.scalar(select(func.count()).select_from(User).where(
        User.email.in_(emails))) > 0


@dataclass
class Demo:
    session: object
    actor: User
    rng: random.Random
    accounts: dict
    general: object
    today: date
    settings: Settings

    def eur(self, euros: float) -> Money:
        return Money(int(round(euros * 100)), "EUR")

    def post(self, day: date, description: str, lines: list[Line], source: tuple[str, int] | None = None):
        return ledger.post_entry(self.session, booking_date=day, description=description,
                                 lines=lines, actor=self.actor, source=source)

    def a(self, code: str):
        return self.accounts[code]


def seed(session: Session, settings: Settings, today: date | None = None,
         since: date | None = None) -> dict:
    """Create the demo data in the caller's transaction; returns counts for the summary.

    The ledger history runs from ``since`` (default: 1 January of last year) to ``today``. The
    services it calls queue mail (invitations, decisions, reminders) to the demo's made-up
    addresses: none of it is sent.
    """
    today = today or clock.today()
    users = {}
    for email, name, roles in DEMO_USERS:
        users[roles[0]] = auth.create_user(session, email, name=name, roles=roles,
                                           password=DEMO_PASSWORD, settings=settings)
    treasurer = users[Role.TREASURER]
    accounts = {a.code: a for a in session.scalars(select(ledger.Account))}
    demo = Demo(session, treasurer, random.Random(20260101), accounts, ledger.general_fund(session),
                today, settings)

    funds, groups = {}, {}
    for code, name, kind, _ in GROUPS:
        fund = ledger.create_fund(session, code=code, name=name, actor=treasurer,
                                  description=f"Money held for {name} ({kind}).")
        group = MemberGroup(name=name, slug=code.lower(), status=GroupStatus.ACTIVE,
                            kind=GroupKind(kind.replace(" ", "_")), fund_id=fund.id)
        session.add(group)
        funds[code], groups[code] = fund, group
    for code, name in PROGRAMMES:
        funds[code] = ledger.create_fund(session, code=code, name=name, actor=treasurer,
                                         description=f"{name}, paid from donations earmarked for it.")
    session.flush()
    for code in ORGANISED_BY_DEMO_ORGANISER:
        groups[code].organisers.append(users[Role.ORGANISER])

    start = since or date(today.year - 1, 1, 1)
    for code, *_ in GROUPS:
        set_policy(session, funds[code], rate_percent=ADMIN_FEE, effective_from=start,
                   kinds=[IncomeKind.SPONSORSHIP, IncomeKind.DONATION, IncomeKind.TICKETS],
                   actor=treasurer)
    _opening_balances(demo, start, funds)
    day = start
    while day <= today:
        _one_day(demo, day, funds)
        day += timedelta(days=1)
    sponsorship = seed_sponsorship(session, users, groups, start, today, settings)
    # Books of earlier years and of the months before last are closed, as a treasurer would.
    for year in range(start.year, today.year):
        ledger.set_period_closed(session, PeriodKind.YEAR, date(year, 1, 1), True, actor=treasurer,
                                 fiscal_year=FiscalYear.of(settings.organisation))
    month, current = max(date(today.year, 1, 1), date(start.year, start.month, 1)), \
        date(today.year, today.month, 1)
    while _next_month(month) < current:
        ledger.set_period_closed(session, PeriodKind.MONTH, month, True, actor=treasurer,
                                 fiscal_year=FiscalYear.of(settings.organisation))
        month = _next_month(month)
    # Grants first: their payouts are on the bank statements the banking demo writes.
    seed_grants(session, users=users, funds=funds, groups=groups, today=today,
                settings=settings)
    seed_invoicing(session, actor=treasurer, groups=groups, today=today, settings=settings)
    _usd_invoice_paid_through_stripe(session, treasurer, today, settings)
    bank = seed_banking(session, treasurer, today, settings)
    seed_board(session, users=users, today=today)
    seed_documents(session, actor=users[Role.ADMIN], folder=settings.paths.uploads,
                   organisation=settings.organisation.name, notice=settings.receipts.notice,
                   today=today)
    seed_audit(session, auditor=users[Role.AUDITOR], today=today,
               fiscal=FiscalYear.of(settings.organisation))
    entries = ledger_reads.entry_count(session)
    discard_outbox(session)
    return {"users": len(users), "funds": len(funds) + 1, "entries": entries, **bank,
            **sponsorship}


def _usd_invoice_paid_through_stripe(session: Session, treasurer: User, today: date,
                                     settings: Settings) -> None:
    """A sponsor in the US pays a USD invoice by card; the Stripe account settles in EUR. The
    payment goes through the webhook's own booking (as Stripe's expanded payment intent shows
    it): USD off the receivable, EUR on the Stripe balance and the fee, both sides on the
    currency exchange account with Stripe's rate."""
    sponsor = session.scalar(select(Sponsor).where(Sponsor.country == "US").order_by(Sponsor.id))
    draft = invoicing.create_draft(session, invoicing.DraftData(
        sponsor=sponsor, currency="USD", service_date=today - timedelta(days=20),
        lines=[invoicing.LineData(description="Sponsorship of the association's sprints (USD)",
                                  quantity_milli=1000, unit_price=250000)]), actor=treasurer, settings=settings)
    invoice = invoicing.issue(session, draft, actor=treasurer,
                              issue_date=today - timedelta(days=20), settings=settings)
    paid_at = int(datetime.combine(today - timedelta(days=12), time(15), UTC).timestamp())
    settled = 230000  # USD 2,500.00 at 0.92
    ensure_payment(session, invoice, {
        "id": "pi_3QdUsdDemoPayment01", "status": "succeeded", "currency": "usd",
        "amount": 250000, "amount_received": 250000, "created": paid_at,
        "latest_charge": {"id": "ch_3QdUsdDemoCharge01", "created": paid_at,
                          "balance_transaction": {
                              "id": "txn_3QdUsdDemoTxn01", "amount": settled, "currency": "eur",
                              "fee": 7845, "exchange_rate": 0.92, "type": "charge",
                              "created": paid_at}}}, settings=settings, fetched=True)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _opening_balances(demo: Demo, day: date, funds: dict) -> None:
    lines = [Line(demo.a("1200"), demo.general, demo.eur(48_500)),
             Line(demo.a("3000"), demo.general, -demo.eur(48_500))]
    demo.post(day, "Opening balances carried forward", lines, ("opening", None))
    for code, name, _, scale in GROUPS:
        amount = demo.eur(scale * demo.rng.uniform(2, 5))
        demo.post(day, f"Opening balance {name}",
                  [Line(demo.a("1200"), funds[code], amount),
                   Line(demo.a("3000"), funds[code], -amount)], ("opening", None))


def _income(demo: Demo, day: date, fund: Fund, kind: IncomeKind, income_account: Account, debit_account: Account,
            amount: Money, description: str, source: tuple[str, int] | None = None):
    """Income into a fund; the fund's admin fee, if any, is posted in the same entry."""
    return demo.post(day, description, income_lines(
        demo.session, fund=fund, kind=kind, amount=amount, day=day,
        debit_account=debit_account, income_account=income_account), source)


def _one_day(demo: Demo, day: date, funds: dict) -> None:
    rng, a, general = demo.rng, demo.a, demo.general
    weekday = day.weekday()
    # Membership fees arrive on the first working days of the month.
    if day.day <= 5 and weekday < 5:
        for number in range(rng.randint(6, 14)):
            fee = demo.eur(rng.choice([24, 24, 36, 60, 120]))
            member = MEMBERS[(day.toordinal() + number) % len(MEMBERS)]
            demo.post(day, f"Membership fee {day.year} {member}", [Line(a("1200"), general, fee),
                                              Line(a("4000"), general, -fee)], ("membership", None))
    # Online donations through Stripe, some earmarked for a group or programme.
    for _ in range(rng.choices([0, 1, 2, 3], [5, 4, 2, 1])[0]):
        gross = demo.eur(rng.choice([5, 10, 20, 25, 50, 100, 250]))
        fee = demo.eur(round(float(gross.to_decimal()) * 0.015 + 0.25, 2))
        target = rng.choice([general, general, general, funds["GRANTS"], funds["EDU"],
                             funds[rng.choice(GROUPS)[0]]])
        if target.code in GROUP_CODES:
            _income(demo, day, target, IncomeKind.DONATION, a("4100"), a("1300"), gross,
                    f"Donation for {target.name} (Stripe)", ("donation", None))
        else:
            demo.post(day, "Donation (Stripe)", [Line(a("1300"), target, gross),
                                                 Line(a("4100"), target, -gross)], ("donation", None))
        demo.post(day, "Stripe fee", [Line(a("6000"), target, fee), Line(a("1300"), target, -fee)],
                  ("stripe", None))
    # Weekly Stripe payout to the bank of what Stripe held two days before, booked by the
    # webhook's own handler (per fund; one bank line "STRIPE PAYOUT po_...").
    if weekday == 0:
        stripe = a("1300")
        held = account_balances(demo.session, day - timedelta(days=2),
                                account_ids=[stripe.id]).get((stripe.id, "EUR"), 0)
        if held > 0:
            arrival = datetime.combine(day, time(12), UTC)
            on_payout_paid(demo.session, {"id": f"po_{rng.getrandbits(64):016x}Demo",
                                          "amount": held, "currency": "eur",
                                          "arrival_date": int(arrival.timestamp())}, {},
                           demo.settings)
    # Group life: meetups pay venues and pizza, receive local sponsorship and tickets.
    for index, (code, name, kind, scale) in enumerate(GROUPS):
        fund = funds[code]
        if kind in ("meetup", "user group", "project") and day.day == 8 + index:
            sponsor = demo.eur(scale * rng.uniform(0.6, 1.4))
            _income(demo, day, fund, IncomeKind.SPONSORSHIP, a("4200"), a("1200"), sponsor,
                    f"Local sponsor for {name}", ("sponsorship", None))
            for account, label, share in (("5100", "Venue", 0.35), ("5110", "Catering", 0.3)):
                cost = demo.eur(scale * share * rng.uniform(0.7, 1.3))
                demo.post(day, f"{label} for {name} meetup",
                          [Line(a(account), fund, cost), Line(a("1200"), fund, -cost)],
                          ("expense", None))
            if rng.random() < 0.4:
                claim = demo.eur(rng.uniform(15, 120))
                demo.post(day, f"Reimbursement to an organiser of {name}",
                          [Line(a("5300"), fund, claim), Line(a("1200"), fund, -claim)],
                          ("expense_claim", None))
        if kind == "conference" and day.month in (3, 9) and day.day in (3, 10, 17, 24):
            for _ in range(rng.randint(8, 20)):
                tickets = demo.eur(rng.choice([45, 90, 150, 300]) * rng.randint(1, 4))
                _income(demo, day, fund, IncomeKind.TICKETS, a("4300"), a("1300"), tickets,
                        f"Tickets {name}", ("tickets", None))
        if kind == "conference" and day.month in (4, 10) and day.day == 2:
            for sponsor_name, euros in (("Gold sponsor", 5000), ("Silver sponsor", 2500),
                                        ("Silver sponsor", 2500), ("Bronze sponsor", 1000)):
                amount = demo.eur(euros * scale / 6000)
                _income(demo, day, fund, IncomeKind.SPONSORSHIP, a("4200"), a("1400"), amount,
                        f"{sponsor_name} {name}: invoice", ("invoice", None))
                paid = day + timedelta(days=rng.randint(7, 40))
                if paid <= demo.today:
                    demo.post(paid, f"{sponsor_name} {name}: payment received",
                              [Line(a("1200"), fund, amount), Line(a("1400"), fund, -amount)],
                              ("payment", None))
        if kind == "conference" and day.month in (5, 11) and day.day == 15:
            for account, label, share in (("5100", "Venue", 1.2), ("5110", "Catering", 0.9),
                                          ("5120", "Video recording", 0.4), ("5200", "Speaker travel", 0.5)):
                cost = demo.eur(scale * share * rng.uniform(0.8, 1.1))
                demo.post(day, f"{label} {name}", [Line(a(account), fund, cost),
                                                   Line(a("1200"), fund, -cost)], ("expense", None))
    # Quarterly: small grants from the grants programme, and the association's own costs.
    if day.day == 20 and day.month % 3 == 0:
        for _ in range(rng.randint(2, 4)):
            code = rng.choice(GROUPS)[0]
            amount = demo.eur(rng.choice([300, 500, 750, 1000]))
            demo.post(day, f"Community grant to {funds[code].name}",
                      [Line(a("5000"), funds["GRANTS"], amount),
                       Line(a("4400"), funds[code], -amount)], ("grant", None))
        demo.post(day, "Liability insurance", [Line(a("5600"), general, demo.eur(180)),
                                               Line(a("1200"), general, -demo.eur(180))])
        transfer = demo.eur(rng.choice([1000, 1500, 2000]))
        ledger.transfer_between_funds(demo.session, from_fund=general, to_fund=funds["GRANTS"],
                                      amount=transfer, booking_date=day, actor=demo.actor,
                                      description="Board decision: top up the grants programme")
    if day.day == 28:
        demo.post(day, "Account maintenance fee", [Line(a("6100"), general, demo.eur(9.9)),
                                                   Line(a("1200"), general, -demo.eur(9.9))],
                  ("bank", None))
        hosting = demo.eur(rng.uniform(40, 90))
        demo.post(day, "Hosting and software", [Line(a("5500"), general, hosting),
                                                Line(a("1200"), general, -hosting)])
