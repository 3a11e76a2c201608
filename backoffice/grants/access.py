"""The applicant's secret link, and absolute links for emails.

The link carries ``<id>-<HMAC(SECRET_KEY, id, nonce)>``: nothing secret is stored in the database,
the link can be written into every email again, and a new nonce revokes all earlier links.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..core.errors import NotFound
from ..core.i18n import _
from ..core.settings import Settings
from ..core.urls import absolute_url
from .models import Application


def new_nonce() -> str:
    return secrets.token_hex(16)


def _mac(secret_key: str, application_id: int, nonce: str) -> str:
    digest = hmac.new(secret_key.encode(), f"grant-application:{application_id}:{nonce}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def token_for(application: Application, secret_key: str) -> str:
    """The secret part of the applicant's link (``secret_key``: ``Settings.secret_key``)."""
    return f"{application.id}-{_mac(secret_key, application.id, application.access_nonce)}"


def application_by_token(session: Session, token: str, *, secret_key: str) -> Application:
    """The application the secret link opens; ``NotFound`` for anything else."""
    refused = NotFound(_("This link is not valid (any more). Ask for a new one on the grants page."))
    number, _dash, mac = (token or "").partition("-")
    if not number.isdigit() or len(number) > 18 or not mac:
        raise refused
    application = session.get(Application, int(number))
    if application is None or not hmac.compare_digest(
            mac, _mac(secret_key, application.id, application.access_nonce)):
        raise refused
    return application


def status_url(application: Application, settings: Settings) -> str:
    """The applicant's link to their application, for e-mails."""
    return absolute_url(settings, "grants.status_link",
                        token=token_for(application, settings.secret_key))


@dataclass(frozen=True)
class Applicant:
    """The applicant acting through the secret link, as an actor for the audit log."""

    email: str
    id: None = None

    @property
    def display_name(self) -> str:
        return self.email

    def can(self, permission) -> bool:
        """An applicant holds no permission: the link opens their own application only."""
        return False
