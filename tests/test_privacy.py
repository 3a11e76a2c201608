"""Personal data (GDPR): one person's records across the packages exported as a ZIP, erased on
request where no duty to keep them applies and anonymised where one does — never touching an issued
invoice, a posting or a paid claim — and the retention rules applied once a day."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from backoffice.auth.models import LoginAttempt, User
from backoffice.core import clock, privacy
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.core.mail import queue_mail
from backoffice.core.outbox import OutboxMail
from backoffice.core.permissions import Role
from backoffice.core.storage import storage_at
from backoffice.core.uploads import StoredFile, key_of, read_stored
from backoffice.expenses import services as claims
from backoffice.extensions import settings as app_settings
from backoffice.grants import applying
from backoffice.grants.models import Application, Status
from backoffice.groups import services as groups
from backoffice.groups.models import GroupApplicant, MemberGroup
from backoffice.invoicing.models import Invoice
from backoffice.ledger.models import Posting

from .grants.conftest import PDF, eur, grants, make_application  # noqa: F401 (the fixture)
from .helpers import csrf_token, login
from .invoicing import factories
from .soundness import assert_money_sound
from .sponsorship import active_group, submit

ADA = "ada@example.org"


@pytest.fixture
def person(app, session, users, grants):  # noqa: F811 (the imported fixture)
    """Ada: an organiser (account, group application) with a rejected and an approved claim, a
    rejected and a paid grant application, the billing contact of a sponsor with an issued
    invoice, and a mail sent to her."""
    group = active_group(session, "PyLadies Berlin", organiser_email=ADA, money="500.00")
    organiser = group.organisers[0]
    treasurer = users[Role.TREASURER]
    rejected_claim = submit(session, organiser, group.fund, ["12.50"], title="Rejected pizza")
    approved_claim = submit(session, organiser, group.fund, ["20.00"], title="Approved pizza")
    with transaction():
        claims.reject_claim(session, rejected_claim, actor=treasurer, comment="No receipt date",
                            settings=app_settings())
        claims.approve_claim(session, approved_claim, actor=treasurer, settings=app_settings())
    rejected_grant = make_application(grants, Status.REJECTED, contact_email=ADA,
                                      applicant_name="Ada Lovelace")
    with transaction():
        applying.store_files(session, rejected_grant, [applying.Upload("plan.pdf", PDF)],
                             "answer", None, app_settings())
    paid_grant = make_application(grants, Status.PAID, contact_email=ADA.upper(),
                                  applicant_name="Ada Lovelace")
    invoice = factories.issued(factories.sponsor("DE", billing_emails=f"{ADA}\nap@sponsor.example"))
    with transaction():
        queue_mail(session, ADA, "Welcome", "Hello Ada")
    return {"organiser_id": organiser.id, "group_id": group.id,
            "rejected_claim": rejected_claim.id, "approved_claim": approved_claim.id,
            "rejected_grant": rejected_grant.id, "paid_grant": paid_grant.id,
            "invoice": invoice.id}


def test_everything_held_about_a_person_is_exported_with_their_documents(session, person):
    with transaction():
        data = privacy.export(session, "  Ada@Example.org ", actor=None, today=clock.today(),
                              settings=app_settings())
    archive = zipfile.ZipFile(io.BytesIO(data))
    index = json.loads(archive.read("index.json"))
    kinds = [h["kind"] for h in index["holdings"]]
    assert index["email"] == ADA
    assert sorted(kinds) == ["account", "expense claim", "expense claim", "grant application",
                             "grant application", "group application", "mail", "sponsor contact"]
    account = next(h for h in index["holdings"] if h["kind"] == "account")["data"]
    assert account["email"] == ADA and account["roles"] == ["organiser"]
    invoice = session.get(Invoice, person["invoice"])
    sponsor = next(h for h in index["holdings"] if h["kind"] == "sponsor contact")
    assert sponsor["data"]["invoices_sent_to_the_address"][0]["number"] == invoice.number
    assert archive.read(sponsor["files"][0]) == read_stored(
        session.get(StoredFile, invoice.pdf_file_id), app_settings().paths.uploads)
    grant = next(h for h in index["holdings"] if h["label"].startswith(
        f"Grant application {person['rejected_grant']}"))
    assert [archive.read(name) for name in grant["files"]] == [PDF]
    assert all(archive.read(name).startswith(b"%PDF") for h in index["holdings"]
               if h["kind"] == "expense claim" for name in h["files"])
    mail = next(h for h in index["holdings"] if h["kind"] == "mail")
    assert any(b"Hello Ada" in archive.read(name) for name in mail["files"])
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.export"))
    assert ADA not in json.dumps(event.after) + event.summary


def _invoice_state(session, invoice_id):
    invoice = session.get(Invoice, invoice_id)
    pdf = read_stored(session.get(StoredFile, invoice.pdf_file_id), app_settings().paths.uploads)
    return (invoice.number, invoice.buyer_name, invoice.buyer_emails, invoice.status,
            hashlib.sha256(pdf).hexdigest())


def test_erasure_erases_what_no_duty_keeps_and_never_touches_the_books(session, person, users):
    invoice_before = _invoice_state(session, person["invoice"])
    postings_before = session.scalar(select(func.count()).select_from(Posting))
    approved = session.get(claims.ExpenseClaim, person["approved_claim"])
    approved_before = (approved.payee_name, approved.iban, [r.file.sha256 for r in approved.receipts])
    attachment = session.get(Application, person["rejected_grant"]).attachments[0].file.sha256
    paid = session.get(Application, person["paid_grant"])
    paid_before = (paid.applicant_name, paid.iban, paid.account_holder,
                   [(d.payee_name, d.iban) for d in paid.disbursements])

    with transaction():
        outcomes = privacy.erase(session, ADA, actor=users[Role.ADMIN], today=clock.today(),
                                 settings=app_settings())
    done = {o.label: o.done for o in outcomes}
    assert done == {
        f"Account {person['organiser_id']}": "anonymised",
        "Named in the application of PyLadies Berlin": "erased",
        f"Grant application {person['rejected_grant']}: Workshop for beginners": "erased",
        f"Grant application {person['paid_grant']}: Workshop for beginners": "anonymised",
        "Contact of sponsor Beispiel Software GmbH": "anonymised",
        f"Expense claim {person['rejected_claim']}: Rejected pizza": "erased",
        f"Expense claim {person['approved_claim']}: Approved pizza": "kept",
        "Mail sent to them": "erased",
    }
    session.expire_all()
    # The books, the issued invoice and the approved claim are exactly as they were.
    assert _invoice_state(session, person["invoice"]) == invoice_before
    assert session.scalar(select(func.count()).select_from(Posting)) == postings_before
    assert_money_sound(session)
    approved = session.get(claims.ExpenseClaim, person["approved_claim"])
    assert (approved.payee_name, approved.iban,
            [r.file.sha256 for r in approved.receipts]) == approved_before
    paid = session.get(Application, person["paid_grant"])
    assert (paid.applicant_name, paid.iban, paid.account_holder,
            [(d.payee_name, d.iban) for d in paid.disbursements]) == paid_before
    assert paid.contact_email.endswith("@erased.invalid") and paid.contact_name == ""
    # What no duty keeps is gone, files included.
    user = session.get(User, person["organiser_id"])
    assert (user.active, user.password_hash, user.name) == (False, None,
                                                            f"Erased user {user.id}")
    assert session.scalar(select(func.count()).select_from(GroupApplicant)) == 0
    gone = session.get(Application, person["rejected_grant"])
    assert (gone.applicant_name, gone.description, gone.answers, gone.iban, gone.attachments) == (
        "Erased applicant", "", {}, "", [])
    rejected = session.get(claims.ExpenseClaim, person["rejected_claim"])
    assert (rejected.payee_name, rejected.iban, rejected.receipts) == ("Erased", "", [])
    assert key_of(attachment) not in set(storage_at(app_settings().paths.uploads).keys())
    assert not [m for m in session.scalars(select(OutboxMail)) if ADA in m.recipients]
    # Nothing answers to her address any more, and the log says what was done, not what it was.
    assert privacy.find(session, ADA, app_settings()) == []
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.erase"))
    assert ADA not in json.dumps(event.after) and "Ada Lovelace" not in json.dumps(event.after)
    assert event.actor_id == users[Role.ADMIN].id


def test_a_file_shared_with_a_kept_record_stays_in_the_storage(session, person, users):
    """The rejected claim's receipt has the same bytes as the approved one's: content-addressed,
    the bytes stay for the record the law keeps."""
    rejected = session.get(claims.ExpenseClaim, person["rejected_claim"])
    approved = session.get(claims.ExpenseClaim, person["approved_claim"])
    assert rejected.receipts[0].file.sha256 == approved.receipts[0].file.sha256
    with transaction():
        privacy.erase(session, ADA, actor=None, today=clock.today(), settings=app_settings())
    session.expire_all()
    approved = session.get(claims.ExpenseClaim, person["approved_claim"])
    assert read_stored(approved.receipts[0].file, app_settings().paths.uploads).startswith(b"%PDF")


def test_an_erasure_refused_half_way_changes_nothing(session, person):
    organiser = session.get(User, person["organiser_id"])
    with pytest.raises(ValidationError, match="your own account"):
        with transaction():
            privacy.erase(session, ADA, actor=organiser, today=clock.today(),
                          settings=app_settings())
    session.expire_all()
    assert session.get(User, person["organiser_id"]).email == ADA
    assert session.scalar(select(func.count()).select_from(GroupApplicant)) == 1
    assert session.get(Application, person["rejected_grant"]).applicant_name == "Ada Lovelace"
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.erase")) is None


def test_a_claim_or_application_being_decided_is_kept_with_the_reason(session, users, grants):  # noqa: F811
    group = active_group(session, "PyData Köln", organiser_email="ben@example.org",
                         money="100.00")
    organiser = group.organisers[0]
    submit(session, organiser, group.fund, ["5.00"], title="Waiting")
    make_application(grants, Status.SUBMITTED, contact_email="ben@example.org")
    with transaction():
        outcomes = privacy.erase(session, "ben@example.org", actor=None, today=clock.today(),
                                 settings=app_settings())
    kept = {o.label.split(":")[0]: o.why for o in outcomes if o.done == "kept"}
    assert set(kept) == {"Expense claim 1", next(k for k in kept if k.startswith("Grant"))}
    assert "ask again once it is decided" in kept["Expense claim 1"]
    assert any("still being decided" in why for why in kept.values())


def test_the_retention_rules_remove_what_has_expired_once(session, person, users):
    long_ago = datetime.now(UTC) - timedelta(days=400)
    with transaction():
        session.execute(update(Application).where(Application.id == person["rejected_grant"])
                        .values(updated_at=long_ago, decided_at=long_ago))
        session.add(LoginAttempt(email=ADA, address="192.0.2.7", succeeded=False, at=long_ago))
        session.add(LoginAttempt(email=ADA, address="192.0.2.8", succeeded=True))
        old_mail = session.execute(update(OutboxMail).values(state="sent", sent_at=long_ago)).rowcount
        declined = groups.apply(session, name="Declined", kind="meetup", city="Bonn", country="DE",
                                contacts=[("Cleo", "cleo@example.org")], settings=app_settings())
        session.flush()
        session.execute(update(MemberGroup).where(MemberGroup.id == declined.id)
                        .values(status="declined", status_since=clock.today() - timedelta(days=400)))
    with transaction():
        done = privacy.sweep(session, today=clock.today(), settings=app_settings())
    assert {rule: count for rule, count in done.items() if count} == {
        "declined grant applications": 1, "declined group applications": 1,
        "sign-in attempts": 1, "sent mail": old_mail}
    session.expire_all()
    assert session.get(Application, person["rejected_grant"]).applicant_name == "Erased applicant"
    assert session.get(Application, person["paid_grant"]).applicant_name == "Ada Lovelace"
    assert [a.address for a in session.scalars(select(LoginAttempt))] == ["192.0.2.8"]
    with transaction():
        again = privacy.sweep(session, today=clock.today(), settings=app_settings())
    assert not any(again.values())
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "privacy.retention")) == 1
    assert_money_sound(session)


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 3, 31), 1, date(2026, 2, 28)), (date(2024, 3, 31), 1, date(2024, 2, 29)),
    (date(2026, 1, 15), 12, date(2025, 1, 15)), (date(2026, 1, 15), 13, date(2024, 12, 15))])
def test_months_before_keeps_the_day_where_the_month_has_it(day, months, expected):
    assert privacy.months_before(day, months) == expected


def test_the_page_finds_exports_and_erases_for_admins_only(app, client, session, person):
    organiser = app.test_client()
    login(organiser, Role.ORGANISER)
    assert organiser.get("/admin/privacy").status_code == 403
    login(client, Role.ADMIN)
    page = client.post("/admin/privacy", data={"csrf_token": csrf_token(client, "/admin/privacy"),
                                               "email": ADA})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Contact of sponsor Beispiel Software GmbH" in text
    token = csrf_token(client, "/admin/privacy")
    export = client.post("/admin/privacy/export", data={"csrf_token": token, "email": ADA})
    assert export.status_code == 200 and export.mimetype == "application/zip"
    assert export.headers["Cache-Control"] == "private, no-store"
    assert "index.json" in zipfile.ZipFile(io.BytesIO(export.data)).namelist()
    unconfirmed = client.post("/admin/privacy/erase", data={"csrf_token": token, "email": ADA})
    assert unconfirmed.status_code == 400
    assert session.get(User, person["organiser_id"]).email == ADA  # nothing erased
    erased = client.post("/admin/privacy/erase", data={"csrf_token": token, "email": ADA,
                                                       "confirm": "y"})
    assert erased.status_code == 200 and "anonymised" in erased.get_data(as_text=True)
    assert client.post("/admin/privacy", data={"csrf_token": token,
                                               "email": "not an address"}).status_code == 400


def test_the_commands_export_and_erase(app, session, person, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "ada.zip"
    result = runner.invoke(args=["privacy", "export", ADA, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "index.json" in zipfile.ZipFile(out).namelist()
    result = runner.invoke(args=["privacy", "erase", ADA, "--yes"])
    assert result.exit_code == 0, result.output
    assert f"kept        Expense claim {person['approved_claim']}: Approved pizza" in result.output
    result = runner.invoke(args=["privacy", "retention"])
    assert result.exit_code == 0 and "sent mail" in result.output


# --- donors ----------------------------------------------------------------------------------------

def _donor(session, name, email, iban=None):
    from backoffice.donations import donors

    with transaction():
        return donors.find_or_create(session, donors.DonorDetails(
            name=name, email=email, street="Hauptstr. 1", postcode="10115", city="Berlin",
            country="DE"), iban=iban)


def test_a_donor_with_a_receipt_is_anonymised_and_the_receipt_never_changes(session, users):
    from backoffice.core.money import Money
    from backoffice.donations import manual
    from backoffice.donations.models import Donor, DonorIban
    from backoffice.donations.receipts import services as receipts
    from backoffice.donations.receipts.models import Receipt
    from backoffice.ledger.services import general_fund

    donor = _donor(session, "Anna Müller", "anna@example.org", iban="DE89370400440532013000")
    with transaction():
        donation = manual.record_by_hand(
            session, donor=donor, fund=general_fund(session), amount=Money(12000, "EUR"),
            day=clock.today(), channel="cash", actor=users[Role.TREASURER], public_name="Anna M.")
    with transaction():
        receipt = receipts.issue_for_donation(session, donation, settings=app_settings(),
                                              actor=None, send=False)
    pdf = receipts.stored_pdf(session, receipt, app_settings())
    before = (receipt.number, receipt.pdf_sha256, receipt.cancelled_at)
    with transaction():
        exported = privacy.export(session, "anna@example.org", actor=None, today=clock.today(),
                                  settings=app_settings())
    archive = zipfile.ZipFile(io.BytesIO(exported))
    index = json.loads(archive.read("index.json"))
    (holding,) = [h for h in index["holdings"] if h["kind"] == "donor"]
    assert holding["data"]["ibans"] == ["DE89370400440532013000"]
    assert archive.read(holding["files"][0]) == pdf

    with transaction():
        (outcome,) = [o for o in privacy.erase(session, "anna@example.org", actor=None,
                                               today=clock.today(), settings=app_settings())
                      if o.label == f"Donor {donor.id}"]
    assert outcome.done == "anonymised" and "§ 50 (7) EStDV" in outcome.why
    session.expire_all()
    donor = session.get(Donor, donor.id)
    assert (donor.name, donor.email, donor.consent_public) == ("Anna Müller", None, False)
    assert session.scalar(select(func.count()).select_from(DonorIban)) == 0
    assert session.get(type(donation), donation.id).public_name is None
    receipt = session.get(Receipt, receipt.id)
    assert (receipt.number, receipt.pdf_sha256, receipt.cancelled_at) == before
    assert receipts.stored_pdf(session, receipt, app_settings()) == pdf
    assert_money_sound(session)


def test_a_donor_who_never_gave_is_erased_and_after_the_rule_swept(session):
    from backoffice.donations.models import Donor

    asked = _donor(session, "Bert Beispiel", "bert@example.org")
    idle = _donor(session, "Carla Clean", "carla@example.org", iban="DE75512108001245126199")
    with transaction():
        (outcome,) = privacy.erase(session, "bert@example.org", actor=None, today=clock.today(),
                                   settings=app_settings())
    assert (outcome.label, outcome.done) == (f"Donor {asked.id}", "erased")
    with transaction():
        assert privacy.sweep(session, today=clock.today(), settings=app_settings()).get(
            "donors without gifts") == 0  # Carla's years have not passed
        session.execute(update(Donor).where(Donor.id == idle.id).values(
            created_at=datetime.now(UTC) - timedelta(days=4 * 366)))
    with transaction():
        assert privacy.sweep(session, today=clock.today(), settings=app_settings())[
            "donors without gifts"] == 1
    session.expire_all()
    for donor in (session.get(Donor, asked.id), session.get(Donor, idle.id)):
        assert (donor.name, donor.email, donor.street) == ("Erased donor", None, "")
