"""Setting an account's tax sphere from the sphere page (``POST /reports/spheres/accounts``): the
treasurer may, with the form's token; an organiser may not; a bad choice is a 400; the change is
in the audit log and moves the account's figures to the other sphere."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from backoffice.core.audit import AuditEvent
from backoffice.core.permissions import Role
from backoffice.reports import spheres
from backoffice.reports.models import Sphere

from ..helpers import csrf_token, login

PAGE = "/reports/spheres?year=2026"
SET = "/reports/spheres/accounts"


def _events(session, account_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.action == "reports.sphere", AuditEvent.object_type == "account",
        AuditEvent.object_id == str(account_id))))


def test_the_treasurer_moves_an_account_to_another_sphere(client, session, books) -> None:
    b = books
    # Tickets 300.00 on 4300 (Zweckbetrieb by its role) and 50.00 of hosting (ideell).
    b.post(date(2026, 3, 1), ("1200", b.general, "300"), ("4300", b.general, "-300"),
           description="Tickets")
    b.post(date(2026, 3, 2), ("5500", b.general, "50"), ("1200", b.general, "-50"),
           description="Hosting")
    tickets = b["4300"].id
    assert spheres.account_spheres(session)[tickets] is Sphere.ZWECKBETRIEB
    login(client, Role.TREASURER)
    page = client.get(PAGE).get_data(as_text=True)
    assert 'action="/reports/spheres/accounts"' in page
    response = client.post(SET, data={"account": tickets, "sphere": "wirtschaftlich",
                                      "csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/reports/spheres")
    session.expire_all()
    assert spheres.account_spheres(session)[tickets] is Sphere.WIRTSCHAFTLICH
    [event] = _events(session, tickets)
    assert event.actor_id is not None and "default → wirtschaftlich" in event.summary
    # The figures follow: 300.00 of income now in the taxable business area.
    found = spheres.figures(session, date(2026, 1, 1), date(2026, 12, 31), "EUR")
    assert found.by_sphere[Sphere.WIRTSCHAFTLICH][tickets] == [30000, 0]
    assert tickets not in found.by_sphere.get(Sphere.ZWECKBETRIEB, {})
    assert found.taxable_receipts == 30000
    page = client.get(PAGE).get_data(as_text=True)
    assert "The account&#39;s tax sphere is saved." in page or "tax sphere is saved" in page
    assert "300.00" in page
    # A second change records its own event, naming what it was before.
    client.post(SET, data={"account": tickets, "sphere": "zweckbetrieb",
                           "csrf_token": csrf_token(client, PAGE)})
    session.expire_all()
    assert spheres.account_spheres(session)[tickets] is Sphere.ZWECKBETRIEB
    assert sorted(e.summary for e in _events(session, tickets))[-1].endswith(
        "wirtschaftlich → zweckbetrieb")


def test_without_the_forms_token_nothing_changes(client, session, books) -> None:
    tickets = books["4300"].id
    login(client, Role.TREASURER)
    response = client.post(SET, data={"account": tickets, "sphere": "wirtschaftlich"})
    assert response.status_code == 400
    session.expire_all()
    assert spheres.account_spheres(session)[tickets] is Sphere.ZWECKBETRIEB
    assert _events(session, tickets) == []


def test_an_organiser_and_the_board_may_not_move_an_account(client, session, books) -> None:
    tickets = books["4300"].id
    for role in (Role.ORGANISER, Role.BOARD):
        login(client, role)
        response = client.post(SET, data={"account": tickets, "sphere": "wirtschaftlich",
                                          "csrf_token": csrf_token(client, "/")})
        assert response.status_code == 403, role
    session.expire_all()
    assert spheres.account_spheres(session)[tickets] is Sphere.ZWECKBETRIEB
    assert _events(session, tickets) == []


def test_a_bad_choice_is_a_clear_400(client, session, books) -> None:
    tickets, bank = books["4300"].id, books["1200"].id
    login(client, Role.TREASURER)
    for data in ({"account": tickets, "sphere": "elsewhere"},  # no such sphere
                 {"account": tickets, "sphere": ""},
                 {"account": "", "sphere": "ideell"},
                 {"account": "x", "sphere": "ideell"},
                 {"account": 999999, "sphere": "ideell"},  # no such account
                 {"account": bank, "sphere": "ideell"}):  # a balance-sheet account has none
        response = client.post(SET, data={**data, "csrf_token": csrf_token(client, PAGE)})
        assert response.status_code == 400, data
        assert "Choose an account and a sphere." in response.get_data(as_text=True), data
    session.expire_all()
    assert spheres.account_spheres(session)[tickets] is Sphere.ZWECKBETRIEB
    assert _events(session, tickets) == []
