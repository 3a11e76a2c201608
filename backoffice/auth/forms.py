from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.forms import EmailField, SelectField, StringField, options
from ..core.i18n import _l
from ..core.permissions import Role


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField(_l("Log in"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", "The two passwords differ.")])
    submit = SubmitField(_l("Save password"))


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ROLE_CHOICES = options((role.value, role.value.capitalize()) for role in Role)


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    roles = CheckboxesField(_l("Roles"), choices=ROLE_CHOICES, validators=[DataRequired("Choose at least one role.")])
    active = BooleanField(_l("Active (may log in)"), default=True)
    submit = SubmitField(_l("Save"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    locale = SelectField(_l("Language (also of amounts and dates)"))
    submit = SubmitField(_l("Save"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", "The two passwords differ.")])
    change = SubmitField(_l("Change password"))


class SecondFactorForm(FlaskForm):
    code = StringField(_l("Code from your authenticator app, or a recovery code"),
                       validators=[DataRequired(), Length(max=32)])
    remember = BooleanField(_l("Remember this browser"))
    submit = SubmitField(_l("Continue"))


class EnrolForm(FlaskForm):
    code = StringField(_l("The six digits your app shows now"), validators=[DataRequired(), Length(max=16)])
    submit = SubmitField(_l("Turn on two-factor authentication"))


class TwoFactorPasswordForm(FlaskForm):
    """Turning the second factor off or making new recovery codes needs the password."""

    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=1024)])
    disable = SubmitField(_l("Turn off"))
    regenerate = SubmitField(_l("Make new recovery codes"))
