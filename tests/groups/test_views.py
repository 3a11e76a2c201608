"""The group pages: the public application form, review and approval by the board, the
directory with its filters, editing, status and organisers, and where an organiser lands."""
import re
from datetime import date

from sqlalchemy import func, select

from backoffice.core import clock
from backoffice.core.permissions import Role
from backoffice.groups.models import GroupStatus, MemberGroup

from ..helpers import PASSWORD, email_for, post_form
from ..sponsorship import active_group, client_for


def _application(**overrides):
    data = {"name": "PyCon Alpen", "kind": "conference", "city": "Innsbruck", "country": "AT",
            "website": "https://pycon-alpen.example", "needs": "Ticket sales and a venue deposit",
            "description": "A regional conference", "coc_contact": "coc@pycon-alpen.example",
            "contacts-0-name": "Clara", "contacts-0-email": "clara@pycon-alpen.example",
            "contacts-1-name": "", "contacts-1-email": "", "contacts-2-name": "",
            "contacts-2-email": ""}
    data.update(overrides)
    return data


def test_a_group_applies_publicly_and_the_board_approves_it(app, users, mailbox, session):
    client = client_for(app)
    page = client.get("/join")
    assert page.status_code == 200 and "Bring your group into" in page.get_data(as_text=True)
    refused = post_form(client, "/join", _application(**{"contacts-0-email": ""}),
                        token_from="/join")
    assert refused.status_code == 400
    assert "Give the email address of Clara." in refused.get_data(as_text=True)
    assert session.scalar(select(MemberGroup)) is None

    sent = post_form(client, "/join", _application(), token_from="/join")
    assert sent.status_code == 302 and "/join/thanks" in sent.location
    assert "PyCon Alpen" in client.get(sent.location).get_data(as_text=True)
    group = session.scalar(select(MemberGroup))
    assert group.status is GroupStatus.APPLICANT and group.country == "AT"
    assert mailbox[-1]["To"] == "clara@pycon-alpen.example"

    treasurer = client_for(app, email_for(Role.TREASURER))
    assert treasurer.get(f"/groups/{group.id}/review").status_code == 403  # manages, not approves

    client = client_for(app, email_for(Role.BOARD))
    review = client.get(f"/groups/{group.id}/review")
    assert "clara@pycon-alpen.example" in review.get_data(as_text=True)
    refused = post_form(client, f"/groups/{group.id}/approve",
                        {"agreement_version": "2025-1", "agreement_signed_on": "2099-01-01",
                         "agreement_signed_by": "Clara", "fee_percent": "7"})
    assert refused.status_code == 400 and "not in the future" in refused.get_data(as_text=True)
    approved = post_form(client, f"/groups/{group.id}/approve",
                         {"agreement_version": "2025-1",
                          "agreement_signed_on": clock.today().isoformat(),
                          "agreement_signed_by": "Clara", "fee_percent": "10"})
    assert approved.status_code == 302
    session.refresh(group)
    assert group.status is GroupStatus.ACTIVE and group.fund.code == "PYCON-ALPEN"
    detail = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "10 %" in detail and "clara@pycon-alpen.example" in detail and "invited" in detail

    # The invitation link in the email lets Clara choose a password and log in.
    link = re.search(r"http://localhost(/password/invite/\S+)",
                     mailbox[-1].get_body().get_content()).group(1)
    client = client_for(app)
    chosen = post_form(client, link, {"password": PASSWORD, "confirm": PASSWORD}, token_from=link)
    assert chosen.status_code == 302
    assert post_form(client, link, {"password": PASSWORD, "confirm": PASSWORD},
                     token_from="/login").status_code == 404  # single use
    client = client_for(app, "clara@pycon-alpen.example")
    landing = client.get("/", follow_redirects=True)
    assert landing.request.path == f"/groups/{group.id}"  # an organiser lands on the group


def test_directory_filters_and_scope(app, users, session):
    a = active_group(session, "PyData Köln", actor=users[Role.ADMIN], money="20.00")
    b = active_group(session, "Django Bonn", actor=users[Role.ADMIN])
    b.kind = "user_group"
    b.country = "AT"
    session.commit()
    client = client_for(app, email_for(Role.BOARD))
    html = client.get("/groups").get_data(as_text=True)
    assert "PyData Köln" in html and "Django Bonn" in html and "€20.00" in html
    html = client.get("/groups?kind=user_group").get_data(as_text=True)
    assert "Django Bonn" in html and "PyData Köln" not in html
    html = client.get("/groups?country=DE&q=data").get_data(as_text=True)
    assert "PyData Köln" in html and "Django Bonn" not in html
    html = client.get("/groups?status=applicant").get_data(as_text=True)
    assert "No groups match" in html

    client2 = client_for(app, a.organisers[0].email)
    html = client2.get("/groups").get_data(as_text=True)
    assert "PyData Köln" in html and "Django Bonn" not in html  # an organiser sees their own


def test_edit_status_and_organisers_through_the_pages(app, users, session, mailbox):
    group = active_group(session, "PyStuttgart", actor=users[Role.ADMIN])
    client = client_for(app, email_for(Role.TREASURER))
    form = client.get(f"/groups/{group.id}/edit").get_data(as_text=True)
    assert 'value="2024-1"' in form
    saved = post_form(client, f"/groups/{group.id}/edit", {
        "name": "Python Stuttgart", "kind": "meetup", "city": "Stuttgart", "country": "DE",
        "website": "", "contact_email": "", "founded_on": "2015-04-01", "description": "",
        "coc_contact": "Eva, coc@pystuttgart.example", "needs": "",
        "agreement_version": "2025-1", "agreement_signed_on": "2025-01-10",
        "agreement_signed_by": "Eva"})
    assert saved.status_code == 302
    session.refresh(group)
    assert group.name == "Python Stuttgart" and group.fund.name == "Python Stuttgart"
    assert group.agreement_version == "2025-1" and group.founded_on == date(2015, 4, 1)

    post_form(client, f"/groups/{group.id}/status", {"status": "dormant", "reason": "Summer"})
    session.refresh(group)
    assert group.status is GroupStatus.DORMANT
    refused = post_form(client, f"/groups/{group.id}/status", {"status": "dormant", "reason": "x"})
    assert "cannot become dormant" in client.get(refused.location).get_data(as_text=True)

    added = post_form(client, f"/groups/{group.id}/organisers",
                      {"email": "newbie@pystuttgart.example", "name": "Newbie"})
    assert added.status_code == 302
    assert mailbox[-1]["To"] == "newbie@pystuttgart.example"
    assert "/password/invite/" in mailbox[-1].get_body().get_content()
    session.refresh(group)
    newbie = next(u for u in group.organisers if u.email == "newbie@pystuttgart.example")
    post_form(client, f"/groups/{group.id}/organisers/{newbie.id}/remove", {})
    session.refresh(group)
    assert newbie not in group.organisers

    reviewer = client_for(app, email_for(Role.REVIEWER))  # neither manages nor sees groups
    assert reviewer.get(f"/groups/{group.id}").status_code == 404
    assert reviewer.get(f"/groups/{group.id}/edit").status_code == 403


def test_the_join_form_refuses_robots_and_floods(app, session, mailbox):
    """The public form has a honeypot, a signed start time and limits per address and email:
    each refusal keeps what was typed and stores nothing."""
    client = client_for(app)
    caught = post_form(client, "/join", _application(homepage="http://spam.example"),
                       token_from="/join")
    assert caught.status_code == 400 and "could not be accepted" in caught.get_data(as_text=True)
    assert 'value="PyCon Alpen"' in caught.get_data(as_text=True)
    forged = post_form(client, "/join", {**_application(), "started": "1700000000"},
                       token_from="/join")
    assert forged.status_code == 400 and "incomplete or expired" in forged.get_data(as_text=True)
    app.config["PUBLIC_FORM_MIN_FILL_SECONDS"] = 60
    hasty = post_form(client, "/join", _application(), token_from="/join")
    assert hasty.status_code == 400 and "That was very quick" in hasty.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(MemberGroup)) == 0 and not mailbox

    app.config.update(PUBLIC_FORM_MIN_FILL_SECONDS=0, JOIN_APPLICATIONS_PER_ADDRESS_PER_DAY=2)
    for n in range(2):
        sent = post_form(client, "/join", _application(**{
            "name": f"Group {n}", "contacts-0-email": f"c{n}@example.org"}), token_from="/join")
        assert sent.status_code == 302
    flood = post_form(client, "/join", _application(name="Group 3"), token_from="/join")
    assert flood.status_code == 400 and "too many" in flood.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(MemberGroup)) == 2

    app.config.update(JOIN_APPLICATIONS_PER_ADDRESS_PER_DAY=100, JOIN_APPLICATIONS_PER_EMAIL_PER_DAY=1)
    same_person = post_form(client, "/join", _application(**{
        "name": "Group 4", "contacts-0-email": "c0@example.org"}), token_from="/join")
    assert same_person.status_code == 400 and "too many" in same_person.get_data(as_text=True)
    other_person = post_form(client, "/join", _application(**{
        "name": "Group 5", "contacts-0-email": "c5@example.org"}), token_from="/join")
    assert other_person.status_code == 302
    assert session.scalar(select(func.count()).select_from(MemberGroup)) == 3
