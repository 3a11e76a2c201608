from __future__ import annotations

from datetime import date
from functools import partial

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, select

from ..core import clock
from ..core.formatting import money_html, number_symbols
from ..core.forms import ConfirmForm, current_locale, money_of, object_options
from ..core.i18n import _
from ..core.permissions import Permission, requires
from ..core.query import arg, others, query_form
from ..core.views import export_format, get_or_404, id_urls, run_form, send_table
from ..extensions import db, settings
from . import services
from .balances import (
    by_fund,
    currency_totals,
    fund_balances,
    fund_statements,
    trial_balance,
    year_balances,
)
from .chart import Account, AccountType, Fund
from .forms import (
    AccountForm,
    AsOfForm,
    FundForm,
    JournalFilterForm,
    ManualEntryForm,
    RangeForm,
    ReverseForm,
    TransferForm,
)
from .journal_html import entries_html
from .models import JournalEntry, Period, Posting
from .periods import FiscalYear, PeriodKind
from .queries import JournalFilter, account_ledger, format_cursor, journal_page, parse_cursor
from .reads import chart_funds, journal_table

bp = Blueprint("ledger", __name__, url_prefix="/ledger")


def _accounts(active_only: bool = False, postable: bool = False):
    statement = select(Account).order_by(Account.code)
    if active_only:
        statement = statement.where(Account.active.is_(True))
    if postable:
        statement = statement.where(func.coalesce(Account.role, "") != services.INTERFUND_ROLE)
    return db.session.scalars(statement).all()


def _funds(active_only: bool = False):
    statement = select(Fund).order_by(Fund.kind, Fund.code)
    if active_only:
        statement = statement.where(Fund.active.is_(True))
    return db.session.scalars(statement).all()


# --- journal and entries ---------------------------------------------------------------------


def _fiscal_year() -> FiscalYear:
    return FiscalYear.of(settings().organisation)

@bp.route("/journal")
@requires(Permission.LEDGER_VIEW)
def journal():
    funds = chart_funds(db.session)  # plain rows for the filter (no ORM objects)
    form = query_form(JournalFilterForm, fund=object_options(funds, "All funds"))
    filters = JournalFilter(start=form.start.data, end=form.end.data, fund_id=form.fund.data,
                            account_id=form.account.data, text=form.q.data or "")
    if fmt := export_format():
        return send_table(journal_table(db.session, filters), fmt)
    page = journal_page(db.session, filters, before=arg("before", parse_cursor),
                        after=arg("after", parse_cursor), limit=current_app.config["PAGE_SIZE"])
    chosen = db.session.get(Account, form.account.data) if form.account.data else None
    query = others("before", "after")
    rows = partial(entries_html, locale=current_locale(),
                   entry_url=id_urls(".entry", "entry_id"), account_url=id_urls(".account", "account_id"),
                   reversal=_("reversal"), nothing=_("No entries match."))
    return render_template("ledger/journal.html", form=form, page=page, query=query,
                           chosen=chosen, funds=funds, format_cursor=format_cursor,
                           entries_html=rows)


ACCOUNT_MATCHES = 20


@bp.route("/accounts/search")
@requires(Permission.LEDGER_VIEW)
def account_search():
    """The first accounts whose code starts with, or whose name contains, the typed text (the
    journal's account filter fetches these as one types)."""
    term = (arg("account_label", str) or "").strip()
    matches = db.session.scalars(_matching(term).limit(ACCOUNT_MATCHES + 1)).all() if term else []
    return render_template("ledger/_account_matches.html", matches=matches[:ACCOUNT_MATCHES],
                           more=len(matches) > ACCOUNT_MATCHES, term=term)


@bp.route("/entries/<int:entry_id>")
@requires(Permission.LEDGER_VIEW)
def entry(entry_id: int):
    entry = get_or_404(JournalEntry, entry_id)
    reversal = services.reversal_of(db.session, entry)
    form = ReverseForm() if entry.reverses_id is None and reversal is None else None
    return render_template("ledger/entry.html", entry=entry, reversal=reversal, form=form)


@bp.route("/entries/<int:entry_id>/reverse", methods=["POST"])
@requires(Permission.LEDGER_POST)
def reverse(entry_id: int):
    entry = get_or_404(JournalEntry, entry_id)
    form = ReverseForm()
    outcome = run_form(form, lambda: services.reverse_entry(
        db.session, entry, actor=current_user, reason=form.reason.data,
        booking_date=form.booking_date.data))
    if outcome.done:
        reversal = outcome.result
        flash(_("Entry %(ref)s is reversed by %(ref2)s.", ref=entry.ref, ref2=reversal.ref), "success")
        return redirect(url_for(".entry", entry_id=reversal.id))
    return render_template("ledger/entry.html", entry=entry, reversal=None, form=form), 400


@bp.route("/entries/new", methods=["GET", "POST"])
@requires(Permission.LEDGER_POST)
def new_entry():
    accounts, funds = _accounts(active_only=True, postable=True), _funds(active_only=True)
    form = ManualEntryForm()
    if request.method == "GET":
        form.currency.data = current_app.config["DEFAULT_CURRENCY"]
    form.set_choices(accounts, funds, current_app.config["CURRENCIES"])
    status = 200
    if form.add_line.data:
        form.lines.append_entry()
        form.set_choices(accounts, funds, current_app.config["CURRENCIES"])
    else:
        outcome = run_form(form, lambda: services.post_entry(
            db.session, booking_date=form.booking_date.data, description=form.description.data,
            lines=form.ledger_lines({a.id: a for a in accounts}, {f.id: f for f in funds},
                                    current_locale()),
            actor=current_user, source=("manual", None)))
        if outcome.done:
            flash(_("Entry %(ref)s is posted.", ref=outcome.result.ref), "success")
            return redirect(url_for(".entry", entry_id=outcome.result.id))
        status = outcome.status
    return render_template("ledger/entry_form.html", form=form, symbols=number_symbols(current_locale())), status


@bp.route("/transfers/new", methods=["GET", "POST"])
@requires(Permission.LEDGER_POST)
def new_transfer():
    funds = _funds(active_only=True)
    form = TransferForm()
    if request.method == "GET":
        form.currency.data = current_app.config["DEFAULT_CURRENCY"]
        form.from_fund.data = services.general_fund(db.session).id
    form.set_choices(funds, current_app.config["CURRENCIES"])
    by_id = {f.id: f for f in funds}
    outcome = run_form(form, lambda: services.transfer_between_funds(
        db.session, from_fund=by_id[form.from_fund.data], to_fund=by_id[form.to_fund.data],
        amount=money_of(form.amount, form.currency.data), booking_date=form.booking_date.data, description=form.description.data,
        actor=current_user))
    if outcome.done:
        flash(_("Transfer posted as %(ref)s.", ref=outcome.result.ref), "success")
        return redirect(url_for(".entry", entry_id=outcome.result.id))
    return render_template("ledger/transfer_form.html", form=form), outcome.status


# --- accounts ----------------------------------------------------------------------------------

ACCOUNTS_PAGE = 100


def _matching(term: str):
    """Accounts whose code starts with, or whose name contains, ``term`` (in code order)."""
    statement = select(Account).order_by(Account.code)
    if term:
        pattern = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(Account.code.like(f"{pattern}%", escape="\\")
                                    | Account.name.ilike(f"%{pattern}%", escape="\\"))
    return statement


@bp.route("/accounts")
@requires(Permission.LEDGER_VIEW)
def accounts():
    """The chart a page at a time (code order, ``after`` the last code shown), searchable; the
    balances of the accounts shown only. htmx asks for the next rows alone ("Show more")."""
    today = clock.today()
    term = (arg("q", str) or "").strip()
    after = arg("after", str)
    statement = _matching(term)
    if after:
        statement = statement.where(Account.code > after)
    found = db.session.scalars(statement.limit(ACCOUNTS_PAGE + 1)).all()
    shown, more = found[:ACCOUNTS_PAGE], len(found) > ACCOUNTS_PAGE
    balances: dict[int, list[tuple[str, int]]] = {}
    amounts = year_balances(db.session, today, year_start=_fiscal_year().start(today),
                            account_ids=[a.id for a in shown])
    for (account_id, currency), amount in sorted(amounts.items()):
        balances.setdefault(account_id, []).append((currency, amount))
    context = {"accounts": shown, "balances": balances, "more": more, "term": term}
    if request.headers.get("HX-Request"):
        return render_template("ledger/_account_rows.html", **context)
    return render_template("ledger/accounts.html", today=today, **context)


@bp.route("/accounts/new", methods=["GET", "POST"])
@requires(Permission.ACCOUNTS_MANAGE)
def new_account():
    form = AccountForm()
    del form.active
    outcome = run_form(form, lambda: services.create_account(
        db.session, code=form.code.data, name=form.name.data, type=form.type.data,
        description=form.description.data, actor=current_user))
    if outcome.done:
        flash(_("Account %(label)s is created.", label=outcome.result.label), "success")
        return redirect(url_for(".accounts"))
    return render_template("ledger/account_form.html", form=form, account=None), outcome.status


@bp.route("/accounts/<int:account_id>/edit", methods=["GET", "POST"])
@requires(Permission.ACCOUNTS_MANAGE)
def edit_account(account_id: int):
    account = get_or_404(Account, account_id)
    form = AccountForm(obj=account)
    del form.type
    outcome = run_form(form, lambda: services.update_account(
        db.session, account, actor=current_user, code=form.code.data, name=form.name.data,
        active=form.active.data, description=form.description.data))
    if outcome.done:
        flash(_("Account %(label)s is saved.", label=account.label), "success")
        return redirect(url_for(".accounts"))
    return render_template("ledger/account_form.html", form=form, account=account), outcome.status


@bp.route("/accounts/<int:account_id>")
@requires(Permission.LEDGER_VIEW)
def account(account_id: int):
    account = get_or_404(Account, account_id)
    fund_id, start = arg("fund", int), arg("start", date)
    funds = _funds()
    page = account_ledger(db.session, account.id, fund_id=fund_id,
                          before=arg("before", parse_cursor), after=arg("after", parse_cursor),
                          start=start, limit=current_app.config["PAGE_SIZE"])
    return render_template("ledger/account.html", account=account, page=page, funds=funds,
                           fund_id=fund_id, start=start, format_cursor=format_cursor)


# --- funds -------------------------------------------------------------------------------------

@bp.route("/funds/new", methods=["GET", "POST"])
@requires(Permission.ACCOUNTS_MANAGE)
def new_fund():
    form = FundForm()
    del form.active
    outcome = run_form(form, lambda: services.create_fund(
        db.session, code=form.code.data, name=form.name.data, description=form.description.data,
        actor=current_user))
    if outcome.done:
        flash(_("Fund %(label)s is created.", label=outcome.result.label), "success")
        return redirect(url_for(".fund", fund_id=outcome.result.id))
    return render_template("ledger/fund_form.html", form=form, fund=None), outcome.status


@bp.route("/funds/<int:fund_id>/edit", methods=["GET", "POST"])
@requires(Permission.ACCOUNTS_MANAGE)
def edit_fund(fund_id: int):
    fund = get_or_404(Fund, fund_id)
    form = FundForm(obj=fund)
    del form.code
    outcome = run_form(form, lambda: services.update_fund(
        db.session, fund, actor=current_user, name=form.name.data, active=form.active.data,
        description=form.description.data))
    if outcome.done:
        flash(_("Fund %(label)s is saved.", label=fund.label), "success")
        return redirect(url_for(".fund", fund_id=fund.id))
    return render_template("ledger/fund_form.html", form=form, fund=fund), outcome.status


@bp.route("/funds/<int:fund_id>")
@requires(Permission.LEDGER_VIEW)
def fund(fund_id: int):
    fund = get_or_404(Fund, fund_id)
    form = query_form(RangeForm)
    today = clock.today()
    year_start = _fiscal_year().start(today)
    start = form.start.data or year_start
    end = form.end.data or today
    if end < start:
        flash(_("The end date is before the start date; showing the fiscal year so far."), "warning")
        start, end = year_start, today
    form.start.data, form.end.data = start, end
    statements = fund_statements(db.session, fund, start, end)
    return render_template("ledger/fund.html", fund=fund, form=form, statements=statements)


@bp.route("/fund-balances", endpoint="fund_balances")
@requires(Permission.LEDGER_VIEW)
def fund_balances_page():
    form = query_form(AsOfForm, omit=["fund"])
    as_of = form.as_of.data or clock.today()
    form.as_of.data = as_of
    balances = by_fund(fund_balances(db.session, as_of))
    rows = [(fund, balances.get(fund.id, {})) for fund in _funds()
            if fund.active or fund.id in balances]
    totals = currency_totals(mine for _, mine in rows)
    return render_template("ledger/fund_balances.html", form=form, rows=rows, totals=totals,
                           as_of=as_of)


TRIAL_BALANCE_PAGE = 200


def _row_key(text: str) -> tuple[str, str]:
    """``after`` on the trial balance: "EUR:4400" (the currency and code of the last row shown)."""
    currency, _sep, code = text.partition(":")
    if len(currency) != 3 or not code:
        raise ValueError("expected a currency and an account code, e.g. EUR:4400")
    return currency, code


@bp.route("/trial-balance", endpoint="trial_balance")
@requires(Permission.LEDGER_VIEW)
def trial_balance_page():
    funds = chart_funds(db.session)  # plain rows for the filter (no ORM objects)
    form = query_form(AsOfForm, fund=object_options(funds, "All funds"))
    as_of = form.as_of.data or clock.today()
    form.as_of.data = as_of
    fund = db.session.get(Fund, form.fund.data) if form.fund.data else None
    after = arg("after", _row_key)
    report = trial_balance(db.session, as_of, fiscal_year=_fiscal_year(), fund=fund, after=after,
                           limit=TRIAL_BALANCE_PAGE)
    last = report.rows[-1] if report.rows else None
    # Each row as the table shows it, written here at once (a page of 200 rows paid more for the
    # template's lookups, escaping and calls than for the query).
    money = partial(money_html, locale=current_locale(), blank_zero=True)
    account_url = id_urls("ledger.account", "account_id")
    kinds = {kind: escape(kind.label) for kind in AccountType}
    lines = [(row.currency, Markup(
        f'\n    <tr><td class="code">{escape(row.account.code)}</td>\n'
        f'        <td><a href="{escape(account_url(row.account.id))}">'
        f'{escape(row.account.name)}</a></td>\n'
        f'        <td class="small muted">{kinds[row.account.type]}</td>\n'
        f'        <td class="num">{money(row.debit, row.currency)}</td>'
        f'<td class="num">{money(row.credit, row.currency)}</td></tr>\n  '))
        for row in report.rows]
    return render_template("ledger/trial_balance.html", form=form, report=report, funds=funds,
                           lines=lines,
                           query=others("after"), first_page=after is None,
                           next_after=f"{last.currency}:{last.account.code}" if last else None)


# --- periods -------------------------------------------------------------------------------

@bp.route("/periods")
@requires(Permission.LEDGER_VIEW)
def periods():
    today = clock.today()
    first = db.session.scalar(select(func.min(Posting.booking_date))) or today
    closed = {(p.kind, p.start): p for p in db.session.scalars(select(Period))}
    years = []
    fiscal_year = _fiscal_year()
    year_start = fiscal_year.start(today)
    while year_start >= fiscal_year.start(first):
        months = []
        for offset in range(12):
            month = date(year_start.year + (year_start.month - 1 + offset) // 12,
                         (year_start.month - 1 + offset) % 12 + 1, 1)
            if month <= today:
                months.append((month, closed.get((PeriodKind.MONTH, month))))
        years.append((year_start, closed.get((PeriodKind.YEAR, year_start)), months))
        year_start = date(year_start.year - 1, year_start.month, 1)
    return render_template("ledger/periods.html", years=years, form=ConfirmForm())


@bp.route("/periods/<any(month, year):kind>/<start>/<any(close, reopen):action>", methods=["POST"])
@requires(Permission.LEDGER_PERIODS)
def change_period(kind: str, start: str, action: str):
    try:
        first = date.fromisoformat(start)
    except ValueError:
        abort(404)
    outcome = run_form(ConfirmForm(), lambda: services.set_period_closed(
        db.session, PeriodKind(kind), first, action == "close", actor=current_user,
        fiscal_year=_fiscal_year()),
        flash_refusal="danger")
    if outcome.invalid:
        abort(400)
    if outcome.done:
        period = outcome.result
        flash(_("The %(label)s is %(value)s.", label=period.label, value='closed' if period.closed else 'open again'), "success")
    return redirect(url_for(".periods"))

