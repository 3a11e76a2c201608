"""A donation's journal entry leads to the donation's page: the reports' drill-down links its
postings there, and the Beancount export names the page as the entry's document (the
donations package says so through ``core.signals.source_pages``; reports import no donations)."""
from __future__ import annotations

import io
import re
from datetime import date

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.core.signals import source_pages
from backoffice.donations import donors, manual
from backoffice.donations.models import Channel
from backoffice.ledger import services as ledger
from backoffice.reports import beancount_export

from ..helpers import login


def _gift(session, fund):
    with transaction():
        donor = donors.find_or_create(session, donors.DonorDetails(name="Ada Lovelace"))
        return manual.record_by_hand(session, donor=donor, fund=fund,
                                     amount=Money(12345, "EUR"), day=date(2026, 3, 1),
                                     channel=Channel.CASH, actor=None)


def test_the_drill_down_links_a_donations_postings_to_its_page(session, client, users, fund):
    gift = _gift(session, fund)
    assert source_pages()["donation"] == ("donations.donation", "donation_id")
    income = ledger.account_by_role(session, "donation_income")
    login(client, Role.TREASURER)
    page = client.get(f"/reports/postings?account={income.id}").get_data(as_text=True)
    links = re.findall(r'<a href="([^"]+)" data-testid="source-link">([^<]+)</a>', page)
    assert links == [(f"/donations/{gift.id}", f"donation {gift.id}")]
    assert client.get(links[0][0]).status_code == 200
    # The other packages' pages still come from their own registrations.
    assert {"invoice", "sponsor", "expense_claim", "grant", "grant_return",
            "payout_batch"} <= set(source_pages())


def test_the_beancount_export_names_the_donations_page(session, users, fund):
    gift = _gift(session, fund)
    out = io.StringIO()
    beancount_export.write(session, out, title="Test", operating_currency="EUR",
                           link=lambda endpoint, values: f"https://bo.example/{endpoint}/"
                                                         f"{values}")
    text = out.getvalue()
    assert (f'document: "https://bo.example/donations.donation/{{\'donation_id\': {gift.id}}}"'
            in text)
