"""The exports for others' tools in the Reports menu: DATEV (with its account mapping), Beancount
and the tax auditor's data. Each page says what the file holds; its button downloads it."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.validators import NumberRange, Optional

from ..core import clock
from ..core.errors import DomainError
from ..core.forms import DateField, IntegerField
from ..core.i18n import _l, ngettext
from ..core.permissions import Permission, requires
from ..core.query import arg, query_form
from ..core.tables import spooled
from ..core.views import run_form, send_spooled
from ..extensions import db, settings
from ..ledger.periods import FiscalYear
from ..ledger.reads import chart_accounts
from . import audit_export, beancount_export, datev, datev_map
from .statements import ACCOUNT_TYPES

bp = Blueprint("report_exports", __name__, url_prefix="/reports/exports")


class _Query(FlaskForm):
    class Meta:
        csrf = False


class DatevPeriodForm(_Query):
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


class AuditYearForm(_Query):
    year = IntegerField(_l("Fiscal year"), validators=[Optional(), NumberRange(1900, 2199)])


class MappingForm(FlaskForm):
    """The DATEV account of each ledger account: fields ``account-<id>`` read in the view."""


def _fiscal_year() -> FiscalYear:
    return FiscalYear.of(settings().organisation)


# --- DATEV -------------------------------------------------------------------------------------

@bp.route("/datev")
@requires(Permission.REPORTS_VIEW)
def datev_page():
    """The period's journal as a DATEV Buchungsstapel: a preview (bookings, notes), then the file."""
    form = query_form(DatevPeriodForm)
    download = arg("download", bool, False)
    today = clock.today()
    start = form.start.data or date(today.year, today.month, 1)
    end = form.end.data or today
    form.start.data, form.end.data = start, end
    config = settings()
    error = result = None
    try:
        result = datev.export(db.session, config.datev, start=start, end=end,
                              fiscal_year=_fiscal_year(),
                              home_currency=config.organisation.default_currency,
                              exported_by=current_user.display_name, now=datetime.now(UTC))
    except DomainError as refused:
        error = str(refused)
    if result is not None and download:
        return send_spooled(result.file, result.filename, "text/csv; charset=windows-1252")
    if result is not None:
        result.file.close()
    return render_template("reports/exports/datev.html", form=form, result=result, error=error,
                           config=config.datev, section="reports"), 400 if error else 200


@bp.route("/datev/accounts")
@requires(Permission.REPORTS_VIEW)
def datev_accounts():
    """Which DATEV account each ledger account goes to (the treasurer changes it here)."""
    length = settings().datev.account_length
    mapping = datev_map.mapping(db.session, length)
    return render_template("reports/exports/datev_accounts.html", mapping=mapping,
                           form=MappingForm(), length=length, section="reports",
                           account_types=ACCOUNT_TYPES)


@bp.route("/datev/accounts", methods=["POST"])
@requires(Permission.ACCOUNTS_MANAGE)
def save_datev_accounts():
    length = settings().datev.account_length
    form = MappingForm()

    def save():
        current = datev_map.mapping(db.session, length)
        changed = 0
        for account in chart_accounts(db.session):
            key = f"account-{account.id}"
            if key not in request.form:
                continue
            wanted = request.form[key].strip()
            if wanted != (current[account.id].datev or ""):
                datev_map.set_account(db.session, account, wanted, length=length,
                                      actor=current_user)
                changed += 1
        return changed

    outcome = run_form(form, save, flash_refusal="danger")
    if outcome.done:
        flash(ngettext("%(num)s account mapped anew.", "%(num)s accounts mapped anew.",
                       outcome.result), "success")
    return redirect(url_for(".datev_accounts"))


# --- Beancount ---------------------------------------------------------------------------------

@bp.route("/beancount")
@requires(Permission.REPORTS_VIEW)
def beancount_page():
    """The whole ledger as a Beancount file (for Fava and bean-check)."""
    if arg("download", bool, False):
        config = settings()
        def write(sink):
            text = io.TextIOWrapper(sink, encoding="utf-8", newline="\n")
            beancount_export.write(db.session, text, title=config.organisation.name,
                                   operating_currency=config.organisation.default_currency,
                                   link=beancount_export.page_links(config))
            text.flush()
            text.detach()

        spool = spooled(write)
        return send_spooled(spool, f"books-{clock.today().isoformat()}.beancount",
                         "text/plain; charset=utf-8")
    return render_template("reports/exports/beancount.html", section="reports")


# --- the tax auditor's data (GoBD) ---------------------------------------------------------------

@bp.route("/audit")
@requires(Permission.REPORTS_VIEW)
def audit_page():
    """A fiscal year for the tax auditor: CSV files with index.xml and its DTD, in one zip."""
    form = query_form(AuditYearForm)
    fiscal_year = _fiscal_year()
    year = form.year.data or fiscal_year.start(clock.today()).year - 1
    form.year.data = year
    if arg("download", bool, False):
        spool = spooled(lambda sink: audit_export.write_zip(
            db.session, sink, start=date(year, fiscal_year.first_month, 1),
            fiscal_year=fiscal_year, organisation=settings().organisation.name,
            created=datetime.now(UTC)))
        return send_spooled(spool, f"gdpdu-{year}.zip", "application/zip")
    return render_template("reports/exports/audit.html", form=form, year=year,
                           tables=audit_export.TABLES, section="reports")
