from __future__ import annotations

from typing import TYPE_CHECKING

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, select

from ..core import clock
from ..core.bounds import as_id
from ..core.db import transaction
from ..core.errors import DomainError
from ..core.formatting import money_html
from ..core.forms import ConfirmForm, current_locale
from ..core.i18n import N_, _, _l
from ..core.permissions import Permission, requires
from ..core.query import arg, bare, query_form
from ..core.views import export_format, get_or_404, id_urls, run_form, send_table
from ..extensions import db, settings
from ..ledger.chart import Account, AccountType, Fund, FundKind
from ..ledger.services import INTERFUND_ROLE
from . import (
    differences,
    hints,
    import_job,
    imports,
    pending,
    queue_html,
    reconciliation,
    services,
    write_offs,
)
from .differences import Difference, How
from .forms import AsOfForm, BankAccountForm, BookLineForm, CsvMappingForm, RuleForm, UploadForm
from .matching import Reason, Suggestion, provider, rank, shown_label, shown_reason
from .models import (
    BankAccount,
    BankImport,
    BankLine,
    BankMatch,
    BankMatchLine,
    BankRule,
    BankWriteOff,
)
from .parsers import FORMATS, CsvMapping, StatementFormatError, detect
from .parsers import csv as csv_parser

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

    from .matching import ItemIndex, OpenItem

bp = Blueprint("banking", __name__, url_prefix="/bank")

#: Open lines the queue shows at first and fetches at a time (issue 17: each line carries its
#: suggestions and their forms, a few KB; the page stays well under 100 KB).
LINES_SHOWN = 10


@bp.app_template_filter("bank_label")
def bank_label(stored: str) -> str:
    """An item's label (English, as stored) in the reader's language."""
    return shown_label(stored)


@bp.app_template_filter("bank_reason")
def bank_reason(stored: str) -> str:
    """A match's stored (English) reason in the reader's language."""
    return shown_reason(stored)


def _confirmed() -> None:
    """Row actions post a CSRF token and nothing else a form would check."""
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _next(default: str) -> str:
    """Where a form asked to go back to: a path of this site only."""
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _postable_accounts():
    return db.session.scalars(
        select(Account).where(Account.active.is_(True),
                              func.coalesce(Account.role, "") != INTERFUND_ROLE)
        .order_by(Account.code)).all()


def _funds():
    return db.session.scalars(select(Fund).where(Fund.active.is_(True))
                              .order_by(Fund.kind, Fund.code)).all()


def _open_count(account_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(BankLine).where(
        BankLine.bank_account_id == account_id, BankLine.status == "open"))


# --- accounts ----------------------------------------------------------------------------------

@bp.route("/")
@requires(Permission.BANK_VIEW)
def index():
    accounts = db.session.scalars(select(BankAccount).order_by(BankAccount.name)).all()
    today = clock.today()
    rows = [(account, reconciliation.bank_balance(db.session, account, today),
             reconciliation.books_balance(db.session, account, today), _open_count(account.id))
            for account in accounts]
    return render_template("banking/index.html", rows=rows, today=today)


def _account_form(form: BankAccountForm, account: BankAccount | None):
    form.currency.choices = [(c, c) for c in current_app.config["CURRENCIES"]]
    assets = db.session.scalars(select(Account).where(Account.type == AccountType.ASSET,
                                                      Account.active.is_(True))
                                .order_by(Account.code)).all()
    form.ledger_account.choices = [("", _("Choose an account"))] + [(a.id, a.label) for a in assets]
    if account is not None:
        del form.iban, form.currency, form.ledger_account
    else:
        del form.active


@bp.route("/accounts/new", methods=["GET", "POST"])
@requires(Permission.BANK_RECONCILE)
def new_account():
    form = BankAccountForm()
    _account_form(form, None)
    if request.method == "GET":
        form.currency.data = current_app.config["DEFAULT_CURRENCY"]
    outcome = run_form(form, lambda: services.create_bank_account(
        db.session, name=form.name.data, iban=form.iban.data, bic=form.bic.data,
        currency=form.currency.data, auto_accept=form.auto_accept.data,
        ledger_account=db.session.get(Account, form.ledger_account.data), actor=current_user))
    if outcome.done:
        account = outcome.result
        flash(_("Bank account %(label)s is set up. Import a statement next.", label=account.label),
              "success")
        return redirect(url_for(".account", account_id=account.id))
    return render_template("banking/account_form.html", form=form, account=None), outcome.status


@bp.route("/accounts/<int:account_id>/edit", methods=["GET", "POST"])
@requires(Permission.BANK_RECONCILE)
def edit_account(account_id: int):
    account = get_or_404(BankAccount, account_id)
    form = BankAccountForm(obj=account)
    _account_form(form, account)
    outcome = run_form(form, lambda: services.update_bank_account(
        db.session, account, actor=current_user, name=form.name.data, bic=form.bic.data,
        auto_accept=form.auto_accept.data, active=form.active.data))
    if outcome.done:
        flash(_("%(label)s is saved.", label=account.label), "success")
        return redirect(url_for(".account", account_id=account.id))
    return render_template("banking/account_form.html", form=form, account=account), outcome.status


@bp.route("/accounts/<int:account_id>")
@requires(Permission.BANK_VIEW)
def account(account_id: int):
    account = get_or_404(BankAccount, account_id)
    form = query_form(AsOfForm)
    as_of = form.as_of.data or clock.today()
    report = reconciliation.difference(db.session, account, as_of)
    checks = reconciliation.continuity(db.session, account)
    imports = db.session.scalars(select(BankImport).where(BankImport.bank_account_id == account.id)
                                 .order_by(BankImport.id.desc()).limit(10)).all()
    return render_template(
        "banking/account.html", account=account, report=report, form=form, as_of=as_of,
        checks=checks[::-1], problems=sum(1 for c in checks if c.problems), imports=imports,
        upload=UploadForm(), open_count=_open_count(account.id), formats=FORMATS,
        review_count=reconciliation.review_count(db.session, account))


# --- import ------------------------------------------------------------------------------------

@bp.route("/accounts/<int:account_id>/import", methods=["POST"])
@requires(Permission.BANK_RECONCILE)
def upload(account_id: int):
    account = get_or_404(BankAccount, account_id)
    form = UploadForm()
    if not form.validate_on_submit():
        flash(" ".join(map(str, form.file.errors)) or _("The upload was not understood."), "danger")
        return redirect(url_for(".account", account_id=account.id))
    data = form.file.data.read()
    filename = form.file.data.filename or "statement"
    if data and detect(data) == "csv" and (form.remap.data or not account.csv_mapping):
        token = pending.keep(settings().paths.instance, data, account.id, current_user.id)
        flash(_("Tell Backoffice which column holds what; the mapping is saved for next time."),
              "info")
        return redirect(url_for(".csv_mapping", account_id=account.id, pending=token,
                                name=filename))
    return _import(account, filename, data)


def _import(account: BankAccount, filename: str, data: bytes):
    if len(data) > current_app.config["BANK_IMPORT_JOB_BYTES"]:
        with transaction():
            job = import_job.start(db.session, account, filename=filename, data=data,
                                   actor=current_user)
        return redirect(url_for("jobs.show", job_id=job.id))
    try:
        with transaction():
            result = imports.import_statement(db.session, account, filename=filename, data=data,
                                               actor=current_user, settings=settings())
    except StatementFormatError as error:
        flash(_("%(file)s was not imported: %(error)s. Nothing was saved.", file=filename,
                error=error), "danger")
        return redirect(url_for(".account", account_id=account.id))
    except DomainError as error:
        flash(_("%(file)s was not imported: %(error)s Nothing was saved.", file=filename,
                error=error), "danger")
        return redirect(url_for(".account", account_id=account.id))
    for category, note in imports.import_summary(db.session, result, filename):
        flash(note, category)
    if result.already_imported:
        return redirect(url_for(".account", account_id=account.id))
    return redirect(url_for(".reconcile", account_id=result.record.bank_account_id))


@bp.route("/accounts/<int:account_id>/csv-mapping", methods=["GET", "POST"])
@requires(Permission.BANK_RECONCILE)
def csv_mapping(account_id: int):
    account = get_or_404(BankAccount, account_id)
    form = CsvMappingForm()
    token = form.pending.data or arg("pending", str, "", max_length=1000)
    data = pending.read(settings().paths.instance, token, account.id, current_user.id) if token else None
    saved = CsvMapping.from_dict(account.csv_mapping)
    if request.method == "GET":
        mapping = saved or CsvMapping(delimiter=pending.guess_delimiter(data) if data else ";",
                                      encoding=pending.guess_encoding(data) if data else "utf-8")
        form.process(data=mapping.as_dict())
        form.pending.data = token
    columns, problem = [], None
    if data is not None:
        try:
            columns = csv_parser.header(data, CsvMapping(
                delimiter=form.delimiter.data or ";", encoding=form.encoding.data or "utf-8",
                skip_rows=form.skip_rows.data or 0))
        except StatementFormatError as error:
            problem = str(error)
    columns = columns or (saved.columns() if saved else [])
    form.set_columns(columns)
    guessed = {}
    if request.method == "GET" and saved is None and columns:
        guessed = csv_parser.guess_mapping(columns)  # German and English bank headers
        for name, column in guessed.items():
            form[name].data = column
    rows = csv_parser.preview(data, CsvMapping(
        delimiter=form.delimiter.data or ";", encoding=form.encoding.data or "utf-8",
        skip_rows=form.skip_rows.data or 0)) if data is not None and problem is None else []
    status = 200
    if request.method == "POST" and not form.reread.data:  # saving, not reading the file again
        outcome = run_form(form, lambda: services.save_csv_mapping(
            db.session, account, _mapping(form), actor=current_user))
        if outcome.done:
            if data is None:
                flash(_("The CSV column mapping is saved."), "success")
                return redirect(url_for(".account", account_id=account.id))
            pending.forget(settings().paths.instance, token, account.id, current_user.id)
            return _import(account, arg("name", str, "statement.csv", max_length=255), data)
        status = outcome.status
    return render_template("banking/csv_mapping.html", account=account, form=form,
                           columns=columns, problem=problem, has_file=data is not None,
                           preview=rows, guessed=guessed), status


def _mapping(form: CsvMappingForm) -> CsvMapping:
    return CsvMapping(**{name: (getattr(form, name).data or "") for name in
                         ("delimiter", "encoding", "date", "date_format", "value_date", "amount",
                          "debit", "credit", "counterparty", "iban", "text", "reference")},
                      skip_rows=form.skip_rows.data or 0,
                      decimal_comma=bool(form.decimal_comma.data))


# --- reconciliation ------------------------------------------------------------------------------

def _book_form(line: BankLine, accounts: Sequence[Account], funds: Sequence[Fund], roles: dict[str, int]) -> BookLineForm:
    form = BookLineForm()
    form.set_choices(accounts, funds)
    if not form.is_submitted():
        _book_defaults(form, line, roles)
    return form


def _book_defaults(form: BookLineForm, line: BankLine, roles: dict) -> None:
    hint = hints.hints_for(db.session, line.bank_account_id, [line], roles).get(line.id)
    form.account.data = hint.account_id if hint else None
    form.account.description = _("Suggested: %(reason)s.", reason=hint.reason) if hint else ""
    form.fund.data = hint.fund_id if hint and hint.fund_id else roles.get("general_fund")
    form.description.data = " ".join(filter(None, [line.counterparty_name, line.remittance]))[:200]


def _options(items: Iterable[Any], selected_id: int | None) -> Markup:
    """<option>s rendered once per page (WTForms would render them again for every line)."""
    return Markup("".join(
        f'<option value="{item.id}"{" selected" if item.id == selected_id else ""}>'
        f"{escape(item.label)}</option>" for item in items))


def _row_context(account: BankAccount, lines: Sequence[BankLine], index: ItemIndex | None = None,
                 **one: Any) -> dict[str, Any]:
    """What the queue's lines need besides themselves: their suggestions. The booking form of a
    line is fetched when it is opened (``book_form``): a chart of thousands of accounts is not
    sent once per line (issue 17). ``one``: a single line's ``match``, ``message``, ``error``."""
    index = index or services.open_items(db.session, account, lines)
    suggestions = services.suggestions_for(db.session, account, lines, index)
    return {"account": account, "rows": _rows(lines, suggestions, _choices, **one)}


def _rows(lines: Sequence[BankLine], suggestions: dict[int, list[Suggestion]],
          choices: Any = None, **one: Any):
    """The lines' HTML (``queue_html.line_html``), for the template to write with its ``may``
    (``{{ rows(may) }}``): what the reader may do is the page's to say."""
    def rows(may: Any) -> Markup:
        page = _queue_page(may, choices)
        return Markup("".join(queue_html.line_html(page, line, suggestions.get(line.id, ()), **one)
                              for line in lines))
    return rows


def _queue_page(may: Any, choices: Any) -> queue_html.QueuePage:
    """What the lines of a page share, worked out once a page (issue 17): their fixed texts, the
    form's hidden fields, their links' builders (``core.views.id_urls``), what the reader may
    do, and the request's way of writing amounts and days."""
    locale = current_locale()
    return queue_html.QueuePage(
        texts=_line_texts(), hidden=str(ConfirmForm().hidden_tag()),
        accept_url=id_urls("banking.accept", "line_id"), line_url=id_urls("banking.line", "line_id"),
        book_form_url=id_urls("banking.book_form", "line_id"),
        undo_url=lambda match_id: url_for("banking.undo", match_id=match_id),
        accepting=may("banking.accept"), undoing=may("banking.undo"), booking=may("banking.book"),
        money=lambda amount, currency: str(money_html(amount, currency, locale)),
        day=current_app.jinja_env.filters["date"], label=shown_label, choices=choices)


def _line_texts() -> dict[str, str]:
    """A queue line's fixed texts, translated once a page instead of on every line and
    suggestion (issue 17: ~130 lookups a page); markup, as Jinja's ``_()`` gives them, with
    their placeholders (``rank``, ``way``) filled in by ``queue_html``."""
    return {"bank": _("Bank"), "reversal": _("reversal"), "matched": _("Matched."), "undo": _("Undo"),
            "accept": _("Accept"), "accept_rank": _("Accept (%(rank)s)"),
            "accept_way": _("Accept, %(way)s"), "alike": _("alike:"),
            "no_suggestion": _("No suggestion: book it, or look for the item on the line's page."),
            "book": _("Book as entry…"), "book_on_page": _("Book it on the line's page"),
            "open": _("Split or search…")}


@bp.route("/lines/<int:line_id>/book-form")
@requires(Permission.BANK_RECONCILE)
def book_form(line_id: int):
    """One open line's "Book as entry" form for the queue (htmx, when the line's form opens),
    with the account and fund that booked this counterparty before chosen."""
    line = get_or_404(BankLine, line_id)
    accounts, funds = _postable_accounts(), _funds()
    roles = {a.role: a.id for a in accounts if a.role}
    roles["general_fund"] = next((f.id for f in funds if f.kind is FundKind.GENERAL), None)
    hint = hints.hints_for(db.session, line.bank_account_id, [line], roles).get(line.id)
    blank = Markup('<option value="">%s</option>') % _("Choose an account")
    return render_template(
        "banking/_book_form.html", line=line, hint=hint, confirm=ConfirmForm(),
        account_options=blank + _options(accounts, hint.account_id if hint else None),
        fund_options=_options(funds, hint.fund_id if hint and hint.fund_id
                              else roles["general_fund"]))


@bp.route("/accounts/<int:account_id>/reconcile")
@requires(Permission.BANK_RECONCILE, also=Permission.BOOKS_AUDIT)
def reconcile(account_id: int):
    """The queue: the newest ``LINES_SHOWN`` open lines with their suggestions, and a button
    fetching the next ones after the last (htmx appends them; without JavaScript it is a link
    to a page that starts there). Issue 17: the whole queue was one heavy page."""
    if bare():  # the first page, the one mostly asked for: one statement fewer
        account, (lines, more, total, review_count) = reconciliation.account_queue(
            db.session, account_id, limit=LINES_SHOWN)
        if account is None:
            abort(404)
        after, part = None, False
    else:
        account = get_or_404(BankAccount, account_id)
        if fmt := export_format():
            return send_table(reconciliation.open_lines_table(db.session, account), fmt)
        after = None
        if (after_id := arg("after", int)) is not None:
            after = db.session.get(BankLine, after_id)
            if after is None or after.bank_account_id != account.id:
                abort(404)
        part = after is not None and _htmx()  # the next lines alone, for htmx to append
        lines, more, total, review_count = reconciliation.open_lines_after(
            db.session, account, after, limit=LINES_SHOWN, counts=not part)
    context = {"lines": lines, "more": more, **_row_context(account, lines)}
    if part:
        return render_template("banking/_queue_lines.html", **context)
    return render_template("banking/reconcile.html", after=after, total=total,
                           review_count=review_count, **context)


def _line_done(line: BankLine, match: BankMatch | None, message: str):
    """After a change to one line: the row (htmx) or back to the queue."""
    account = get_or_404(BankAccount, line.bank_account_id)
    if _htmx():
        one = {"match": match, "message": message}
        context = _row_context(account, [line], **one) if line.status == "open" else {
            "account": account, "rows": _rows([line], {}, **one)}
        return render_template("banking/_line.html", **context)
    flash(message, "success")
    return redirect(_next(url_for(".reconcile", account_id=account.id)))


def _line_refused(line: BankLine, error: DomainError):
    if _htmx():
        account = get_or_404(BankAccount, line.bank_account_id)
        return render_template("banking/_line.html",
                               **_row_context(account, [line], error=str(error))), 200
    flash(str(error), "danger")
    return redirect(_next(url_for(".line", line_id=line.id)))


def _choices(line: BankLine, suggestion: Suggestion) -> list[differences.Choice]:
    """The ways of accepting a suggestion of one item whose amount differs from the line's."""
    item = suggestion.item
    if suggestion.also or suggestion.exact_amount or not suggestion.open_amount:
        return []
    sponsor = item.counterparty if item.provider == "invoice" else ""
    return differences.choices(line.amount, suggestion.open_amount, line.currency,
                               limit=settings().banking.small_difference_limit, sponsor=sponsor,
                               approvable=provider(item.provider).posts_entries,
                               locale=current_locale())


def _difference() -> Difference | None:
    """What the form says to do with a difference between the lines and the items."""
    how = request.form.get("difference", "")
    if how not in {h.value for h in How}:
        return None
    account = fund = None
    if request.form.get("rest_account", "").isdigit():
        account = db.session.get(Account, int(request.form["rest_account"]))
    if request.form.get("rest_fund", "").isdigit():
        fund = db.session.get(Fund, int(request.form["rest_fund"]))
    return Difference(How(how), account=account, fund=fund,
                      override_reason=request.form.get("override_reason", "").strip() or None)


_MATCHED = {How.CREDIT: _l("Matched; the rest is the sponsor's credit."),
            How.ACCOUNT: _l("Matched; the rest is booked."),
            How.OPEN: _l("Matched; the rest stays open.")}


@bp.route("/lines/<int:line_id>/accept", methods=["POST"])
@requires(Permission.BANK_RECONCILE)
def accept(line_id: int):
    line = get_or_404(BankLine, line_id)
    _confirmed()
    account = get_or_404(BankAccount, line.bank_account_id)
    extra_lines = [get_or_404(BankLine, number) for number in map(as_id, request.form.getlist("line"))
                   if number is not None and number != line.id]
    items = [tuple(value.split(":", 1)) for value in request.form.getlist("item") if ":" in value]
    difference = _difference()
    try:
        with transaction():
            match = services.accept(db.session, account, lines=[line, *extra_lines], items=items,
                                    actor=current_user, reason=request.form.get("reason", ""),
                                    difference=difference,
                                    small_difference_limit=settings().banking.small_difference_limit, settings=settings())
            waiting = db.session.scalar(select(func.count()).select_from(BankWriteOff).where(
                BankWriteOff.bank_match_id == match.id))
    except DomainError as error:
        return _line_refused(line, error)
    message = _("Matched.")
    if difference is not None and difference.how is How.WRITE_OFF:
        message = (_("Matched; the write-off waits for a second approver, the rest stays open "
                     "until then.") if waiting else _("Matched; the difference is written off."))
    elif difference is not None:
        message = str(_MATCHED[difference.how])
    return _line_done(line, match, message)


@bp.route("/write-offs")
@requires(Permission.BANK_VIEW)
def write_offs_page():
    return render_template("banking/write_offs.html", confirm=ConfirmForm(), account=None,
                           waiting=write_offs.pending(db.session))


@bp.route("/write-offs/<int:write_off_id>/<any(approve, reject):decision>", methods=["POST"])
@requires(Permission.EXPENSES_APPROVE)
def decide_write_off(write_off_id: int, decision: str):
    write_off = get_or_404(BankWriteOff, write_off_id)
    outcome = run_form(ConfirmForm(), lambda: write_offs.approve(
        db.session, write_off, actor=current_user,
        override_reason=request.form.get("override_reason") or None) if decision == "approve"
        else write_offs.reject(db.session, write_off, actor=current_user), flash_refusal="danger")
    if outcome.invalid:
        abort(400)
    if outcome.done:
        flash(_("Written off.") if decision == "approve" else _("Rejected: the rest stays open."),
              "success")
    return redirect(url_for(".write_offs_page"))


@bp.route("/lines/<int:line_id>/book", methods=["POST"])
@requires(Permission.BANK_RECONCILE)
def book(line_id: int):
    line = get_or_404(BankLine, line_id)
    form = BookLineForm()
    form.set_choices(_postable_accounts(), _funds())
    if not form.validate_on_submit():
        errors = "; ".join(str(e) for f in form for e in f.errors) or _("Fill in the form.")
        return _line_refused(line, DomainError(errors))
    try:
        with transaction():
            match = services.book_line(
                db.session, line, account=db.session.get(Account, form.account.data),
                fund=db.session.get(Fund, form.fund.data), description=form.description.data,
                remember=form.make_rule.data, actor=current_user)
    except DomainError as error:
        return _line_refused(line, error)
    entry = match.journal_entry
    return _line_done(line, match, _("Booked as entry %(ref)s.", ref=entry.ref))


@bp.route("/matches/<int:match_id>/undo", methods=["POST"])
@requires(Permission.BANK_RECONCILE)
def undo(match_id: int):
    match = get_or_404(BankMatch, match_id)
    _confirmed()
    try:
        with transaction():
            services.undo_match(db.session, match, actor=current_user,
                                reason=request.form.get("reason", ""), settings=settings())
    except DomainError as error:
        if _htmx():
            return f'<div class="alert alert-danger">{escape(str(error))}</div>', 200
        flash(str(error), "danger")
        return redirect(url_for(".review", account_id=match.bank_account_id))
    message = (_("Undone: entry #%(entry)s reversed by #%(reversal)s.",
                 entry=match.journal_entry_id, reversal=match.undo_entry_id)
               if match.undo_entry_id else _("Undone."))
    if _htmx() and request.form.get("view") == "review":
        return render_template("banking/_review_row.html", match=match, message=message,
                               confirm=ConfirmForm())
    line = match.lines[0].line
    return _line_done(line, None, message)


@bp.route("/matches/<int:match_id>/reviewed", methods=["POST"])
@requires(Permission.BANK_RECONCILE)
def reviewed(match_id: int):
    match = get_or_404(BankMatch, match_id)
    _confirmed()
    with transaction():
        services.mark_reviewed(db.session, match, actor=current_user)
    if _htmx():
        return render_template("banking/_review_row.html", match=match, message=_("Kept."),
                               confirm=ConfirmForm())
    flash(_("Kept."), "success")
    return redirect(url_for(".review", account_id=match.bank_account_id))


@bp.route("/accounts/<int:account_id>/review")
@requires(Permission.BANK_RECONCILE, also=Permission.BOOKS_AUDIT)
def review(account_id: int):
    account = get_or_404(BankAccount, account_id)
    return render_template("banking/review.html", account=account, confirm=ConfirmForm(),
                           matches=reconciliation.to_review(db.session, account))


@bp.route("/lines/<int:line_id>")
@requires(Permission.BANK_VIEW)
def line(line_id: int):
    line = get_or_404(BankLine, line_id)
    account = get_or_404(BankAccount, line.bank_account_id)
    index = services.open_items(db.session, account) if line.status == "open" else None
    candidates, others = [], []
    query = arg("q", str, "", max_length=100).strip()
    if index is not None:
        candidates = [s for s in rank(services.facts(line), index, limit=15) if not s.also]
        if query:
            shown = {(s.item.provider, s.item.key) for s in candidates}
            needle = query.lower()
            candidates += [
                _plain(item, index.open(key)) for key, item in index.items.items()
                if key not in shown and index.open(key) and (
                    needle in item.label.lower() or any(needle in r.lower() for r in item.references)
                    or needle.replace(",", ".") in f"{abs(index.open(key)) / 100:.2f}")][:30]
        others = db.session.scalars(
            select(BankLine).where(BankLine.bank_account_id == account.id,
                                   BankLine.status == "open", BankLine.id != line.id,
                                   (BankLine.counterparty_name == line.counterparty_name)
                                   if line.counterparty_name else BankLine.id == -1)
            .order_by(BankLine.booking_date.desc()).limit(20)).all()
    history = db.session.scalars(
        select(BankMatch).join(BankMatchLine, BankMatchLine.match_id == BankMatch.id)
        .where(BankMatchLine.bank_line_id == line.id).order_by(BankMatch.id.desc())).all()
    book_form = None
    if line.status == "open":
        accounts, funds = _postable_accounts(), _funds()
        roles = {a.role: a.id for a in accounts if a.role}
        roles["general_fund"] = next((f.id for f in funds if f.kind is FundKind.GENERAL), None)
        book_form = _book_form(line, accounts, funds, roles)
    rest_accounts = [a for a in _postable_accounts() if a.id != account.ledger_account_id]
    return render_template("banking/line.html", line=line, candidates=candidates, others=others,
                           history=history, query=query, confirm=ConfirmForm(), account=account,
                           book_form=book_form, rest_accounts=rest_accounts, funds=_funds(),
                           limit=differences.small_difference_limit(
                               settings().banking.small_difference_limit, line.currency))


def _plain(item: OpenItem, open_amount: int):
    return Suggestion(item, 0, [Reason(N_("found by search"))], allocate=open_amount)


# --- rules -------------------------------------------------------------------------------------

@bp.route("/rules", methods=["GET", "POST"])
@requires(Permission.BANK_RECONCILE)
def rules():
    form = RuleForm()
    accounts, funds = _postable_accounts(), _funds()
    bank_accounts = db.session.scalars(select(BankAccount).order_by(BankAccount.name)).all()
    form.account.choices = [("", _("Choose an account"))] + [(a.id, a.label) for a in accounts]
    form.fund.choices = [("", _("Choose a fund"))] + [(f.id, f.label) for f in funds]
    form.bank_account.choices = [("", _("Every bank account"))] + [(b.id, b.label)
                                                                   for b in bank_accounts]
    outcome = run_form(form, lambda: services.create_rule(
        db.session, name=form.name.data, actor=current_user,
        counterparty_contains=form.counterparty_contains.data,
        text_contains=form.text_contains.data, direction=form.direction.data,
        account=db.session.get(Account, form.account.data),
        fund=db.session.get(Fund, form.fund.data),
        bank_account=db.session.get(BankAccount, form.bank_account.data)
        if form.bank_account.data else None))
    if outcome.done:
        flash(_("Rule “%(name)s” is saved; it applies to lines imported from now on.",
                name=outcome.result.name), "success")
        return redirect(url_for(".rules"))
    all_rules = db.session.scalars(select(BankRule).order_by(BankRule.active.desc(),
                                                             BankRule.name)).all()
    used = dict(db.session.execute(select(BankMatch.rule_id, func.count()).where(
        BankMatch.rule_id.is_not(None), BankMatch.undone_at.is_(None))
        .group_by(BankMatch.rule_id)).all())
    return render_template("banking/rules.html", form=form, rules=all_rules, used=used,
                           confirm=ConfirmForm()), outcome.status


@bp.route("/rules/<int:rule_id>/toggle", methods=["POST"])
@requires(Permission.BANK_RECONCILE)
def toggle_rule(rule_id: int):
    rule = get_or_404(BankRule, rule_id)
    _confirmed()
    with transaction():
        services.set_rule_active(db.session, rule, not rule.active, actor=current_user)
    flash(_("Rule “%(name)s” is on.", name=rule.name) if rule.active
          else _("Rule “%(name)s” is off.", name=rule.name), "success")
    return redirect(url_for(".rules"))
