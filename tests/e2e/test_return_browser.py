"""A SEPA transfer comes back: the treasurer uploads the bank's CAMT.053 statement with the return
line (RtrInf reason AC04), accepts it by keyboard, and the organiser corrects the IBAN on the
claim, which is payable in the next batch again."""

from playwright.sync_api import expect

from backoffice.banking import services
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.extensions import settings as app_settings
from backoffice.ledger import services as ledger
from backoffice.ledger.balances import trial_balance
from backoffice.ledger.integrity import problems
from backoffice.ledger.periods import FiscalYear
from backoffice.payouts import services as payouts

from ..banking.conftest import IBAN
from ..helpers import PASSWORD, email_for
from ..sponsorship import active_group, approved, give
from .conftest import log_in

#: A returned credit transfer as German banks report it in camt.053.001.08 (DFÜ-Abkommen
#: Anlage 3: bank transaction code PMNT/ICDT/RRTN, the original end-to-end id, RtrInf with the
#: ISO reason code and the bank's words).
RETURN_STATEMENT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>RET-{day}</MsgId><CreDtTm>{day}T06:00:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>RET-{day}</Id><ElctrncSeqNb>12</ElctrncSeqNb>
   <Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>
   <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>
   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>
   <Ntry>
    <Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>
    <AcctSvcrRef>2026RET000123</AcctSvcrRef>
    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>RRTN</SubFmlyCd></Fmly></Domn>
     <Prtry><Cd>NRTI+159+00931</Cd><Issr>DK</Issr></Prtry></BkTxCd>
    <NtryDtls><TxDtls>
     <Refs><EndToEndId>{e2e}</EndToEndId></Refs>
     <Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
     <AmtDtls><InstdAmt><Amt Ccy="EUR">{amount}</Amt></InstdAmt></AmtDtls>
     <RltdPties><Dbtr><Pty><Nm>Backoffice Demo e.V.</Nm></Pty></Dbtr>
      <Cdtr><Pty><Nm>{payee}</Nm></Pty></Cdtr><CdtrAcct><Id><IBAN>{payee_iban}</IBAN></Id></CdtrAcct></RltdPties>
     <RmtInf><Ustrd>{remittance}</Ustrd></RmtInf>
     <RtrInf><OrgnlBkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></OrgnlBkTxCd>
      <Rsn><Cd>AC04</Cd></Rsn><AddtlInf>KONTO ERLOSCHEN</AddtlInf></RtrInf>
     <AddtlTxInf>RETOURE SEPA UEBERWEISUNG</AddtlTxInf>
    </TxDtls></NtryDtls>
   </Ntry>
  </Stmt>
 </BkToCstmrStmt>
</Document>
"""


def test_a_returned_transfer_from_a_camt_statement_makes_the_claim_payable_again(
        page, session, users, tmp_path):
    treasurer = users[Role.TREASURER]
    today = clock.today()
    group = active_group(session, "PyMainz", actor=users[Role.ADMIN])
    with transaction():
        give(session, group.fund, Money(50000, "EUR"))
    claim = approved(session, group.organisers[0], group.fund, treasurer, ["42.00"])
    with transaction():
        account = services.create_bank_account(
            session, name="Current account", iban=IBAN, currency="EUR",
            ledger_account=ledger.account_by_role(session, "bank"), actor=treasurer)
        batch = payouts.create_batch(session, selected=[("expense_claim", str(claim.id))],
                                     requested_on=today, actor=treasurer, settings=app_settings())
        payouts.mark_executed(session, batch, booked_on=today, actor=treasurer, settings=app_settings())
    item = batch.items[0]
    statement = tmp_path / "return.xml"
    statement.write_text(RETURN_STATEMENT.format(
        day=today.isoformat(), account=IBAN, amount="42.00", e2e=item.end_to_end_id,
        payee=item.payee_name, payee_iban=item.iban, remittance=item.remittance),
        encoding="utf-8")

    log_in(page, email_for("treasurer"), PASSWORD)
    page.goto(f"/bank/accounts/{account.id}")
    page.set_input_files("#file", str(statement))
    page.click("#import")
    expect(page.locator(".alert-success")).to_contain_text("1 new line")
    row = page.locator("[data-testid=bank-line]").nth(0)
    expect(row).to_contain_text(f"returned transfer {item.end_to_end_id} in the reference")
    expect(row).to_contain_text("AC04: the account is closed")
    expect(row).to_be_focused()
    page.keyboard.press("Enter")
    expect(row).to_contain_text("Matched.")
    # The same file again: already imported, nothing stored twice.
    page.goto(f"/bank/accounts/{account.id}")
    page.set_input_files("#file", str(statement))
    page.click("#import")
    expect(page.locator(".alert-info")).to_contain_text("was already imported on")

    organiser = group.organisers[0]
    page.context.clear_cookies()
    page.goto("/login")  # an organiser lands on their group's page
    page.fill("#email", organiser.email)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url("**/groups/**")
    page.goto(f"/expenses/claims/{claim.id}")
    expect(page.locator("[data-testid=claim-status]")).to_have_text("Approved")
    expect(page.locator("[data-testid=returned]")).to_contain_text("AC04: the account is closed")
    page.fill("#iban", "DE75 5121 0800 1245 1261 99")
    page.click("[data-testid=account] [type=submit]")
    expect(page.locator(".alert-success")).to_contain_text(
        "will be paid to DE75 5121 0800 1245 1261 99 with the next payout batch")

    session.expire_all()
    assert [p.source_id for p in payouts.open_payables(session)["expense_claim"]] == [str(claim.id)]
    assert problems(session) == [] and trial_balance(session, today, fiscal_year=FiscalYear(1)).balanced
