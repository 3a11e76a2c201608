from __future__ import annotations

from typing import TYPE_CHECKING

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core.forms import DateField, IntegerField, StringField, optional_int
from .parsers.csv import DATE_FORMATS, ENCODINGS

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from ..ledger.chart import Account, Fund


def _choices(items: Iterable[Any], blank: str):
    return [("", blank)] + [(item.id, item.label) for item in items]


class BankAccountForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)],
                       description="How the treasurer calls it: “Sparkasse current account”.")
    iban = StringField("IBAN", validators=[DataRequired(), Length(max=42)])
    bic = StringField("BIC", validators=[Optional(), Length(max=11)])
    currency = SelectField("Currency")
    ledger_account = SelectField("Ledger account", coerce=optional_int,
                                 validators=[DataRequired()],
                                 description="The asset account the books keep this money on.")
    auto_accept = BooleanField(
        "Accept confident matches on import",
        description="A line whose reference and amount both match exactly one open item is "
                    "matched at once and listed for review.")
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save")


class UploadForm(FlaskForm):
    file = FileField("Statement file", validators=[FileRequired("Choose a file.")],
                     description="CAMT.053 (XML), MT940 (.sta, .940) or CSV from online banking.")
    remap = BooleanField("Set up the CSV columns again")
    submit = SubmitField("Import")


class CsvMappingForm(FlaskForm):
    pending = HiddenField()
    # Static choices as dicts (value: label): WTForms 3.3 deprecates tuples.
    delimiter = SelectField("Delimiter", choices={";": "Semicolon ;", ",": "Comma ,", "\t": "Tab",
                                                  "|": "Bar |"})
    encoding = SelectField("Encoding", choices=dict(ENCODINGS))
    skip_rows = IntegerField("Lines before the header", default=0,
                             validators=[Optional(), NumberRange(min=0, max=50)])
    date = SelectField("Booking date", validators=[DataRequired()])
    date_format = SelectField("Date format", choices=dict(DATE_FORMATS))
    value_date = SelectField("Value date")
    amount = SelectField("Amount (signed)")
    debit = SelectField("…or debit column")
    credit = SelectField("…and credit column")
    decimal_comma = BooleanField("Amounts use a decimal comma (1.234,56)", default=True)
    counterparty = SelectField("Counterparty name")
    iban = SelectField("Counterparty IBAN")
    text = SelectField("Purpose / remittance text")
    reference = SelectField("Reference")
    reread = SubmitField("Read the columns again")
    submit = SubmitField("Save mapping and import")

    COLUMN_FIELDS = ("date", "value_date", "amount", "debit", "credit", "counterparty", "iban",
                     "text", "reference")

    def set_columns(self, columns: list[str]) -> None:
        for name in self.COLUMN_FIELDS:
            blank = "Choose a column" if name == "date" else "—"
            getattr(self, name).choices = [("", blank)] + [(c, c) for c in columns]


class BookLineForm(FlaskForm):
    account = SelectField("Account", coerce=optional_int, validators=[DataRequired()])
    fund = SelectField("Fund", coerce=optional_int, validators=[DataRequired()])
    description = StringField("Description", validators=[DataRequired(), Length(max=200)])
    make_rule = BooleanField("Do this automatically for this counterparty from now on")
    submit = SubmitField("Book")

    def set_choices(self, accounts: Iterable[Account], funds: Iterable[Fund]) -> None:
        self.account.choices = _choices(accounts, "Choose an account")
        self.fund.choices = _choices(funds, "Choose a fund")


class RuleForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)],
                       description="“Sparkasse account fees”")
    counterparty_contains = StringField("Counterparty contains", validators=[Length(max=200)])
    text_contains = StringField("Text contains", validators=[Length(max=200)])
    direction = SelectField("Money", choices={"any": "in or out", "in": "in", "out": "out"})
    account = SelectField("Book to account", coerce=optional_int, validators=[DataRequired()])
    fund = SelectField("Fund", coerce=optional_int, validators=[DataRequired()])
    bank_account = SelectField("Bank account", coerce=optional_int, validators=[Optional()])
    submit = SubmitField("Save rule")


class AsOfForm(FlaskForm):
    class Meta:
        csrf = False

    as_of = DateField("As of", validators=[Optional()])
