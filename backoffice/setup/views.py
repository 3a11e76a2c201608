"""The settings area (admins) and the first-run setup wizard."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..auth.web_session import log_in
from ..banking.models import BankAccount
from ..core import clock, logo, stored_settings
from ..core.audit import AuditEvent
from ..core.errors import DomainError
from ..core.forms import current_locale, options
from ..core.i18n import _
from ..core.permissions import Permission, public, requires
from ..core.settings import setup_problems
from ..core.stored_settings import FIELDS, SECTIONS, value_in
from ..core.views import run_form
from ..donations.receipts.notice import ReceiptRefused, check_notice, exemption_notice, last_day
from ..extensions import db, forget_stored_settings, settings
from ..extensions import stored_settings as stored_of
from . import services
from .forms import LogoForm, SettingsForm, SetupForm, form_name, months, shown

bp = Blueprint("setup", __name__)

#: Once somebody has an account the wizard is gone for good: no query per request after that.
_SET_UP = "backoffice.set_up"

#: Pages a first run in production may open before the wizard is done.
_OPEN_BEFORE_SETUP = frozenset({"setup.wizard", "static", "bootstrap.static", "core.health",
                                "core.ready"})


def _set_up() -> bool:
    if current_app.extensions.get(_SET_UP):
        return True
    try:
        if services.needs_setup(db.session):
            return False
    except SQLAlchemyError:  # no tables yet (before `flask db upgrade`): nothing to set up
        db.session.rollback()
        return True
    current_app.extensions[_SET_UP] = True
    return True


def first_run_to_wizard():
    """Production's first run (nobody has an account): every page leads to the wizard."""
    if (current_app.config["ENV"] == "production" and request.endpoint not in _OPEN_BEFORE_SETUP
            and not _set_up()):
        return redirect(url_for("setup.wizard"))
    return None


def _on_its_field(form, action):
    """Run ``action``; a refusal naming a settings key is shown on the form field for it."""
    def run():
        try:
            return action()
        except DomainError as error:
            error.field = form.FIELD_OF.get(error.field, error.field)
            raise
    return run


def _bank_accounts() -> list[BankAccount]:
    return list(db.session.scalars(select(BankAccount).where(BankAccount.active)
                                   .order_by(BankAccount.name)))


def _fill_from_account(form: SettingsForm, accounts: dict[int, BankAccount]) -> None:
    """A bank account chosen in a select fills the IBAN, BIC (and bank) it stands for."""
    chosen = accounts.get(form.invoice_account.data)
    if chosen is not None:
        form.INVOICE_SELLER__iban.data, form.INVOICE_SELLER__bic.data = chosen.iban, chosen.bic
        form.INVOICE_SELLER__bank_name.data = form.INVOICE_SELLER__bank_name.data or chosen.name
    chosen = accounts.get(form.payout_account.data)
    if chosen is not None:
        form.SEPA_DEBTOR_IBAN.data, form.SEPA_DEBTOR_BIC.data = chosen.iban, chosen.bic


@bp.route("/admin/settings", methods=["GET", "POST"])
@requires(Permission.SETTINGS_MANAGE)
def settings_page():
    form = _settings_form(fill=request.method == "GET")
    if request.method == "POST":
        _fill_from_account(form, form.accounts)
    outcome = run_form(form, _on_its_field(form, lambda: stored_settings.save(
        db.session, current_app.config, form.changes(), actor=current_user,
        instance_path=current_app.instance_path)))
    if outcome.done:
        forget_stored_settings()
        changed = outcome.result
        flash(_("Saved: %(fields)s.", fields=", ".join(
            str(stored_settings.BY_KEY[key].label) for key in changed))
              if changed else _("Nothing was changed."), "success" if changed else "info")
        return redirect(url_for(".settings_page"))
    return _settings_page(form, LogoForm(), outcome.status)


@bp.route("/admin/settings/logo", methods=["POST"])
@requires(Permission.SETTINGS_MANAGE)
def logo_upload():
    """Upload (or remove) the logo: kept once, its SHA-256 stored as a setting (audited)."""
    logo_form = LogoForm()

    def change():
        upload = logo_form.logo.data
        sha = "" if logo_form.remove.data else logo.keep(
            db.session, folder=settings().paths.uploads,
            data=upload.read() if upload else b"", actor=current_user)
        return stored_settings.save(db.session, current_app.config,
                                    {stored_settings.LOGO.key: sha}, actor=current_user,
                                    instance_path=current_app.instance_path)

    outcome = run_form(logo_form, change)
    if outcome.done:
        forget_stored_settings()
        flash((_("Logo removed.") if logo_form.remove.data else _("Logo uploaded."))
              if outcome.result else _("Nothing was changed."),
              "success" if outcome.result else "info")
        return redirect(url_for(".settings_page"))
    return _settings_page(_settings_form(fill=True), logo_form, outcome.status)


def _settings_form(*, fill: bool) -> SettingsForm:
    """The settings form with its choices; ``fill``: showing the values in force."""
    form = SettingsForm()
    form.accounts = {account.id: account for account in _bank_accounts()}
    for select_field in (form.invoice_account, form.payout_account):
        select_field.choices = options(((a.id, f"{a.name} ({a.iban}, {a.currency})")
                                        for a in form.accounts.values()), blank=_("— as typed below —"))
    form.DEFAULT_LOCALE.choices = options(settings().organisation.locales.items())
    form.FISCAL_YEAR_START_MONTH.choices = months(current_locale())
    if fill:
        current = stored_settings.overlay(current_app.config, stored_of(current_app))
        for field in FIELDS:
            getattr(form, form_name(field.key)).data = shown(field, value_in(current, field.key))
    return form


def _notice_status(values) -> dict | None:
    """What German receipts print today (the board register's notice wins over the one set
    here) and until when, or why they are refused; None when receipts are not German."""
    if values.receipts.style != "de":
        return None
    today = clock.today()
    notice = exemption_notice(db.session, values, today)
    status = {"notice": notice, "register": notice is not None and notice is not values.receipts.notice}
    try:
        check_notice(notice, today)
    except ReceiptRefused as refused:
        return {**status, "refused": refused.message}
    return {**status, "until": last_day(notice)}


def _settings_page(form: SettingsForm, logo_form: LogoForm, status: int):
    values = settings()
    history = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.change")
                                 .order_by(AuditEvent.id.desc()).limit(20)).all()
    return render_template("setup/settings.html", form=form, fields=FIELDS, sections=SECTIONS,
                           form_name=form_name, settings=values, problems=setup_problems(values),
                           history=history, logo_form=logo_form, notice=_notice_status(values),
                           logo=logo.data_url(values.paths.uploads, values.invoicing.seller.logo)
                           ), status


@bp.route("/setup", methods=["GET", "POST"])
@public
def wizard():
    if _set_up():
        abort(404)
    form = SetupForm()
    if request.method == "GET" and current_app.config["ENV"] != "production":
        # In production the administrator types the public address: a Host header is never
        # taken for it (core/urls.py), not even as a suggestion.
        form.base_url.data = settings().base_url
    outcome = run_form(form, _on_its_field(form, lambda: services.first_run(
        db.session, settings(), current_app.config, email=form.email.data, name=form.name.data,
        password=form.password.data, details=form.details(),
        instance_path=current_app.instance_path)))
    if outcome.done:
        forget_stored_settings()
        current_app.extensions[_SET_UP] = True
        log_in(outcome.result)
        flash(_("The association is set up. Check the remaining settings below; Stripe and the "
              "mail server are configured on the server."), "success")
        return redirect(url_for(".settings_page"))
    return render_template("setup/wizard.html", form=form), outcome.status


wizard.access_note = "only while nobody has an account (the first run)"
