"""A German claimant and treasurer read the claims in German: the form, the list, the claim's
page, the refusals and the e-mails (in the claimant's own language, whoever acts)."""
import re
from datetime import date

import pytest
from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.core.permissions import Role
from backoffice.expenses import services as claims
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.payouts import services as payouts

from ..helpers import email_for
from ..sponsorship import active_group, approved, client_for, submit, transaction
from .test_pages import _catering, _claim_form

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


@pytest.fixture
def group(session, users):
    return active_group(session, "PyKöln", actor=users[Role.ADMIN], money="200.00")


def test_a_german_organiser_reads_the_claim_form_and_its_refusals_in_german(app, session, group):
    client = client_for(app, group.organisers[0].email)
    form = client.get("/expenses/claims/new", headers=GERMAN).text
    assert "Neue Auslagenerstattung" in form and "Erstattung einreichen" in form
    assert "Kontoinhaber:in" in form and "z. B. Pizza, 12 Personen" in form
    assert "Submit the claim" not in form and "What was spent" not in form
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = GERMAN["Accept-Language"]
    category = _catering(session)
    refused = _claim_form(client, group.fund_id, [],
                          **{"lines-0-category": category, "lines-1-category": category})
    assert refused.status_code == 400
    assert "Hängen Sie einen Beleg für die Auslagen an" in refused.text
    assert "Attach a receipt" not in refused.text


def test_a_german_treasurer_reads_the_claim_list_and_the_claim_in_german(app, session, group):
    claim = submit(session, group.organisers[0], group.fund, ["12.50"])
    client = client_for(app, email_for(Role.TREASURER))
    listing = client.get("/expenses/", headers=GERMAN).text
    assert "Auslagenerstattungen" in listing and "Warten auf Entscheidung" in listing
    assert ">Eingereicht</span>" in listing and "12,50" in listing
    assert "Expense claims" not in listing and ">Submitted</span>" not in listing
    page = client.get(f"/expenses/claims/{claim.id}", headers=GERMAN).text
    assert f"Auslagenerstattung {claim.ref}" in page and "Ihre Entscheidung" in page
    assert re.search(r"eingereicht am \d\d\.\d\d\.\d{4} \d\d:\d\d von", page)
    assert "Freigeben" in page and "Belege" in page and "Receipts" not in page
    english = client.get(f"/expenses/claims/{claim.id}").text
    assert f"Claim {claim.ref}" in english and ">Submitted</span>" in english


def test_a_claimant_who_chose_german_gets_german_mail_whoever_decides(app, session, group, users,
                                                                      mailbox):
    organiser = group.organisers[0]
    db.session.execute(db.update(User).where(User.id == organiser.id).values(locale="de_DE"))
    db.session.commit()
    claim = submit(session, organiser, group.fund, ["1234.50"])
    received = mailbox[-1]
    assert received["Subject"] == f"Auslagenerstattung {claim.ref}: eingegangen"
    body = received.get_body().get_content()
    assert "Hallo" in body and "wir haben Ihre Auslagenerstattung" in body
    assert "1.234,50\xa0€" in body and "Expense claim" not in body
    treasurer = session.scalar(select(User).where(User.email == email_for(Role.TREASURER)))
    with transaction():  # outside a request: the claimant's language, not the treasurer's
        claims.reject_claim(session, claim, actor=treasurer, comment="Privat.",
                            settings=app_settings())
    rejected = mailbox[-1]
    assert rejected["Subject"] == f"Auslagenerstattung {claim.ref}: abgelehnt"
    assert "wurde nicht freigegeben" in rejected.get_body().get_content()


def test_a_claimant_without_a_language_gets_the_associations(app, session, group, mailbox):
    claim = submit(session, group.organisers[0], group.fund)
    assert mailbox[-1]["Subject"] == f"Expense claim {claim.ref}: received"
    assert "€12.00" in mailbox[-1].get_body().get_content()


def test_a_claim_in_a_payout_batch_names_the_batchs_state_in_german(app, session, group, users):
    claim = approved(session, group.organisers[0], group.fund, users[Role.TREASURER])
    with transaction():
        payouts.create_batch(session, selected=[("expense_claim", str(claim.id))],
                             requested_on=date(2031, 3, 4), actor=users[Role.TREASURER],
                             settings=app_settings())
    client = client_for(app, email_for(Role.TREASURER))
    page = client.get(f"/expenses/claims/{claim.id}", headers=GERMAN).text
    assert "Bereit, Zahlung am 04.03.2031 · Ref." in page and "Freigegeben</span>" in page
    assert ">Bereit</span>" in client.get("/expenses/payouts", headers=GERMAN).text
    assert ">Ready</span>" in client.get("/expenses/payouts").text
