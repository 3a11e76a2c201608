"""Everything the web layer adds to the app: blueprints, the access check, errors, headers."""
from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import date, datetime
from functools import cache
from urllib.parse import urlsplit

from babel.support import NullTranslations, Translations
from flask import Flask, Response, abort, current_app, flash, g, redirect, render_template, request
from flask_babel import Domain, get_locale
from flask_babel import format_datetime as babel_datetime
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, SecurityError
from wtforms.i18n import messages_path

from .core import catalogs, i18n
from .core.db import BUSY_MESSAGE, is_busy
from .core.errors import AlreadyDone, Busy, Conflict, DomainError, NotFound, PermissionDenied
from .core.formatting import day_writer, format_money, money_html
from .core.forms import current_locale
from .core.headers import SECURITY_HEADERS
from .core.i18n import _
from .core.iban import grouped as grouped_iban
from .core.markdown import to_html as markdown_html
from .core.permissions import Permission, policy_for
from .core.query import BadQuery, IdConverter
from .core.views import id_urls, refuse_unsaved_changes
from .extensions import babel, settings_of


def init_web(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter  # before any rule: ids beyond 64 bits are a 404
    _init_i18n(app)
    from .auth.twofactor_views import bp as two_factor_bp
    from .auth.twofactor_views import require_enrolment
    from .auth.views import bp as auth_bp
    from .banking.views import bp as banking_bp
    from .board.audit_views import bp as board_audit_bp
    from .board.document_views import bp as board_documents_bp
    from .board.views import bp as board_bp
    from .core.views import bp as core_bp
    from .donations.receipts.views import bp as receipts_bp
    from .donations.views import bp as donations_bp
    from .expenses.views import bp as expenses_bp
    from .funds.views import bp as funds_bp
    from .grants.views import bp as grants_bp
    from .groups.views import bp as groups_bp
    from .invoicing.views import bp as invoicing_bp
    from .jobs.views import bp as jobs_bp
    from .ledger.views import bp as ledger_bp
    from .payments.views import bp as payments_bp
    from .payouts.views import bp as payouts_bp
    from .reports.exports_views import bp as report_exports_bp
    from .reports.fund_views import bp as report_funds_bp
    from .reports.views import bp as reports_bp
    from .setup.views import bp as setup_bp
    from .setup.views import first_run_to_wizard

    for blueprint in (core_bp, auth_bp, two_factor_bp, ledger_bp, banking_bp, groups_bp, funds_bp,
                      expenses_bp, payouts_bp, invoicing_bp, payments_bp, grants_bp, jobs_bp,
                      reports_bp, report_exports_bp, report_funds_bp, board_bp, board_audit_bp,
                      board_documents_bp,
                      setup_bp, receipts_bp, donations_bp):
        app.register_blueprint(blueprint)

    app.before_request(first_run_to_wizard)
    app.before_request(enforce_access)
    app.before_request(require_enrolment)
    if app.config["CHECK_UNSAVED_CHANGES"]:
        app.after_request(refuse_unsaved_changes)

    every_answer = [(name.lower(), name, value) for name, value in SECURITY_HEADERS.items()]
    # No page is for a cache to keep: they show the books, or sit behind a secret link (pay
    # links, applicants' links). Static files set their own (revalidated) caching.
    no_store = ("cache-control", "Cache-Control", "no-store")

    @app.after_request
    def security_headers(response):
        """Each header of ``every_answer`` the view did not set (one look at the headers:
        werkzeug's setdefault looked three times for each)."""
        headers = response.headers
        present = {name.lower() for name in headers.keys()}
        wanted = [*every_answer, no_store]
        if app.config["ENV"] == "production" and app.config["HSTS"]:
            # Production runs behind a TLS proxy: browsers are told to use HTTPS only.
            wanted.insert(-1, ("strict-transport-security", "Strict-Transport-Security",
                               app.config["HSTS"]))
        for key, name, value in wanted:
            if key not in present:
                headers.add(name, value)
        return response

    @app.context_processor
    def template_helpers():
        # A page asks ``can`` a dozen times in its menu alone: the user's permissions are looked
        # up once per rendering (issue 17), not through the login proxy and the roles each time.
        user = current_user._get_current_object()
        granted = user.permissions if user.is_authenticated else frozenset()

        def can(permission):
            return Permission(permission) in granted

        @cache  # per page rendered: a list asks it once a row (issue 17)
        def may(endpoint, method="POST"):
            """Whether the user's ``method`` to ``endpoint`` passes the access check: a page
            shows a control that changes something only then (a read-only role sees none)."""
            policy = policy_for(endpoint, app.view_functions)
            if policy is None or not current_user.is_authenticated:
                return bool(policy and policy.public)
            return policy.public or policy.admits(current_user, method)

        def organises() -> bool:
            return bool(getattr(user, "organised_groups", ()))

        def fragment(name, caller):
            """``{% call fragment(name) %}...{% endcall %}``: the block rendered once per
            process for each set of permissions, page and language (``_kept``): only for
            what follows from these alone, as the menu and a package's links under it."""
            return _kept(app, (name, granted, organises()), caller)

        def main_menu():
            return fragment("main menu", lambda: _menu_macro(app)(
                can=can, organised=organises(), section=request.blueprint,
                endpoint=request.endpoint))

        return {"can": can, "may": may, "Permission": Permission, "locale": current_locale,
                "main_menu": main_menu, "fragment": fragment,
                "organisation": settings_of(app).organisation.name,
                "languages": settings_of(app).organisation.locales}

    app.add_template_filter(_money, "money")
    app.add_template_filter(_money_html, "money_html")
    app.add_template_filter(_date, "date")
    app.add_template_filter(grouped_iban, "iban")
    app.add_template_filter(markdown_html, "markdown")
    app.add_template_global(id_urls)

    def error_page(status: int, title: str, message: str):
        return render_template("errors/error.html", status=status, title=title,
                               message=message), status

    @app.errorhandler(400)
    def bad_request(error):
        if isinstance(error, BadQuery):
            return error_page(400, _("Bad address"), error.description)
        if error.description and error.description != BadRequest.description:
            # abort(400, message): the view said what is wrong; show it.
            return error_page(400, _("Bad request"), error.description)
        return error_page(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        """A Host outside TRUSTED_HOSTS: no page (it would link to that host), just the refusal."""
        return Response("This address is not served here.\n", 400, mimetype="text/plain")

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return error_page(400, _("Form expired"),
                          _("The form was sent without a valid security token (it may have "
                          "expired). Go back, reload the page and try again. Nothing was saved."))

    @app.errorhandler(403)
    def forbidden(error):
        return error_page(403, _("Not allowed"),
                          _("Your account does not have access to this page. If you think it "
                          "should, ask an administrator."))

    @app.errorhandler(404)
    def not_found(error):
        return error_page(404, _("Not found"), _("There is nothing at this address."))

    @app.errorhandler(405)
    def wrong_method(error):
        return error_page(405, _("Not allowed"), _("This address does not accept that kind of request."))

    @app.errorhandler(413)
    def too_large(error):
        return error_page(413, _("Too large"), _("The upload is larger than allowed."))

    @app.errorhandler(500)
    def server_error(error):
        return error_page(500, _("Something went wrong"),
                          _("The error has been logged. Nothing was saved; please try again."))

    @app.errorhandler(AlreadyDone)
    def already_done(error: AlreadyDone):
        """The same change asked for twice (a double click, two people at once): the page the
        request came from, which now shows the current state, with a calm note. Nothing was
        done the second time."""
        _rollback()
        flash(str(error), "info")
        target = _page_asked_from()
        if request.headers.get("HX-Request"):
            return "", 200, {"HX-Redirect": target}
        return redirect(target, 303)

    @app.errorhandler(Busy)
    def busy(error: Busy):
        return unavailable(str(error))

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error):
        """A lock or statement timeout outside a unit of work, or a database that does not
        answer: "busy, try again" (503); any other database error stays a 500 (a bug)."""
        if not is_busy(error):
            raise error
        app.logger.warning("database busy or not answering: %s", error)
        return unavailable(BUSY_MESSAGE)

    def unavailable(message: str):
        _rollback()
        # The page must not need the database: shown as to a visitor (no menu), whose loading
        # would ask the database again.
        g._login_user = app.login_manager.anonymous_user()
        return error_page(503, _("Busy, please try again"), message)[0], 503, {"Retry-After": "5"}

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        """Fallback for a refusal a view did not turn into a form error."""
        if isinstance(error, NotFound):
            return error_page(404, _("Not found"), str(error))
        if isinstance(error, PermissionDenied):
            return error_page(403, _("Not allowed"), str(error))
        if isinstance(error, Conflict):
            return error_page(409, _("Changed meanwhile"), str(error))
        return error_page(400, _("Not possible"), str(error))


_KEPT = "backoffice.kept_fragments"
#: Fragments kept per process: a few sets of permissions and languages times the pages.
_KEPT_AT_MOST = 4096


def _kept(app: Flask, key: tuple, render: Callable[[], str]) -> Markup:
    """What ``render()`` writes for ``key`` on this page (endpoint), in this language and under
    this script root, rendered once per process (issue 17): the main menu's dozen permission
    checks, url_for and translations cost a third of an empty page, a package's links under it
    a tenth more. ``key`` must name everything else the fragment shows (the user's permissions,
    whether they organise a group). A template reloaded in development is rendered afresh."""
    key = (*key, request.endpoint, current_locale(), request.script_root)
    kept = app.extensions.setdefault(_KEPT, {})
    html = kept.get(key)
    if html is None:
        html = Markup(render())
        if not app.jinja_env.auto_reload:
            if len(kept) >= _KEPT_AT_MOST:
                kept.clear()
            kept[key] = html
    return html


def _menu_macro(app: Flask):
    return app.jinja_env.get_template("macros/menu.html").module.main_menu


def _rollback() -> None:
    from .extensions import db  # noqa: PLC0415 (only when answering an error)

    with suppress(SQLAlchemyError):
        db.session.rollback()


def _page_asked_from() -> str:
    """The page the request came from, as a path on this site (never another host); else the
    action's parent address (``/expenses/payouts/5/executed`` comes from ``/expenses/payouts/5``)."""
    referrer = urlsplit(request.referrer or "")
    if referrer.path.startswith("/") and not referrer.path.startswith("//") \
            and referrer.path != request.path:
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return request.path.rstrip("/").rsplit("/", 1)[0] or "/"


def enforce_access():
    """``before_request`` hook: anonymous users go to the login page, wrong roles get 403."""
    if request.endpoint is None:  # no route matched: let Flask answer 404/405
        return None
    policy = policy_for(request.endpoint, current_app.view_functions)
    if policy is None:
        current_app.logger.error("no access policy declared for %s: denied", request.endpoint)
        abort(403)
    if policy.public:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not policy.admits(current_user, request.method):
        abort(403)
    return None


class _CatalogDomain(Domain):
    """Flask-Babel's translations, from every package's catalog (``core.catalogs``), once per
    request in the request's locale."""

    def get_translations(self):
        try:
            return g.translations
        except AttributeError:
            g.translations = translations = catalogs.translations(current_locale())
            return translations


_DOMAIN = _CatalogDomain()
_UNTRANSLATED = NullTranslations()


def _request_translations(outside: NullTranslations = _UNTRANSLATED) -> NullTranslations:
    """The request's translations (``_CatalogDomain``, kept in g); ``outside`` an app context.
    One look through the g proxy: Flask-Babel's wrappers took five for each text (issue 17)."""
    try:
        return g.translations
    except AttributeError:
        return _DOMAIN.get_translations()
    except RuntimeError:  # outside an app context
        return outside


@cache
def _wtforms_catalog(locale: str) -> NullTranslations:
    """WTForms' own messages in ``locale``, read from its catalog once a process: the files ship
    with WTForms and never change while it runs."""
    return Translations.load(messages_path(), [locale], domain="wtforms")


class _Request(Flask.request_class):
    """Flask's request, with WTForms' messages in the request's language found once a process
    (issue 17: Flask-WTF read WTForms' catalog from its file again for each request whose form
    asked for a message, even one a validator then drops: ~0.4 ms a request of the grant queue,
    whose status filter left empty builds "Not a valid choice" and ``Optional`` forgets it).
    Flask-WTF looks here first and reads the file only when this is None."""

    @property
    def wtforms_translations(self) -> NullTranslations:
        return _wtforms_catalog(str(get_locale()))


def _init_i18n(app: Flask) -> None:
    app.request_class = _Request
    babel.init_app(app, locale_selector=current_locale,
                   timezone_selector=lambda: settings_of(app).organisation.timezone)
    babel.domain_instance = _DOMAIN
    # The templates' _(), ngettext, pgettext: Flask-Babel's, without its wrappers.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n))
    app.jinja_env.policies["ext.i18n.trimmed"] = True  # as catalogs.extract reads the templates
    i18n.install(lambda: _request_translations(i18n.NULL),
                 locale=lambda: current_locale() if g else i18n.SOURCE_LOCALE)

    @app.before_request
    def forget_language():
        """A request decides its language afresh (tests keep one app context for many)."""
        for name in ("locale", "translations", "_flask_babel"):
            g.pop(name, None)


#: Dates and times as written in each language; times in the association's time zone (Babel
#: patterns). A day is written directly (Babel's ``format_date`` cost ~18 µs a cell: the journal
#: shows fifty); tests/test_i18n.py compares the two.
_MOMENTS = {"de": "dd.MM.yyyy HH:mm", "": "yyyy-MM-dd HH:mm"}


def _date(value: date | datetime | None) -> str:
    """The ``date`` filter: a date, or a moment in the association's time zone (stored in UTC)."""
    if value is None:
        return ""
    language = current_locale().split("_")[0]
    if isinstance(value, datetime):
        return babel_datetime(value, _MOMENTS.get(language, _MOMENTS[""]))
    return day_writer(language)(value)


def _money(amount: int | None, currency: str, locale: str | None = None) -> str:
    """The ``money`` filter: in the request's locale unless one is given."""
    return format_money(amount, currency, locale or current_locale())


def _money_html(amount: int | None, currency: str, *, blank_zero: bool = False) -> Markup:
    """The ``money_html`` filter, in the request's locale."""
    return money_html(amount, currency, current_locale(), blank_zero=blank_zero)
