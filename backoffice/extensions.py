"""Flask extensions, created once without an app (bound in ``create_app``), and the app's
settings as the edge reads them."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Config, Flask, current_app, g, has_app_context
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

if TYPE_CHECKING:
    from typing import Any

    from .core.settings import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
bootstrap = Bootstrap5()
babel = Babel()


# --- the app's settings, as the web and command-line edge reads them ---------------------------

class TrackedConfig(Config):
    """``app.config`` that counts its changes, so that settings built from it are built again
    after a change made once the app runs (tests and a shell do that; production does not)."""

    changes = 0

    def _changed(self) -> None:
        self.changes += 1

    def __setitem__(self, key: str, value: object):
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str):
        super().__delitem__(key)
        self._changed()

    def update(self, *args: Any, **kwargs: Any):
        super().update(*args, **kwargs)
        self._changed()

    def setdefault(self, key: str, default: object = None):
        self._changed()
        return super().setdefault(key, default)

    def pop(self, *args: Any):
        self._changed()
        return super().pop(*args)


_SETTINGS = "backoffice.settings"
#: The app's function from its config (and the stored settings) to its ``Settings``.
BUILD_SETTINGS = "backoffice.build_settings"
#: The app's function reading the settings stored in its database (``create_app`` sets it once
#: the database is bound; before, only the configuration counts).
LOAD_STORED = "backoffice.load_stored_settings"
_STORED = "backoffice.stored_settings"
_BUILT = "backoffice.settings_built"


def _current(app: Flask) -> bool:
    """Whether ``app`` (itself, not the ``current_app`` proxy) is the app of this context."""
    return has_app_context() and current_app._get_current_object() is app


def stored_settings(app: Flask) -> dict:
    """The settings stored in the app's database, read once per app context (a request, a
    command, a job), so every process sees a change from its next request on."""
    loader = app.extensions.get(LOAD_STORED)
    if loader is None:
        return {}
    if _current(app):
        if _STORED not in g:
            setattr(g, _STORED, loader(app))
        return getattr(g, _STORED)
    return loader(app)


def forget_stored_settings() -> None:
    """After a change to the stored settings: read them again on the next use."""
    if has_app_context():
        g.pop(_STORED, None)
        g.pop(_BUILT, None)


def settings_of(app: Flask) -> Settings:
    """The app's ``Settings``, built (and checked) from its config and the stored settings the
    first time, and again after either changed; once per app context (a page formats many
    amounts, each asking for the locale)."""
    changes = getattr(app.config, "changes", 0)
    if _current(app) and (built := g.get(_BUILT)) is not None and built[0] == changes:
        return built[1]
    stored = stored_settings(app)
    key = (getattr(app.config, "changes", 0), repr(sorted(stored.items())))
    built = app.extensions.get(_SETTINGS)
    if built is None or built[0] != key:
        built = (key, app.extensions[BUILD_SETTINGS](app, stored))
        app.extensions[_SETTINGS] = built
    if _current(app):
        setattr(g, _BUILT, (changes, built[1]))
    return built[1]


def settings() -> Settings:
    """The current app's ``Settings`` (views and commands pass them, or a part, to services)."""
    return settings_of(current_app._get_current_object())
