"""The reconciliation queue comes a few lines at a time (issue 17): the first lines with their
suggestions, and "Show more lines" fetching the next ones after the last (htmx) or a page that
starts there (without JavaScript). The page's queries do not grow with the queue nor with the
bank postings already confirmed; its HTML stays under 100 KB."""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from backoffice.banking import services, writers
from backoffice.banking.models import BankLine, BankMatch
from backoffice.banking.parsers import ParsedLine, ParsedStatement
from backoffice.banking.views import LINES_SHOWN
from backoffice.core.db import transaction, utcnow
from backoffice.core.permissions import Role
from backoffice.extensions import settings as app_settings

from ..helpers import counted_get, login, own_queries
from .conftest import IBAN, book, do_import

HTMX = {"HX-Request": "true"}
START = date(2026, 3, 2)


def _statement(count: int, first: int = 0, purpose: str = "Fee") -> bytes:
    """``count`` incoming lines, one a day from START, each of its own amount."""
    lines = [ParsedLine(booking_date=START + timedelta(days=first + n), amount=10000 + first + n,
                        currency="EUR", counterparty_name=f"Member {first + n}",
                        remittance=f"{purpose} {first + n}") for n in range(count)]
    return writers.camt053(IBAN, [ParsedStatement(
        currency="EUR", opening=0, opening_date=START, closing=sum(x.amount for x in lines),
        closing_date=lines[-1].booking_date, lines=lines)], message_id=f"Q{first}")


def _shown(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-line-id="(\d+)"', html)]


def _more(html: str) -> str | None:
    found = re.search(r'href="([^"]+)" hx-get="[^"]+"[^>]*data-testid="more-lines"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _open_ids(session, bank) -> list[int]:
    return list(session.scalars(select(BankLine.id).where(
        BankLine.bank_account_id == bank.id, BankLine.status == "open")
        .order_by(BankLine.booking_date.desc(), BankLine.id.desc())))


def test_the_queue_shows_its_first_lines_and_fetches_the_next(client, session, users, bank,
                                                               treasurer):
    count = 2 * LINES_SHOWN + 5
    with transaction():
        postings = [book(session, treasurer, START + timedelta(days=n), 10000 + n, f"Fee {n}")
                    for n in range(count)]
    do_import(session, bank, _statement(count), treasurer)
    newest_first = _open_ids(session, bank)
    login(client, Role.TREASURER)

    page = client.get(f"/bank/accounts/{bank.id}/reconcile").get_data(as_text=True)
    assert f"{count} bank lines to explain" in page
    assert _shown(page) == newest_first[:LINES_SHOWN]
    assert "same amount, same day" in page  # the lines shown come with their suggestions
    assert "Newest lines" not in page
    following = _more(page)
    assert following == f"/bank/accounts/{bank.id}/reconcile?after={newest_first[LINES_SHOWN - 1]}"

    # A line matched meanwhile does not shift what comes next.
    first = session.get(BankLine, newest_first[0])
    with transaction():
        services.accept(session, bank, lines=[first], items=[("posting", str(postings[-1].id))],
                        actor=treasurer, settings=app_settings())

    fetched = client.get(following, headers=HTMX)
    assert fetched.status_code == 200
    part = fetched.get_data(as_text=True)
    assert "<html" not in part and "same amount, same day" in part
    assert _shown(part) == newest_first[LINES_SHOWN:2 * LINES_SHOWN]
    last = client.get(_more(part), headers=HTMX).get_data(as_text=True)
    assert _shown(last) == newest_first[2 * LINES_SHOWN:]
    assert _more(last) is None

    # Without JavaScript the link is a page starting there, with the way back to the newest.
    plain = client.get(following).get_data(as_text=True)
    assert "<html" in plain and "Newest lines" in plain
    assert _shown(plain) == newest_first[LINES_SHOWN:2 * LINES_SHOWN]


def test_the_place_to_start_must_be_a_line_of_the_account(client, session, users, bank,
                                                         treasurer):
    do_import(session, bank, _statement(3), treasurer)
    with transaction():
        other = services.create_bank_account(
            session, name="Dollars", iban="DE02120300000000202051", currency="USD",
            ledger_account=bank.ledger_account, actor=treasurer)
    login(client, Role.TREASURER)
    line = _open_ids(session, bank)[0]
    assert client.get(f"/bank/accounts/{other.id}/reconcile?after={line}").status_code == 404
    assert client.get(f"/bank/accounts/{bank.id}/reconcile?after=999999").status_code == 404
    assert client.get(f"/bank/accounts/{bank.id}/reconcile?after=x").status_code == 400


def test_the_queue_costs_the_same_however_long_the_history(client, session, users, bank,
                                                         treasurer):
    """Queries and weight of the queue's page with a few lines, then with many more open
    lines and many bank postings confirmed by lines (a long history): the same."""
    with transaction():
        postings = [book(session, treasurer, START + timedelta(days=n), 10000 + n, f"Fee {n}")
                    for n in range(40)]
    do_import(session, bank, _statement(LINES_SHOWN + 2), treasurer)
    login(client, Role.TREASURER)
    url = f"/bank/accounts/{bank.id}/reconcile"
    response, few = counted_get(client, url)
    assert response.status_code == 200

    do_import(session, bank, _statement(28, first=LINES_SHOWN + 2), treasurer)
    lines = {line.amount: line for line in session.scalars(
        select(BankLine).where(BankLine.bank_account_id == bank.id))}
    with transaction():
        for posting in postings[:30]:  # thirty lines confirm their booked postings
            services.accept(session, bank, lines=[lines[posting.amount]],
                            items=[("posting", str(posting.id))], actor=treasurer,
                            settings=app_settings())
    response, many = counted_get(client, url)
    assert response.status_code == 200
    assert many == few, (few, many)
    assert len(_shown(response.get_data(as_text=True))) == LINES_SHOWN
    assert len(response.data) < 100 * 1024


def test_the_queue_counts_its_open_lines_and_the_matches_to_review(client, session, users,
                                                                   bank, treasurer):
    """Both counts of the page's lead (one statement): open lines of this account, and its
    matches made without anyone (auto, rule) that are neither undone nor reviewed."""
    do_import(session, bank, _statement(3), treasurer)
    with transaction():
        session.add_all([BankMatch(bank_account_id=bank.id, how=how, reviewed_at=reviewed,
                                   undone_at=undone)
                         for how, reviewed, undone in [
                             ("auto", None, None), ("rule", None, None), ("manual", None, None),
                             ("auto", utcnow(), None), ("rule", None, utcnow())]])
    login(client, Role.TREASURER)
    page = client.get(f"/bank/accounts/{bank.id}/reconcile").get_data(as_text=True)
    assert "3 bank lines to explain" in page
    assert "2 matched without you, to review." in page


#: The queue's own queries (beyond every page's) when no item is open: the account, its lines
#: with their count and the matches to review, the open invoices, the bank postings and the open
#: return lines (issue 17: at most eleven; ``test_demo_queue`` holds a queue with every kind).
QUEUE_QUERIES = 5


def test_lines_not_shown_cost_nothing(client, session, users, bank, treasurer):
    """Thirty older open lines that look like gifts (each would be its own "record as
    donation" item, with its donor and fund to find) add no query to the queue's first page:
    only the lines shown are offered as donations."""
    do_import(session, bank, _statement(LINES_SHOWN, first=100), treasurer)
    login(client, Role.TREASURER)
    url = f"/bank/accounts/{bank.id}/reconcile"
    _, few = counted_get(client, url)
    do_import(session, bank, _statement(30, purpose="Spende"), treasurer)
    response, many = counted_get(client, url)
    assert many == few, (few, many)
    assert "Spende" not in response.get_data(as_text=True)
    assert own_queries(client, url) <= QUEUE_QUERIES
    gifts = _more(response.get_data(as_text=True))
    assert "Donation from" in client.get(gifts).get_data(as_text=True)  # offered when shown
