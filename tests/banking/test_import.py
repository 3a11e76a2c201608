"""Import: atomic refusal, deduplication, continuity, the CLI."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from backoffice.banking import reconciliation, services, writers
from backoffice.banking.models import BankImport, BankLine, BankStatement
from backoffice.banking.parsers import CsvMapping, ParsedLine, ParsedStatement, StatementFormatError
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError

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


def test_the_same_file_twice_adds_nothing(session, bank, treasurer):
    do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer)
    again = do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer)
    assert (again.record.lines_new, again.record.lines_duplicate) == (0, 5)
    assert count(session, BankLine) == 5 and count(session, BankStatement) == 2


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
    with pytest.raises(StatementFormatError, match="the statement is in USD; Current account keeps EUR"):
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
    assert "2 statement(s), 5 new line(s), 0 already imported" in result.output
    assert "5 line(s) wait for reconciliation" in result.output
    broken = tmp_path / "broken.xml"
    broken.write_bytes(sample("camt053-v02-two-statements.xml")[:900])
    result = runner.invoke(args=["bank", "import", str(broken), "--account", IBAN])
    assert result.exit_code == 1
    assert "not well-formed" in result.output and "Nothing was imported" in result.output
