from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import BigIntKey, UTCDateTime, utcnow
from ..core.permissions import Permission, Role, permissions_of
from ..extensions import db


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None until invited user sets one
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    # Changed with the password and whenever the user is logged out everywhere: a login that is
    # half done (waiting for the second factor) names it and ends with it.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")
    organised_groups = relationship(
        "MemberGroup", secondary="group_organisers", back_populates="organisers", lazy="selectin")

    # --- roles and permissions ------------------------------------------------------------
    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(row.role) for row in self.role_rows)

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def permissions(self) -> frozenset[Permission]:
        """Everything the user's roles grant (nothing once the account is deactivated)."""
        return permissions_of(self.roles) if self.active else frozenset()

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def organised_group_ids(self) -> frozenset[int]:
        return frozenset(group.id for group in self.organised_groups)

    # --- Flask-Login ----------------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    #: The login session this request runs in (``sessions``) and its secret, which the login
    #: cookie carries; set by the user loader or at login.
    login_session = None
    login_secret = None

    def get_id(self) -> str | None:
        return self.login_secret

    @property
    def credentials_id(self) -> str:
        """Changes whenever the password changes or the user is logged out everywhere."""
        return f"{self.id}:{self.session_token}"

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class LoginAttempt(db.Model):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )


class LoginCounter(db.Model):
    """Recent failed (or not yet decided) login attempts of one client address or one account,
    for the progressive delays of ``throttle``."""

    __tablename__ = "login_counters"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)  # address:… | email:…
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(db.Model):
    """A login: the cookie carries a secret whose SHA-256 is stored here. Ending the session
    (logout, "end" on the sessions page, a password, role or active change) deletes the row, so a
    copy of the cookie stops working at once, in every process."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = relationship()


class UserToken(db.Model):
    """A single-use, expiring secret sent by email (password reset, invitation)."""

    __tablename__ = "user_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # reset | invite
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the secret
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class TwoFactor(db.Model):
    """A user's authenticator app (TOTP, RFC 6238). ``confirmed_at`` is set once the user has
    typed a first code; until then the secret only serves the enrolment page."""

    __tablename__ = "two_factor"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))  # base32
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The 30-second step of the last accepted code: a code is accepted once (no replay).
    last_step: Mapped[int] = mapped_column(default=0)


class RecoveryCode(db.Model):
    """A one-time code for a lost authenticator; only its SHA-256 is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TrustedDevice(db.Model):
    """"Remember this device": a browser that skips the second factor until ``expires_at``.

    The cookie holds a secret whose SHA-256 is stored here; ending the user's sessions (password
    change, deactivation, a reset of their second factor) deletes these rows."""

    __tablename__ = "trusted_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
