"""The second factor: an authenticator app (TOTP, RFC 6238, through pyotp), one-time recovery
codes, and browsers remembered for at most 30 days. No HTTP in here.

Rules:
- a code is accepted once: the step it belongs to is stored, and a code of that step or an
  earlier one is refused afterwards (no replay of a code seen over a shoulder);
- a code of the previous or next 30-second step is accepted too (clock drift);
- recovery codes are 10 random groups, stored as SHA-256, each usable once;
- when ``TWO_FACTOR_REQUIRED`` is on, admins, treasurers and board members must enrol before they
  can use anything else.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import pyotp
import segno
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import Conflict, ValidationError
from ..core.i18n import _
from ..core.permissions import Role
from ..core.settings import Security
from .models import RecoveryCode, TrustedDevice, TwoFactor, User

STEP_SECONDS = 30
RECOVERY_CODES = 10
REMEMBER_DAYS_MAX = 30
ROLES_REQUIRING = frozenset({Role.ADMIN, Role.TREASURER, Role.BOARD})


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def enrolment(session: Session, user: User) -> TwoFactor | None:
    return session.get(TwoFactor, user.id)


def is_enabled(session: Session, user: User) -> bool:
    record = enrolment(session, user)
    return record is not None and record.confirmed_at is not None


def is_required(user: User, security: Security) -> bool:
    return security.two_factor_required and bool(user.roles & ROLES_REQUIRING)


# --- enrolment -------------------------------------------------------------------------------

def start_enrolment(session: Session, user: User) -> TwoFactor:
    """The unconfirmed secret for the user's authenticator app: made on the first call, the same
    one until it is confirmed (reloading the set-up page keeps the scanned code valid)."""
    record = enrolment(session, user)
    if record is not None and record.confirmed_at is not None:
        raise Conflict(_("Two-factor authentication is already on for this account."))
    if record is None:
        record = TwoFactor(user_id=user.id, secret=pyotp.random_base32())
        session.add(record)
        session.flush()
    return record


def provisioning_uri(user: User, record: TwoFactor, issuer: str) -> str:
    return pyotp.TOTP(record.secret).provisioning_uri(
        name=user.email, issuer_name=issuer)


def qr_svg_data_uri(uri: str) -> str:
    """The otpauth:// URI as a QR code, drawn here (no third-party service sees the secret)."""
    return segno.make_qr(uri, error="m").svg_data_uri(scale=5, border=2)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = "".join(code.split())
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp, step = pyotp.TOTP(secret), int(now.timestamp()) // STEP_SECONDS
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.at(candidate * STEP_SECONDS), code):
            return candidate
    return None


def confirm_enrolment(session: Session, user: User, code: str, *, now: datetime | None = None) -> list[str]:
    """Turn two-factor on with a first code from the app; returns the recovery codes (shown once)."""
    record = enrolment(session, user)
    if record is None or record.confirmed_at is not None:
        raise Conflict(_("Start the set-up again: scan the new code with your app."))
    now = now or utcnow()
    step = _matching_step(record.secret, code, now)
    if step is None:
        raise ValidationError(_("That code does not match. Type the six digits your app shows now."),
                              field="code")
    record.confirmed_at, record.last_step = now, step
    codes = new_recovery_codes(session, user)
    audit.record(session, user, "user.two_factor_enabled", "user", user.id, summary=user.email)
    return codes


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the user's recovery codes by ten new ones (returned in clear, stored hashed)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(code)) for code in codes)
    session.flush()
    return codes


def remaining_recovery_codes(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


def disable(session: Session, user: User, *, actor: Actor) -> None:
    """Turn the second factor off: by the user themself, or by an admin for a lost device."""
    session.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    forget_devices(session, user)
    action = "user.two_factor_disabled" if getattr(actor, "id", None) == user.id \
        else "user.two_factor_reset"
    audit.record(session, actor, action, "user", user.id, summary=user.email)


# --- the second step of a login --------------------------------------------------------------

def verify(session: Session, user: User, code: str, *, now: datetime | None = None) -> str | None:
    """Check a code from the app or a recovery code; returns "totp", "recovery" or None.

    Each is accepted once, also when two requests bring it at the same moment: the step and the
    recovery code are claimed by a conditional UPDATE, which only one transaction can win.
    """
    record = enrolment(session, user)
    if record is None or record.confirmed_at is None:
        return None
    now = now or utcnow()
    step = _matching_step(record.secret, code, now)
    if step is not None:
        claimed = session.execute(update(TwoFactor).where(
            TwoFactor.user_id == user.id, TwoFactor.last_step < step).values(last_step=step))
        return "totp" if claimed.rowcount == 1 else None
    cleaned = code.strip().lower()
    used = session.execute(update(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _digest(cleaned),
        RecoveryCode.used_at.is_(None)).values(used_at=now))
    if used.rowcount == 1:
        audit.record(session, user, "user.recovery_code_used", "user", user.id, summary=user.email)
        return "recovery"
    return None


# --- remembered browsers ---------------------------------------------------------------------

def remember_days(security: Security) -> int:
    return max(0, min(security.two_factor_remember_days, REMEMBER_DAYS_MAX))


def remember_device(session: Session, user: User, security: Security, *,
                    now: datetime | None = None) -> tuple[str, datetime]:
    """A secret for the browser's cookie, valid for ``remember_days()``; returns it and its expiry."""
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    expires = now + timedelta(days=remember_days(security))
    session.add(TrustedDevice(user_id=user.id, token_hash=_digest(secret), created_at=now,
                              expires_at=expires))
    session.flush()
    return secret, expires


def is_remembered(session: Session, user: User, secret: str | None, *, now: datetime | None = None) -> bool:
    if not secret:
        return False
    device = session.scalar(select(TrustedDevice).where(
        TrustedDevice.token_hash == _digest(secret)))
    return device is not None and device.user_id == user.id and \
        device.expires_at > (now or utcnow())


def forget_devices(session: Session, user: User) -> None:
    session.execute(delete(TrustedDevice).where(TrustedDevice.user_id == user.id))
