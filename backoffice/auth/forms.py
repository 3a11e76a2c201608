from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.forms import EmailField, StringField, options
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


class SecondFactorForm(FlaskForm):
    code = StringField("Code from your authenticator app, or a recovery code",
                       validators=[DataRequired(), Length(max=32)])
    remember = BooleanField("Remember this browser")
    submit = SubmitField("Continue")


class EnrolForm(FlaskForm):
    code = StringField("The six digits your app shows now", validators=[DataRequired(), Length(max=16)])
    submit = SubmitField("Turn on two-factor authentication")


class TwoFactorPasswordForm(FlaskForm):
    """Turning the second factor off or making new recovery codes needs the password."""

    password = PasswordField("Your password", validators=[DataRequired(), Length(max=1024)])
    disable = SubmitField("Turn off")
    regenerate = SubmitField("Make new recovery codes")
