from __future__ import annotations

from typing import TYPE_CHECKING

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core.forms import DateField, IntegerField, SelectField, StringField, optional_int, options
from ..core.i18n import _l
from .parsers.csv import DATE_FORMATS, ENCODINGS

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from ..ledger.chart import Account, Fund


def _choices(items: Iterable[Any], blank: str):
    return [("", blank)] + [(item.id, item.label) for item in items]


class BankAccountForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("How the treasurer calls it: “Sparkasse current account”."))
    iban = StringField("IBAN", validators=[DataRequired(), Length(max=42)])
    bic = StringField("BIC", validators=[Optional(), Length(max=11)])
    currency = SelectField(_l("Currency"))
    ledger_account = SelectField(_l("Ledger account"), coerce=optional_int,
                                 validators=[DataRequired()],
                                 description=_l("The asset account the books keep this money on."))
    auto_accept = BooleanField(
        _l("Accept confident matches on import"),
        description=_l("A line whose reference and amount both match exactly one open item is "
                       "matched at once and listed for review."))
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class UploadForm(FlaskForm):
    file = FileField(_l("Statement file"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("CAMT.053 (XML), MT940 (.sta, .940) or CSV from online banking."))
    remap = BooleanField(_l("Set up the CSV columns again"))
    submit = SubmitField(_l("Import"))


class CsvMappingForm(FlaskForm):
    pending = HiddenField()
    # Static choices as dicts (value: label), or SelectChoices where a label is translated:
    # WTForms 3.3 deprecates tuples.
    delimiter = SelectField(_l("Delimiter"), choices=options([
        (";", _l("Semicolon ;")), (",", _l("Comma ,")), ("\t", _l("Tab")), ("|", _l("Bar |"))]))
    encoding = SelectField(_l("Encoding"), choices=dict(ENCODINGS))
    skip_rows = IntegerField(_l("Lines before the header"), default=0,
                             validators=[Optional(), NumberRange(min=0, max=50)])
    date = SelectField(_l("Booking date"), validators=[DataRequired()])
    date_format = SelectField(_l("Date format"), choices=dict(DATE_FORMATS))
    value_date = SelectField(_l("Value date"))
    amount = SelectField(_l("Amount (signed)"))
    debit = SelectField(_l("…or debit column"))
    credit = SelectField(_l("…and credit column"))
    decimal_comma = BooleanField(_l("Amounts use a decimal comma (1.234,56)"), default=True)
    counterparty = SelectField(_l("Counterparty name"))
    iban = SelectField(_l("Counterparty IBAN"))
    text = SelectField(_l("Purpose / remittance text"))
    reference = SelectField(_l("Reference"))
    reread = SubmitField(_l("Read the columns again"))
    submit = SubmitField(_l("Save mapping and import"))

    COLUMN_FIELDS = ("date", "value_date", "amount", "debit", "credit", "counterparty", "iban",
                     "text", "reference")

    def set_columns(self, columns: list[str]) -> None:
        for name in self.COLUMN_FIELDS:
            blank = _l("Choose a column") if name == "date" else "—"
            getattr(self, name).choices = [("", blank)] + [(c, c) for c in columns]


class BookLineForm(FlaskForm):
    account = SelectField(_l("Account"), coerce=optional_int, validators=[DataRequired()])
    fund = SelectField(_l("Fund"), coerce=optional_int, validators=[DataRequired()])
    description = StringField(_l("Description"), validators=[DataRequired(), Length(max=200)])
    make_rule = BooleanField(_l("Do this automatically for this counterparty from now on"))
    submit = SubmitField(_l("Book"))

    def set_choices(self, accounts: Iterable[Account], funds: Iterable[Fund]) -> None:
        self.account.choices = _choices(accounts, _l("Choose an account"))
        self.fund.choices = _choices(funds, _l("Choose a fund"))


class RuleForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("“Sparkasse account fees”"))
    counterparty_contains = StringField(_l("Counterparty contains"), validators=[Length(max=200)])
    text_contains = StringField(_l("Text contains"), validators=[Length(max=200)])
    direction = SelectField(_l("Money"), choices=options([
        ("any", _l("in or out")), ("in", _l("in")), ("out", _l("out"))]))
    account = SelectField(_l("Book to account"), coerce=optional_int, validators=[DataRequired()])
    fund = SelectField(_l("Fund"), coerce=optional_int, validators=[DataRequired()])
    bank_account = SelectField(_l("Bank account"), coerce=optional_int, validators=[Optional()])
    submit = SubmitField(_l("Save rule"))


class AsOfForm(FlaskForm):
    class Meta:
        csrf = False

    as_of = DateField(_l("As of"), validators=[Optional()])
