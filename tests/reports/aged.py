"""Receivables and payables of known ages on 2026-07-01, whose aging the tests work out by hand.

Invoices (payment terms 30 days; "standard" is 19 % VAT, "exempt" none), issued in date order:

  F  2026-01-02  due 02-01  150 days overdue  2,000.00 + 380.00  = 2,380.00        -> 90+
  G  2026-01-05  due 02-04  paid in full      1,000.00 + 190.00  = 1,190.00        -> not open
  E  2026-03-18  due 04-17   75 days          800.00 exempt      =   800.00        -> 61-90
  D  2026-04-17  due 05-17   45 days            200.00 + 38.00   =   238.00,
                                          100.00 paid on 06-01: open 138.00        -> 31-60
  C  2026-05-02  due 06-01   30 days (edge)     100.00 + 19.00   =   119.00        -> 0-30
  B  2026-05-22  due 06-21   10 days            500.00 + 95.00   =   595.00        -> 0-30
  H  2026-05-22  due 06-21   10 days, in GBP    300.00 + 57.00   = £ 357.00        -> 0-30 (GBP)
  A  2026-06-20  due 07-20   not yet due      1,000.00 + 190.00  = 1,190.00        -> current

  EUR receivables: current 1,190.00 (1), 0-30 714.00 (2), 31-60 138.00 (1), 61-90 800.00 (1),
                   90+ 2,380.00 (1); total 5,222.00 (6)
  GBP receivables: 0-30 357.00 (1); total 357.00 (1)

Payables (approved expense claims, due since their approval):
  40.00 approved 2026-06-21 (10 days)                                               -> 0-30
  12.50 + 0.99 = 13.49 approved 2026-03-01 (122 days)                               -> 90+
  EUR payables: 0-30 40.00 (1), 90+ 13.49 (1); total 53.49 (2)
"""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import update

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.expenses.models import ExpenseClaim
from backoffice.extensions import db
from backoffice.invoicing import services

from ..invoicing.factories import issued, sponsor
from ..sponsorship import active_group, approved

TODAY = date(2026, 7, 1)


def _invoice(buyer, net: int, day: date, treatment: str = "standard", currency: str = "EUR"):
    lines = [("Sponsorship", 1000, net, treatment, "Steuerfrei nach § 4 Nr. 22 UStG")
             if treatment == "exempt" else ("Sponsorship", 1000, net, treatment)]
    return issued(buyer, lines, issue_date=day, payment_days=30, currency=currency,
                  service_date=day)


def aged_ledger(session, users) -> dict:
    german = sponsor("DE")
    made = {
        "F": _invoice(german, 200000, date(2026, 1, 2)),
        "G": _invoice(german, 100000, date(2026, 1, 5)),
        "E": _invoice(german, 80000, date(2026, 3, 18), "exempt"),
        "D": _invoice(german, 20000, date(2026, 4, 17)),
        "C": _invoice(german, 10000, date(2026, 5, 2)),
        "B": _invoice(german, 50000, date(2026, 5, 22)),
        "H": _invoice(german, 30000, date(2026, 5, 22), currency="GBP"),
        "A": _invoice(german, 100000, date(2026, 6, 20)),
    }
    with transaction():
        services.record_payment(session, made["G"], amount=Money(119000, "EUR"), reference="g",
                                received_on=date(2026, 2, 3), method="bank", debit_role="bank")
        services.record_payment(session, made["D"], amount=Money(10000, "EUR"), reference="d",
                                received_on=date(2026, 6, 1), method="bank", debit_role="bank")
    group = active_group(session, "PyAging", actor=users[Role.ADMIN], money="500.00")
    treasurer = users[Role.TREASURER]
    recent = approved(session, group.organisers[0], group.fund, treasurer, ["40.00"])
    old = approved(session, group.organisers[0], group.fund, treasurer, ["12.50", "0.99"])
    with transaction():
        for claim, day in ((recent, datetime(2026, 6, 21, 9, tzinfo=UTC)),
                           (old, datetime(2026, 3, 1, 9, tzinfo=UTC))):
            # The claims were approved today; their approval moved to the days of this ledger.
            db.session.execute(update(ExpenseClaim).where(ExpenseClaim.id == claim.id)
                               .values(decided_at=day))
    made.update(recent=recent, old=old, payee=group.organisers[0].display_name)
    return made
