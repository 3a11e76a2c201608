from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.forms import options
from ..core.permissions import Role


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField("Log in")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    submit = SubmitField("Send me a link")


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("password", "The two passwords differ.")])
    submit = SubmitField("Save password")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ROLE_CHOICES = options((role.value, role.value.capitalize()) for role in Role)


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[Length(max=200)])
    roles = CheckboxesField("Roles", choices=ROLE_CHOICES, validators=[DataRequired("Choose at least one role.")])
    active = BooleanField("Active (may log in)", default=True)
    submit = SubmitField("Save")


class ProfileForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=200)])
    locale = SelectField("Show amounts and dates for")
    submit = SubmitField("Save")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("password", "The two passwords differ.")])
    change = SubmitField("Change password")
