"""Backoffice: the back office of an umbrella nonprofit association."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, has_app_context, has_request_context
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import (
    ConfigurationError,
    Defaults,
    check,
    engine_options,
    from_environment,
    normalise_database_url,
)
from .core import clock
from .core.routing import LazyRule
from .core.settings import SettingsError, build
from .core.stored_settings import load, overlay, read
from .core.templates import CompiledTemplates
from .extensions import (
    BUILD_SETTINGS,
    LOAD_STORED,
    TrackedConfig,
    bootstrap,
    csrf,
    db,
    login_manager,
    migrate,
    settings,
    settings_of,
)

ROOT = Path(__file__).resolve().parent.parent


class Backoffice(Flask):
    url_rule_class = LazyRule
    config_class = TrackedConfig  # settings are built again after a change (tests, a shell)
    jinja_options = {**Flask.jinja_options, "bytecode_cache": CompiledTemplates()}


def create_app(config: dict | None = None) -> Flask:
    """Build the application: defaults, then instance/config.py, the environment, ``config``;
    then the typed settings (``core.settings``), refusing to start on a value they cannot use."""
    app = Backoffice(
        __name__,
        instance_path=os.environ.get("BACKOFFICE_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(from_environment())
    app.config.update(config or {})
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path, 'backoffice.db')}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    check(app.config)
    app.extensions[BUILD_SETTINGS] = _build_settings
    clock.install(_association_zone)
    try:
        settings_of(app)
    except SettingsError as error:
        raise ConfigurationError(f"Refusing to start: {error}") from None
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    if app.config["TRUSTED_PROXIES"]:
        # Behind a TLS proxy every request comes from the proxy: take the client's address and
        # scheme from the X-Forwarded headers that this many proxies add (login throttling and
        # the public forms' limits count per address). Never X-Forwarded-Host: the host is
        # checked against TRUSTED_HOSTS, and links are built from BASE_URL alone.
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    _init_login(app)
    app.extensions[LOAD_STORED] = _load_stored

    from . import models  # noqa: F401  (every table, for migrations and relationships)
    from .core.logs import init_logging
    from .jobs import init_jobs
    from .web import init_web

    init_logging(app)  # first: the request id is set before the access check logs anything
    init_web(app)
    init_jobs(app)
    _register_cli(app)
    if app.config["ENV"] == "production":
        _refuse_demo_data(app)
    return app


def _association_zone() -> str:
    """The zone of ``core.clock``'s today: the current app's ``TIMEZONE`` (a stored setting, so
    read each time), the default outside an app."""
    return settings().organisation.timezone if has_app_context() else clock.DEFAULT_ZONE


def _build_settings(app: Flask, stored: dict):
    config = overlay(app.config, stored) if stored else app.config
    return build(config, instance_path=app.instance_path, url_map=app.url_map)


_STORED_TABLE = "backoffice.stored_settings_table"


def _load_stored(app: Flask) -> dict:
    """The stored settings. A request reads them in its own transaction (issue 17: a connection
    of their own cost every page a checkout, BEGIN and ROLLBACK), once their table was found on
    a connection of its own (before the first migration there is none, and a failed statement
    would spoil the request's transaction); jobs and commands on a connection of their own."""
    if app.extensions.get(_STORED_TABLE) and has_request_context():
        return read(db.session)
    stored = load(db.engine)
    if stored is None:
        return {}
    app.extensions[_STORED_TABLE] = True
    return stored


def _refuse_demo_data(app: Flask) -> None:
    """Production never runs on the demo association (its logins and password are public)."""
    from .demo.seed import has_demo_data

    with app.app_context():
        try:
            found = has_demo_data(db.session)
        finally:
            db.session.remove()
            db.engine.dispose()
    if found:
        raise ConfigurationError(
            "Refusing to start in production: the database holds the demo association (demo "
            "logins with a published password). Set DATABASE_URL to the production database.")


def _init_login(app: Flask) -> None:
    from .auth import sessions

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(secret: str):
        """The cookie names a login session; it must still exist (``auth.sessions``)."""
        record = sessions.find(db.session, secret, settings_of(app).security)
        if record is None:
            return None
        user = record.user
        user.login_session, user.login_secret = record, secret
        return user


def _register_cli(app: Flask) -> None:
    from .auth.cli import user_cli
    from .banking.cli import bank_cli
    from .core.cli import (
        backup_command,
        doctor,
        grant_app_role,
        privacy_cli,
        restore_command,
        serve,
        translations_cli,
    )
    from .demo.cli import demo_cli
    from .donations.cli import donations_cli
    from .funds.cli import funds_cli
    from .grants.cli import grants_cli
    from .invoicing.cli import invoices_cli
    from .jobs.cli import jobs_cli
    from .ledger.cli import ledger_cli
    from .payments.cli import payments_cli
    from .payouts.cli import payouts_cli
    from .permissions_table import permissions_cli

    for command in (user_cli, ledger_cli, bank_cli, funds_cli, payouts_cli, invoices_cli,
                    payments_cli, grants_cli, jobs_cli, donations_cli, demo_cli, doctor,
                    permissions_cli, backup_command, restore_command, serve, privacy_cli,
                    translations_cli):
        app.cli.add_command(command)
    from flask_migrate.cli import db as db_cli  # noqa: PLC0415 (Flask-Migrate's `db` group)
    db_cli.add_command(grant_app_role)
