"""Payout batches: the SEPA file validates and pays exactly the chosen claims; execution posts
Dr payables / Cr bank and marks the claims paid; cancellation releases them."""
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.core import clock, signals
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import Conflict, InvalidTransition, ValidationError
from backoffice.core.permissions import Role
from backoffice.expenses.models import ClaimStatus
from backoffice.expenses.services import approve_claim
from backoffice.extensions import settings as app_settings
from backoffice.ledger import reads
from backoffice.ledger.balances import account_balances, fund_balance
from backoffice.ledger.models import JournalEntry
from backoffice.ledger.services import account_by_role
from backoffice.payouts import services as payouts
from backoffice.payouts.models import BatchStatus
from backoffice.payouts.sepa import validate_xml

from ..sponsorship import IBAN_NL, active_group, approved, submit

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def _keys(*claims):
    return [("expense_claim", str(c.id)) for c in claims]


def _setup(session, users):
    treasurer = users[Role.TREASURER]
    a = active_group(session, "PyAachen", actor=users[Role.ADMIN], money="500.00")
    b = active_group(session, "PyBonn", actor=users[Role.ADMIN], money="500.00")
    c1 = approved(session, a.organisers[0], a.fund, treasurer, ["12.50", "0.99"])
    c2 = approved(session, b.organisers[0], b.fund, treasurer, ["100.00"])
    c3 = approved(session, b.organisers[0], b.fund, treasurer, ["7.00"])
    pending = submit(session, a.organisers[0], a.fund, ["3.00"])
    return a, b, [c1, c2, c3], pending


def _batch(session, users, claims, **kwargs):
    with transaction():
        return payouts.create_batch(session, selected=_keys(*claims),
                                    requested_on=kwargs.pop("requested_on", clock.today()),
                                    actor=users[Role.TREASURER], **kwargs, settings=app_settings())


def test_the_sepa_file_validates_and_pays_exactly_the_chosen_claims(session, users):
    a, b, (c1, c2, c3), pending = _setup(session, users)
    open_now = payouts.open_payables(session)["expense_claim"]
    assert [p.source_id for p in open_now] == [str(c1.id), str(c2.id), str(c3.id)]

    batch = _batch(session, users, [c1, c2])
    assert batch.status is BatchStatus.READY and batch.item_count == 2
    assert batch.total == 1349 + 10000
    assert batch.message_id == f"BO-PB{batch.id}-{clock.today():%Y%m%d}"
    validate_xml(batch.xml.encode(), "pain.001.001.09")  # what the bank gets
    root = ET.fromstring(batch.xml)
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header.find("p:MsgId", NS).text == batch.message_id
    assert header.find("p:NbOfTxs", NS).text == "2"
    assert Decimal(header.find("p:CtrlSum", NS).text) == Decimal("113.49")
    info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info.find("p:PmtInfId", NS).text == f"{batch.message_id}-1"
    assert info.find("p:DbtrAcct/p:Id/p:IBAN", NS).text == "DE89370400440532013000"
    assert info.find("p:ReqdExctnDt/p:Dt", NS).text == clock.today().isoformat()
    transfers = {
        t.find("p:PmtId/p:EndToEndId", NS).text: (
            Decimal(t.find("p:Amt/p:InstdAmt", NS).text),
            t.find("p:CdtrAcct/p:Id/p:IBAN", NS).text,
            t.find("p:CdtrAgt/p:FinInstnId/p:BICFI", NS).text,
            t.find("p:RmtInf/p:Ustrd", NS).text)
        for t in info.findall("p:CdtTrfTxInf", NS)}
    assert transfers == {
        f"EC{c1.id}-PB{batch.id}": (Decimal("13.49"), "DE89370400440532013000", "COBADEFFXXX",
                                    f"Expense claim EC{c1.id}: Pizza for the meetup"),
        f"EC{c2.id}-PB{batch.id}": (Decimal("100.00"), "DE89370400440532013000", "COBADEFFXXX",
                                    f"Expense claim EC{c2.id}: Pizza for the meetup"),
    }
    # Found again by what the bank statement shows.
    assert payouts.batch_by_message_id(session, batch.message_id) is batch
    assert payouts.item_by_end_to_end_id(session, f"EC{c2.id}-PB{batch.id}").source_id == str(c2.id)
    # What is batched is not offered again; the claims stay approved until the bank pays.
    assert [p.source_id for p in payouts.open_payables(session)["expense_claim"]] == [str(c3.id)]
    assert c1.status is ClaimStatus.APPROVED


def test_what_a_batch_refuses(session, users):
    a, b, (c1, c2, c3), pending = _setup(session, users)
    _batch(session, users, [c1])
    with pytest.raises(Conflict, match="already in another batch"):
        _batch(session, users, [c1, c2])
    with pytest.raises(ValidationError, match="not payable"):
        _batch(session, users, [pending])
    with pytest.raises(ValidationError, match="at least one"):
        _batch(session, users, [])
    with pytest.raises(ValidationError, match="past"):
        _batch(session, users, [c2], requested_on=clock.today() - timedelta(days=1))
    with pytest.raises(ValidationError, match="Nothing of the kind"):
        with transaction():
            payouts.create_batch(session, selected=[("bicycle", "1")], requested_on=clock.today(),
                                 actor=users[Role.TREASURER], settings=app_settings())


def test_a_payee_without_a_derivable_bic_is_paid_without_one(session, users, app):
    app.config["SEPA_PAIN_VERSION"] = "pain.001.001.03"
    group = active_group(session, "PyZug", actor=users[Role.ADMIN], money="50.00")
    claim = submit(session, group.organisers[0], group.fund, ["5.00"], iban="CH9300762011623852957")
    assert claim.bic is None
    with transaction():
        approve_claim(session, claim, actor=users[Role.TREASURER], settings=app_settings())
    batch = _batch(session, users, [claim])
    assert "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03" in batch.xml
    assert "CdtrAgt" not in batch.xml and "<IBAN>CH9300762011623852957</IBAN>" in batch.xml
    validate_xml(batch.xml.encode(), "pain.001.001.03")


def test_executing_the_batch_posts_the_payment_and_marks_the_claims_paid(session, users,
                                                                          mailbox):
    a, b, (c1, c2, c3), pending = _setup(session, users)
    batch = _batch(session, users, [c1, c2, c3])
    bank, payables = account_by_role(session, "bank"), account_by_role(session, "payables")
    before = {f: fund_balance(session, f, date.max) for f in (a.fund_id, b.fund_id)}
    mailbox.clear()
    with transaction():
        entry = reads.entry(session, payouts.mark_executed(session, batch, booked_on=clock.today(),
                                                           actor=users[Role.TREASURER], settings=app_settings()))
    assert batch.status is BatchStatus.EXECUTED and batch.payment_entry_id == entry.id
    assert (entry.source_kind, entry.source_id) == ("payout_batch", str(batch.id))
    lines = sorted((p.account_id, p.fund_id, p.amount) for p in entry.postings)
    assert lines == sorted([
        (bank.id, a.fund_id, -1349), (bank.id, b.fund_id, -10700),
        (payables.id, a.fund_id, 1349), (payables.id, b.fund_id, 10700)])
    # Paying what is owed does not change what a fund holds; the payables are settled.
    assert {f: fund_balance(session, f, date.max) for f in (a.fund_id, b.fund_id)} == before
    assert account_balances(session, date.max, account_ids=[payables.id]) == {}
    assert [c.status for c in (c1, c2, c3)] == [ClaimStatus.PAID] * 3
    assert all(c.paid_on == clock.today() for c in (c1, c2, c3))
    assert sorted(m["Subject"] for m in mailbox) == sorted(
        f"Expense claim {c.ref}: paid" for c in (c1, c2, c3))
    assert f"EC{c1.id}-PB{batch.id}" in mailbox[0].get_body().get_content() + \
        mailbox[1].get_body().get_content() + mailbox[2].get_body().get_content()
    paid = session.scalars(select(AuditEvent.object_id).where(
        AuditEvent.action == "expense_claim.paid")).all()
    assert sorted(paid) == sorted(str(c.id) for c in (c1, c2, c3))
    with pytest.raises(InvalidTransition):
        with transaction():
            payouts.mark_executed(session, batch, booked_on=clock.today(),
                                  actor=users[Role.TREASURER], settings=app_settings())
    assert payouts.open_payables(session)["expense_claim"] == []


def test_a_cancelled_batch_releases_its_claims(session, users):
    a, b, (c1, c2, c3), pending = _setup(session, users)
    batch = _batch(session, users, [c1, c2])
    entries = session.scalars(select(JournalEntry.id)).all()
    with pytest.raises(ValidationError, match="why"):
        with transaction():
            payouts.cancel_batch(session, batch, reason="", actor=users[Role.TREASURER])
    with transaction():
        payouts.cancel_batch(session, batch, reason="The bank refused the file",
                             actor=users[Role.TREASURER])
    assert batch.status is BatchStatus.CANCELLED and not any(i.active for i in batch.items)
    assert session.scalars(select(JournalEntry.id)).all() == entries
    again = _batch(session, users, [c1, c2])
    assert again.item_count == 2 and again.message_id != batch.message_id
    with pytest.raises(InvalidTransition):
        with transaction():
            payouts.mark_executed(session, batch, booked_on=clock.today(),
                                  actor=users[Role.TREASURER], settings=app_settings())


def test_a_second_source_plugs_in(session, users):
    """Another package registers its payables; one batch pays both kinds and calls each back."""
    a, b, (c1, c2, c3), pending = _setup(session, users)
    grants_payable = account_by_role(session, "grants_payable")
    calls = []

    class GrantPayables:
        kind = "test_grant"
        label = "Grants"

        def _one(self):
            return payouts.Payable(kind=self.kind, source_id="7", reference="GR7",
                                   payee_name="Ada Lovelace", iban="NL91ABNA0417164300",
                                   bic="ABNANL2A", amount=payouts.Money(25000, "EUR"),
                                   fund=a.fund, liability_account=grants_payable,
                                   remittance="Travel grant GR7")

        def open_payables(self, session):
            return [self._one()]

        def payables(self, session, ids):
            return [self._one()] if ids == ["7"] else []

        def executed(self, session, item, batch, actor, *, settings):
            calls.append(("executed", item.end_to_end_id))

        def released(self, session, item, batch, actor):
            calls.append(("released", item.end_to_end_id))

    source = GrantPayables()

    def offer(sender, **kwargs):
        return source

    signals.payable_sources.connect(offer)
    try:
        assert [p.reference for p in payouts.open_payables(session)["test_grant"]] == ["GR7"]
        with transaction():
            batch = payouts.create_batch(
                session, selected=[("test_grant", "7"), *_keys(c1)], requested_on=clock.today(),
                actor=users[Role.TREASURER], settings=app_settings())
        assert batch.total == 25000 + 1349 and f"<IBAN>{IBAN_NL}</IBAN>" in batch.xml
        with transaction():
            entry = reads.entry(session, payouts.mark_executed(
                session, batch, booked_on=clock.today(), actor=users[Role.TREASURER], settings=app_settings()))
        assert (grants_payable.id, a.fund_id, 25000) in {
            (p.account_id, p.fund_id, p.amount) for p in entry.postings}
        assert calls == [("executed", f"GR7-PB{batch.id}")]
        assert c1.status is ClaimStatus.PAID
    finally:
        signals.payable_sources.disconnect(offer)


def test_command_line(app, session, users):
    a, b, (c1, c2, c3), pending = _setup(session, users)
    batch = _batch(session, users, [c1, c2])
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["payouts", "list"])
    assert listed.exit_code == 0 and batch.message_id in listed.output and "113.49 EUR" in listed.output
    xml = runner.invoke(args=["payouts", "xml", batch.message_id])
    assert xml.exit_code == 0 and xml.output == batch.xml
    missing = runner.invoke(args=["payouts", "xml", "BO-NOPE"])
    assert missing.exit_code == 1 and "There is no payout batch BO-NOPE." in missing.output
    statement = runner.invoke(args=["funds", "statement", a.fund.code, "--start", "2000-01-01"])
    assert statement.exit_code == 0
    rows = statement.output.splitlines()
    assert rows[0] == "fund,currency,start,end,section,account,description,amount"
    assert rows[-1].endswith("closing,,Closing balance " + clock.today().isoformat() + ",486.51")
    assert runner.invoke(args=["funds", "statement", "NOPE"]).exit_code == 1
