"""Budgets: revisions kept, approval by a board resolution, plan against actual (by hand on the
hand-checked ledger), the workbook read back."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import text

from backoffice.board.models import Body, BodyKind, Resolution, ResolutionStatus, SubjectKind
from backoffice.core.db import transaction
from backoffice.core.errors import InvalidTransition, ValidationError
from backoffice.core.money import Money
from backoffice.ledger.periods import FiscalYear
from backoffice.reports import budgets

from ..helpers import csrf_token, login, post_form


def plan(books, *rows) -> list[budgets.PlanLine]:
    return [budgets.PlanLine(books[code].id, fund.id, Money.parse(amount, "EUR"))
            for code, fund, amount in rows]


def resolution(session, year: int, *, status=ResolutionStatus.PASSED,
               subject=SubjectKind.ANNUAL_BUDGET) -> Resolution:
    with transaction():
        body = session.query(Body).first() or Body(kind=BodyKind.BOARD, name="Board", code="B")
        session.add(body)
        session.flush()
        count = session.query(Resolution).count() + 1
        found = Resolution(body_id=body.id, year=year, sequence=count, number=f"B-{year}-{count}",
                           deadline=datetime(year, 1, 15, tzinfo=UTC), item_id=None, title=f"Budget {year}", text="Approved.",
                           subject_kind=subject, subject_id=year, majority="simple",
                           status=status)
        session.add(found)
    return found


def test_a_change_is_a_new_revision_and_the_old_one_stays(session, books) -> None:
    b = books
    with transaction():
        first = budgets.revise(session, 2026, plan(b, ("5500", b.general, "240.00")),
                               note="First", actor=b.actor)
    with transaction():
        second = budgets.revise(session, 2026, plan(b, ("5500", b.general, "300.00"),
                                                    ("4000", b.general, "500.00")),
                                note="More hosting", actor=b.actor)
    assert (first.number, second.number) == (1, 2)
    assert [line.amount for line in first.lines] == [24000]
    assert budgets.in_force(session, 2026) is second  # no approval yet: the latest draft
    # The lines of a revision never change (database triggers).
    with pytest.raises(Exception, match="append-only"):
        with transaction():
            session.execute(text("UPDATE budget_lines SET amount = 1"))
    with pytest.raises(Exception, match="append-only"):
        with transaction():
            session.execute(text("DELETE FROM budget_lines"))


@pytest.mark.parametrize("rows,message", [
    ([], "at least one line"),
    ([("1200", "general", "10.00")], "income and expense accounts"),
    ([("5500", "general", "-10.00")], "positive amount"),
    ([("5500", "general", "10.00"), ("5500", "general", "20.00")], "planned twice"),
])
def test_a_budget_refuses_lines_it_cannot_use(session, books, rows, message) -> None:
    lines = plan(books, *((code, getattr(books, fund), amount) for code, fund, amount in rows))
    with pytest.raises(ValidationError, match=message):
        with transaction():
            budgets.revise(session, 2026, lines, note="", actor=books.actor)


def test_approval_needs_the_boards_passed_resolution_on_that_years_budget(session, books) -> None:
    b = books
    with transaction():
        revision = budgets.revise(session, 2026, plan(b, ("5500", b.general, "240.00")),
                                  note="", actor=b.actor)
    failed = resolution(session, 2026, status=ResolutionStatus.FAILED)
    other_year = resolution(session, 2025)
    for wrong, message in ((None, "Name the board resolution"), (failed.id, "has not passed"),
                           (other_year.id, "is not about “Annual budget 2026”")):
        with pytest.raises(ValidationError, match=message):
            with transaction():
                budgets.approve(session, revision, resolution_id=wrong, actor=b.actor)
    passed = resolution(session, 2026)
    with transaction():
        budgets.approve(session, revision, resolution_id=passed.id, actor=b.actor)
    assert revision.approved and revision.resolution_id == passed.id
    with pytest.raises(InvalidTransition):
        with transaction():
            budgets.approve(session, revision, resolution_id=passed.id, actor=b.actor)
    # A later draft does not replace the approved budget in force.
    with transaction():
        budgets.revise(session, 2026, plan(b, ("5500", b.general, "999.00")), note="",
                       actor=b.actor)
    assert budgets.in_force(session, 2026) is revision


def test_plan_against_actual_with_the_forecast_to_the_year_end(session, hand_ledger) -> None:
    b = hand_ledger
    with transaction():
        budgets.revise(session, 2026, plan(b, ("5500", b.general, "240.00"),
                                           ("4100", b.munich, "1000.00")), note="", actor=b.actor)
    # 2 July 2026 is day 183 of 365.
    report = budgets.compute(session, 2026, FiscalYear(1), date(2026, 7, 2))
    hosting = report.line("Software and hosting · General fund")
    # Actual 120.00 of 240.00: 50 %; forecast 120.00 * 365 / 183 = 239.344 -> 239.34.
    assert hosting.values == (24000, 12000, 5000, 23934, 23934 - 24000)
    donations = report.line("Donations · PyMunich")
    # 300.00 of 1000.00: 30 %; 300 * 365 / 183 = 598.36.
    assert donations.values == (100000, 30000, 3000, 59836, 59836 - 100000)
    assert report.line("Result").values[:2] == (100000 - 24000, 30000 - 12000)
    # After the year end the forecast is the actual figure.
    closed = budgets.compute(session, 2026, FiscalYear(1), date(2027, 2, 1))
    assert closed.line("Software and hosting · General fund").values[3] == 12000


@given(actual=st.integers(-10**12, 10**12), total=st.integers(1, 400), data=st.data())
def test_the_forecast_rounds_half_away_from_zero_and_is_the_actual_at_the_end(actual, total,
                                                                             data) -> None:
    elapsed = data.draw(st.integers(1, total))
    expected = budgets.forecast(actual, elapsed, total)
    assert budgets.forecast(-actual, elapsed, total) == -expected
    assert abs(expected * elapsed - actual * total) <= elapsed  # within half a unit, times elapsed
    assert budgets.forecast(actual, total, total) == actual


@given(actual=st.integers(0, 10**12), plan_=st.integers(1, 10**12))
def test_the_share_used_is_in_basis_points(actual, plan_) -> None:
    share = budgets.share_bp(actual, plan_)
    assert abs(share * plan_ - actual * 10000) * 2 <= plan_
    assert budgets.share_bp(actual, 0) is None


def test_the_workbook_reads_back_what_it_wrote(session, books) -> None:
    b = books
    lines = plan(b, ("5500", b.general, "240.00"), ("4100", b.munich, "1000.50"))
    with transaction():
        revision = budgets.revise(session, 2026, lines, note="", actor=b.actor)
    data = budgets.write_xlsx(session, revision)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in sheet[1]][:4] == ["Account", "Fund", "Amount", "Currency"]
    assert sheet.freeze_panes == "A2"
    assert isinstance(sheet["C2"].value, (int, float)) and sheet["C2"].number_format == "#,##0.00"
    assert budgets.read_xlsx(session, data, "EUR") == lines


def test_a_workbook_it_cannot_read_is_refused_with_the_row(session, books) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Account", "Fund", "Amount"])
    sheet.append(["5500", "GEN", 10])
    sheet.append(["9999", "GEN", 10])
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(ValidationError, match="Row 3: there is no account '9999'"):
        budgets.read_xlsx(session, out.getvalue(), "EUR")
    with pytest.raises(ValidationError, match="not an Excel workbook"):
        budgets.read_xlsx(session, b"PK\x03\x04 nonsense", "EUR")
    sheet.append(["5500", "MUC", "1.234"])
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(ValidationError):
        budgets.read_xlsx(session, out.getvalue(), "EUR")


def test_the_treasurer_enters_and_uploads_the_board_approves(client, session, hand_ledger) -> None:
    login(client, "treasurer")
    answer = post_form(client, "/reports/budget/2026/lines",
                       {"lines": "5500 GEN 240.00\n4100 MUC 1000", "note": "Draft"},
                       token_from="/reports/budget?year=2026")
    assert answer.status_code == 303
    bad = post_form(client, "/reports/budget/2026/lines", {"lines": "5500 NOPE 1"},
                    token_from="/reports/budget?year=2026")
    assert bad.status_code == 400 and "write the account code" in bad.get_data(as_text=True)
    workbook = budgets.write_xlsx(session, budgets.in_force(session, 2026))
    answer = client.post("/reports/budget/2026/upload", data={
        "csrf_token": csrf_token(client, "/reports/budget?year=2026"),
        "file": (io.BytesIO(workbook), "budget.xlsx"), "note": "Same again"},
        content_type="multipart/form-data")
    assert answer.status_code == 303
    assert [r.number for r in budgets.revisions(session, 2026)] == [1, 2]
    passed = resolution(session, 2026)
    revision = budgets.revisions(session, 2026)[-1]
    assert post_form(client, f"/reports/budget/revisions/{revision.id}/approve",
                     {"resolution": passed.id}).status_code == 403
    login(client, "board")
    page = client.get("/reports/budget?year=2026").get_data(as_text=True)
    assert "B-2026-1" in page and "Software and hosting · General fund" in page
    assert post_form(client, f"/reports/budget/revisions/{revision.id}/approve",
                     {"resolution": passed.id}).status_code == 303
    session.expire_all()
    assert budgets.in_force(session, 2026).approved
    assert client.get("/reports/budget.xlsx?year=2026").status_code == 200
