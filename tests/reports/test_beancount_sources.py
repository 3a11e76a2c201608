"""Beancount, beyond the round trip (test_beancount): an entry's ``source:`` and ``document:``
metadata lead to its source document's page, and an import that fails half-way, after more than
a batch of entries and a new fund were written, leaves the ledger as it was."""
from __future__ import annotations

import subprocess
from datetime import date

import pytest
from beancount import loader
from beancount.core import data

from backoffice.core.errors import NotFound, ValidationError
from backoffice.core.permissions import Role
from backoffice.extensions import settings
from backoffice.ledger import bulk, reads, services
from backoffice.ledger.balances import account_balances
from backoffice.ledger.integrity import problems
from backoffice.reports import beancount_import

from ..sponsorship import active_group, approved, client_for
from .test_beancount import BEAN_CHECK, MAPPING


def test_an_entry_with_a_source_document_carries_its_address_and_the_address_opens_it(
        app, session, users, tmp_path):
    """``source:`` and ``document:`` metadata: an approved expense claim's entry names the claim
    and links to its page, which opens for the treasurer; an entry without a document page (an
    opening balance) names none."""
    group = active_group(session, "PyAlpha", actor=users[Role.ADMIN], money="100.00")
    claim = approved(session, group.organisers[0], group.fund, users[Role.TREASURER], ["7.00"])
    treasurer = client_for(app, users[Role.TREASURER].email)
    answer = treasurer.get("/reports/exports/beancount?download=1")
    assert answer.status_code == 200
    path = tmp_path / "books.beancount"
    path.write_bytes(answer.data)
    result = subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    transactions = [e for e in entries if isinstance(e, data.Transaction)]
    [claimed] = [t for t in transactions if t.meta.get("source") == f"expense_claim:{claim.id}"]
    document = claimed.meta["document"]
    assert document.startswith(app_settings_base(app)) and \
        document.endswith(f"/expenses/claims/{claim.id}")
    page = treasurer.get(document.removeprefix(app_settings_base(app)))
    assert page.status_code == 200 and claim.title in page.get_data(as_text=True)
    others = [t for t in transactions if t is not claimed]
    assert others and all("document" not in t.meta for t in others)


def app_settings_base(app) -> str:
    with app.app_context():
        return settings().base_url.rstrip("/")


def test_an_import_that_fails_half_way_leaves_the_ledger_as_it_was(session, users, tmp_path):
    """More than a batch of entries is written (and a fund created) before an entry the
    importer refuses (its account's mapping names no ledger account): the one transaction rolls
    all of it back."""
    good = bulk.BATCH + 5
    lines = ['option "operating_currency" "EUR"', "2025-01-01 open Assets:Bank:Checking EUR",
             "2025-01-01 open Income:Donations:BER EUR", "2025-01-01 open Expenses:Ghost EUR"]
    for n in range(good):
        lines += [f'2025-02-01 * "Donation {n}"', "  Assets:Bank:Checking   1.00 EUR",
                  "  Income:Donations:BER  -1.00 EUR"]
    lines += ['2025-03-01 * "Haunted"', "  Expenses:Ghost   1.00 EUR", "  Assets:Bank:Checking"]
    (tmp_path / "books.beancount").write_text("\n".join(lines) + "\n")
    (tmp_path / "map.toml").write_text(MAPPING + '"Expenses:Ghost" = "9999"\n')
    mapping = beancount_import.read_mapping(tmp_path / "map.toml")
    before = (reads.entry_count(session), account_balances(session, date.max),
              [f.code for f in reads.chart_funds(session)])
    with pytest.raises(ValidationError, match="9999"):
        beancount_import.import_file(session, tmp_path / "books.beancount", mapping=mapping,
                                     actor=users["treasurer"])
    session.expire_all()
    assert reads.entry_count(session) == 0
    assert (reads.entry_count(session), account_balances(session, date.max),
            [f.code for f in reads.chart_funds(session)]) == before
    with pytest.raises(NotFound):
        services.fund_by_code(session, "BER")  # the fund the first entries created is gone too
    assert problems(session) == []
    # Without the refused entry the same file goes in whole: the failure was the last entry's.
    (tmp_path / "books.beancount").write_text("\n".join(lines[:-3]) + "\n")
    report = beancount_import.import_file(session, tmp_path / "books.beancount", mapping=mapping,
                                          actor=users["treasurer"])
    assert report.entries == good and reads.entry_count(session) == good
    assert report.created_funds == ["BER"] and services.fund_by_code(session, "BER")
