"""Tax spheres and the VAT return figures, on invoices whose VAT is worked out by hand here.

Issued 2026-05-04 (all EUR, sponsorship income):
  DE buyer, 19 %:            net 5,000.00, VAT 950.00  -> Kz 81; taxable business area
  DE buyer, exempt:          net   800.00             -> Kz 48; passive sponsorship
  NL business, reverse charge: net 1,000.00           -> Kz 21; taxable business area
  US buyer, not taxable here:  net 2,000.00           -> Kz 45; taxable business area
"""
from __future__ import annotations

from datetime import date

import pytest

from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.extensions import settings as app_settings
from backoffice.ledger.reads import chart_accounts
from backoffice.reports import spheres, vat
from backoffice.reports.models import Sphere

from ..helpers import login
from ..invoicing.factories import issued, sponsor

DAY = date(2026, 5, 4)
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


@pytest.fixture
def invoices(app, users):
    german = sponsor("DE")
    issued(german, [("Gold sponsorship", 1000, 500000, "standard")], issue_date=DAY)
    issued(german, [("Named as supporter", 1000, 80000, "exempt",
                     "Steuerfrei nach § 4 Nr. 22 UStG")], issue_date=DAY)
    issued(sponsor("NL"), [("Silver sponsorship", 1000, 100000, "standard")], issue_date=DAY)
    issued(sponsor("US"), [("Bronze sponsorship", 1000, 200000, "standard")], issue_date=DAY)


def test_the_vat_return_figures_by_kennzahl_down_to_the_invoices(session, invoices) -> None:
    statement, rows = vat.compute(session, *vat.quarter_bounds(2026, 2), deducts_input_vat=True)
    assert statement.line(vat.FIELDS["81"].label).values == (500000, 95000)
    assert statement.line(vat.FIELDS["86"].label).values == (0, 0)
    assert statement.line(vat.FIELDS["48"].label).values[0] == 80000
    assert statement.line(vat.FIELDS["21"].label).values[0] == 100000
    assert statement.line(vat.FIELDS["45"].label).values[0] == 200000
    assert statement.value("Output VAT", 1) == 95000
    assert statement.line(vat.FIELDS["66"].label).values[1] == 0
    assert statement.line(vat.FIELDS["83"].label).values[1] == 95000
    assert sorted(row.kz for row in rows) == ["21", "45", "48", "81"]
    # Nothing in the quarter before.
    before, none = vat.compute(session, *vat.quarter_bounds(2026, 1), deducts_input_vat=True)
    assert before.value("Output VAT", 1) == 0 and none == []


@pytest.fixture
def reduced_and_input_vat(invoices, books):
    """Beside ``invoices``: one invoice of 2026-05-20 with a 7 % and a 19 % line, and input VAT
    booked on account 1420 in the quarter (and once in the quarter before).

      7 %:  2 x 150.50 = 301.00 net, VAT 21.07 (301.00 x 0.07)           -> Kz 86
      19 %: 1 x 100.00 = 100.00 net, VAT 19.00                            -> Kz 81
      input VAT: 38.00 (on 200.00 hosting, 2026-04-10) + 3.50 (on 50.00 travel, 2026-06-30)
                 = 41.50 -> Kz 66; the 1.90 of 2026-03-31 belongs to Q1
    """
    mixed = issued(sponsor("DE"), [("Workshop tickets", 2000, 15050, "reduced"),
                                   ("Booth", 1000, 10000, "standard")],
                   issue_date=date(2026, 5, 20))
    b = books
    b.post(date(2026, 3, 31), ("5500", b.general, "10"), ("1420", b.general, "1.90"),
           ("1200", b.general, "-11.90"), description="Domain, March")
    b.post(date(2026, 4, 10), ("5500", b.general, "200"), ("1420", b.general, "38"),
           ("1200", b.general, "-238"), description="Hosting with 19 % input VAT")
    b.post(date(2026, 6, 30), ("5200", b.general, "50"), ("1420", b.general, "3.50"),
           ("1200", b.general, "-53.50"), description="Train with 7 % input VAT")
    return mixed


def _kz(statement, kz: str) -> tuple:
    return statement.line(vat.FIELDS[kz].label).values


def test_input_vat_and_the_reduced_rate_make_the_payment_due(session, reduced_and_input_vat):
    mixed = reduced_and_input_vat
    statement, rows = vat.compute(session, *vat.quarter_bounds(2026, 2), deducts_input_vat=True)
    assert _kz(statement, "81") == (500000 + 10000, 95000 + 1900)
    assert _kz(statement, "86") == (30100, 2107)
    assert _kz(statement, "21")[0] == 100000 and _kz(statement, "45")[0] == 200000
    assert _kz(statement, "48")[0] == 80000
    assert statement.value("Output VAT", 1) == 96900 + 2107 == 99007
    assert _kz(statement, "66") == (None, 3800 + 350)
    assert _kz(statement, "83") == (None, 99007 - 4150) == (None, 94857)
    # Down to the invoices: the mixed invoice gives one row for each rate.
    assert sorted((r.kz, r.base, r.tax) for r in rows if r.invoice_id == mixed.id) == [
        ("81", 10000, 1900), ("86", 30100, 2107)]
    # Q1 holds only the March input VAT: a refund of 1.90.
    before, _rows = vat.compute(session, *vat.quarter_bounds(2026, 1), deducts_input_vat=True)
    assert _kz(before, "66") == (None, 190) and _kz(before, "83") == (None, -190)


def test_an_association_that_deducts_no_input_vat_pays_its_output_vat(
        app, session, reduced_and_input_vat):
    statement, _rows = vat.compute(session, *vat.quarter_bounds(2026, 2), deducts_input_vat=False)
    assert _kz(statement, "86") == (30100, 2107)
    assert _kz(statement, "66") == (None, 0)
    assert _kz(statement, "83") == (None, 99007)
    assert statement.line(vat.FIELDS["66"].label).drill == (None,)
    assert any("deducts no input VAT" in note for note in statement.notes)
    # The setting is typed, on by default, and read from the configuration.
    assert app_settings().reports.deducts_input_vat is True
    app.config["REPORTS_DEDUCTS_INPUT_VAT"] = False
    assert app_settings().reports.deducts_input_vat is False


@pytest.mark.parametrize("deducts,due,shown", [(True, "948.57", "41.50"), (False, "990.07", None)])
def test_the_vat_page_follows_the_setting_and_drills_to_invoices_and_postings(
        app, client, session, reduced_and_input_vat, deducts, due, shown):
    mixed = reduced_and_input_vat
    app.config["REPORTS_DEDUCTS_INPUT_VAT"] = deducts
    login(client, "board")
    page = client.get("/reports/vat?year=2026&period=Q2").get_data(as_text=True)
    assert "Kz 86" in page and "301.00" in page and "21.07" in page and due in page
    assert f"/invoices/{mixed.id}" in page
    input_vat = next(a for a in chart_accounts(session) if a.role == "input_vat")
    drill = f"/reports/postings?account={input_vat.id}&amp;start=2026-04-01&amp;end=2026-06-30"
    assert (drill in page) is deducts
    if shown:
        assert shown in page
        postings = client.get(drill.replace("&amp;", "&")).get_data(as_text=True)
        assert "Hosting with 19 % input VAT" in postings and "Train with 7 % input VAT" in postings
        assert "Domain, March" not in postings


def test_quarter_and_month_bounds() -> None:
    assert vat.quarter_bounds(2026, 1) == (date(2026, 1, 1), date(2026, 3, 31))
    assert vat.quarter_bounds(2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))
    assert vat.month_bounds(2024, 2) == (date(2024, 2, 1), date(2024, 2, 29))
    assert vat.month_bounds(2026, 12) == (date(2026, 12, 1), date(2026, 12, 31))


def test_sponsorship_is_placed_by_its_invoices_treatment(session, invoices) -> None:
    found = spheres.figures(session, *YEAR, "EUR")
    sponsorship = next(a for a in chart_accounts(session) if a.role == "sponsorship_income")
    assert found.by_sphere[Sphere.WIRTSCHAFTLICH][sponsorship.id] == [500000 + 100000 + 200000, 0]
    assert found.by_sphere[Sphere.VERMOEGEN][sponsorship.id] == [80000, 0]
    # Gross receipts of the taxable area: its income plus the VAT on it.
    assert found.taxable_receipts == 800000 + 95000


def test_the_sphere_report_warns_near_the_limit_and_past_it(app, session, invoices) -> None:
    app.config["REPORTS_TAXABLE_RECEIPTS_LIMIT"] = 1_000_000  # 10,000.00: 895,000 is 89 %
    statement = spheres.compute(session, *YEAR, app_settings().reports)
    assert statement.value("Result: Wirtschaftlicher Geschäftsbetrieb") == 800000
    assert statement.value("Result: Vermögensverwaltung") == 80000
    assert statement.value("Result of all spheres") == 880000
    assert any("89 %" in warning for warning in statement.warnings)
    app.config["REPORTS_TAXABLE_RECEIPTS_LIMIT"] = 800_000
    statement = spheres.compute(session, *YEAR, app_settings().reports)
    assert any("exceed the limit" in warning for warning in statement.warnings)
    app.config["REPORTS_TAXABLE_RECEIPTS_LIMIT"] = 4_500_000
    assert not spheres.compute(session, *YEAR, app_settings().reports).warnings


def test_accounts_take_their_sphere_from_the_role_or_the_treasurers_choice(session, users) -> None:
    assigned = spheres.account_spheres(session)
    by_role = {a.role: a.id for a in chart_accounts(session)}
    assert assigned[by_role["interest_income"]] is Sphere.VERMOEGEN
    assert assigned[by_role["ticket_income"]] is Sphere.ZWECKBETRIEB
    assert assigned[by_role["donation_income"]] is Sphere.IDEELL
    assert assigned[by_role["bank_fees"]] is Sphere.IDEELL
    with transaction():
        spheres.set_account_sphere(session, by_role["ticket_income"], Sphere.WIRTSCHAFTLICH,
                                   actor=users["treasurer"])
    assert spheres.account_spheres(session)[by_role["ticket_income"]] is Sphere.WIRTSCHAFTLICH


def test_one_posting_placed_elsewhere_moves_only_its_amount(session, books) -> None:
    b = books
    b.post(date(2026, 3, 1), ("1200", b.general, "300"), ("4300", b.general, "-300"),
           description="Tickets")
    entry = b.post(date(2026, 3, 2), ("1200", b.general, "50"), ("4300", b.general, "-50"),
                   description="Beer sold at the meetup")
    posting = next(p for p in entry.postings if p.account.code == "4300")
    with pytest.raises(ValidationError):
        with transaction():
            spheres.set_posting_sphere(session, posting.id, Sphere.WIRTSCHAFTLICH, reason=" ",
                                       actor=b.actor)
    with transaction():
        spheres.set_posting_sphere(session, posting.id, Sphere.WIRTSCHAFTLICH,
                                   reason="Sale of drinks", actor=b.actor)
    found = spheres.figures(session, *YEAR, "EUR")
    tickets = b["4300"].id
    assert found.by_sphere[Sphere.ZWECKBETRIEB][tickets] == [30000, 0]
    assert found.by_sphere[Sphere.WIRTSCHAFTLICH][tickets] == [5000, 0]
    assert found.moved_by_hand == 1


def test_the_pages_show_the_figures_and_the_invoices(client, invoices) -> None:
    login(client, "board")
    page = client.get("/reports/vat?year=2026&period=Q2").get_data(as_text=True)
    assert "5,000.00" in page and "950.00" in page and "Kz 81" in page
    assert "/invoices/" in page
    page = client.get("/reports/spheres?year=2026").get_data(as_text=True)
    assert "Wirtschaftlicher Geschäftsbetrieb" in page and "8,000.00" in page
    assert client.get("/reports/vat.xlsx?year=2026&period=M05").status_code == 200


def test_the_command_line_places_one_posting_in_another_sphere(app, session, books) -> None:
    from backoffice.reports.cli import reports_cli

    b = books
    entry = b.post(date(2026, 3, 2), ("1200", b.general, "50"), ("4300", b.general, "-50"),
                   description="Beer sold at the meetup")
    posting = next(p for p in entry.postings if p.account.code == "4300")
    runner = app.test_cli_runner()
    refused = runner.invoke(reports_cli, ["sphere-posting", str(posting.id), "wirtschaftlich",
                                          "--reason", " "])
    assert refused.exit_code != 0 and "Say why" in refused.output
    result = runner.invoke(reports_cli, ["sphere-posting", str(posting.id), "wirtschaftlich",
                                         "--reason", "Sale of drinks"])
    assert result.exit_code == 0, result.output
    found = spheres.figures(session, *YEAR, "EUR")
    assert found.by_sphere[Sphere.WIRTSCHAFTLICH][b["4300"].id] == [5000, 0]
