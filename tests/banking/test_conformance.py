"""Conformance run over real bank files (copies in data/real, provenance in data/README.md).

Every file either imports whole, with each statement's entries adding up to its closing balance
unless the file itself is inconsistent (counted below: several of the other projects' fixtures
are trimmed excerpts), or is refused as a whole with a message saying why.
"""
from __future__ import annotations

import pytest

from backoffice.banking import services
from backoffice.banking.parsers import StatementFormatError, parse
from backoffice.core.db import transaction
from backoffice.ledger import services as ledger

from .conftest import DATA, do_import

REAL = DATA / "real"

# file: (statements, lines, statements whose entries do not add up) or a refusal's words
EXPECTED = {
    "camt053/oca-test-camt053-bookgdt-dttm.xml": (1, 1, 1),
    "camt053/oca-test-camt053-no-ntry.xml": (1, 0, 0),
    "camt053/oca-test-camt053-txdtls.xml": (1, 1, 0),
    "camt053/oca-test-camt053.xml": (1, 3, 1),
    "camt053/oca16-test-camt053.xml": (1, 3, 1),
    "mt940/oca-test-ing-old.940": (1, 8, 0),
    "mt940/oca-test-ing.940": (1, 8, 0),
    "mt940/oca-test-rabo.swi": (4, 2, 0),
    "mt940/oca-test-sns.940": "statement 3: the statement has no opening (:60F:) or closing",
    "mt940/oca-test-wrong-file.940": (1, 1, 0),  # MT940 after all; for another account
    "mt940/wolph-ASNB-0708271685_09022020_164516.940.txt": (31, 8, 0),
    "mt940/wolph-betterplace-amount_formats.sta": "not an MT940 statement",
    "mt940/wolph-betterplace-currency_in_25.sta": "not an MT940 statement",
    "mt940/wolph-betterplace-empty_86.sta": "not an MT940 statement",
    "mt940/wolph-betterplace-empty_entry_date.sta": "not an MT940 statement",
    "mt940/wolph-betterplace-empty_line.sta": "not an MT940 statement",
    "mt940/wolph-betterplace-missing_crlf_at_end.sta": "not an MT940 statement",
    "mt940/wolph-betterplace-sepa_mt9401.sta": (20, 97, 0),
    "mt940/wolph-betterplace-sepa_snippet.sta": (2, 11, 1),
    "mt940/wolph-betterplace-sepa_snippet_broken.sta": (1, 1, 1),
    "mt940/wolph-betterplace-with_binary_character.sta": (2, 4, 0),
    "mt940/wolph-cmxl-account_balance_credit.sta": "not an MT940 statement",
    "mt940/wolph-cmxl-account_balance_debit.sta": "not an MT940 statement",
    "mt940/wolph-cmxl-account_identification_iban.sta": "not an MT940 statement",
    "mt940/wolph-cmxl-account_identification_legacy.sta": "not an MT940 statement",
    "mt940/wolph-cmxl-available_balance.sta": "not an MT940 statement",
    "mt940/wolph-cmxl-closing_balance.sta": "not an MT940 statement",
    "mt940/wolph-cmxl-mt940.sta": (3, 16, 0),
    "mt940/wolph-cmxl-reference.sta": "not an MT940 statement",
    "mt940/wolph-cmxl-statement_details.sta": "not an MT940 statement",
    "mt940/wolph-cmxl-statement_line.sta": "not an MT940 statement",
    "mt940/wolph-cmxl-statement_number.sta": "not an MT940 statement",
    "mt940/wolph-jejik-abnamro.sta": (2, 10, 2),
    "mt940/wolph-jejik-generic.sta": (2, 2, 0),
    "mt940/wolph-jejik-ing.sta": (1, 7, 1),
    "mt940/wolph-jejik-knab.sta": (2, 3, 1),
    "mt940/wolph-jejik-postfinance.sta": (1, 4, 1),
    "mt940/wolph-jejik-rabobank-iban.sta": (2, 4, 0),
    "mt940/wolph-jejik-rabobank.sta": (4, 5, 2),
    "mt940/wolph-jejik-sns.sta": (2, 2, 0),
    "mt940/wolph-jejik-triodos.sta": (1, 2, 1),
    "mt940/wolph-mBank-mt940.sta": (1, 3, 0),
    "mt940/wolph-mBank-mt942.sta": "MT942 interim report",
    "mt940/wolph-mBank-with_newline_in_tnr.sta": (1, 2, 1),
    # HUF has no minor unit in CLDR; these banks write fillers like "627311,30".
    "mt940/wolph-sberbank-171011_01234945.sta": "HUF amounts have 0 decimal places",
    "mt940/wolph-self-provided-details_60-63.sta": (1, 1, 1),
    "mt940/wolph-self-provided-empty_non_swift.sta": "not an MT940 statement",
    "mt940/wolph-self-provided-february_30.sta": (1, 1, 0),
    "mt940/wolph-self-provided-gv_codes.sta": "has no opening (:60F:) or closing",
    "mt940/wolph-self-provided-invalid_statement.sta": "CSV",
    "mt940/wolph-self-provided-long_statement_number.sta": (1, 0, 0),
    "mt940/wolph-self-provided-malformed_details.sta": (1, 1, 1),
    "mt940/wolph-self-provided-mt942.sta": "MT942 interim report",
    "mt940/wolph-self-provided-overly_long_details.sta": (1, 1, 1),
    "mt940/wolph-self-provided-raiffeisen-cmi.sta": "HUF amounts have 0 decimal places",
    "mt940/wolph-self-provided-raphaelm.sta": "Unknown currency '105'",
    "mt940/wolph-self-provided-sparkassen.sta": "not an MT940 statement",
    "mt940/wolph-self-provided-transaction_details_wrapped.sta": (1, 1, 0),
    "mt940/wolph-self-provided-whitespace.sta": (1, 1, 1),
    "mt940/wolph-self-provided-wrapped_timestamp.sta": (1, 1, 0),
}


def test_every_real_file_has_an_expectation():
    files = {f"{path.parent.name}/{path.name}" for path in REAL.glob("*/*")
             if not path.name.startswith("LICENSE")}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_file(name):
    expected = EXPECTED[name]
    data = (REAL / name).read_bytes()
    if isinstance(expected, str):
        with pytest.raises(StatementFormatError) as refused:
            parse(data, currency="EUR")
        assert expected in str(refused.value)
        return
    parsed = parse(data, currency="EUR")
    statements, lines, inconsistent = expected
    assert (len(parsed.statements), parsed.line_count) == (statements, lines)
    assert sum(1 for s in parsed.statements
               if s.opening + s.entries_total != s.closing) == inconsistent
    for statement in parsed.statements:
        for line in statement.lines:
            assert line.amount != 0 and line.booking_date and line.currency == statement.currency


def test_real_details_survive(tmp_path):
    """Spot checks that amounts, signs, dates, counterparties and texts come through."""
    ing, = parse((REAL / "mt940/oca-test-ing.940").read_bytes(), currency="EUR").statements
    janssen = ing.lines[2]
    assert (janssen.amount, janssen.counterparty_name, janssen.counterparty_iban) == (
        157, "J.Janssen", "NL32INGB0000012345")
    assert janssen.remittance == "Factuurnr 123456 Klantnr 00123"
    sepa = parse((REAL / "mt940/wolph-betterplace-sepa_snippet.sta").read_bytes(),
                 currency="EUR").statements[0]
    assert sepa.lines[0].counterparty_name == "KARL KAUFMANN"
    assert sepa.lines[0].counterparty_iban == "DE14508800500194785000"
    camt, = parse((REAL / "camt053/oca-test-camt053.xml").read_bytes(), currency="EUR").statements
    assert camt.lines[0].counterparty_name == "INSURANCE COMPANY TESTX"
    assert camt.lines[1].reversal and len(camt.lines[1].details) == 3  # batch of two + header


@pytest.fixture
def dutch_account(session, treasurer):
    with transaction():
        return services.create_bank_account(
            session, name="ABN AMRO", iban="NL77ABNA0574908765", currency="EUR",
            ledger_account=ledger.account_by_code(session, "1210"), actor=treasurer)


def test_real_files_import_and_deduplicate(session, dutch_account, treasurer):
    first = do_import(session, dutch_account, (REAL / "camt053/oca-test-camt053.xml").read_bytes(),
                      treasurer)
    assert first.record.lines_new == 3
    # The same statement as another file (OCA ships it twice): nothing new.
    again = do_import(session, dutch_account,
                      (REAL / "camt053/oca16-test-camt053.xml").read_bytes(), treasurer)
    assert (again.record.lines_new, again.record.lines_duplicate) == (0, 3)
    # A file for another account is refused as a whole.
    with pytest.raises(StatementFormatError, match="no statement for NL77 ABNA"):
        do_import(session, dutch_account, (REAL / "mt940/oca-test-ing.940").read_bytes(),
                  treasurer)
