"""The start page's "Waiting for you": what each role has to do, counted, linked."""
import re

import pytest

from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.expenses import services as claims
from backoffice.extensions import settings as app_settings

from ..helpers import email_for
from ..sponsorship import active_group, client_for, submit

ITEM = re.compile(r'<a href="([^"]+)">([^<]+)</a>\s*<span class="badge[^"]*">(\d+)</span>')


def waiting(client) -> dict[str, tuple[str, int]]:
    html = client.get("/").get_data(as_text=True)
    assert "Waiting for you" in html
    return {label: (url.replace("&amp;", "&"), int(count))
            for url, label, count in ITEM.findall(html)}


def test_each_role_sees_what_waits_for_it_and_where_to_do_it(app, users, session):
    treasurer = client_for(app, email_for(Role.TREASURER))
    assert waiting(treasurer) == {}
    assert "Nothing waits for you" in treasurer.get("/").get_data(as_text=True)

    group = active_group(session, "PyBerlin", money="500.00")
    organiser = group.organisers[0]
    submit(session, organiser, group.fund)
    submit(session, organiser, group.fund, title="Stickers")
    own = submit(session, users[Role.TREASURER], group.fund, title="Treasurer's own taxi")

    found = waiting(treasurer)
    url, count = found["Expense claims waiting for approval"]
    assert count == 2  # nobody approves their own claim: the treasurer's does not count
    assert treasurer.get(url).status_code == 200 and "status=submitted" in url
    assert "Approved claims and grants to pay in a payout batch" not in found

    with transaction():
        claims.approve_claim(session, own, actor=users[Role.ADMIN], settings=app_settings())
    url, count = waiting(treasurer)["Approved claims and grants to pay in a payout batch"]
    assert count == 1 and treasurer.get(url).status_code == 200

    board = client_for(app, email_for(Role.BOARD))
    assert set(waiting(board)) == set()  # the board approves groups, not claims
    reviewer = client_for(app, email_for(Role.REVIEWER))
    assert waiting(reviewer) == {}


def test_group_applications_wait_for_the_board_only(app, users, session):
    from backoffice.groups import services as groups

    with transaction():
        groups.apply(session, name="PyAlpen", kind="meetup", city="Graz", country="AT",
                     contacts=[("Ada", "ada@pyalpen.example")], settings=app_settings())
    board = client_for(app, email_for(Role.BOARD))
    url, count = waiting(board)["Groups applying to join"]
    assert count == 1 and "PyAlpen" in board.get(url).get_data(as_text=True)
    assert "Groups applying to join" not in waiting(client_for(app, email_for(Role.TREASURER)))


@pytest.mark.demo_data
def test_in_the_demo_every_waiting_link_leads_to_its_work(app):
    seen = set()
    for role in ("admin", "treasurer", "board", "reviewer"):
        client = client_for(app, f"{role}@example.org", "backoffice-demo")
        for label, (url, count) in waiting(client).items():
            assert count > 0 and client.get(url).status_code == 200, (role, label, url)
            seen.add(label)
    assert {"Bank lines to reconcile", "Expense claims waiting for approval",
            "Grant applications waiting for the committee"} <= seen
