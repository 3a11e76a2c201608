"""Accounts, login and password reset; no HTTP in here."""
from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import DomainError, NotFound, ValidationError
from ..core.i18n import _, ngettext
from ..core.permissions import Role
from ..core.public_forms import check_rate
from ..core.settings import Security, Settings
from ..core.urls import absolute_url
from . import notify, sessions, throttle, twofactor
from .models import LoginAttempt, User, UserRole, UserToken, new_session_token

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .models import UserSession


@lru_cache(maxsize=4)
def _hasher_for(parameters: tuple) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(**dict(parameters))
    return hasher, hasher.hash("timing equaliser for unknown emails")


def _hasher(security: Security) -> PasswordHasher:
    """Argon2id; the library's recommended cost unless ``ARGON2_PARAMETERS`` says otherwise."""
    return _hasher_for(tuple(sorted(security.argon2_parameters.items())))[0]


def _dummy_hash(security: Security) -> str:
    return _hasher_for(tuple(sorted(security.argon2_parameters.items())))[1]


class LoginRefused(DomainError):
    """Too many recent failures: the attempt is not even checked; ``wait`` says how long to."""

    def __init__(self, wait: timedelta):
        super().__init__(_("Too many failed attempts. Try again in %(wait)s, or reset your "
                           "password.", wait=_wait_in_words(wait)))
        self.wait = wait


# --- passwords -------------------------------------------------------------------------------

def hash_password(password: str, security: Security) -> str:
    return _hasher(security).hash(password)


def check_password_policy(password: str, security: Security) -> None:
    minimum = security.password_min_length
    if len(password) < minimum:
        raise ValidationError(_("Use at least %(minimum)s characters.", minimum=minimum), field="password")
    if len(password) > 1024:
        raise ValidationError(_("That password is too long."), field="password")


def _verify(user: User | None, password: str, security: Security) -> bool:
    """Check the password; unknown users cost the same time as known ones."""
    stored = user.password_hash if user is not None else None
    try:
        _hasher(security).verify(stored or _dummy_hash(security), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


# --- users -----------------------------------------------------------------------------------

def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValidationError(f"{email!r} is not a valid email address: {error}", field="email") from None


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(session: Session, email: str, *, roles: Iterable[Role | str], settings: Settings, name: str = "",
                password: str | None = None, actor: Actor | None = None) -> User:
    email = normalise_email(email)
    roles = sorted({Role(r) for r in roles})
    if not roles:
        raise ValidationError(_("Give the user at least one role."), field="roles")
    if find_user(session, email) is not None:
        raise ValidationError(_("A user with the email %(email)s already exists.", email=email), field="email")
    user = User(email=email, name=name.strip())
    if password is not None:
        check_password_policy(password, settings.security)
        user.password_hash = hash_password(password, settings.security)
    user.role_rows = [UserRole(role=role.value) for role in roles]
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.created", "user", user.id, summary=email,
                 after={"email": email, "name": user.name, "roles": [r.value for r in roles]})
    return user


def update_user(session: Session, user: User, *, actor: Actor, name: str, roles: Iterable[Role | str], active: bool) -> User:
    roles = sorted({Role(r) for r in roles})
    if not roles:
        raise ValidationError(_("Give the user at least one role."), field="roles")
    if user.id == getattr(actor, "id", None) and (Role.ADMIN not in roles or not active):
        raise ValidationError(_("You cannot remove your own admin role or deactivate yourself."))
    before = {"name": user.name, "roles": sorted(r.value for r in user.roles), "active": user.active}
    after = {"name": name.strip(), "roles": [r.value for r in roles], "active": active}
    if before == after:
        return user
    user.name = after["name"]
    user.active = active
    if before["roles"] != after["roles"] or before["active"] != active:
        # What the user may do changed: every session ends (an admin changing their own roles
        # keeps the session they do it in).
        keep = getattr(actor, "login_session", None) if user.id == getattr(actor, "id", None) \
            else None
        end_sessions(session, user, keep=keep)
    if before["roles"] != after["roles"]:
        user.role_rows = [UserRole(role=role.value) for role in roles]
    session.flush()
    audit.record(session, actor, "user.updated", "user", user.id, summary=user.email,
                 before=before, after=after)
    return user


def set_password(session: Session, user: User, password: str, *, settings: Settings, actor: Actor | None = None) -> None:
    check_password_policy(password, settings.security)
    user.password_hash = hash_password(password, settings.security)
    end_sessions(session, user)  # a copy of any login cookie stops working
    audit.record(session, actor, "user.password_set", "user", user.id, summary=user.email)


# --- login -----------------------------------------------------------------------------------

def _wait_in_words(wait: timedelta) -> str:
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return ngettext("%(num)s second", "%(num)s seconds", seconds)
    minutes = -(-seconds // 60)
    return ngettext("%(num)s minute", "%(num)s minutes", minutes)


def _reserve_attempt(email: str, address: str, now: datetime, security: Security) -> None:
    """Count the attempt before anything is checked, or refuse it (``LoginRefused``)."""
    wait = throttle.reserve(email, address, now, security)
    if wait is not None:
        raise LoginRefused(wait)


def authenticate(session: Session, email: str, password: str, *, address: str, settings: Settings,
                 now: datetime | None = None) -> User | None:
    """The user with these credentials, or None. Records the attempt (commit it either way).

    Raises ``LoginRefused`` without checking anything while the email or the address must wait
    (``throttle``: the attempt is counted, atomically, before the password is checked). Call it
    before the unit of work around it writes anything.
    """
    now = now or utcnow()
    email, address = email.strip().lower()[:254], address[:64]
    security = settings.security
    _reserve_attempt(email, address, now, security)
    user = find_user(session, email)
    ok = _verify(user, password, security) and user.active
    if ok:
        throttle.succeeded(session, email, address)
    session.add(LoginAttempt(at=now, email=email, address=address, succeeded=ok))
    if not ok:
        return None
    if _hasher(security).check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password, security)
    user.last_login_at = now
    return user


# --- single-use tokens -----------------------------------------------------------------------

def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, user: User, purpose: str, lifetime: timedelta) -> str:
    """Create a token and return its secret (only its hash is stored)."""
    secret = secrets.token_urlsafe(32)
    session.add(UserToken(user_id=user.id, purpose=purpose, token_hash=_digest(secret),
                          expires_at=utcnow() + lifetime))
    session.flush()
    return secret


def find_valid_token(session: Session, secret: str, purpose: str) -> UserToken:
    token = session.scalar(select(UserToken).where(UserToken.token_hash == _digest(secret or "")))
    if (token is None or token.purpose != purpose or token.used_at is not None
            or token.expires_at <= utcnow() or not token.user.active):
        raise NotFound(_("This link is invalid, has expired or was already used. Ask for a new one."))
    return token


def set_password_link(settings: Settings, purpose: str, secret: str) -> str:
    """The emailed link of a reset or invitation token: under ``BASE_URL``, never the request's
    host (a forged Host header would otherwise send the secret to another server)."""
    return absolute_url(settings, "auth.set_password", purpose=purpose, token=secret)


def _limit_requests(session: Session, kind: str, *, address: str, recipient: str, per_address: int,
                    per_recipient: int) -> None:
    """Count a reset or invitation mail, refusing it (``RateLimited``) when the sender's address
    or the recipient had too many in the last hour (``per_address`` and ``per_recipient``).
    Without an address (command line, demo) only the recipient counts."""
    hour = timedelta(hours=1)
    limits = [("email", hour, per_recipient)]
    if address:
        limits.append(("address", hour, per_address))
    check_rate(session, kind, address=address, email=recipient, limits=limits)


def request_password_reset(session: Session, email: str, *, address: str, settings: Settings) -> None:
    """Email a reset link if the address belongs to an active user; silent otherwise.

    Counted per requesting address and per recipient whether or not the account exists (so the
    limit reveals nothing); ``RateLimited`` when either had too many in the last hour.
    """
    email = email.strip().lower()[:254]
    _limit_requests(session, "password_reset", address=address, recipient=email,
                    per_address=settings.security.password_resets_per_address_per_hour,
                    per_recipient=settings.security.password_resets_per_email_per_hour)
    user = find_user(session, email)
    if user is None or not user.active:
        return
    hours = settings.security.password_reset_hours
    secret = issue_token(session, user, "reset", timedelta(hours=hours))
    audit.record(session, None, "user.password_reset_requested", "user", user.id, summary=user.email)
    notify.password_reset(session, user, hours=hours,
                          link=set_password_link(settings, "reset", secret),
                          locale=settings.organisation.default_locale)


def redeem_token(session: Session, secret: str, purpose: str, new_password: str, *,
                 settings: Settings) -> User:
    """Set the password through a reset or invitation link; the link is used up."""
    token = find_valid_token(session, secret, purpose)
    user = token.user
    set_password(session, user, new_password, settings=settings, actor=user)
    now = utcnow()
    for other in session.scalars(select(UserToken).where(UserToken.user_id == user.id,
                                                         UserToken.used_at.is_(None))):
        other.used_at = now
    return user


def send_invitation(session: Session, user: User, *, settings: Settings, invited_by: Actor | None = None,
                    address: str = "", days: int = 7) -> None:
    """Email a single-use link with which a new user chooses their password. Limited per
    recipient (and per requesting address when given): ``RateLimited``."""
    _limit_requests(session, "invitation", address=address, recipient=user.email,
                    per_address=settings.security.invitations_per_address_per_hour,
                    per_recipient=settings.security.invitations_per_recipient_per_hour)
    secret = issue_token(session, user, "invite", timedelta(days=days))
    audit.record(session, invited_by, "user.invited", "user", user.id, summary=user.email)
    notify.invitation(session, user, organisation=settings.organisation.name, inviter=invited_by,
                      days=days, link=set_password_link(settings, "invite", secret),
                      locale=settings.organisation.default_locale)


def update_profile(session: Session, user: User, *, name: str, locale: str, settings: Settings) -> None:
    """The user's own name and display locale (for amounts and dates)."""
    if locale not in settings.organisation.locales:
        raise ValidationError(_("Choose one of the offered languages."), field="locale")
    before, after = audit.changes(user, ["name", "locale"], {"name": name.strip(), "locale": locale})
    if after:
        user.name, user.locale = name.strip(), locale
        audit.record(session, user, "user.profile_updated", "user", user.id, summary=user.email,
                     before=before, after=after)


def change_password(session: Session, user: User, *, current: str, new: str, settings: Settings) -> None:
    if not _verify(user, current, settings.security):
        raise ValidationError(_("That is not your current password."), field="current")
    set_password(session, user, new, settings=settings, actor=user)


# --- the second factor and sessions ------------------------------------------------------------

def password_matches(user: User, password: str, settings: Settings) -> bool:
    return _verify(user, password, settings.security)


def end_sessions(session: Session, user: User, *, keep: UserSession | None = None) -> None:
    """Log the user out everywhere (but in the session ``keep``): their login sessions end, a
    half-done login (waiting for the second factor) is void, remembered browsers are forgotten."""
    user.session_token = new_session_token()
    sessions.end_all(session, user, keep=keep)
    twofactor.forget_devices(session, user)


def check_second_factor(session: Session, user: User, code: str, *, address: str, settings: Settings,
                        now: datetime | None = None) -> str | None:
    """The login's second step, throttled like the password: "totp", "recovery" or None."""
    now, address = now or utcnow(), address[:64]
    _reserve_attempt(user.email, address, now, settings.security)
    kind = twofactor.verify(session, user, code, now=now)
    if kind is not None:
        throttle.succeeded(session, user.email, address)
    session.add(LoginAttempt(at=now, email=user.email, address=address,
                             succeeded=kind is not None))
    return kind
