"""The grants pages over HTTP: the public form with bad input, the secret link, access, pages."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.core.uploads import StoredFile
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.grants import reviewing
from backoffice.grants.access import token_for
from backoffice.grants.models import Application, QuestionKind, Status

from ..helpers import form_tokens, login, post_form
from .conftest import board_resolution, eur, make_application, question

APPLY = "/grants/p/community/apply"
STARTED = re.compile(r'name="started" type="hidden" value="([^"]+)"|'
                     r'id="started" name="started" type="hidden" value="([^"]+)"')


@pytest.fixture
def uploads(app, grants, tmp_path):
    folder = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    return folder


def _complete(**overrides) -> dict:
    start = (clock.today() + timedelta(days=70)).isoformat()
    values = {
        "group_id": "", "applicant_name": "PyLadies Bremen", "contact_name": "Grace Hopper",
        "contact_email": "grace@pyladies.example", "title": "Beginners' workshop",
        "description": "A one-day workshop for thirty newcomers.", "event_start": start,
        "event_end": start, "expected_attendance": "30",
        "budget-0-item": "Venue", "budget-0-amount": "500",
        "budget-1-item": "Catering", "budget-1-amount": "250.50",
        "budget-2-item": "", "budget-2-amount": "",
        "amount_requested": "700", "other_funding": "", "account_holder": "PyLadies Bremen",
        "iban": "DE89 3704 0044 0532 0130 00", "homepage": "",
    }
    values.update(overrides)
    return values


def _post(client, data, *, button="submit", files=(), path=APPLY):
    """POST the form as a browser does (multipart), with its CSRF and start-time tokens.

    The body is encoded here, in memory: the test client would spool a large one to a temporary
    file that it never closes."""
    payload = MultiDict({**form_tokens(client, path), **data, button: "x"})
    for data_bytes, name in files:
        payload.add("attachments", FileStorage(io.BytesIO(data_bytes), filename=name,
                                               content_type="application/pdf"))
    boundary, body = encode_multipart(payload)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _nothing_stored(uploads):
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_the_form_is_a_plain_html_form_with_the_programmes_questions(client, grants):
    question(grants, label="Is the event free to attend?")
    html = client.get(APPLY).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    assert "Is the event free to attend?" in html
    assert 'name="budget-2-amount"' in html and 'name="add_line"' in html
    assert 'class="hp-field"' in html and "style=" not in html and "<script>" not in html


def test_missing_fields_are_named_next_to_them_and_nothing_is_stored(client, grants, uploads):
    response = _post(client, _complete(contact_name="", iban="", event_start="",
                                       description="Keep this text, please."))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Give the name of the contact person.", "Give the IBAN",
                    "Give the date of the event"):
        assert message in html
    assert "Keep this text, please." in html and 'value="Beginners&#39; workshop"' in html
    assert 'value="250.50"' in html
    _nothing_stored(uploads)


def test_negative_and_non_numeric_amounts_are_refused_and_kept(client, grants, uploads):
    response = _post(client, _complete(**{"budget-0-amount": "-50", "budget-1-amount": "lots",
                                          "amount_requested": "-700"}))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html.count("Enter a positive amount.") == 2
    assert "&#39;lots&#39; is not an amount." in html
    assert 'value="-50"' in html and 'value="lots"' in html and 'value="-700"' in html
    _nothing_stored(uploads)
    # Everything else that is missing is named in the same answer.
    response = _post(client, _complete(**{"budget-0-amount": "-50", "contact_name": "",
                                          "iban": "DE00 1234"}))
    html = response.get_data(as_text=True)
    assert "Give the name of the contact person." in html and "This IBAN is not valid" in html
    assert "Add at least one budget line" not in html
    _nothing_stored(uploads)


def test_a_renamed_executable_is_refused(client, grants, uploads):
    executable = b"MZ\x90\x00\x03" + b"\x00" * 2000 + b"This program cannot be run in DOS mode"
    response = _post(client, _complete(), files=[(executable, "budget.pdf")])
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "budget.pdf is not a PDF file" in html
    assert "Beginners&#39; workshop" in html and "choose them again" in html
    _nothing_stored(uploads)


def test_a_50_mb_file_is_refused_with_the_typed_data_kept(client, grants, uploads):
    big = b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024) + b"\n%%EOF\n"
    response = _post(client, _complete(title="Big file"), files=[(big, "scan.pdf")])
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "scan.pdf is 52.4 MB; the limit is 10 MB per file." in html
    assert 'value="Big file"' in html
    _nothing_stored(uploads)


def test_a_good_pdf_is_kept_with_the_submitted_application(client, grants, uploads, mailbox):
    from .conftest import PDF
    response = _post(client, _complete(), files=[(PDF, "offer.pdf")])
    assert response.status_code == 302
    application = db.session.scalar(select(Application))
    assert application.status is Status.SUBMITTED
    assert [a.file.original_name for a in application.attachments] == ["offer.pdf"]
    assert application.amount_requested == 70000 and application.budget_total == 75050
    assert "received your grant application" in mailbox[-1]["Subject"]
    status_page = client.get(response.headers["Location"])
    assert "Submitted" in status_page.get_data(as_text=True)


def test_spam_traps(client, grants, uploads, app):
    response = _post(client, _complete(homepage="http://spam.example"))
    assert response.status_code == 400 and "could not be accepted" in response.get_data(
        as_text=True)
    app.config["PUBLIC_FORM_MIN_FILL_SECONDS"] = 60
    response = _post(client, _complete())
    assert response.status_code == 400 and "That was very quick" in response.get_data(
        as_text=True)
    forged = _complete(started="1700000000")
    response = _post(client, forged)
    assert "incomplete or expired" in response.get_data(as_text=True)
    _nothing_stored(uploads)


def test_forged_started_token_is_refused(client, grants, uploads):
    payload = {**form_tokens(client, APPLY), **_complete(), "submit": "x", "started": "1700000000"}
    response = client.post(APPLY, data=payload)
    assert response.status_code == 400
    assert "incomplete or expired" in response.get_data(as_text=True)
    _nothing_stored(uploads)


def test_csrf_is_checked_on_the_public_form(client, grants, uploads):
    payload = {**_complete(), "submit": "x", "started": form_tokens(client, APPLY)["started"]}
    response = client.post(APPLY, data=payload)
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    _nothing_stored(uploads)


def test_applications_per_address_are_limited(client, grants, uploads, app):
    app.config["GRANTS_APPLICATIONS_PER_ADDRESS_PER_HOUR"] = 2
    for n in range(2):
        assert _post(client, _complete(contact_email=f"a{n}@example.org"),
                     button="save").status_code == 302
    response = _post(client, _complete(contact_email="a3@example.org"), button="save")
    assert response.status_code == 400
    assert "too many" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Application)) == 2


def test_a_draft_is_resumed_through_the_emailed_link_and_submitted(client, grants, uploads,
                                                                   mailbox):
    response = _post(client, {"contact_email": "ada@example.org", "title": "Sprint weekend"},
                     button="save")
    assert response.status_code == 302
    link = re.search(r"http://localhost(/grants/a/\S+)", mailbox[-1].get_body().get_content())
    assert link and "draft" in mailbox[-1]["Subject"]
    edit = link.group(1) + "/edit"
    assert response.headers["Location"].endswith(edit)
    page = client.get(edit).get_data(as_text=True)
    assert 'value="Sprint weekend"' in page
    response = _post(client, _complete(contact_email="ada@example.org"), path=edit)
    assert response.status_code == 302
    application = db.session.scalar(select(Application))
    assert application.status is Status.SUBMITTED and application.title == "Beginners' workshop"
    assert client.get(edit).status_code == 302  # no more editing once submitted
    assert client.get(link.group(1)[:-3] + "xyz").status_code == 404
    assert client.get(f"/grants/a/{application.id}-").status_code == 404


def test_applicants_answer_in_place_and_report_back(client, grants, uploads, mailbox):
    from .conftest import PDF
    application = make_application(grants, Status.INFO_REQUESTED)
    link = f"/grants/a/{token_for(application, app_settings().secret_key)}"
    page = client.get(link).get_data(as_text=True)
    assert "Who teaches?" in page and "Send answer" in page
    response = post_form(client, link + "/answer", {"answer": ""}, token_from=link)
    assert response.status_code == 400 and "Write your answer." in response.get_data(
        as_text=True)
    response = post_form(client, link + "/answer", {"answer": "Two of our coaches."},
                         token_from=link)
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.status is Status.SUBMITTED

    paid = make_application(grants, Status.PAID)
    link = f"/grants/a/{token_for(paid, app_settings().secret_key)}"
    data = {"narrative": "Great day.", "attendance": "31", "amount_spent": "800",
            "unused": "0", "receipts": (io.BytesIO(PDF), "receipts.pdf")}
    response = client.post(link + "/report", data={**data, **_csrf(client, link)},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.refresh(paid)
    assert paid.status is Status.REPORT_RECEIVED and paid.report.attendance == 31


def _csrf(client, path) -> dict:
    html = client.get(path).get_data(as_text=True)
    return {"csrf_token": re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)}


def test_award_letter_pdf(client, grants):
    application = make_application(grants, Status.APPROVED, amount=eur(600))
    response = client.get(f"/grants/a/{token_for(application, app_settings().secret_key)}/letter.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "€600.00" in text and application.report_due_on.isoformat() in text
    assert "Mention the association as a supporter." in text


def test_every_grants_view_declares_one_access_policy(app):
    endpoints = [rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint.startswith("grants.")]
    assert len(endpoints) > 40
    for endpoint in endpoints:
        assert getattr(app.view_functions[endpoint], "access_policy", None) is not None, endpoint


def test_who_sees_what(client, grants, users):
    application = make_application(grants, Status.SUBMITTED, group_id=grants.group.id)
    other = make_application(grants, Status.SUBMITTED)
    assert client.get("/grants/queue").status_code == 302  # to the login page
    login(client, Role.ORGANISER)
    assert client.get(f"/grants/my/{application.id}").status_code == 200
    assert client.get(f"/grants/my/{other.id}").status_code == 404
    assert client.get("/grants/queue").status_code == 403
    assert "G-0000" in client.get("/grants/mine").get_data(as_text=True)
    client.post("/logout", data=_csrf(client, "/grants/mine"))
    login(client, Role.REVIEWER)
    assert client.get("/grants/queue").status_code == 200
    assert client.get("/grants/payouts").status_code == 403
    assert client.get("/grants/programmes").status_code == 403


def test_every_page_renders_in_every_state(client, grants, users):
    from .test_lifecycle import BUILD_ORDER
    applications = [make_application(grants, status) for status in BUILD_ORDER]
    question(grants, kind=QuestionKind.CHOICE, label="Venue?", choices="Library\nCafé")
    login(client, Role.ADMIN)
    for application in applications:
        response = client.get(f"/grants/applications/{application.id}")
        assert response.status_code == 200, application.status
        assert str(application.status.label) in response.get_data(as_text=True)
        page = client.get(f"/grants/a/{token_for(application, app_settings().secret_key)}")
        assert page.status_code == (302 if application.status is Status.DRAFT else 200)
    for path in ("/grants/queue", "/grants/queue?status=closed&mine=y", "/grants/budget",
                 "/grants/payouts", "/grants/programmes", f"/grants/programmes/"
                 f"{grants.programme.id}", "/grants/programmes/new", "/grants/", "/grants/awarded",
                 "/grants/p/community", APPLY, "/grants/links", "/grants/mine"):
        assert client.get(path).status_code == 200, path
    awarded = client.get("/grants/awarded").get_data(as_text=True)
    # approved, paid, report due, overdue, received, closed; not the cancelled one
    assert awarded.count("PyLadies Bremen") == 6
    budget = client.get("/grants/budget").get_data(as_text=True)
    assert "€5,000.00" in budget


def test_committee_actions_show_refusals_next_to_the_field(client, grants, users):
    application = make_application(grants, Status.IN_REVIEW, amount=eur(1_800))
    with transaction():
        for member in grants.committee[:2]:
            reviewing.cast_vote(db.session, application, vote="yes", actor=member)
    login(client, Role.REVIEWER)
    page = f"/grants/applications/{application.id}"
    response = post_form(client, page + "/approve", {"approve-amount": "1800"}, token_from=page)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "need the board&#39;s resolution" in html
    assert 'value="1800"' in html
    board_resolution(grants, application, eur(1_800))
    response = post_form(client, page + "/approve", {"approve-amount": "1800"}, token_from=page)
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.status is Status.APPROVED and application.amount_awarded == 180000


def test_a_programme_is_set_up_in_the_pages(client, grants, users):
    login(client, Role.TREASURER)
    response = post_form(client, "/grants/programmes/new", {
        "name": "Travel grants", "slug": "travel", "fund_id": str(grants.fund.id),
        "currency": "EUR", "max_per_grant": "750", "min_lead_days": "30", "quorum": "2",
        "report_days": "45", "accepting": "y", "summary": "Travel to conferences."},
        token_from="/grants/programmes/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = response.headers["Location"]
    response = post_form(client, page + "/budget", {"year": str(clock.today().year),
                                                    "amount": "-5"}, token_from=page)
    assert response.status_code == 400 and "cannot be negative" in response.get_data(as_text=True)
    assert post_form(client, page + "/budget", {"year": str(clock.today().year),
                                                "amount": "3,000"},
                     token_from=page).status_code == 302
    response = post_form(client, page + "/questions", {"label": "Which conference?",
                                                       "kind": "choice", "choices": "Only one"},
                         token_from=page)
    assert response.status_code == 400 and "at least two options" in response.get_data(
        as_text=True)
    assert post_form(client, page + "/questions", {"label": "Is it your first talk?",
                                                   "kind": "yes_no", "required": "y"},
                     token_from=page).status_code == 302
    form = client.get("/grants/p/travel/apply").get_data(as_text=True)
    assert "Is it your first talk?" in form and "€750.00" in form
    assert "€3,000.00" in client.get("/grants/budget").get_data(as_text=True)


def test_the_public_list_shows_only_programmes_that_publish(client, grants):
    make_application(grants, Status.APPROVED, title="Published workshop")
    assert "Published workshop" in client.get("/grants/awarded").get_data(as_text=True)
    with transaction():
        grants.programme.public_list = False
    assert "Published workshop" not in client.get("/grants/awarded").get_data(as_text=True)


def test_lost_links_are_emailed_again_and_limited(client, grants, uploads, mailbox, app):
    application = make_application(grants, Status.SUBMITTED)
    tokens = form_tokens(client, "/grants/links")
    for _ in range(3):
        response = client.post("/grants/links", data={**tokens, "email": application.contact_email,
                                                      "submit": "x"})
        assert response.status_code == 302
    assert f"/grants/a/{token_for(application, app_settings().secret_key)}" in mailbox[-1].get_body().get_content()
    response = client.post("/grants/links", data={**tokens, "email": application.contact_email,
                                                  "submit": "x"})
    assert response.status_code == 400 and "too many" in response.get_data(as_text=True)


def test_documents_are_served_to_the_link_and_the_committee_only(client, grants, uploads,
                                                                  users):
    from .conftest import PDF
    response = _post(client, _complete(), files=[(PDF, "offer.pdf")])
    application = db.session.scalar(select(Application))
    other = make_application(grants, Status.SUBMITTED)
    attachment = application.attachments[0]
    link = f"/grants/a/{token_for(application, app_settings().secret_key)}"
    page = client.get(link)
    assert page.headers["Cache-Control"] == "no-store"
    assert _download(client, f"{link}/files/{attachment.id}") == PDF
    assert client.get(f"/grants/a/{token_for(other, app_settings().secret_key)}/files/{attachment.id}").status_code == 404
    internal = f"/grants/applications/{application.id}/files/{attachment.id}"
    assert client.get(internal).status_code == 302
    login(client, Role.REVIEWER)
    assert _download(client, internal) == PDF
    assert response.status_code == 302


def _download(client, url) -> bytes:
    with client.get(url) as response:
        assert response.status_code == 200, url
        return response.data


def test_the_applicant_withdraws_on_the_status_page(client, grants, mailbox):
    application = make_application(grants, Status.SUBMITTED)
    link = f"/grants/a/{token_for(application, app_settings().secret_key)}"
    response = post_form(client, link + "/withdraw", {"reason": "The venue closed."},
                         token_from=link)
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.status is Status.WITHDRAWN
    assert "withdrawn" in mailbox[-1]["Subject"]
    assert "Withdraw the application" not in client.get(link).get_data(as_text=True)


def test_a_questions_help_text_and_label_show_as_text_on_the_public_form(client, grants):
    question(grants, label='<img src=x onerror="alert(1)"> Free?',
             help_text='<meta http-equiv="refresh" content="0;url=https://evil.example/">'
                       '<a href="https://evil.example/">see</a>')
    html = client.get(APPLY).get_data(as_text=True)
    assert "<meta http-equiv" not in html and '<a href="https://evil.example/">' not in html
    assert "&lt;meta http-equiv=&#34;refresh&#34;" in html
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_programme_rules_show_as_markdown(client, grants):
    with transaction():
        grants.programme.rules = "## Who may apply\n\n- **local groups**\n- <b>not</b> companies"
    page = client.get("/grants/p/community").get_data(as_text=True)
    rules = page.split('data-testid="rules"')[1].split("</div>")[0]
    assert "<h4>Who may apply</h4>" in rules and "<strong>local groups</strong>" in rules
    assert "<b>" not in rules and "&lt;b&gt;not&lt;/b&gt;" in rules  # raw HTML stays text
