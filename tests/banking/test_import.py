"""Import: atomic refusal, deduplication, continuity, the CLI."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from backoffice.banking import imports, reconciliation, services, writers
from backoffice.banking.models import BankImport, BankLine, BankStatement
from backoffice.banking.parsers import CsvMapping, ParsedLine, ParsedStatement, StatementFormatError
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.extensions import settings as app_settings

from .conftest import IBAN, do_import, sample


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def statement(day: int, opening: int, amounts: list[int], *, reference: str = "",
              sequence: str = "") -> ParsedStatement:
    lines = [ParsedLine(booking_date=date(2026, 3, day), amount=amount, currency="EUR",
                        counterparty_name=f"Payer {index}", remittance=f"Payment {index}")
             for index, amount in enumerate(amounts)]
    return ParsedStatement(currency="EUR", reference=reference or f"S{day}",
                           sequence=sequence or str(day), opening=opening,
                           opening_date=date(2026, 3, day - 1), closing=opening + sum(amounts),
                           closing_date=date(2026, 3, day), lines=lines)


def test_import_writes_statements_and_lines(session, bank, treasurer):
    result = do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer)
    assert (result.record.statements, result.record.lines_new) == (2, 5)
    lines = session.scalars(select(BankLine).order_by(BankLine.id)).all()
    assert [line.amount for line in lines] == [250000, 165400, -1150, -9400, -7065]
    assert lines[1].details[0]["batch"] == "DD-2026-03-MEMBERS"
    assert lines[3].reversal
    assert bank.reconcile_from == date(2026, 3, 2)
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "bank.imported"))


@pytest.mark.parametrize("broken", [
    lambda data: data[: len(data) - 200],                                       # truncated
    lambda data: data.replace(b">70.65<", b">70.6.5<"),                        # bad amount
    lambda data: data.replace(b"Read the Docs", "Réad".encode("latin-1")),      # encoding
])
def test_a_malformed_file_writes_nothing(session, bank, treasurer, broken):
    data = broken(sample("camt053-v02-two-statements.xml"))
    with pytest.raises(StatementFormatError):
        do_import(session, bank, data, treasurer)
    session.expire_all()
    assert count(session, BankLine) == count(session, BankStatement) == count(session, BankImport) == 0
    assert bank.reconcile_from is None


def test_the_same_file_twice_is_already_imported_and_stores_nothing(session, bank, treasurer):
    first = do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer,
                      filename="march.xml")
    again = do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer,
                      filename="march-again.xml")
    assert again.already_imported
    assert (again.lines_new, again.lines_known) == (0, 5)
    assert again.previous.id == first.record.id
    assert imports.already_imported_text(again).startswith("already imported on ")
    assert "as march.xml: 5 lines, all already known. Nothing was added." in \
        imports.already_imported_text(again)
    assert count(session, BankLine) == 5 and count(session, BankStatement) == 2
    assert count(session, BankImport) == 1
    assert all(check.problems == [] for check in reconciliation.continuity(session, bank))


def test_the_same_lines_in_another_format_are_recognised(session, bank, treasurer):
    """MT940 and CAMT of the same days carry the same bank references."""
    do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer)
    mt940 = do_import(session, bank, sample("mt940-german-two-statements.sta"), treasurer)
    # The fee has no bank reference in the MT940 file: its fingerprint differs (other text).
    assert mt940.record.lines_duplicate == 3


def test_overlapping_statements_without_references(session, bank, treasurer):
    """A weekly and a monthly statement of the same days; two equal payments on one day stay
    two lines."""
    first = statement(2, 0, [1000, 1000, 500])
    do_import(session, bank, writers.camt053(IBAN, [first]), treasurer)
    overlapping = [statement(2, 0, [1000, 1000, 500]), statement(3, 2500, [700])]
    result = do_import(session, bank, writers.mt940(IBAN, overlapping), treasurer)
    assert (result.record.lines_new, result.record.lines_duplicate) == (1, 3)
    assert session.scalars(select(BankLine.amount).order_by(BankLine.id)).all() == [
        1000, 1000, 500, 700]


def test_continuity_flags_gaps_and_mismatches(session, bank, treasurer):
    statements = [statement(2, 0, [1000]), statement(3, 1000, [200]),
                  statement(6, 1500, [-100]),                      # 1200 expected: a gap
                  statement(7, 1400, [50], sequence="9")]          # sequence jumps 6 -> 9
    broken = statement(8, 1450, [10])
    broken.closing = 9999                                          # entries do not add up
    do_import(session, bank, writers.camt053(IBAN, [*statements, broken]), treasurer)
    checks = reconciliation.continuity(session, bank)
    problems = {check.statement.reference: check.problems for check in checks}
    assert problems["S2"] == problems["S3"] == []
    assert problems["S6"] == ["gap: opening balance differs from the closing balance of the "
                              "statement of 2026-03-03"]
    assert problems["S7"] == ["sequence jumps from 6 to 9"]
    assert problems["S8"] == ["its entries do not add up to its closing balance"]


def test_statements_of_other_accounts_are_skipped_or_refused(session, bank, treasurer):
    mine, theirs = statement(2, 0, [100]), statement(2, 0, [200])
    mine.account, theirs.account = IBAN, "GB33BUKB20201555555555"
    data = writers.camt053(IBAN, [mine, theirs])
    result = do_import(session, bank, data, treasurer)
    assert result.record.lines_new == 1
    assert result.skipped_statements == ["GB33BUKB20201555555555"]
    with pytest.raises(StatementFormatError, match="the statement is in USD; Current account keeps "
                                                   "EUR. To import it, set up a USD bank account"):
        do_import(session, bank, sample("camt053-v08-usd.xml").replace(
            b"GB33BUKB20201555555555", IBAN.encode()), treasurer)


def test_german_account_number_in_mt940_names_the_iban(session, bank, treasurer):
    result = do_import(session, bank, sample("mt940-german-two-statements.sta"), treasurer)
    assert result.record.lines_new == 4


def test_csv_mapping_is_saved_and_reused(session, bank, treasurer):
    with pytest.raises(StatementFormatError, match="column mapping"):
        do_import(session, bank, sample("csv-sparkasse-cp1252.csv"), treasurer)
    mapping = CsvMapping(delimiter=";", encoding="cp1252", date="Buchungstag",
                         date_format="%d.%m.%y", amount="Betrag", text="Verwendungszweck",
                         counterparty="Beguenstigter/Zahlungspflichtiger")
    with transaction():
        services.save_csv_mapping(session, bank, mapping, actor=treasurer)
    result = do_import(session, bank, sample("csv-sparkasse-cp1252.csv"), treasurer)
    assert result.record.lines_new == 3
    assert do_import(session, bank, sample("csv-sparkasse-cp1252.csv"),
                     treasurer).record.lines_duplicate == 3


def test_bank_account_validation(session, treasurer, bank):
    from backoffice.ledger import services as ledger
    with pytest.raises(ValidationError, match="not a valid IBAN"):
        services.create_bank_account(session, name="X", iban="DE89370400440532013001",
                                     currency="EUR", actor=treasurer,
                                     ledger_account=ledger.account_by_code(session, "1210"))
    with pytest.raises(ValidationError, match="already belongs"):
        services.create_bank_account(session, name="X", iban="GB33BUKB20201555555555",
                                     currency="EUR", actor=treasurer,
                                     ledger_account=ledger.account_by_role(session, "bank"))
    with pytest.raises(ValidationError, match="asset account"):
        services.create_bank_account(session, name="X", iban="GB33BUKB20201555555555",
                                     currency="GBP", actor=treasurer,
                                     ledger_account=ledger.account_by_code(session, "4000"))


def test_cli_import_prints_a_summary(app, session, bank, tmp_path):
    path = tmp_path / "march.xml"
    path.write_bytes(sample("camt053-v02-two-statements.xml"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bank", "import", str(path), "--account", "DE89 3704 0044 0532 0130 00"])
    assert result.exit_code == 0, result.output
    assert "2 statement(s), 5 new line(s), 0 already known" in result.output
    assert "5 line(s) wait for reconciliation" in result.output
    again = runner.invoke(args=["bank", "import", str(path), "--account", IBAN])
    assert again.exit_code == 0, again.output
    assert "march.xml: already imported on " in again.output
    assert "5 lines, all already known. Nothing was added." in again.output
    broken = tmp_path / "broken.xml"
    broken.write_bytes(sample("camt053-v02-two-statements.xml")[:900])
    result = runner.invoke(args=["bank", "import", str(broken), "--account", IBAN])
    assert result.exit_code == 1
    assert "not well-formed" in result.output and "Nothing was imported" in result.output


# --- one IBAN, several currencies ---------------------------------------------------------------

@pytest.fixture
def usd(session, bank, treasurer):
    from backoffice.ledger import services as ledger
    with transaction():
        return services.create_bank_account(
            session, name="Current account USD", iban=IBAN, currency="USD", actor=treasurer,
            ledger_account=ledger.account_by_role(session, "bank"))


def usd_statement() -> ParsedStatement:
    lines = [ParsedLine(booking_date=date(2026, 3, 4), amount=97500, currency="USD",
                        counterparty_name="Python Software Foundation", remittance="Grant")]
    return ParsedStatement(currency="USD", reference="USD-1", sequence="1", opening=20000,
                           opening_date=date(2026, 3, 1), closing=117500,
                           closing_date=date(2026, 3, 4), lines=lines)


def test_one_iban_holds_a_bank_account_per_currency(session, bank, usd, treasurer):
    from backoffice.ledger import services as ledger
    assert (usd.iban, usd.currency) == (bank.iban, "USD")
    with pytest.raises(ValidationError, match="The USD account of DE89370400440532013000 is "
                                              "already set up"):
        services.create_bank_account(session, name="Again", iban=IBAN, currency="USD",
                                     actor=treasurer,
                                     ledger_account=ledger.account_by_code(session, "1210"))
    assert services.bank_account_by_iban(session, IBAN, "usd").id == usd.id
    assert services.bank_account_by_iban(session, IBAN).id == bank.id


def test_a_statement_per_currency_of_one_iban_goes_to_its_own_account(session, bank, usd,
                                                                      treasurer):
    data = writers.camt053(IBAN, [statement(2, 0, [1000, -300]), usd_statement()])
    result = do_import(session, bank, data, treasurer, filename="multi.xml")
    assert [(r.bank_account_id, r.lines_new) for r in result.records] == [(bank.id, 2), (usd.id, 1)]
    amounts = dict(session.execute(select(BankLine.bank_account_id,
                                          func.sum(BankLine.amount)).group_by(
        BankLine.bank_account_id)).all())
    assert amounts == {bank.id: 700, usd.id: 97500}
    assert session.scalars(select(BankStatement.currency).where(
        BankStatement.bank_account_id == usd.id)).all() == ["USD"]
    assert usd.reconcile_from == date(2026, 3, 2)
    assert reconciliation.bank_balance(session, usd, date(2026, 3, 4)) == 117500
    # Uploaded on the USD account's page, the EUR statement still goes to the EUR account.
    again = do_import(session, usd, data, treasurer)
    assert again.already_imported and again.lines_known == 3


def test_the_same_file_twice_is_already_imported(session, bank, treasurer):
    """(Kept for the other formats: MT940 and CSV know a file again as well.)"""
    data = writers.mt940(IBAN, [statement(2, 0, [1000, 1000, 500])])
    do_import(session, bank, data, treasurer)
    again = do_import(session, bank, data, treasurer)
    assert again.already_imported and again.lines_known == 3
    assert count(session, BankImport) == count(session, BankStatement) == 1


def test_a_file_overlapping_one_already_imported_adds_its_new_days_without_a_false_gap(
        session, bank, treasurer):
    """A statement of March 2-4, then one of March 3-6 exported later: the 3rd and 4th are
    known, the 5th and 6th are new, and the continuity check sees no gap or mismatch."""
    def day(number, amount):
        return ParsedLine(booking_date=date(2026, 3, number), amount=amount, currency="EUR",
                          counterparty_name=f"Payer {number}", remittance=f"Day {number}",
                          bank_reference=f"REF-{number}")

    def covering(first, last, opening, lines):
        return ParsedStatement(currency="EUR", reference=f"{first}-{last}", opening=opening,
                               opening_date=date(2026, 3, first - 1),
                               closing=opening + sum(line.amount for line in lines),
                               closing_date=date(2026, 3, last), lines=lines)

    do_import(session, bank, writers.camt053(IBAN, [covering(2, 4, 0, [
        day(2, 1000), day(3, 200), day(4, -50)])]), treasurer)
    result = do_import(session, bank, writers.camt053(IBAN, [covering(3, 6, 1000, [
        day(3, 200), day(4, -50), day(5, 300), day(6, -25)])]), treasurer)
    assert not result.already_imported
    assert (result.lines_new, result.lines_known) == (2, 2)
    nested = do_import(session, bank, writers.camt053(IBAN, [covering(4, 5, 1200, [
        day(4, -50), day(5, 300)])]), treasurer)  # wholly inside: nothing new, nothing stored
    assert nested.already_imported and count(session, BankStatement) == 2
    later = covering(7, 7, 1425, [day(7, 75)])
    do_import(session, bank, writers.camt053(IBAN, [later]), treasurer)
    assert [check.problems for check in reconciliation.continuity(session, bank)] == [[], [], []]
    assert reconciliation.bank_balance(session, bank, date(2026, 3, 7)) == 1500
    wrong = covering(9, 9, 9999, [day(9, 1)])  # a real gap (the 8th is missing) still shows
    do_import(session, bank, writers.camt053(IBAN, [wrong]), treasurer)
    assert reconciliation.continuity(session, bank)[-1].problems == [
        "gap: opening balance differs from the closing balance of the statement of 2026-03-07"]


def test_the_same_file_imported_twice_at_once_is_stored_once(app, session, bank, treasurer):
    from backoffice.extensions import db

    from ..concurrency import at_once
    data = writers.camt053(IBAN, [statement(2, 0, [1000, 1000, 500]), statement(3, 2500, [700])])
    bank_id, treasurer_id = bank.id, treasurer.id
    db.session.remove()

    def job(session):
        from backoffice.auth.models import User
        from backoffice.banking.models import BankAccount
        with transaction():
            result = imports.import_statement(
                session, session.get(BankAccount, bank_id), filename="same.xml", data=data,
                actor=session.get(User, treasurer_id), settings=app_settings())
        return result.already_imported, result.lines_new

    outcomes = at_once(app, [job, job])
    assert sorted(outcomes) == [(False, 4), (True, 0)], outcomes
    assert count(db.session, BankLine) == 4
    assert count(db.session, BankStatement) == 2 and count(db.session, BankImport) == 1
