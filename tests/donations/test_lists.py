"""The donations' lists against figures computed by hand: the public donor list (who is named
and how), the start page's count of failed recurring payments, the `recurring` filter, the donor
list's totals, a donor's giving history and plans, and the list's CSV/XLSX export (values and
types read back)."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import openpyxl
import pytest

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.donations import booking, donors
from backoffice.donations.models import (
    Channel,
    DonationPage,
    PlanInterval,
    PlanStatus,
    RecurringFailure,
    RecurringPlan,
)
from backoffice.extensions import settings as app_settings
from backoffice.ledger.services import general_fund

from ..helpers import login


def _donor(session, name, email, *, public=None):
    with transaction():
        return donors.find_or_create(session, donors.DonorDetails(
            name=name, email=email, consent_public=public))


def _gift(session, donor, fund, cents, day, *, channel=Channel.CASH, plan=None,
          public_name=None):
    with transaction():
        donation, _created = booking.record(session, booking.Gift(
            donor=donor, fund=fund, amount=Money(cents, "EUR"), day=day, channel=channel,
            plan_id=plan.id if plan else None, public_name=public_name), actor=None)
    return donation


def _plan(session, donor, fund, cents, status=PlanStatus.ACTIVE):
    with transaction():
        plan = RecurringPlan(donor_id=donor.id, fund_id=fund.id, amount=cents, currency="EUR",
                             interval=PlanInterval.MONTH, status=status,
                             stripe_subscription=f"sub_{donor.id}_{cents}")
        session.add(plan)
    return plan


def _reverse(session, donation):
    with transaction():
        booking.reverse(session, donation, actor=None, reason="entered twice",
                        settings=app_settings())


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def giving(session, fund):
    """Anna: 10.00 cash, 25.00 cheque, 15.00 from her monthly plan, 99.00 reversed (not
    counted) = 50.00 in 3; Ben: 7.50 = 7.50 in 1; Cleo gave nothing."""
    anna = _donor(session, "Anna Schmidt", "anna@example.org", public=True)
    ben = _donor(session, "Ben Weber", "ben@example.org", public=False)
    cleo = _donor(session, "Cleo Wolf", "cleo@example.org")
    plan = _plan(session, anna, fund, 1500)
    ended = _plan(session, anna, fund, 500, PlanStatus.CANCELLED)
    gifts = {
        "cash": _gift(session, anna, fund, 1000, date(2026, 1, 10), public_name="Anna S."),
        "cheque": _gift(session, anna, fund, 2500, date(2026, 2, 10), channel=Channel.CHEQUE),
        "monthly": _gift(session, anna, fund, 1500, date(2026, 3, 10), channel=Channel.BANK,
                      plan=plan),
        "reversed": _gift(session, anna, fund, 9900, date(2026, 4, 10),
                          public_name="Anna S."),
        "bens": _gift(session, ben, fund, 750, date(2026, 5, 10), public_name="Ben"),
    }
    _reverse(session, gifts["reversed"])
    return {"anna": anna, "ben": ben, "cleo": cleo, "plan": plan, "ended": ended, **gifts}


# --- the public donor list --------------------------------------------------------------------

def test_the_public_list_names_consenting_donors_by_their_public_name(client, session, fund,
                                                                      page):
    anna = _donor(session, "Anna Schmidt", "anna@example.org", public=True)
    ben = _donor(session, "Ben Weber", "ben@example.org", public=False)
    dora = _donor(session, "Dora Klein", "dora@example.org", public=True)
    _gift(session, anna, fund, 1000, date(2026, 1, 10), public_name="Anna from Berlin")
    _gift(session, anna, fund, 2000, date(2026, 2, 10), public_name="Anna from Berlin")
    _gift(session, ben, fund, 5000, date(2026, 1, 10), public_name="Ben the Secret")  # no consent
    _gift(session, dora, fund, 3000, date(2026, 1, 10))  # consent, but no public name
    with transaction():
        other = donors.find_or_create(session, donors.DonorDetails(
            name="Eva", email="eva@example.org", consent_public=True))
    _gift(session, other, general_fund(session), 4000, date(2026, 1, 10),
          public_name="Eva of another fund")
    reversed_gift = _gift(session, dora, fund, 700, date(2026, 3, 1), public_name="Dora K.")
    _reverse(session, reversed_gift)

    response = client.get("/donate/pylb/donors")
    assert response.status_code == 200
    listed = re.search(r'<ul data-testid="public-donors">(.*?)</ul>', response.get_data(
        as_text=True), re.S).group(1)
    assert re.findall(r"<li>([^<]+)</li>", listed) == ["Anna from Berlin"]  # once, not twice
    page_text = response.get_data(as_text=True)
    for hidden in ("Ben the Secret", "Ben Weber", "Dora", "Eva", "Anna Schmidt"):
        assert hidden not in page_text


def test_the_public_list_is_empty_or_absent(client, session, fund, page):
    response = client.get("/donate/pylb/donors")
    assert response.status_code == 200 and "Nobody yet." in response.get_data(as_text=True)
    with transaction():
        session.get(DonationPage, page.id).public_donor_list = False
    assert client.get("/donate/pylb/donors").status_code == 404
    assert client.get("/donate/gen/donors").status_code == 404  # a fund without a page
    assert client.get("/donate/nope/donors").status_code == 404


# --- the start page ---------------------------------------------------------------------------

def test_the_start_page_counts_failed_recurring_payments_not_resolved(client, session, users,
                                                                      fund):
    anna = _donor(session, "Anna Schmidt", "anna@example.org")
    plan = _plan(session, anna, fund, 1500, PlanStatus.PAST_DUE)
    login(client, Role.TREASURER)
    assert "Failed recurring donations" not in client.get("/").get_data(as_text=True)
    with transaction():
        for number, resolved in ((1, False), (2, False), (3, True)):
            session.add(RecurringFailure(plan_id=plan.id, stripe_invoice=f"in_{number}",
                                         amount=1500, currency="EUR", resolved=resolved))
    page = _text(client.get("/").get_data(as_text=True))
    assert re.search(r"Failed recurring donations\D*?(\d+)", page).group(1) == "2"


# --- the treasurer's lists --------------------------------------------------------------------

def _refs(html: str) -> set[str]:
    table = re.search(r'data-testid="donations">(.*?)</table>', html, re.S).group(1)
    return set(re.findall(r">(DON-\d+)</a>", table))


def test_the_recurring_filter(client, users, giving):
    login(client, Role.TREASURER)
    html = client.get("/donations?recurring=yes").get_data(as_text=True)
    assert _refs(html) == {giving["monthly"].ref}
    assert re.search(r"15\.00</strong> in 1 donation\b", html)
    html = client.get("/donations?recurring=no").get_data(as_text=True)
    assert _refs(html) == {giving[k].ref for k in ("cash", "cheque", "reversed", "bens")}
    assert re.search(r"42\.50</strong> in 3 donations", html)  # 10.00 + 25.00 + 7.50
    html = client.get("/donations").get_data(as_text=True)
    assert re.search(r"57\.50</strong> in 4 donations", html)
    assert client.get("/donations?recurring=maybe").status_code == 400


def test_the_donor_list_totals(client, users, giving):
    login(client, Role.TREASURER)
    html = client.get("/donations/donors").get_data(as_text=True)
    rows = {int(found[0]): found[1:] for found in re.findall(
        r'<tr><td><a href="/donations/donors/(\d+)">[^<]+</a></td><td>[^<]*</td>'
        r'<td class="num">(\d+)</td><td class="num">([^<]*)</td><td>([^<]*)</td></tr>', html)}
    anna, ben, cleo = giving["anna"], giving["ben"], giving["cleo"]
    assert set(rows) == {anna.id, ben.id, cleo.id}
    count, total, last = rows[anna.id]
    assert count == "3" and re.fullmatch(r"\D*50\.00\D*", total)  # the reversed 99.00 left out
    assert "2026" in last and ("Mar" in last or "03" in last)  # 10 March, not the reversed April
    count, total, _last = rows[ben.id]
    assert count == "1" and re.fullmatch(r"\D*7\.50\D*", total)
    assert rows[cleo.id] == ("0", "", "")


def test_the_donor_page_shows_history_totals_and_plans(client, users, giving):
    login(client, Role.TREASURER)
    anna = giving["anna"]
    html = client.get(f"/donations/donors/{anna.id}").get_data(as_text=True)
    totals = _text(re.search(r'data-testid="donor-totals">(.*?)</p>', html, re.S).group(1))
    assert re.fullmatch(r"\D*50\.00 in 3 donations", totals), totals
    history = re.search(r'data-testid="history">(.*?)</table>', html, re.S).group(1)
    refs = re.findall(r">(DON-\d+)</a>", history)
    assert refs == [giving[k].ref for k in ("reversed", "monthly", "cheque", "cash")]  # newest first
    assert "Reversed" in _text(history) or "reversed" in _text(history)
    assert giving["bens"].ref not in history
    plans = _text(html.split('<h2 class="h5">Recurring plans</h2>', 1)[1].split("</ul>", 1)[0])
    assert f"{giving['plan'].ref}:" in plans and "15.00" in plans and "PYLB" in plans
    assert f"{giving['ended'].ref}:" in plans and "5.00" in plans
    html = client.get(f"/donations/donors/{giving['cleo'].id}").get_data(as_text=True)
    assert "No booked donations." in html and '<h2 class="h5">Recurring plans' not in html


def test_the_export_has_the_rows_and_follows_the_filter(client, users, giving):
    login(client, Role.TREASURER)
    response = client.get("/donations?format=csv&channel=cash")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Date", "Donation", "Donor"] and header[-1].startswith("Amount")
    assert sorted(row[1] for row in body) == sorted(
        giving[k].ref for k in ("cash", "reversed", "bens"))
    by_ref = {row[1]: row for row in body}
    assert by_ref[giving["cash"].ref][0] == "2026-01-10"
    assert by_ref[giving["cash"].ref][2] == "Anna Schmidt"
    assert by_ref[giving["cash"].ref][3] == "PYLB"

    response = client.get("/donations?format=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    header, body = values[0], values[1:]
    assert header[1] == "Donation" and len(body) == 5
    by_ref = {row[1]: row for row in body}
    cheque = by_ref[giving["cheque"].ref]
    assert cheque[0].date() == date(2026, 2, 10) if hasattr(cheque[0], "date") else \
        cheque[0] == date(2026, 2, 10)
    assert cheque[2] == "Anna Schmidt" and cheque[3] == "PYLB"
    amount = cheque[-1]
    assert isinstance(amount, (int, float)) and not isinstance(amount, bool)
    assert round(amount * 100) == 2500
    assert round(by_ref[giving["bens"].ref][-1] * 100) == 750
    filtered = client.get("/donations?format=xlsx&recurring=yes")
    rows = list(openpyxl.load_workbook(io.BytesIO(filtered.data)).active.iter_rows(
        values_only=True))[1:]
    assert [row[1] for row in rows] == [giving["monthly"].ref]
