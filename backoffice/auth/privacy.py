"""The account of a person, for ``core.privacy``: exported, anonymised on request (it stays as the
author of bookings, approvals and audit entries), and sign-in records removed after their time."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import ValidationError
from ..core.i18n import _
from ..core.privacy import ANONYMISED, Holding, Outcome, placeholder_email
from .models import (
    LoginAttempt,
    LoginCounter,
    RecoveryCode,
    TrustedDevice,
    TwoFactor,
    User,
    UserSession,
    UserToken,
    new_session_token,
)


def holdings(sender, *, session: Session, email: str, settings) -> list[Holding]:
    user = session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        return []
    sessions = session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    data = {"email": user.email, "name": user.name, "roles": sorted(r.value for r in user.roles),
            "active": user.active, "language": user.locale, "created_at": user.created_at,
            "last_login_at": user.last_login_at,
            "two_factor": session.get(TwoFactor, user.id) is not None,
            "sessions": [{"started": s.created_at, "last_seen": s.last_seen_at,
                          "browser": s.user_agent, "address": s.address} for s in sessions],
            "sign_in_attempts": [{"at": a.at, "address": a.address, "succeeded": a.succeeded}
                                 for a in session.scalars(select(LoginAttempt).where(
                                     LoginAttempt.email == user.email).order_by(LoginAttempt.at))]}

    def erase(session: Session, actor: Actor | None, today: date) -> Outcome:
        if getattr(actor, "id", None) == user.id:
            raise ValidationError(_("You cannot erase your own account while signed in with it."))
        old = user.email
        for table in (UserSession, UserToken, RecoveryCode, TrustedDevice):
            session.execute(delete(table).where(table.user_id == user.id))
        session.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id))
        session.execute(delete(LoginAttempt).where(LoginAttempt.email == old))
        session.execute(delete(LoginCounter).where(LoginCounter.key == f"email:{old}"))
        user.email, user.name = placeholder_email("user", user.id), f"Erased user {user.id}"
        user.password_hash, user.locale, user.active = None, None, False
        user.session_token = new_session_token()
        return Outcome(f"Account {user.id}", ANONYMISED,
                       "the account stays, deactivated and under a placeholder name, as the author "
                       "of bookings, approvals and audit entries the association must keep; its "
                       "e-mail address, name, sessions and sign-in records are erased")

    return [Holding("account", f"Account {user.id}", data, erase)]


def retention(sender, *, session: Session, today: date, settings) -> dict[str, int]:
    """Sign-in attempts and sessions idle for longer than the rule (IP addresses) go."""
    cutoff = utcnow() - timedelta(days=settings.retention.login_records_days)
    attempts = session.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff)).rowcount
    idle = session.execute(delete(UserSession).where(UserSession.last_seen_at < cutoff)).rowcount
    tokens = session.execute(delete(UserToken).where(UserToken.expires_at < cutoff)).rowcount
    return {"sign-in attempts": attempts, "idle sessions": idle, "expired links": tokens}
