"""Spam resistance for the forms anybody may send (join the association, apply for a grant),
without a third-party captcha: a honeypot field, a signed start time, and limits per address
and per email address counted in the database (so they hold across worker processes)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Index, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from wtforms import HiddenField
from wtforms.validators import Optional
from wtforms.validators import ValidationError as FieldError

from ..extensions import db
from .db import BigIntKey, UTCDateTime, utcnow
from .errors import ValidationError
from .forms import StringField

if TYPE_CHECKING:
    from wtforms import Field


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


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="public-form-started")


def new_started_token() -> str:
    return _serializer().dumps(int(time.time()))


class SpamGuardMixin:
    """A honeypot field people never see (rendered by the ``spam_guard`` macro of
    ``macros/ui.html``), and a signed start time: forms sent faster than a
    person can type (``PUBLIC_FORM_MIN_FILL_SECONDS``) are refused. Both errors belong at the
    top of the form (``guard_errors``); the view sets ``started`` with ``new_started_token()``
    when it shows the form."""

    homepage = StringField("Leave this field empty", validators=[Optional()])
    started = HiddenField()

    def validate_homepage(self, field: Field):
        if (field.data or "").strip():
            raise FieldError("The form could not be accepted. Please leave the field marked "
                             "“Leave this field empty” empty and send it again.")

    def validate_started(self, field: Field):
        try:
            started = int(_serializer().loads(field.data or ""))
        except (BadSignature, TypeError, ValueError):
            field.data = new_started_token()
            raise FieldError("The form was incomplete or expired. Please check it and send it "
                             "again.") from None
        if time.time() - started < current_app.config["PUBLIC_FORM_MIN_FILL_SECONDS"]:
            raise FieldError("That was very quick. Please check your entries and send the form "
                             "again.")

    def guard_errors(self) -> list[str]:
        return [*self.homepage.errors, *self.started.errors]
