"""Logging in and out in the browser: a server-side session (``sessions``) behind the cookie.

The one way the login pages (password, second factor) end a login, so that a further step can be
put before it without touching the rest."""
from __future__ import annotations

from flask import request, session
from flask_login import current_user, login_user, logout_user

from ..core.db import transaction
from ..extensions import db, settings
from . import sessions
from .models import User


def client_address() -> str:
    """The client's address (the proxy's ``X-Forwarded-For`` with ``TRUSTED_PROXIES``)."""
    return request.remote_addr or "unknown"


def fresh_session() -> None:
    """Nothing of the session carried across a login but the language chosen with the switch."""
    language = session.get("locale")
    session.clear()
    if language:
        session["locale"] = language


def log_in(user: User) -> None:
    """Start a login session for ``user`` and give this browser its cookie (nothing of the
    session before the login is kept but the language chosen with the switch)."""
    fresh_session()
    with transaction():
        secret = sessions.start(db.session, user, address=client_address(),
                                security=settings().security,
                                user_agent=request.headers.get("User-Agent", ""))
    user.login_secret = secret
    login_user(user)


def log_out() -> None:
    """End every login session of the user, on the server too: a copy of any of their cookies
    is void (logging out on one computer logs out the stolen or forgotten ones as well)."""
    if current_user.is_authenticated:
        with transaction():
            sessions.end_all(db.session, current_user)
    logout_user()
    session.clear()
