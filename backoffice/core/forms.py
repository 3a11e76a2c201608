"""Small helpers shared by the forms of every package."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField

from .errors import DomainError


def show_error(form, error: DomainError) -> None:
    """Put a refused operation's message next to its field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))


class ConfirmForm(FlaskForm):
    """A button that posts (with its CSRF token) and nothing else."""

    submit = SubmitField("Confirm")
