"""Spam resistance for the forms anybody may send (join the association, apply for a grant),
without a third-party captcha: limits per address and per email address counted in the database
(so they hold across worker processes); the forms' honeypot field and signed start time are
``core.forms.SpamGuardMixin``."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Index, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from .db import BigIntKey, UTCDateTime, utcnow
from .errors import ValidationError


class FormAttempt(db.Model):
    """One use of a public form, counted for the per-address and per-email limits."""

    __tablename__ = "public_form_attempts"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))  # application | link | join
    address: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254), default="")

    __table_args__ = (
        Index("ix_public_form_attempts_address", "kind", "address", "at"),
        Index("ix_public_form_attempts_email", "kind", "email", "at"),
    )


class RateLimited(ValidationError):
    pass


def check_rate(session: Session, kind: str, *, address: str, email: str = "",
               limits: list[tuple[str, timedelta, int]]) -> None:
    """Count this use of the form ``kind``, or refuse it when one of ``limits`` — ("address" or
    "email", window, most uses in the window) — is already reached."""
    now = utcnow()
    values = {"address": address[:64], "email": email[:254]}
    for by, window, limit in limits:
        column = getattr(FormAttempt, by)
        count = session.scalar(select(func.count()).select_from(FormAttempt).where(
            FormAttempt.kind == kind, column == values[by], FormAttempt.at >= now - window))
        if count >= limit:
            raise RateLimited("We have received too many of these from you in a short time. "
                              "Please try again later, or write to us if you need help.")
    session.add(FormAttempt(kind=kind, at=now, **values))

