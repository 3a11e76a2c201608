"""``backoffice donations``: record by hand, a gift in kind, a waived reimbursement, list with
totals, merge, plans; one receipt issued, cancelled, replaced; the year-end run with mail. Bad
input is one line and exit code 2, nothing written."""
import email
import email.policy
import io
from datetime import date

from pypdf import PdfReader
from sqlalchemy import func, select

from backoffice.core.outbox import OutboxMail
from backoffice.donations.models import Channel, Donation, DonationKind, Donor, InKindOrigin
from backoffice.donations.receipts import services
from backoffice.donations.receipts.models import Receipt
from backoffice.expenses.models import ClaimStatus
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.ledger.chart import Account
from backoffice.ledger.models import Posting

from . import receipt_factories as make
from .test_waiver import _claim as waived_claim


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["donations", *args])


def test_record_list_merge(app, session, fund):
    out = cli(app, "record", "--fund", "pylb", "--amount", "25.00", "--name", "Ada",
              "--email", "ada@example.org", "--channel", "cash", "--date", "2026-03-01")
    assert out.exit_code == 0, out.output
    assert "DON-000001 25.00 EUR" in out.output and "to PYLB booked" in out.output
    out = cli(app, "record", "--fund", "GEN", "--amount", "10", "--name", "Ada Lovelace",
              "--email", "ada.l@example.org", "--channel", "cheque", "--date", "2026-03-02")
    assert out.exit_code == 0, out.output
    listed = cli(app, "list", "--year", "2026")
    assert "Booked: 35.00 EUR in 2 donation(s)" in listed.output
    assert "Booked: 25.00 EUR in 1" in cli(app, "list", "--fund", "PYLB").output
    first, second = db.session.scalars(select(Donor).order_by(Donor.id)).all()
    assert cli(app, "merge", str(first.id), str(second.id)).exit_code == 0
    db.session.expire_all()
    assert {d.donor_id for d in db.session.scalars(select(Donation))} == {first.id}
    assert "No plans" not in cli(app, "plans").output


def test_bad_input_is_one_line_and_fails(app, session, fund):
    for args in (["record", "--fund", "PYLB", "--amount", "abc", "--name", "X"],
                 ["record", "--fund", "PYLB", "--amount", "-5", "--name", "X"],
                 ["record", "--fund", "NOPE", "--amount", "5", "--name", "X"],
                 ["cancel-plan", "99", "--reason", "x"], ["merge", "1", "1"]):
        out = cli(app, *args)
        assert out.exit_code == 2 and out.output.count("\n") <= 2, (args, out.output)
    assert db.session.scalar(select(Donation)) is None


# --- every channel and receipt kind from the command line --------------------------------------

def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _refused(out) -> None:
    """Bad input: one line saying why, exit code 2."""
    assert out.exit_code == 2, out.output
    assert out.output.startswith("Error: ") and out.output.count("\n") == 1, out.output


def test_a_gift_in_kind(app, session, fund):
    out = cli(app, "in-kind", "--fund", "pylb", "--description", "A projector", "--value", "300.00",
              "--valuation-basis", "Shop price of a used one", "--origin", "private",
              "--account", "5400", "--name", "Ada", "--date", "2026-03-01")
    assert out.exit_code == 0, out.output
    assert "300.00 EUR in kind (A projector) from" in out.output and "to PYLB booked" in out.output
    gift = db.session.scalar(select(Donation))
    assert (gift.channel, gift.kind, gift.amount, gift.currency) == (
        Channel.IN_KIND, DonationKind.IN_KIND, 30000, "EUR")
    assert (gift.in_kind_description, gift.valuation_basis, gift.in_kind_origin) == (
        "A projector", "Shop price of a used one", InKindOrigin.PRIVATE)
    assert gift.receipt_wanted and gift.donated_on == date(2026, 3, 1)
    debit = db.session.scalar(select(Posting).where(
        Posting.entry_id == gift.journal_entry_id, Posting.amount > 0))
    assert (db.session.get(Account, debit.account_id).code, debit.amount) == ("5400", 30000)


def test_a_gift_in_kind_refused_writes_nothing(app, session, fund):
    base = {"--fund": "PYLB", "--description": "A projector", "--value": "300",
            "--valuation-basis": "Shop price", "--account": "5400", "--name": "Ada"}
    for change in ({"--valuation-basis": " "}, {"--description": ""}, {"--value": "abc"},
                   {"--value": "3.001"}, {"--account": "4900"}, {"--account": "0000"},
                   {"--fund": "NOPE"}, {"--date": "2999-01-01"}):
        args = [part for pair in {**base, **change}.items() for part in pair]
        _refused(cli(app, "in-kind", *args))
    assert (_count(Donation), _count(Donor)) == (0, 0)


def test_a_waived_reimbursement(app, session, users):
    group, claim = waived_claim(session, users)
    organiser = group.organisers[0]
    _refused(cli(app, "waive", str(claim.id), "--by", "board@test.example"))  # not theirs
    _refused(cli(app, "waive", str(claim.id), "--by", "nobody@test.example"))
    _refused(cli(app, "waive", "999999", "--by", organiser.email))
    assert _count(Donation) == 0
    db.session.expire_all()
    assert claim.status is ClaimStatus.APPROVED
    out = cli(app, "waive", str(claim.id), "--by", organiser.email)
    assert out.exit_code == 0, out.output
    assert f"Claim {claim.ref} waived" in out.output
    gift = db.session.scalar(select(Donation))
    assert (gift.channel, gift.kind, gift.amount) == (Channel.WAIVER,
                                                      DonationKind.WAIVED_REIMBURSEMENT, 4250)
    assert gift.donor.email == organiser.email and gift.receipt_wanted
    db.session.expire_all()
    assert claim.status is ClaimStatus.WAIVED
    _refused(cli(app, "waive", str(claim.id), "--by", organiser.email))  # once only
    assert _count(Donation) == 1


def test_one_receipt_issued_cancelled_and_replaced(app, session):
    giver = make.donor(email="erika@example.org")
    gift = make.donation(giver, 50000, date(2026, 3, 1))
    _refused(cli(app, "receipt", "issue", "999999"))
    out = cli(app, "receipt", "issue", str(gift.id), "--date", "2027-01-15")
    assert out.exit_code == 0, out.output
    first = db.session.scalar(select(Receipt))
    assert f"Receipt {first.number} issued for {gift.ref}, mailed to the donor." in out.output
    assert [r.donation_id for r in first.gifts] == [gift.id]
    mails = db.session.scalars(select(OutboxMail)).all()
    assert len(mails) == 1 and first.number in mails[0].subject
    assert _pdf_of(mails[0]) == services.stored_pdf(db.session, first, app_settings())
    _refused(cli(app, "receipt", "issue", str(gift.id), "--date", "2027-01-15"))  # has one
    assert _count(Receipt) == 1

    _refused(cli(app, "receipt", "cancel", first.number, "--reason", "  "))
    _refused(cli(app, "receipt", "cancel", "ZB-1999-00001", "--reason", "wrong"))
    out = cli(app, "receipt", "cancel", first.number, "--reason", "wrong amount")
    assert out.exit_code == 0, out.output
    db.session.expire_all()
    assert not first.valid and first.cancel_reason == "wrong amount"
    told = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()[-1]
    assert told.recipients == "erika@example.org" and first.number in told.subject
    _refused(cli(app, "receipt", "cancel", str(first.id), "--reason", "again"))
    _refused(cli(app, "receipt", "replace", first.number, "--reason", "again"))

    out = cli(app, "receipt", "issue", str(gift.id), "--date", "2027-01-15", "--no-send")
    assert out.exit_code == 0 and "mailed" not in out.output, out.output
    second = db.session.scalar(select(Receipt).where(Receipt.id != first.id))
    mails_before = _count(OutboxMail)
    out = cli(app, "receipt", "replace", second.number, "--reason", "the donor moved",
              "--date", "2027-01-16")
    assert out.exit_code == 0, out.output
    db.session.expire_all()
    third = db.session.scalar(select(Receipt).where(Receipt.replaces_id == second.id))
    assert f"Receipt {second.number} replaced by {third.number}" in out.output
    assert not second.valid and third.valid
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(
        services.stored_pdf(db.session, third, app_settings()))).pages).split())
    assert f"ersetzt die Zuwendungsbestätigung Nr. {second.number}" in text
    assert _count(OutboxMail) > mails_before
    assert third.number in db.session.scalars(
        select(OutboxMail).order_by(OutboxMail.id)).all()[-1].subject


def test_the_year_end_run_sends_each_receipt_once(app, session):
    for n in range(3):
        giver = make.donor(f"Donor {n}", email=f"donor{n}@example.org")
        make.donation(giver, 40000 + n, date(2026, 3, 1))
        if n == 0:
            make.donation(giver, 35000, date(2026, 9, 1))
    out = cli(app, "receipts", "--year", "2026", "--send", "--date", "2027-01-15")
    assert out.exit_code == 0, out.output
    assert "3 receipts for 2026 issued, 3 mailed." in out.output
    receipts = db.session.scalars(select(Receipt).order_by(Receipt.id)).all()
    mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
    assert len(receipts) == len(mails) == 3
    assert sorted(m.recipients for m in mails) == [f"donor{n}@example.org" for n in range(3)]
    for receipt in receipts:
        mail = next(m for m in mails if receipt.number in m.subject)
        assert _pdf_of(mail) == services.stored_pdf(db.session, receipt, app_settings())
    again = cli(app, "receipts", "--year", "2026", "--send", "--date", "2027-01-15")
    assert again.exit_code == 0, again.output
    assert "0 receipts for 2026 issued." in again.output
    assert (_count(Receipt), _count(OutboxMail)) == (3, 3)


def _pdf_of(mail) -> bytes:
    message = email.message_from_bytes(mail.message, policy=email.policy.default)
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(parts) == 1
    return parts[0].get_content()
