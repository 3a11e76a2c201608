"""Receivables and payables by age against the hand-checked ledger of ``aged`` (its docstring
works out every figure)."""
from __future__ import annotations

import pytest

from backoffice.reports import aging

from ..helpers import login
from .aged import TODAY, aged_ledger

BUCKETS = ["Not yet due", "0–30 days", "31–60 days", "61–90 days", "90+ days"]


@pytest.fixture
def aged(session, users):
    return aged_ledger(session, users)


def _side(statement, heading: str, total: str) -> dict[str, tuple]:
    labels = [line.label for line in statement.lines]
    start = labels.index(heading)
    lines = statement.lines[start + 1:labels.index(total, start) + 1]
    return {line.label: line.values for line in lines}


def test_each_open_item_is_in_its_bucket_per_currency(session, aged) -> None:
    found, items = aging.compute(session, TODAY)
    assert [s.currency for s in found] == ["EUR", "GBP"]
    eur, gbp = found
    receivables = _side(eur, "Receivables (open invoices)", "Total receivables")
    assert [receivables[b] for b in BUCKETS] == [
        (119000, 1), (59500 + 11900, 2), (23800 - 10000, 1), (80000, 1), (238000, 1)]
    assert receivables["Total receivables"] == (522200, 6)
    payables = _side(eur, "Payables (claims, grants, refunds not yet paid)", "Total payables")
    assert [payables[b] for b in BUCKETS] == [(0, 0), (4000, 1), (0, 0), (0, 0), (1349, 1)]
    assert payables["Total payables"] == (5349, 2)
    pounds = _side(gbp, "Receivables (open invoices)", "Total receivables")
    assert [pounds[b] for b in BUCKETS] == [(0, 0), (35700, 1), (0, 0), (0, 0), (0, 0)]
    assert _side(gbp, "Payables (claims, grants, refunds not yet paid)",
                 "Total payables")["Total payables"] == (0, 0)

    # The items behind the figures: the part-paid invoice with what is still open, the paid one
    # absent, the invoice due exactly 30 days ago still in 0-30.
    by_invoice = {i.invoice_id: i for i in items if i.side == "receivable"}
    assert aged["G"].id not in by_invoice
    assert (by_invoice[aged["D"].id].bucket, by_invoice[aged["D"].id].amount) == ("31-60", 13800)
    assert by_invoice[aged["C"].id].bucket == "0-30"
    assert (by_invoice[aged["H"].id].currency, by_invoice[aged["H"].id].amount) == ("GBP", 35700)
    assert by_invoice[aged["A"].id].due.isoformat() == "2026-07-20"
    payable = sorted((i.bucket, i.amount, i.party) for i in items if i.side == "payable")
    assert payable == [("0-30", 4000, aged["payee"]), ("90+", 1349, aged["payee"])]


def test_a_day_later_the_edge_invoice_moves_on(session, aged) -> None:
    later = TODAY.replace(day=2)
    eur = aging.compute(session, later)[0][0]
    receivables = _side(eur, "Receivables (open invoices)", "Total receivables")
    # C (due 2026-06-01) is 31 days overdue now.
    assert receivables["0–30 days"] == (59500, 1)
    assert receivables["31–60 days"] == (13800 + 11900, 2)
    assert receivables["Total receivables"] == (522200, 6)


def test_the_page_lists_the_items_and_links_the_invoices(client, aged) -> None:
    login(client, "board")
    page = client.get(f"/reports/aging?as_of={TODAY.isoformat()}").get_data(as_text=True)
    assert "5,222.00" in page and "714.00" in page and "138.00" in page and "53.49" in page
    assert "357.00" in page
    assert f"/invoices/{aged['D'].id}" in page and f"/invoices/{aged['G'].id}" not in page
