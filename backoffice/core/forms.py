"""Small helpers shared by the forms of every package."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField
from wtforms.fields.choices import SelectChoice

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


def options(pairs, blank: str | None = None) -> list[SelectChoice]:
    """Choices for a select field from (value, label) pairs, after an optional blank option."""
    result = [SelectChoice("", blank)] if blank is not None else []
    return result + [SelectChoice(str(value), label) for value, label in pairs]


def object_options(items, blank: str | None = None) -> list[SelectChoice]:
    """Choices from objects with ``id`` and ``label`` (accounts, funds, groups, ...)."""
    return options(((item.id, item.label) for item in items), blank)
