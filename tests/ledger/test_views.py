"""The treasurer's ledger pages through HTTP: forms, refusals shown next to fields, reversals."""
from datetime import date

from sqlalchemy import func, select

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.ledger import services
from backoffice.ledger.chart import Account, Fund
from backoffice.ledger.models import JournalEntry
from backoffice.ledger.periods import PeriodKind

from ..helpers import login, post_form
from .conftest import CALENDAR


def _entry_form(books, *lines, description="Form entry", day=None, currency="EUR"):
    data = {"booking_date": (day or clock.today()).isoformat(), "description": description,
            "currency": currency}
    for n, (code, fund, debit, credit) in enumerate(lines):
        data |= {f"lines-{n}-account": str(books[code].id) if code else "",
                 f"lines-{n}-fund": str(fund.id) if fund else "",
                 f"lines-{n}-debit": debit, f"lines-{n}-credit": credit}
    return data


def _entries(session):
    return session.scalar(select(func.count()).select_from(JournalEntry))


def test_manual_entry_across_funds_gets_interfund_lines(client, books, session):
    login(client, "treasurer")
    response = post_form(client, "/ledger/entries/new", _entry_form(
        books, ("5000", books.general, "1,234.50", ""),
        ("4400", books.berlin, "", "1234.5")))
    assert response.status_code == 302
    entry = session.scalars(select(JournalEntry)).one()
    assert len(entry.postings) == 4 and entry.source_kind == "manual"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Interfund" in page and "€1,234.50" in page


def test_bad_form_input_is_shown_next_to_the_field_and_nothing_is_saved(client, books, session):
    login(client, "treasurer")
    cases = [
        (_entry_form(books, ("6100", books.general, "10.001", ""), ("1200", books.general, "", "10")),
         "EUR amounts have 2 decimal places"),
        (_entry_form(books, ("6100", books.general, "10", "10"), ("1200", books.general, "", "10")),
         "Enter a debit or a credit, not both"),
        (_entry_form(books, ("6100", books.general, "10", ""), ("1200", books.general, "", "9")),
         "does not balance"),
        (_entry_form(books, ("6100", books.general, "-10", ""), ("1200", books.general, "-10", "")),
         "Enter a positive amount"),
        (_entry_form(books, ("6100", books.general, "10", "")), "at least two lines"),
        (_entry_form(books, ("6100", None, "10", ""), ("1200", books.general, "", "10")), "Choose a fund"),
        (_entry_form(books, ("6100", books.general, "10", ""), ("1200", books.general, "", "10"),
                     currency="XYZ"), "Not a valid choice"),
        (_entry_form(books, ("1900", books.general, "10", ""), ("1200", books.general, "", "10")),
         "Not a valid choice"),  # the interfund account is not offered, and a forged id is refused
    ]
    for data, message in cases:
        response = post_form(client, "/ledger/entries/new", data)
        assert response.status_code == 400, message
        assert message in response.get_data(as_text=True), message
    assert _entries(session) == 0


def test_closed_period_refusal_is_shown_on_the_date(client, books, session):
    with transaction(session):
        services.set_period_closed(session, PeriodKind.MONTH, date(2026, 1, 1), True, actor=books.actor, fiscal_year=CALENDAR)
    login(client, "treasurer")
    response = post_form(client, "/ledger/entries/new", _entry_form(
        books, ("6100", books.general, "1", ""), ("1200", books.general, "", "1"), day=date(2026, 1, 9)))
    assert response.status_code == 400
    assert "The month 2026-01 is closed" in response.get_data(as_text=True)
    assert _entries(session) == 0


def test_add_line_without_javascript_keeps_what_was_typed(client, books):
    login(client, "treasurer")
    data = _entry_form(books, ("6100", books.general, "7", ""), description="Keep me")
    data["add_line"] = "Add a line"
    html = post_form(client, "/ledger/entries/new", data).get_data(as_text=True)
    assert 'name="lines-4-account"' in html and 'value="Keep me"' in html and 'value="7"' in html


def test_reverse_from_the_entry_page(client, books, session):
    entry = books.post(clock.today(), ("6100", books.general, "3"), ("1200", books.general, "-3"))
    login(client, "treasurer")
    refused = post_form(client, f"/ledger/entries/{entry.id}/reverse", {"reason": ""})
    assert refused.status_code == 400 and "This field is required" in refused.get_data(as_text=True)
    done = post_form(client, f"/ledger/entries/{entry.id}/reverse", {"reason": "Typo"})
    assert done.status_code == 302
    page = client.get(f"/ledger/entries/{entry.id}").get_data(as_text=True)
    assert "Reversed by" in page and "Reverse this entry" not in page
    twice = post_form(client, f"/ledger/entries/{entry.id}/reverse", {"reason": "again"})
    assert twice.status_code == 400 and "already reversed" in twice.get_data(as_text=True)
    login(client, "board")
    assert client.get(f"/ledger/entries/{entry.id}").status_code == 200
    assert post_form(client, f"/ledger/entries/{entry.id}/reverse", {"reason": "x"}).status_code == 403


def test_treasurer_manages_accounts_funds_and_periods(client, books, session):
    login(client, "treasurer")
    assert post_form(client, "/ledger/accounts/new", {"code": "5150", "name": "Childcare",
                                                      "type": "expense"}).status_code == 302
    account = session.scalars(select(Account).where(Account.code == "5150")).one()
    duplicate = post_form(client, "/ledger/accounts/new", {"code": "5150", "name": "x", "type": "expense"})
    assert duplicate.status_code == 400 and "already exists" in duplicate.get_data(as_text=True)
    assert post_form(client, f"/ledger/accounts/{account.id}/edit",
                     {"code": "5150", "name": "Childcare at events"}).status_code == 302
    session.expire_all()
    assert account.name == "Childcare at events" and account.active is False  # box not ticked

    assert post_form(client, "/ledger/funds/new", {"code": "DRESDEN", "name": "PyDresden"}).status_code == 302
    fund = session.scalars(select(Fund).where(Fund.code == "DRESDEN")).one()
    assert "PyDresden" in client.get(f"/ledger/funds/{fund.id}").get_data(as_text=True)

    assert post_form(client, "/ledger/periods/month/2026-02-01/close", {}).status_code == 302
    assert services.closed_period_on(session, date(2026, 2, 10)).label == "month 2026-02"
    html = client.get("/ledger/periods").get_data(as_text=True)
    assert "is closed" in html or "closed" in html


def test_transfer_form(client, books, session):
    books.post(clock.today(), ("1200", books.general, "100"), ("3000", books.general, "-100"))
    login(client, "treasurer")
    data = {"from_fund": books.general.id, "to_fund": books.berlin.id, "amount": "40", "currency": "EUR",
            "booking_date": clock.today().isoformat(), "description": "Seed money"}
    assert post_form(client, "/ledger/transfers/new", data).status_code == 302
    refused = post_form(client, "/ledger/transfers/new", data | {"amount": "4.005"})
    assert refused.status_code == 400
    assert "EUR amounts have 2 decimal places" in refused.get_data(as_text=True)
    same = post_form(client, "/ledger/transfers/new", data | {"to_fund": books.general.id})
    assert same.status_code == 400 and "two different funds" in same.get_data(as_text=True)


def test_trial_balance_rows_escape_what_the_chart_holds(client, books, session):
    """The rows are written in Python, not by the template: names and codes are escaped, and
    each row links its account and shows its debit or credit (German kinds and figures in
    German)."""
    with transaction(session):
        books["6100"].name = 'R&D <script>"x"</script>'
    books.post(clock.today(), ("6100", books.general, "1234.5"), ("1200", books.general, "-1234.5"))
    login(client, "treasurer")
    page = client.get("/ledger/trial-balance").get_data(as_text=True)
    account = books["6100"]
    assert (f'<tr><td class="code">6100</td>\n        <td><a href="/ledger/accounts/{account.id}">'
            'R&amp;D &lt;script&gt;&#34;x&#34;&lt;/script&gt;</a></td>\n'
            '        <td class="small muted">Expense</td>\n'
            '        <td class="num"><span class="money">€1,234.50</span></td>'
            '<td class="num"></td></tr>') in page
    assert "<script>" not in page.split("<body")[1].split("<script")[0]
    german = client.get("/ledger/trial-balance", headers={"Accept-Language": "de"})
    assert '<td class="small muted">Aufwand</td>' in german.get_data(as_text=True)
    assert '<td class="small muted">Vermögen</td>' in german.get_data(as_text=True)
    assert "1.234,50\xa0€" in german.get_data(as_text=True)
