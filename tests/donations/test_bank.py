"""Bank transfers as donations, on a real CAMT.053 statement (OCA's test file): the provider
proposes "record as donation" for incoming lines from a known donor's IBAN or with a gift in
their purpose text, finds the fund in the text, books in the match's entry; undo reverses."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backoffice.banking import imports as bank_imports
from backoffice.banking import services as banking
from backoffice.banking import writers
from backoffice.banking.models import BankLine
from backoffice.banking.parsers import ParsedLine, ParsedStatement
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.donations import bank, donors
from backoffice.donations.models import Channel, Donation, DonationStatus, Donor, DonorIban
from backoffice.extensions import settings as app_settings
from backoffice.ledger import services as ledger
from backoffice.ledger.models import Posting

from ..banking.conftest import book
from ..helpers import login
from ..invoicing.factories import issued, sponsor
from ..soundness import assert_money_sound

CAMT = Path("/work/shared/testdata/bank/camt053/oca-test-camt053.xml")
MEDIA_IBAN = "NL69ABNA0522123643"  # "3rd party Media" pays 1,405.31 in the file


@pytest.fixture
def account(session, users):
    with transaction():
        return banking.create_bank_account(
            session, name="ABN AMRO", iban="NL77ABNA0574908765", currency="EUR",
            ledger_account=ledger.account_by_role(session, "bank"), actor=users[Role.TREASURER])


def _import(session, account, users, data: bytes):
    with transaction():
        bank_imports.import_statement(session, account, filename="camt.xml", data=data,
                                 actor=users[Role.TREASURER], settings=app_settings())
    return session.scalar(select(BankLine).where(BankLine.amount == 140531))


def _with_purpose(purpose: str) -> bytes:
    """The CAMT file with ``purpose`` as the unstructured remittance of the 1,405.31 line."""
    text = CAMT.read_text()
    cut = text.rindex("</TxDtls>")
    return (text[:cut] + f"<RmtInf><Ustrd>{purpose}</Ustrd></RmtInf>" + text[cut:]).encode()


def _start_page_count(client) -> int | None:
    """The start page's "Bank lines that look like donations" figure (None: not listed)."""
    login(client, Role.TREASURER)
    page = client.get("/").get_data(as_text=True)
    found = re.search(r"Bank lines that look like donations\D*?(\d+)", page)
    return int(found.group(1)) if found else None


def _suggested(session, account, line):
    found = banking.suggestions_for(session, account, [line])[line.id]
    return [item for s in found for item in s.items if item.provider == "donation"]


def test_a_known_donors_transfer_is_proposed_and_recorded(session, users, account, fund):
    with transaction():
        media = donors.find_or_create(session, donors.DonorDetails(name="3rd Party Media BV"),
                                      iban=MEDIA_IBAN)
    line = _import(session, account, users, CAMT.read_bytes())
    assert line.counterparty_iban == MEDIA_IBAN
    items = _suggested(session, account, line)
    assert [i.key for i in items] == [str(line.id)]
    assert items[0].label == "Donation from 3rd Party Media BV to GEN"
    # Not the other lines of the statement (outgoing, not gifts).
    others = session.scalars(select(BankLine).where(BankLine.id != line.id)).all()
    assert all(not _suggested(session, account, other) for other in others)
    with transaction():
        match = banking.accept(session, account, lines=[line], items=[("donation", str(line.id))],
                               actor=users[Role.TREASURER], settings=app_settings())
    donation = session.scalar(select(Donation))
    assert (donation.donor_id, donation.channel, donation.amount) == (media.id, Channel.BANK,
                                                                      140531)
    assert donation.journal_entry_id == match.journal_entry_id and donation.bank_line_id == line.id
    income = session.scalars(select(Posting).where(
        Posting.entry_id == match.journal_entry_id,
        Posting.account_id == ledger.account_by_role(session, "donation_income").id)).all()
    assert [p.amount for p in income] == [-140531]
    assert _suggested(session, account, line) == []  # matched: no longer proposed
    assert_money_sound(session)
    with transaction():
        banking.undo_match(session, match, actor=users[Role.TREASURER], reason="wrong line", settings=app_settings())
    session.expire_all()
    assert donation.status is DonationStatus.REVERSED and donation.bank_line_id is None
    assert_money_sound(session)


def test_the_purpose_text_names_the_fund_and_a_new_donor_is_made(session, users, account, fund):
    line = _import(session, account, users, _with_purpose("Spende fuer PyLadies Berlin"))
    items = _suggested(session, account, line)
    assert items and items[0].label == "Donation from 3rd party Media to PYLB"
    with transaction():
        banking.accept(session, account, lines=[line], items=[("donation", str(line.id))],
                       actor=users[Role.TREASURER], settings=app_settings())
    donation = session.scalar(select(Donation))
    # The statement is of 2014, before the fund's fee policy (2025): no admin fee then.
    assert donation.fund.code == "PYLB" and donation.admin_fee == 0
    assert donation.donated_on.year == 2014
    assert donation.donor.name == "3rd party Media"
    assert session.scalar(select(DonorIban.iban).where(DonorIban.donor_id == donation.donor_id)) \
        == MEDIA_IBAN
    assert_money_sound(session)


@pytest.mark.parametrize("text, gift", [("Spende", True), ("DONATION for PyCon", True),
                                        ("Rechnung 2026-00042", False), ("", False)])
def test_what_looks_like_a_gift(text, gift):
    assert bank.looks_like_gift(text) is gift


def test_a_known_donors_transfer_is_counted_on_the_start_page(session, client, users, account):
    assert _start_page_count(client) is None
    with transaction():
        donors.find_or_create(session, donors.DonorDetails(name="3rd Party Media BV"),
                              iban=MEDIA_IBAN)
    line = _import(session, account, users, CAMT.read_bytes())
    assert bank.looks_like_donations(session) == 1
    assert _start_page_count(client) == 1
    with transaction():
        banking.accept(session, account, lines=[line], items=[("donation", str(line.id))],
                       actor=users[Role.TREASURER], settings=app_settings())
    assert bank.looks_like_donations(session) == 0
    assert _start_page_count(client) is None


def test_an_invoice_paid_from_a_donors_account_is_not_offered_as_a_donation(
        session, client, users, account):
    """The donor's IBAN and a gift word would make the line a donation, but it quotes an open
    invoice of the same amount: the invoice is proposed, the donation is not, and the start
    page does not count the line."""
    with transaction():
        donors.find_or_create(session, donors.DonorDetails(name="3rd Party Media BV"),
                              iban=MEDIA_IBAN)
    invoice = issued(sponsor("DE", name="3rd Party Media BV"),
                     [("Media partnership", 1000, 140531, "exempt", "§ 4 Nr. 22 UStG")])
    assert invoice.gross_total == 140531
    line = _import(session, account, users,
                   _with_purpose(f"Spende und Rechnung {invoice.number}"))
    found = banking.suggestions_for(session, account, [line])[line.id]
    assert [(s.item.provider, s.item.key) for s in found][:1] == [("invoice", str(invoice.id))]
    assert _suggested(session, account, line) == []
    assert bank.proposed(session, account) == []
    assert bank.looks_like_donations(session) == 0
    assert _start_page_count(client) is None
    # The donation provider still has the line (a last resort): only the matcher drops it.
    assert [i.key for i in bank.DonationProvider().open_items(session, account)] == [str(line.id)]


def test_an_amount_alone_does_not_hide_a_gift(session, users, account):
    """A booked posting of the same amount (no reference, no IBAN) explains nothing: the gift
    is still proposed, above it."""
    with transaction():
        donors.find_or_create(session, donors.DonorDetails(name="3rd Party Media BV"),
                              iban=MEDIA_IBAN)
        book(session, users[Role.TREASURER], date(2014, 12, 30), 140531, "Cash deposit")
    line = _import(session, account, users, CAMT.read_bytes())
    found = banking.suggestions_for(session, account, [line])[line.id]
    assert [s.item.provider for s in found] == ["donation", "posting"]


def test_a_donor_without_an_iban_is_found_by_name(session, users, account):
    with transaction():
        known = donors.find_or_create(session, donors.DonorDetails(name="3rd party Media"))
    line = _import(session, account, users, _with_purpose("Spende"))
    with transaction():
        banking.accept(session, account, lines=[line], items=[("donation", str(line.id))],
                       actor=users[Role.TREASURER], settings=app_settings())
    donation = session.scalar(select(Donation))
    assert donation.donor_id == known.id
    assert session.scalar(select(func.count()).select_from(Donor)) == 1
    assert session.scalars(select(DonorIban.iban).where(
        DonorIban.donor_id == known.id)).all() == [MEDIA_IBAN]
    # The next transfer from that account is the donor's by IBAN.
    assert donors.by_iban(session, MEDIA_IBAN).id == known.id


def test_each_gift_is_proposed_for_its_own_line_only(session, users, account):
    """Two monthly gifts of the same donor and amount: each line is offered its own donation,
    never the other line's (accepting that one would be refused)."""
    day = date(2026, 3, 2)
    gifts = [ParsedLine(booking_date=day, value_date=day, amount=5000, currency="EUR",
                        counterparty_name="Anna Example", counterparty_iban=MEDIA_IBAN,
                        remittance=f"Spende {month}") for month in ("Februar", "Maerz")]
    data = writers.camt053(account.iban, [ParsedStatement(
        currency="EUR", opening=0, opening_date=day, closing=10000, closing_date=day,
        lines=gifts)])
    with transaction():
        bank_imports.import_statement(session, account, filename="gifts.xml", data=data,
                                      actor=users[Role.TREASURER], settings=app_settings())
    first, second = session.scalars(select(BankLine).order_by(BankLine.id)).all()
    found = banking.suggestions_for(session, account, [first, second])
    for line in (first, second):
        assert [(s.item.provider, s.item.key) for s in found[line.id]] == [
            ("donation", str(line.id))]
    assert [line.id for line in bank.proposed(session, account)] == [first.id, second.id]
