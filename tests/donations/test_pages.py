"""The donation page (public, spam-resistant, to Stripe Checkout), the donor's plan link, and
the treasurer's pages: list with filters and totals, by hand, donors, merge, plans, pages."""
from datetime import date

from sqlalchemy import func, select

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.donations import donors, manual
from backoffice.donations.models import Channel, Donation, DonationCheckout, DonationPage, Donor
from backoffice.extensions import db

from ..helpers import form_tokens, login, post_form


def donate(client, path="/donate/pylb", **data):
    fields = {"amount": "2500", "frequency": "once", "name": "Ada Lovelace",
              "email": "ada@example.org", "donor_kind": "person", "language": "en",
              "country": "DE", "submit": "1"}
    tokens = form_tokens(client, path)
    html = client.get(path).get_data(as_text=True)
    form_token = html.split('name="form_token" type="hidden" value="')[1].split('"')[0] \
        if 'name="form_token" type="hidden" value="' in html else "t"
    return client.post(path, data={**tokens, "form_token": form_token, **fields, **data})


def test_the_page_shows_the_fund_and_redirects_to_checkout(client, stripe, page):
    html = client.get("/donate/pylb").get_data(as_text=True)
    assert "Donate to PyLadies Berlin" in html and "Workshops for women in tech" in html
    assert "€25.00" in html or "25.00" in html
    response = donate(client)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert response.headers["Location"].startswith(stripe.url + "/c/pay/cs_test_")
    assert stripe.url in response.headers["Content-Security-Policy"]
    row = db.session.scalar(select(DonationCheckout))
    assert (row.amount, row.interval, row.email) == (2500, None, "ada@example.org")


def test_a_free_amount_monthly(client, stripe, page):
    response = donate(client, other_amount="12,50", frequency="month")
    assert response.status_code == 303
    row = db.session.scalar(select(DonationCheckout))
    assert (row.amount, row.interval.value) == (1250, "month")


def test_bad_input_is_a_400_with_the_reason_and_nothing_written(client, stripe, page):
    for data, message in [({"amount": "", "other_amount": "abc"}, "not an amount"),
                          ({"amount": "777"}, "Choose an amount"),
                          ({"receipt_wanted": "y"}, "postal address"),
                          ({"email": ""}, "email")]:
        response = donate(client, **data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), data
    assert db.session.scalar(select(func.count()).select_from(DonationCheckout)) == 0


def test_the_honeypot_and_the_rate_limit_hold(app, client, stripe, page):
    assert donate(client, homepage="http://spam.example").status_code == 400
    app.config.update(DONATIONS_PER_ADDRESS_PER_HOUR=2)
    assert donate(client, email="a@example.org").status_code == 303
    assert donate(client, email="b@example.org").status_code == 303
    response = donate(client, email="c@example.org")
    assert response.status_code == 400 and "too many" in response.get_data(as_text=True)


def test_no_page_for_a_fund_that_did_not_opt_in(client, stripe, page):
    assert client.get("/donate/nothere").status_code == 404
    assert client.get("/donate").status_code == 404  # the general fund has no page yet
    with transaction():
        page.enabled = False
    assert client.get("/donate/pylb").status_code == 404


def test_treasurer_opens_a_page_for_the_general_fund(client, users, stripe):
    login(client, Role.TREASURER)
    response = post_form(client, "/donations/pages", {
        "fund": "GEN", "title": "The association", "purpose": "Everything we do",
        "currency": "EUR", "suggested": "5, 20,50", "enabled": "y", "allow_recurring": "y"},
        token_from="/donations/pages")
    assert response.status_code == 302
    assert client.get("/donate").status_code == 200
    page = db.session.scalar(select(DonationPage))
    assert page.suggestions == [500, 2000, 5000]
    bad = post_form(client, "/donations/pages", {"fund": "GEN", "currency": "EUR",
                                                 "suggested": "ten"},
                    token_from="/donations/pages")
    assert bad.status_code == 400


def test_list_filters_totals_donors_and_merge(client, users, session, fund, donor):
    with transaction():
        other = donors.find_or_create(session, donors.DonorDetails(name="Anna M.",
                                                                   email="a.m@example.org"))
        manual.record_by_hand(session, donor=donor, fund=fund, amount=Money(1000, "EUR"),
                              day=date(2026, 2, 1), channel=Channel.CASH, actor=None)
        manual.record_by_hand(session, donor=other, fund=fund, amount=Money(2500, "EUR"),
                              day=date(2026, 3, 1), channel=Channel.CHEQUE, actor=None)
    login(client, Role.TREASURER)
    html = client.get("/donations").get_data(as_text=True)
    assert "35.00" in html and "in 2 donations" in html and "2026-03" in html
    html = client.get("/donations?channel=cheque").get_data(as_text=True)
    assert "in 1 donation" in html and "25.00" in html
    assert client.get("/donations?start=nonsense").status_code == 400
    html = client.get("/donations/donors?q=anna").get_data(as_text=True)
    assert "Anna Müller" in html and "Anna M." in html
    response = post_form(client, f"/donations/donors/{other.id}",
                         {"merge-other": str(donor.id), "merge-submit": "1"},
                         token_from=f"/donations/donors/{other.id}")
    assert response.status_code == 302
    session.expire_all()
    assert {d.donor_id for d in session.scalars(select(Donation))} == {donor.id}
    assert client.get(f"/donations/donors/{other.id}").status_code == 302


def test_recording_cash_and_in_kind_from_the_page(client, users, session, fund):
    login(client, Role.TREASURER)
    base = {"fund": "PYLB", "kind": "money", "currency": "EUR",
            "day": clock.today().isoformat(), "name": "Meetup jar", "country": "DE",
            "donor_kind": "person", "language": "en"}
    response = post_form(client, "/donations/new", {**base, "channel": "cash", "amount": "23.40"},
                         token_from="/donations/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    response = post_form(client, "/donations/new", {
        **base, "channel": "in_kind", "amount": "300", "in_kind_description": "A projector",
        "valuation_basis": "Shop price of a used one", "in_kind_origin": "private",
        "account": "5400"}, token_from="/donations/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    bad = post_form(client, "/donations/new", {**base, "channel": "in_kind", "amount": "10",
                                               "account": "5400"}, token_from="/donations/new")
    assert bad.status_code == 400 and "Describe the gift" in bad.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Donation)) == 2
    # Without an email or IBAN a name alone never matches: two donors, for a treasurer to merge.
    assert session.scalar(select(func.count()).select_from(Donor)) == 2
