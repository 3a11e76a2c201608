"""Each body's decision rules on a page: the demo association's statutes shown as the issue
states them; the board (and admins) change them there, audited with before and after, the
weights of members in office follow; a setting the rules cannot use is refused with 400 and
nothing changes; others read only, or not at all."""
from __future__ import annotations

import re

from sqlalchemy import select

from backoffice.board.demo import seed_board
from backoffice.board.models import Body, BodyKind, Term
from backoffice.core import clock
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.extensions import db

from ..helpers import form_tokens, login


def _bodies(users) -> dict[BodyKind, Body]:
    with transaction():
        seed_board(db.session, users=users, today=clock.today())
    return {b.kind: b for b in db.session.scalars(select(Body))}


def _form(client, url: str) -> dict:
    html = client.get(url).get_data(as_text=True)
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    for name in re.findall(r'<input[^>]*type="checkbox"[^>]*name="([^"]+)"[^>]*checked', html):
        data[name] = "y"
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected',
                           options)
        data[name] = (chosen.group(1) or chosen.group(2)) if chosen else ""
    data.pop("submit", None)
    return {**data, **form_tokens(client, url)}


def test_the_demo_statutes_are_shown_on_each_bodys_rules_page(client, users):
    bodies = _bodies(users)
    login(client, Role.TREASURER)  # board.view: reads, cannot change
    assembly = client.get(f"/board/bodies/{bodies[BodyKind.ASSEMBLY].id}/rules")
    assert assembly.status_code == 200
    page = assembly.get_data(as_text=True)
    for sentence in ("Notice: 21 days by email, counted from the day after sending.",
                     "Quorate however many members attend",
                     "statute changes: three quarters",
                     "Votes: 1 per person, 3 per legal-person member.", "A tie fails."):
        assert sentence in page, sentence
    assert "Save the rules" not in page and "<fieldset disabled>" in page
    board = client.get(f"/board/bodies/{bodies[BodyKind.BOARD].id}/rules").get_data(as_text=True)
    assert "Quorate however many members attend" in board and "A tie fails." in board
    assert "Circular resolutions need every member&#39;s consent." in board
    assert client.get(f"/board/bodies/{bodies[BodyKind.BOARD].id}").get_data(
        as_text=True).count("/rules") == 1  # linked from the body's page


def test_the_board_changes_the_rules_audited_and_the_weights_follow(client, users):
    assembly = _bodies(users)[BodyKind.ASSEMBLY]
    url = f"/board/bodies/{assembly.id}/rules"
    login(client, Role.BOARD)
    form = _form(client, url)
    assert form["notice_days"] == "21" and form["legal_person_weight"] == "3"
    response = client.post(url, data={**form, "notice_days": "28", "legal_person_weight": "5",
                                      "chair_casting_vote": "y", "quorum": "share",
                                      "quorum_numerator": "1", "quorum_denominator": "3"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    rules = db.session.get(Body, assembly.id).rules
    assert (rules.notice_days, rules.legal_person_weight, rules.chair_casting_vote,
            rules.quorum.value, rules.quorum_share) == (28, 5, True, "share", (1, 3))
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "board.rules_changed")).one()
    assert event.actor_label == users[Role.BOARD].email
    assert (event.before["notice_days"], event.after["notice_days"]) == (21, 28)
    assert "notice days" in event.summary and "legal person weight" in event.summary
    weights = {t.name: t.weight for t in db.session.scalars(
        select(Term).where(Term.body_id == assembly.id))}
    assert weights == {"Bea Board": 1, "Olu Organiser": 1, "PyData Foundation e.V.": 5}
    page = client.get(url).get_data(as_text=True)
    assert "Notice: 28 days by email" in page and "the chair&#39;s vote decides" in page
    assert "notice days" in page  # the change is listed
    # the same form again changes nothing and records nothing
    assert client.post(url, data=_form(client, url)).status_code == 302
    assert len(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "board.rules_changed")).all()) == 1


def test_rules_that_cannot_be_used_are_refused_with_400(client, users):
    board = _bodies(users)[BodyKind.BOARD]
    url = f"/board/bodies/{board.id}/rules"
    login(client, Role.ADMIN)
    for field, value, message in (("notice_days", "", "notice_days must be a whole number"),
                                  ("person_weight", "0", "person_weight must be a whole number"),
                                  ("quorum_numerator", "4", "quorum_share must be a fraction"),
                                  ("basis", "everybody", "Not a valid choice")):
        response = client.post(url, data={**_form(client, url), field: value})
        assert response.status_code == 400, (field, response.status_code)
        assert message in response.get_data(as_text=True), field
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "board.rules_changed")).all() == []


def test_who_may_see_and_change_the_rules(client, users):
    board = _bodies(users)[BodyKind.BOARD]
    url = f"/board/bodies/{board.id}/rules"
    login(client, Role.TREASURER)
    form = _form(client, url)
    assert client.post(url, data={**form, "notice_days": "1"}).status_code == 403
    login(client, Role.ORGANISER)
    assert client.get(url).status_code == 403
    assert client.get("/board/bodies/99999/rules").status_code in (403, 404)
