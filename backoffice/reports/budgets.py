"""Budgets: a plan per fiscal year, account and fund, kept as numbered revisions, approved by a
board resolution on the annual budget; and plan against actual.

- A revision is never changed: a change is a new revision with all its lines (``revise``), so
  every earlier plan can be shown again (``budget_lines`` is append-only in the database).
- Approval names a passed board resolution on the annual budget of that year
  (``board.models``: subject ``annual_budget``, subject id = the year); ``approve`` refuses any
  other. The budget in force is the latest approved revision (or, before any approval, the
  latest draft, marked as such).
- Plan against actual reads the ledger's cached totals for the year so far; the forecast to the
  year end extends the actual figure linearly by days elapsed, rounded half away from zero to the
  minor unit; variance = forecast - plan (for income a positive variance is good, for expenses
  a positive variance is an overrun).
- Grant programmes' own yearly budgets (``grants.models.Budget``) are compared with what the
  programme's fund awarded (its grants expense).
"""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from ..board import money as board_money
from ..board.models import Resolution, ResolutionStatus, SubjectKind
from ..core import catalogs, i18n
from ..core.audit import record
from ..core.errors import InvalidTransition, ValidationError
from ..core.i18n import _, _l, pgettext
from ..core.money import Money, check_currency, exponent
from ..grants.models import Budget as ProgrammeBudget
from ..grants.models import Programme
from ..ledger.balances import fund_account_movements
from ..ledger.reads import chart_accounts
from .models import BudgetPlanLine, BudgetRevision
from .scope import fund_rows
from .statements import HEADING, LINE, SUBTOTAL, TOTAL, Drill, Line, Statement

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..core.actors import Actor
    from ..ledger.periods import FiscalYear

MAX_LINES = 5000


@dataclass(frozen=True)
class PlanLine:
    account_id: int
    fund_id: int
    amount: Money  # positive: income expected or expense planned


# --- revisions ---------------------------------------------------------------------------------

def revisions(session: Session, year: int) -> list[BudgetRevision]:
    return list(session.scalars(select(BudgetRevision).where(BudgetRevision.year == year)
                                .order_by(BudgetRevision.number)))


def in_force(session: Session, year: int) -> BudgetRevision | None:
    """The latest approved revision of ``year``, else the latest draft."""
    found = revisions(session, year)
    approved = [r for r in found if r.approved]
    return (approved or found or [None])[-1]


def check_lines(session: Session, lines: list[PlanLine]) -> list[PlanLine]:
    accounts = {a.id: a for a in chart_accounts(session) if a.type in ("income", "expense")}
    funds = {row.fund.id for row in fund_rows(session)}
    if not lines:
        raise ValidationError(_("A budget needs at least one line."), field="lines")
    if len(lines) > MAX_LINES:
        raise ValidationError(_("A budget has at most %(count)s lines.", count=MAX_LINES),
                              field="lines")
    seen = set()
    for number, line in enumerate(lines, start=1):
        if line.account_id not in accounts:
            raise ValidationError(_("Line %(number)s: budget income and expense accounts only.",
                                    number=number), field="lines")
        if line.fund_id not in funds:
            raise ValidationError(_("Line %(number)s: there is no such fund.", number=number),
                                  field="lines")
        if line.amount.amount < 0:
            raise ValidationError(_("Line %(number)s: plan a positive amount (income expected "
                                    "or expense planned).", number=number), field="lines")
        key = (line.account_id, line.fund_id, line.amount.currency)
        if key in seen:
            raise ValidationError(_("Line %(number)s: this account and fund are planned twice.",
                                    number=number), field="lines")
        seen.add(key)
    return lines


def revise(session: Session, year: int, lines: list[PlanLine], *, note: str, actor: Actor) -> BudgetRevision:
    """A new revision of ``year``'s budget with these lines (earlier revisions stay)."""
    if not 1900 <= year <= 2199:
        raise ValidationError(_("Give a fiscal year from 1900 to 2199."), field="year")
    check_lines(session, lines)
    number = (session.scalar(select(func.max(BudgetRevision.number))
                             .where(BudgetRevision.year == year)) or 0) + 1
    revision = BudgetRevision(year=year, number=number, note=note.strip()[:500],
                              created_by_id=actor.id)
    session.add(revision)
    session.flush()  # the unique (year, number) refuses a revision made at the same moment
    session.add_all(BudgetPlanLine(revision_id=revision.id, account_id=line.account_id,
                               fund_id=line.fund_id, amount=line.amount.amount,
                               currency=line.amount.currency) for line in lines)
    record(session, actor, "reports.budget_revised", "budget_revision", revision.id,
           summary=f"{revision.source_label}: {len(lines)} lines")
    return revision


def approving_resolution(session: Session, year: int, resolution_id: int | None,
                         actor: Actor | None = None) -> Resolution:
    """The passed board resolution on ``year``'s annual budget, or ``ValidationError``.

    The seam to the board records: the board's own check (``board.money.named``) decides, and
    records the resolution relied on in the audit log."""
    return board_money.named(session, resolution_id, SubjectKind.ANNUAL_BUDGET, year, actor=actor)


def approve(session: Session, revision: BudgetRevision, *, resolution_id: int | None,
            actor: Actor) -> BudgetRevision:
    if revision.approved:
        raise InvalidTransition(_("%(revision)s is approved already.", revision=revision.label))
    resolution = approving_resolution(session, revision.year, resolution_id, actor)
    revision.approved_at = datetime.now(timezone.utc)
    revision.approved_by_id = actor.id
    revision.resolution_id = resolution.id
    record(session, actor, "reports.budget_approved", "budget_revision", revision.id,
           summary=f"{revision.source_label} approved by resolution {resolution.number}")
    return revision


def approvable_resolutions(session: Session, year: int) -> list[Resolution]:
    return list(session.scalars(select(Resolution).where(
        Resolution.subject_kind == SubjectKind.ANNUAL_BUDGET, Resolution.subject_id == year,
        Resolution.status == ResolutionStatus.PASSED).order_by(Resolution.id)))


# --- XLSX in and out -------------------------------------------------------------------------

#: The workbook's columns: what ``read_xlsx`` looks for and ``write_xlsx`` writes, in English.
HEADER = ("Account", "Fund", "Amount", "Currency")
#: The columns as written for a reader (their German for a German reader; marked for the catalog).
COLUMN_NAMES = {"Account": _l("Account"), "Fund": _l("Fund"), "Amount": _l("Amount"),
                "Currency": _l("Currency"), "Account name": _l("Account name"),
                "Fund name": _l("Fund name")}


def column_names(column: str) -> set[str]:
    """What a header cell of ``column`` may say: its English and its name in every language the
    app speaks (a workbook downloaded in German is read back)."""
    english = i18n.source(COLUMN_NAMES[column])
    return {english.lower(), *(catalogs.translations(language).gettext(english).lower()
                               for language in catalogs.LANGUAGES)}


def parse_amount(value: object, currency: str, where: str) -> Money:
    try:
        number = Decimal(str(value).strip().replace(",", "")) if not isinstance(value, Decimal) \
            else value
    except InvalidOperation:
        raise ValidationError(_("%(where)s: %(value)s is not an amount.", where=where,
                                value=repr(value)), field="file") from None
    if number != number.quantize(Decimal(1).scaleb(-exponent(currency))):
        raise ValidationError(_("%(where)s: %(currency)s has %(digits)s decimal places.",
                                where=where, currency=currency, digits=exponent(currency)),
                              field="file")
    return Money(int(number.scaleb(exponent(currency))), currency).check_size()


def read_xlsx(session: Session, data: bytes, default_currency: str) -> list[PlanLine]:
    """Lines from a workbook's first sheet: a header row naming Account (code), Fund (code),
    Amount and, optionally, Currency (in English or in any language the app speaks); empty rows
    are skipped."""
    from openpyxl import load_workbook  # noqa: PLC0415

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 (openpyxl raises many kinds for a file that is no workbook)
        raise ValidationError(_("The file is not an Excel workbook (.xlsx)."),
                              field="file") from None
    sheet = workbook.worksheets[0]
    accounts = {a.code: a.id for a in chart_accounts(session)}
    funds = {row.fund.code: row.fund.id for row in fund_rows(session)}
    rows = sheet.iter_rows(values_only=True)
    columns = None
    lines: list[PlanLine] = []
    for number, row in enumerate(rows, start=1):
        cells = [c for c in row]
        if columns is None:
            names = [str(c).strip().lower() if c is not None else "" for c in cells]
            found = {column.lower(): next((index for index, name in enumerate(names)
                                           if name in column_names(column)), None)
                     for column in HEADER}
            if None not in (found["account"], found["fund"], found["amount"]):
                columns = {name: index for name, index in found.items() if index is not None}
            continue
        if all(c in (None, "") for c in cells):
            continue
        where = _("Row %(number)s", number=number)
        if len(lines) >= MAX_LINES:
            raise ValidationError(_("A budget has at most %(count)s lines.", count=MAX_LINES),
                                  field="file")

        def cell(name: str, cells=cells, columns=columns):
            index = columns.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        code, fund = str(cell("account") or "").strip(), str(cell("fund") or "").strip()
        if code not in accounts:
            raise ValidationError(_("%(where)s: there is no account %(code)s.", where=where,
                                    code=repr(code)), field="file")
        if fund not in funds:
            raise ValidationError(_("%(where)s: there is no fund %(code)s.", where=where,
                                    code=repr(fund)), field="file")
        try:
            currency = check_currency(str(cell("currency") or default_currency).strip().upper())
        except ValueError as error:
            raise ValidationError(_("%(where)s: %(error)s", where=where, error=error),
                                  field="file") from None
        lines.append(PlanLine(accounts[code], funds[fund],
                              parse_amount(cell("amount"), currency, where)))
    if columns is None:
        raise ValidationError(_("The first sheet needs a header row with Account, Fund and "
                                "Amount."), field="file")
    return lines


def write_xlsx(session: Session, revision: BudgetRevision | None) -> bytes:
    """The revision's lines (or an empty sheet) in the layout ``read_xlsx`` reads back."""
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415

    accounts = {a.id: a for a in chart_accounts(session)}
    funds = {row.fund.id: row.fund for row in fund_rows(session)}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Budget")
    sheet.freeze_panes = "A2"
    header = []
    for column in (*HEADER, "Account name", "Fund name"):
        cell = WriteOnlyCell(sheet, str(COLUMN_NAMES[column]))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for line in (revision.lines if revision else []):
        amount = WriteOnlyCell(sheet, Decimal(line.amount).scaleb(-exponent(line.currency)))
        amount.number_format = "#,##0.00"
        sheet.append([accounts[line.account_id].code, funds[line.fund_id].code, amount,
                      line.currency, accounts[line.account_id].name, funds[line.fund_id].name])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- plan against actual ---------------------------------------------------------------------

def forecast(actual: int, elapsed_days: int, total_days: int) -> int:
    """``actual`` extended to the whole period, rounded half away from zero to the minor unit."""
    if elapsed_days >= total_days or elapsed_days <= 0:
        return actual
    value = Decimal(actual) * total_days / elapsed_days
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def share_bp(actual: int, plan: int) -> int | None:
    """Actual as a share of plan in basis points (10000 = 100 %), half up; None without plan."""
    if not plan:
        return None
    return int((Decimal(actual) * 10000 / plan).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def compute(session: Session, year: int, fiscal_year: FiscalYear, today: date,
            currency: str = "EUR") -> Statement:
    start = date(year, fiscal_year.first_month, 1)
    end = date(year + 1, fiscal_year.first_month, 1) - timedelta(days=1)
    until = min(max(today, start), end)
    elapsed = (until - start).days + 1 if today >= start else 0
    total_days = (end - start).days + 1
    revision = in_force(session, year)
    accounts = {a.id: a for a in chart_accounts(session)}
    funds = {row.fund.id: row.fund for row in fund_rows(session)}
    plan: dict[tuple[int, int], int] = defaultdict(int)
    for line in (revision.lines if revision else []):
        if line.currency == currency:
            plan[(line.account_id, line.fund_id)] += line.amount
    planned_accounts = sorted({account for account, _ in plan})
    moved = fund_account_movements(session, start, until, account_ids=planned_accounts,
                                   fund_ids=sorted({fund for _, fund in plan})) \
        if elapsed and planned_accounts else {}
    lines: list[Line] = []
    sums = {}
    chart = {"labels": [], "shares": []}
    for kind, heading, total_label, sign in (
            ("income", pgettext("statement", "Income"), _("Total income"), -1),
            ("expense", pgettext("statement", "Expenses"), _("Total expenses"), 1)):
        lines.append(Line(heading, kind=HEADING))
        totals = [0, 0, 0]
        keys = sorted((k for k in plan if accounts[k[0]].type == kind),
                      key=lambda k: (accounts[k[0]].code, funds[k[1]].code))
        for account_id, fund_id in keys:
            planned = plan[(account_id, fund_id)]
            actual = sign * moved.get((fund_id, account_id, currency), 0)
            expected = forecast(actual, elapsed, total_days)
            totals = [totals[0] + planned, totals[1] + actual, totals[2] + expected]
            label = f"{accounts[account_id].name} · {funds[fund_id].name}"
            lines.append(Line(label, (planned, actual, share_bp(actual, planned), expected,
                                      expected - planned), LINE, accounts[account_id].code, 1,
                              (None, Drill(account_id, funds=(fund_id,), start=start, end=until))))
            if kind == "expense":
                chart["labels"].append(label)
                chart["shares"].append(share_bp(actual, planned) or 0)
        lines.append(Line(total_label, (totals[0], totals[1],
                                                       share_bp(totals[1], totals[0]), totals[2],
                                                       totals[2] - totals[0]), SUBTOTAL))
        sums[kind] = totals
    result = [i - e for i, e in zip(sums["income"], sums["expense"])]
    lines.append(Line(_("Result"), (result[0], result[1], None, result[2], result[2] - result[0]),
                      TOTAL))
    programme_lines = programme_budgets(session, year, start, until, currency)
    if programme_lines:
        lines.append(Line(_("Grant programmes (awarded against the programme's budget)"),
                          kind=HEADING))
        lines.extend(programme_lines)
    if revision is None:
        state = _("No budget for %(year)s yet.", year=year)
    elif revision.approved:
        state = _("Revision %(number)s, approved %(day)s.", number=revision.number,
                  day=revision.approved_at.strftime("%Y-%m-%d"))
    else:
        state = _("Revision %(number)s, NOT YET APPROVED.", number=revision.number)
    return Statement(
        "budget", _("Budget against actual %(year)s", year=year),
        _("%(start)s to %(end)s, actual to %(until)s", start=start.isoformat(),
          end=end.isoformat(), until=until.isoformat()), currency,
        (_("Plan"), _("Actual"), _("Used"), _("Forecast"), _("Variance")), tuple(lines),
        ratio_columns=(2,),
        notes=(state, _("Forecast: the actual figure extended over the year by days elapsed "
                        "(%(elapsed)s of %(days)s).", elapsed=elapsed, days=total_days)),
        chart=chart)


def programme_budgets(session: Session, year: int, start: date, until: date,
                      currency: str) -> list[Line]:
    grants = next((a for a in chart_accounts(session) if a.role == "grants_expense"), None)
    rows = session.execute(select(Programme.name, Programme.fund_id, ProgrammeBudget.amount)
                           .join(ProgrammeBudget, ProgrammeBudget.programme_id == Programme.id)
                           .where(ProgrammeBudget.year == year, Programme.currency == currency)
                           .order_by(Programme.name)).all()
    if not rows or grants is None:
        return []
    moved = fund_account_movements(session, start, until, account_ids=[grants.id],
                                   fund_ids=sorted({fund_id for _, fund_id, _ in rows}))
    lines = []
    for name, fund_id, amount in rows:
        awarded = moved.get((fund_id, grants.id, currency), 0)
        lines.append(Line(name, (amount, awarded, share_bp(awarded, amount), None,
                                 awarded - amount), LINE, depth=1,
                          drill=(None, Drill(grants.id, funds=(fund_id,), start=start, end=until))))
    return lines
