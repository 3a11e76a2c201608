from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from ..core.db import transaction
from ..core.errors import NotFound
from ..core.forms import ConfirmForm, LanguageForm, options
from ..core.i18n import _, ngettext
from ..core.permissions import Permission, login_required, own_account, public, requires
from ..core.views import get_or_404, run_form
from ..extensions import db, settings
from . import services, sessions, twofactor_views
from .forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    UserForm,
)
from .models import User
from .web_session import client_address, fresh_session, log_in, log_out

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths ("/ledger/journal"), never another host. Browsers read a backslash
    as a slash ("/\\evil.example" is "//evil.example") and drop tabs and line breaks, so a path
    with any of them or a control character is refused too."""
    if not target or "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            with transaction():
                user = services.authenticate(db.session, form.email.data, form.password.data,
                                             address=client_address(), settings=settings())
        except services.LoginRefused as error:
            form.form_errors.append(str(error))
        else:
            if user is None:
                form.form_errors.append(_("Email or password is wrong."))
            else:
                target = _safe_next(request.args.get("next"))
                fresh_session()  # no session state carried across the login but the language
                if twofactor_views.needs_second_step(user):
                    return twofactor_views.start_second_step(user, target)
                log_in(user)
                return redirect(target or url_for("core.dashboard"))
    return render_template("auth/login.html", form=form, public_pages=_donation_pages())


def _donation_pages() -> list[tuple[str, str]]:
    """The donation pages without arguments (``/donate…``), for the login page's public links."""
    return sorted({(rule.endpoint, "Donate") for rule in current_app.url_map.iter_rules()
                   if rule.rule.startswith("/donate") and not rule.arguments
                   and "GET" in (rule.methods or ())})[:1]


@bp.route("/logout", methods=["POST"])
@own_account
def logout():
    log_out()
    flash(_("You are logged out, on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    outcome = run_form(form, lambda: services.request_password_reset(
        db.session, form.email.data, address=client_address(), settings=settings()))
    if outcome.refusal:
        return render_template("auth/forgot.html", form=form), 429
    if outcome.done:
        flash(_("If an account exists for that address, we have sent it a link to choose a new "
              "password. It works once and expires soon."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), outcome.status


@bp.route("/password/<any(reset, invite):purpose>/<token>", methods=["GET", "POST"])
@public
def set_password(purpose: str, token: str):
    try:
        user = services.find_valid_token(db.session, token, purpose).user
    except NotFound as error:
        return render_template("auth/link_invalid.html", message=str(error)), 404
    form = NewPasswordForm()
    outcome = run_form(form, lambda: services.redeem_token(db.session, token, purpose,
                                                           form.password.data,
                                                           settings=settings()))
    if outcome.done:
        log_out()
        flash(_("Your password is saved. Log in with it now."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user,
                           purpose=purpose), outcome.status


# --- the language switch (every page) -----------------------------------------------------

@bp.route("/language", methods=["POST"])
@public
def switch_language():
    """The language chosen with the switch: kept in the session, and the user's own setting
    when logged in; back to the page it was chosen on."""
    form = LanguageForm()
    if not form.validate_on_submit() or form.locale.data not in settings().organisation.locales:
        abort(400)
    session["locale"] = form.locale.data
    if current_user.is_authenticated:
        with transaction():
            services.update_profile(db.session, current_user, name=current_user.name or "",
                                    locale=form.locale.data, settings=settings())
    return redirect(_safe_next(form.next.data) or url_for("core.dashboard"), 303)


# --- one's own account ---------------------------------------------------------------------

@bp.route("/account", methods=["GET", "POST"])
@own_account
def account():
    profile = ProfileForm(obj=current_user, prefix="profile")
    profile.locale.choices = options(current_app.config["LOCALES"].items())
    if request.method == "GET":
        profile.locale.data = current_user.locale or settings().organisation.default_locale
    password = ChangePasswordForm(prefix="password")
    status = 200
    if profile.submit.data:
        outcome = run_form(profile, lambda: services.update_profile(
            db.session, current_user, name=profile.name.data, locale=profile.locale.data,
            settings=settings()))
        if outcome.done:
            flash(_("Your settings are saved."), "success")
            return redirect(url_for("auth.account"))
        status = outcome.status
    if password.change.data:
        outcome = run_form(password, lambda: services.change_password(
            db.session, current_user, current=password.current.data,
            new=password.password.data, settings=settings()))
        if outcome.done:
            log_in(current_user._get_current_object())  # every session ended: start a new one
            flash(_("Your password is changed; your other sessions are logged out."), "success")
            return redirect(url_for("auth.account"))
        status = outcome.status
    return render_template("auth/account.html", profile=profile, password=password), status


@bp.route("/account/sessions")
@login_required
def user_sessions():
    records = sessions.of_user(db.session, current_user, settings().security)
    return render_template("auth/sessions.html", records=records,
                           current=current_user.login_session)


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@own_account
def end_session(session_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if session_id == current_user.login_session.id:
        log_out()
        flash(_("You are logged out."), "info")
        return redirect(url_for("auth.login"))
    with transaction():
        ended = sessions.end(db.session, current_user, session_id)
    if not ended:
        abort(404)  # not a session of this user (or already ended)
    flash(_("That session is ended: the browser using it must log in again."), "success")
    return redirect(url_for("auth.user_sessions"))


@bp.route("/account/sessions/end-others", methods=["POST"])
@own_account
def end_other_sessions():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with transaction():
        count = sessions.end_all(db.session, current_user, keep=current_user.login_session)
    flash(ngettext("%(num)s other session ended.", "%(num)s other sessions ended.", count),
          "success")
    return redirect(url_for("auth.user_sessions"))


# --- user administration ---------------------------------------------------------------------

@bp.route("/users")
@requires(Permission.USERS_MANAGE)
def users():
    people = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("auth/users.html", users=people)


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Permission.USERS_MANAGE)
def new_user():
    form = UserForm()

    def create_and_invite() -> User:
        user = services.create_user(db.session, form.email.data, name=form.name.data,
                                    roles=form.roles.data, actor=current_user,
                                    settings=settings())
        services.send_invitation(db.session, user, invited_by=current_user,
                                 address=client_address(), settings=settings())
        return user

    outcome = run_form(form, create_and_invite)
    if outcome.done:
        flash(_("%(email)s was created and invited by email to choose a password.", email=outcome.result.email),
              "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None), outcome.status


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires(Permission.USERS_MANAGE)
def edit_user(user_id: int):
    user = get_or_404(User, user_id)
    form = UserForm(obj=user)
    del form.email
    if request.method == "GET":
        form.roles.data = sorted(role.value for role in user.roles)
    outcome = run_form(form, lambda: services.update_user(db.session, user, actor=current_user,
                                                          name=form.name.data,
                                                          roles=form.roles.data,
                                                          active=form.active.data))
    if outcome.done:
        flash(_("%(email)s was saved.", email=user.email), "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user), outcome.status
