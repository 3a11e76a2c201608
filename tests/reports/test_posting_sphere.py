"""The treasurer places one posting in another tax sphere from the drill-down, and clears it
again: each change is audited with its reason, and the result per sphere moves by exactly that
posting's amount."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from backoffice.core.audit import AuditEvent
from backoffice.core.permissions import Role
from backoffice.reports import spheres
from backoffice.reports.models import Sphere

from ..helpers import csrf_token, login

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def _tickets(books):
    b = books
    b.post(date(2026, 3, 1), ("1200", b.general, "300"), ("4300", b.general, "-300"),
           description="Tickets")
    entry = b.post(date(2026, 3, 2), ("1200", b.general, "50"), ("4300", b.general, "-50"),
                   description="Beer sold at the meetup")
    return next(p for p in entry.postings if p.account.code == "4300")


def _income(session, sphere: Sphere, account_id: int) -> int:
    return spheres.figures(session, *YEAR, "EUR").by_sphere.get(sphere, {}).get(
        account_id, [0, 0])[0]


def test_the_treasurer_sets_and_clears_a_postings_sphere_from_the_drill_down(
        client, session, users, books):
    posting = _tickets(books)
    tickets = books["4300"].id
    login(client, Role.TREASURER)
    drill = client.get(f"/reports/postings?account={tickets}&start=2026-01-01&end=2026-12-31")
    page_url = f"/reports/spheres/postings/{posting.id}"
    assert page_url in drill.get_data(as_text=True)
    assert "follows its account" in client.get(page_url).get_data(as_text=True)
    token = csrf_token(client, page_url)

    refused = client.post(page_url, data={"sphere": "wirtschaftlich", "reason": " ",
                                          "csrf_token": token})
    assert refused.status_code == 400 and spheres.posting_sphere(session, posting.id) is None

    done = client.post(page_url, data={"sphere": "wirtschaftlich", "reason": "Sale of drinks",
                                       "csrf_token": token})
    assert done.status_code == 303
    assert _income(session, Sphere.ZWECKBETRIEB, tickets) == 30000
    assert _income(session, Sphere.WIRTSCHAFTLICH, tickets) == 5000
    sheet = client.get("/reports/spheres?year=2026").get_data(as_text=True)
    assert "1 posting placed in another sphere by hand" in sheet
    assert "Sale of drinks" in client.get(page_url).get_data(as_text=True)

    cleared = client.post(f"{page_url}/clear", data={"clear-reason": "Tickets after all",
                                                     "csrf_token": token})
    assert cleared.status_code == 303 and spheres.posting_sphere(session, posting.id) is None
    assert _income(session, Sphere.ZWECKBETRIEB, tickets) == 35000
    assert _income(session, Sphere.WIRTSCHAFTLICH, tickets) == 0
    again = client.post(f"{page_url}/clear", data={"clear-reason": "twice",
                                                   "csrf_token": token})
    assert again.status_code == 303  # a calm refusal, nothing to clear
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "reports.sphere", AuditEvent.object_id == str(posting.id))
        .order_by(AuditEvent.id)).all()
    assert [e.summary for e in events] == ["Placed in wirtschaftlich: Sale of drinks",
                                           "Back to the account's sphere: Tickets after all"]


def test_only_who_manages_budgets_may_place_a_posting(client, session, users, books):
    posting = _tickets(books)
    for role in (Role.BOARD, Role.ORGANISER, Role.REVIEWER):
        login(client, role)
        assert client.get(f"/reports/spheres/postings/{posting.id}").status_code == 403
    login(client, Role.TREASURER)
    assert client.get("/reports/spheres/postings/2147483647").status_code == 404
    login(client, Role.BOARD)  # the board's drill-down has no sphere column
    drill = client.get(f"/reports/postings?account={books['4300'].id}")
    assert "/reports/spheres/postings/" not in drill.get_data(as_text=True)
