"""Pages of the second factor: the login's second step, the user's set-up, an admin's reset."""
from __future__ import annotations

from datetime import timedelta

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

from ..core.db import transaction, utcnow
from ..core.forms import ConfirmForm
from ..core.i18n import _
from ..core.permissions import Permission, own_account, public, requires
from ..core.views import get_or_404, run_form
from ..extensions import db, settings
from . import services, twofactor
from .forms import EnrolForm, SecondFactorForm, TwoFactorPasswordForm
from .models import User
from .web_session import client_address, log_in

bp = Blueprint("two_factor", __name__)

PENDING = "second_factor_pending"  # session key: the user who passed the password step
PENDING_MINUTES = 5
DEVICE_COOKIE = "backoffice_device"


def needs_second_step(user: User) -> bool:
    """After the password: does this login still need a code from this browser?"""
    return twofactor.is_enabled(db.session, user) and not twofactor.is_remembered(
        db.session, user, request.cookies.get(DEVICE_COOKIE))


def start_second_step(user: User, target: str | None):
    session[PENDING] = {"user": user.credentials_id, "next": target,
                        "until": (utcnow() + timedelta(minutes=PENDING_MINUTES)).timestamp()}
    return redirect(url_for("two_factor.login_step"))


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not pending or pending["until"] < utcnow().timestamp():
        return None
    user_id, _sep, token = pending["user"].partition(":")
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active and user.session_token == token else None


@bp.route("/login/second-factor", methods=["GET", "POST"])
@public
def login_step():
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Log in again: the first step has expired."), "warning")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    form.remember.label.text = f"Remember this browser for {twofactor.remember_days(settings().security)} days"
    if form.validate_on_submit():
        address = client_address()
        device = None
        try:
            with transaction():
                kind = services.check_second_factor(db.session, user, form.code.data,
                                                    address=address, settings=settings())
                security = settings().security
                if kind is not None and form.remember.data and twofactor.remember_days(security):
                    device = twofactor.remember_device(db.session, user, security)
        except services.LoginRefused as error:
            form.form_errors.append(str(error))
        else:
            if kind is None:
                form.code.errors = [*form.code.errors, "That code is not valid (each code works once)."]
            else:
                target = session[PENDING]["next"]
                log_in(user)
                if kind == "recovery":
                    flash(_("You used a recovery code; it will not work again. Make new ones "
                          "if few are left."), "warning")
                response = redirect(target or url_for("core.dashboard"))
                if device is not None:
                    secret, expires = device
                    response.set_cookie(DEVICE_COOKIE, secret, expires=expires, httponly=True,
                                        samesite="Lax", path="/login",
                                        secure=current_app.config["SESSION_COOKIE_SECURE"])
                return response
    return render_template("auth/second_factor.html", form=form), 400 if form.errors else 200


@bp.route("/account/two-factor", methods=["GET", "POST"])
@own_account
def setup():
    user = current_user._get_current_object()
    enabled = twofactor.is_enabled(db.session, user)
    enrol, manage = EnrolForm(prefix="enrol"), TwoFactorPasswordForm(prefix="manage")
    if not enabled and enrol.submit.data:
        outcome = run_form(enrol, lambda: twofactor.confirm_enrolment(db.session, user,
                                                                      enrol.code.data))
        if outcome.done:
            return render_template("auth/recovery_codes.html", codes=outcome.result, first=True)
    if enabled and manage.validate_on_submit():
        if not services.password_matches(user, manage.password.data, settings()):
            manage.password.errors = ["That is not your password."]
        elif manage.regenerate.data:
            with transaction():
                codes = twofactor.new_recovery_codes(db.session, user)
            return render_template("auth/recovery_codes.html", codes=codes, first=False)
        else:
            with transaction():
                twofactor.disable(db.session, user, actor=user)
            flash(_("Two-factor authentication is off."), "info")
            return redirect(url_for("two_factor.setup"))
    record, qr, uri = None, None, None
    if not enabled:
        with transaction():
            record = twofactor.start_enrolment(db.session, user)
        uri = twofactor.provisioning_uri(user, record, settings().organisation.name)
        qr = twofactor.qr_svg_data_uri(uri)
    status = 400 if (enrol.errors or manage.errors) else 200
    return render_template(
        "auth/two_factor.html", enabled=enabled, enrol=enrol, manage=manage, record=record,
        qr=qr, required=twofactor.is_required(user, settings().security),
        remaining=twofactor.remaining_recovery_codes(db.session, user) if enabled else None), status


@bp.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
@requires(Permission.USERS_MANAGE)
def reset(user_id: int):
    user = get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with transaction():
        twofactor.disable(db.session, user, actor=current_user)
        services.end_sessions(db.session, user)
    flash(_("Two-factor authentication of %(email)s is reset; they set it up again at their next login.", email=user.email), "success")
    return redirect(url_for("auth.edit_user", user_id=user.id))


#: What a user who must enrol may still open.
ENROLMENT_ENDPOINTS = frozenset({"two_factor.setup", "auth.logout", "static", "bootstrap.static"})


def require_enrolment():
    """``before_request``: admins, treasurers and board members enrol before anything else when
    ``TWO_FACTOR_REQUIRED`` is on."""
    if (request.endpoint is None or request.endpoint in ENROLMENT_ENDPOINTS
            or not current_user.is_authenticated):
        return None
    user = current_user._get_current_object()
    if twofactor.is_required(user, settings().security) and not twofactor.is_enabled(db.session, user):
        flash(_("Set up two-factor authentication to continue."), "warning")
        return redirect(url_for("two_factor.setup"))
    return None


@bp.app_context_processor
def two_factor_helpers():
    return {"two_factor_on": lambda user: twofactor.is_enabled(db.session, user)}
