"""A small ledger whose every figure the export tests check by hand (January 2026, EUR)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.ledger import services
from backoffice.ledger.services import Line

JANUARY = (date(2026, 1, 1), date(2026, 1, 31))


def eur(text: str) -> Money:
    return Money.parse(text, "EUR")


@dataclass
class Books:
    session: object
    actor: object

    def account(self, role: str):
        return services.account_by_role(self.session, role)

    def code(self, code: str):
        return services.account_by_code(self.session, code)

    def post(self, day: date, description: str, *lines: tuple, source=None):
        with transaction(self.session):
            return services.post_entry(
                self.session, booking_date=day, description=description, actor=self.actor,
                source=source, lines=[Line(account, fund, eur(amount)) for account, fund, amount
                                      in lines])


def small_ledger(session, actor) -> tuple[Books, dict]:
    """Five entries of January 2026 (the comments say what each is)."""
    books = Books(session, actor)
    general = services.general_fund(session)
    with transaction(session):
        berlin = services.create_fund(session, code="BER", name="PyBerlin", actor=actor)
    entries = {}
    # 1. A sponsorship invoice: 1000.00 net + 190.00 VAT (19 %), unrestricted.
    entries["invoice"] = books.post(
        date(2026, 1, 5), "Sponsorship invoice 2026-001",
        (books.account("receivables"), general, "1190.00"),
        (books.account("sponsorship_income"), general, "-1000.00"),
        (books.account("vat_payable"), general, "-190.00"))
    # 2. Travel of the Berlin group paid from the general bank account (interfund lines added).
    entries["travel"] = books.post(
        date(2026, 1, 12), "Train tickets PyBerlin sprint",
        (books.code("5200"), berlin, "50.00"),
        (books.account("bank"), general, "-50.00"))
    # 3. Software bought with 7 % input VAT; a long text with a euro sign and a quote.
    entries["software"] = books.post(
        date(2026, 1, 20),
        'Hosting for the "conference" website, 12 months, 107 € incl. VAT, invoice from the '
        "hosting company of the year",
        (books.code("5500"), general, "100.00"),
        (books.account("input_vat"), general, "7.00"),
        (books.account("bank"), general, "-107.00"))
    # 4. A donation to Berlin received on the bank account.
    entries["donation"] = books.post(
        date(2026, 1, 25), "Donation for PyBerlin",
        (books.account("bank"), berlin, "300.00"),
        (books.account("donation_income"), berlin, "-300.00"))
    # 5. A transfer of 20.00 from the general fund to Berlin (net assets only).
    with transaction(session):
        entries["transfer"] = services.transfer_between_funds(
            session, from_fund=general, to_fund=berlin, amount=eur("20.00"),
            booking_date=date(2026, 1, 31), description="Top-up for PyBerlin", actor=actor)
    return books, {"entries": entries, "general": general, "berlin": berlin}
