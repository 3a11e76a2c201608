"""Claims and payouts through the pages: submitting with receipts (and bad receipts refused
with nothing stored), deciding, the overspend override, batches and their SEPA file."""
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import stream_encode_multipart

from backoffice.core import clock
from backoffice.core.permissions import Role
from backoffice.core.uploads import StoredFile
from backoffice.expenses.models import ClaimStatus, ExpenseClaim
from backoffice.extensions import settings as app_settings
from backoffice.payouts.models import BatchStatus, PayoutBatch
from backoffice.payouts.sepa import validate_xml

from ..helpers import csrf_token, email_for
from ..sponsorship import (
    IBAN_DE,
    active_group,
    approved,
    client_for,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
)

#: A PDF that is also a web page: a browser taking it for HTML would run its script on our origin.
POLYGLOT = (b"%PDF-1.4\n%<html><head><meta http-equiv=\"refresh\" content=\"0;url=https://evil."
            b"example/\"></head><body><script>alert(document.cookie)</script></body></html>\n"
            b"1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def _claim_form(client, fund_id, files, **overrides):
    data = {"fund": str(fund_id), "title": "Meetup pizza", "payee_name": "Olu Organiser",
            "iban": IBAN_DE, "bic": "", "currency": "EUR",
            "lines-0-spent_on": clock.today().isoformat(), "lines-0-what": "Pizza",
            "lines-0-category": "", "lines-0-amount": "45.50",
            "lines-1-spent_on": clock.today().isoformat(), "lines-1-what": "Drinks",
            "lines-1-category": "", "lines-1-amount": "12.00",
            "lines-2-spent_on": "", "lines-2-what": "", "lines-2-category": "",
            "lines-2-amount": "", "csrf_token": csrf_token(client, "/expenses/claims/new")}
    data.update(overrides)
    data = MultiDict(data)
    for name, content in files:
        data.add("receipts", FileStorage(io.BytesIO(content), filename=name))
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    stream, length, boundary = stream_encode_multipart(data, use_tempfile=False)
    return client.post("/expenses/claims/new", input_stream=stream, content_length=length,
                       content_type=f"multipart/form-data; boundary={boundary}")


@pytest.fixture
def group(session, users):
    return active_group(session, "PyOsnabrück", actor=users[Role.ADMIN], money="200.00")


def _catering(session):
    from backoffice.ledger.services import account_by_code
    return str(account_by_code(session, "5110").id)


def test_an_organiser_submits_a_claim_with_receipts(app, session, group, mailbox):
    client = client_for(app, group.organisers[0].email)
    form = client.get(f"/expenses/claims/new?fund={group.fund_id}").get_data(as_text=True)
    assert f'<option selected value="{group.fund_id}">' in form
    category = _catering(session)
    response = _claim_form(client, group.fund_id,
                           [("receipt.pdf", pdf_bytes()), ("photo.jpg", jpeg_bytes()),
                            ("scan.png", png_bytes())],
                           **{"lines-0-category": category, "lines-1-category": category})
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    claim = session.scalar(select(ExpenseClaim))
    assert claim.total == 5750 and claim.status is ClaimStatus.SUBMITTED
    assert [r.file.kind for r in claim.receipts] == ["pdf", "jpeg", "png"]
    page = client.get(response.location).get_data(as_text=True)
    assert "receipt.pdf" in page and "€57.50" in page and "DE89 3704 0044 0532 0130 00" in page
    with client.get(f"/expenses/claims/{claim.id}/receipts/{claim.receipts[0].id}") as receipt:
        assert receipt.status_code == 200 and receipt.data == pdf_bytes()
        assert receipt.headers["Content-Type"] == "application/pdf"
    assert mailbox[-1]["Subject"] == f"Expense claim EC{claim.id}: received"


@pytest.mark.parametrize("name, content, message", [
    ("invoice.pdf", b"MZ\x90\x00\x03" + b"\x00" * 400, "is not a JPEG, PDF, PNG file"),
    ("empty.pdf", b"", "empty.pdf is empty"),
    ("huge.pdf", b"%PDF-1.4\n" + b"0" * 10_000_001 + b"\n%%EOF\n", "the limit is 10 MB"),
    ("scan.pdf", POLYGLOT, "scan.pdf has a web page (HTML) inside"),
    ("photo.jpg", b"\xff\xd8\xff\xe0<SCRIPT >alert(1)</script>\xff\xd9", "has a web page (HTML)"),
])
def test_bad_receipts_are_refused_and_nothing_is_stored(app, session, group, name, content,
                                                        message):
    client = client_for(app, group.organisers[0].email)
    category = _catering(session)
    response = _claim_form(client, group.fund_id, [("good.pdf", pdf_bytes()), (name, content)],
                           **{"lines-0-category": category, "lines-1-category": category})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and "Nothing was saved" in html
    assert session.scalar(select(func.count()).select_from(ExpenseClaim)) == 0
    assert session.scalar(select(func.count()).select_from(StoredFile)) == 0
    uploads = Path(app.config["UPLOAD_FOLDER"])
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))
    # What was typed is still there.
    assert 'value="Meetup pizza"' in html and 'value="45.50"' in html


def test_a_claim_needs_a_receipt_a_category_and_a_valid_iban(app, session, group):
    client = client_for(app, group.organisers[0].email)
    category = _catering(session)
    no_receipt = _claim_form(client, group.fund_id, [],
                             **{"lines-0-category": category, "lines-1-category": category})
    assert "Attach a receipt" in no_receipt.get_data(as_text=True)
    no_category = _claim_form(client, group.fund_id, [("r.pdf", pdf_bytes())])
    assert "Choose a category." in no_category.get_data(as_text=True)
    bad_iban = _claim_form(client, group.fund_id, [("r.pdf", pdf_bytes())],
                           iban="DE00 1234", **{"lines-0-category": category,
                                                "lines-1-category": category})
    assert "This IBAN is not valid" in bad_iban.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(ExpenseClaim)) == 0


def test_treasurer_decides_and_overrides_through_the_page(app, session, users, group):
    from ..sponsorship import submit

    claim = submit(session, group.organisers[0], group.fund, ["250.00"])  # fund holds 200
    client = client_for(app, email_for(Role.TREASURER))
    page = client.get(f"/expenses/claims/{claim.id}").get_data(as_text=True)
    assert 'data-testid="short"' in page and "override_reason" in page
    refused = client.post(f"/expenses/claims/{claim.id}/decide",
                          data={"approve": "Approve", "comment": "",
                                "csrf_token": csrf_token(client, f"/expenses/claims/{claim.id}")})
    assert refused.status_code == 400
    assert "would take it to" in refused.get_data(as_text=True)
    done = client.post(f"/expenses/claims/{claim.id}/decide",
                       data={"approve": "Approve", "override_reason": "Grant arrives Monday",
                             "csrf_token": csrf_token(client, f"/expenses/claims/{claim.id}")})
    assert done.status_code == 302
    session.refresh(claim)
    assert claim.status is ClaimStatus.APPROVED and claim.overspend_reason == "Grant arrives Monday"

    # The claimant cannot decide; nor can anyone decide twice.
    organiser = client_for(app, group.organisers[0].email)
    assert organiser.post(f"/expenses/claims/{claim.id}/decide",
                          data={"reject": "Reject", "comment": "x"}).status_code in (400, 403)
    again = client.post(f"/expenses/claims/{claim.id}/decide",
                        data={"reject": "Reject", "comment": "late",
                              "csrf_token": csrf_token(client, f"/expenses/claims/{claim.id}")})
    assert "already approved" in client.get(again.location).get_data(as_text=True)


def test_a_batch_through_the_pages(app, session, users, group):
    treasurer = users[Role.TREASURER]
    first = approved(session, group.organisers[0], group.fund, treasurer, ["10.00"])
    second = approved(session, group.organisers[0], group.fund, treasurer, ["20.00"])
    client = client_for(app, email_for(Role.TREASURER))
    page = client.get("/expenses/payouts/new").get_data(as_text=True)
    assert f'value="expense_claim:{first.id}"' in page and f'value="expense_claim:{second.id}"' in page
    created = client.post("/expenses/payouts/new", data={
        "payable": [f"expense_claim:{second.id}"], "requested_on": clock.today().isoformat(),
        "csrf_token": csrf_token(client, "/expenses/payouts/new")})
    assert created.status_code == 302
    batch = session.scalar(select(PayoutBatch))
    assert [i.source_id for i in batch.items] == [str(second.id)]
    xml = client.get(f"/expenses/payouts/{batch.id}/sepa.xml")
    assert xml.headers["Content-Disposition"] == f'attachment; filename="{batch.message_id}.xml"'
    validate_xml(xml.data, batch.pain_version)
    assert xml.data.decode() == batch.xml
    claim_page = client.get(f"/expenses/claims/{second.id}").get_data(as_text=True)
    assert batch.message_id in claim_page
    executed = client.post(f"/expenses/payouts/{batch.id}/executed", data={
        "booked_on": clock.today().isoformat(),
        "csrf_token": csrf_token(client, f"/expenses/payouts/{batch.id}")})
    assert executed.status_code == 302
    session.refresh(batch)
    session.refresh(second)
    assert batch.status is BatchStatus.EXECUTED and second.status is ClaimStatus.PAID
    # Organisers may see their claim but not the batches.
    organiser = client_for(app, group.organisers[0].email)
    assert organiser.get(f"/expenses/payouts/{batch.id}").status_code == 403
    assert "Paid" in organiser.get(f"/expenses/claims/{second.id}").get_data(as_text=True)


def test_cancelling_a_batch_through_the_page(app, session, users, group):
    from backoffice.core.db import transaction
    from backoffice.payouts import services as payouts

    claim = approved(session, group.organisers[0], group.fund, users[Role.TREASURER], ["10.00"])
    with transaction():
        batch = payouts.create_batch(session, selected=[("expense_claim", str(claim.id))],
                                     requested_on=clock.today(), actor=users[Role.TREASURER], settings=app_settings())
    client = client_for(app, email_for(Role.TREASURER))
    url = f"/expenses/payouts/{batch.id}"
    refused = client.post(f"{url}/cancel", data={"reason": " ", "csrf_token": csrf_token(client, url)})
    assert refused.status_code == 400 and "This field is required" in refused.get_data(as_text=True)
    done = client.post(f"{url}/cancel", data={"reason": "Wrong execution date",
                                              "csrf_token": csrf_token(client, url)})
    assert done.status_code == 302
    session.refresh(batch)
    assert batch.status is BatchStatus.CANCELLED and batch.cancel_reason == "Wrong execution date"
    assert f'value="expense_claim:{claim.id}"' in client.get("/expenses/payouts/new").get_data(as_text=True)


def test_receipts_are_never_cached_and_download_with_the_extension_of_their_content(
        app, session, group):
    client = client_for(app, group.organisers[0].email)
    category = _catering(session)
    sent = _claim_form(client, group.fund_id, [("receipt.html", pdf_bytes()), ("photo", png_bytes())],
                       **{"lines-0-category": category, "lines-1-category": category})
    assert sent.status_code == 302
    claim = session.scalar(select(ExpenseClaim))
    pdf, png = claim.receipts
    with client.get(f"/expenses/claims/{claim.id}/receipts/{pdf.id}") as response:
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"] == "inline; filename=receipt.pdf"
        assert "ETag" not in response.headers
    with client.get(f"/expenses/claims/{claim.id}/receipts/{png.id}") as response:
        assert response.headers["Content-Disposition"] == "inline; filename=photo.png"

    # A file kept before uploads were checked for HTML is only ever offered as a download.
    from backoffice.core.uploads import path_of
    path_of(pdf.file, app_settings().paths.uploads).write_bytes(POLYGLOT)
    with client.get(f"/expenses/claims/{claim.id}/receipts/{pdf.id}") as response:
        assert response.headers["Content-Disposition"] == "attachment; filename=receipt.pdf"
        assert response.headers["Cache-Control"] == "private, no-store"
