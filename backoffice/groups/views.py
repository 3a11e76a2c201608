from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.models import User
from ..auth.web_session import client_address
from ..core import signals
from ..core.forms import ConfirmForm, decimal_of, new_started_token
from ..core.i18n import _
from ..core.permissions import Permission, group_scope, login_required, public, requires
from ..core.query import arg, others, page_arg, query_form
from ..core.views import get_or_404, run_form
from ..extensions import db, settings
from ..ledger.balances import fund_balance
from . import services
from .forms import (
    ApproveForm,
    DeclineForm,
    DirectoryFilterForm,
    GroupEditForm,
    JoinForm,
    OrganiserForm,
    PublicJoinForm,
    StatusForm,
)
from .models import GroupStatus

bp = Blueprint("groups", __name__)


def _group(group_id: int):
    """The group if the user may see it; 404 otherwise (also for another group's organiser)."""
    return services.get_group(db.session, group_id, group_scope(current_user))


# --- directory and the organiser's landing page ----------------------------------------------

@bp.route("/groups")
@login_required
def directory():
    form = query_form(DirectoryFilterForm)
    scope = group_scope(current_user)
    page = services.directory(
        db.session, scope, status=form.status.data or None,
        kind=form.kind.data or None, country=form.country.data or None, text=form.q.data or "",
        page=page_arg(), per_page=current_app.config["PAGE_SIZE"])
    query = others("page")
    return render_template("groups/directory.html", form=form, page=page, query=query,
                           countries=services.countries_in_use(db.session, scope))


@bp.route("/groups/mine")
@login_required
def portal():
    """Where an organiser lands: their group, or the list of their groups."""
    groups = current_user.organised_groups
    if len(groups) == 1:
        return redirect(url_for(".detail", group_id=groups[0].id))
    return redirect(url_for(".directory"))


@bp.route("/groups/<int:group_id>")
@login_required
def detail(group_id: int):
    group = _group(group_id)
    balance = fund_balance(db.session, group.fund_id, date.max) if group.fund_id else {}
    # The fund's fee and movements (funds), the group's claims (expenses).
    panels = signals.panels("groups.detail", session=db.session, user=current_user, group=group,
                            settings=settings())
    manage = current_user.can(Permission.GROUPS_MANAGE)
    return render_template(
        "groups/detail.html", group=group, balance=balance, panels=panels,
        status_form=StatusForm() if manage else None,
        organiser_form=OrganiserForm() if manage else None, confirm=ConfirmForm())


# --- applications ----------------------------------------------------------------------------

@bp.route("/join", methods=["GET", "POST"])
@public
def join():
    form = PublicJoinForm()
    if request.method == "GET":
        form.started.data = new_started_token()
    outcome = run_form(form, lambda: services.apply(
        db.session, contacts=form.contact_pairs(), address=request.remote_addr or "unknown",
        settings=settings(), **form.profile()))
    if outcome.done:
        return redirect(url_for(".join_thanks", name=outcome.result.name))
    return render_template("groups/join.html", form=form), outcome.status


@bp.route("/join/thanks")
@public
def join_thanks():
    return render_template("groups/join_thanks.html", name=arg("name", str, ""))


@bp.route("/groups/new", methods=["GET", "POST"])
@requires(Permission.GROUPS_MANAGE)
def new():
    form = JoinForm()
    form.needs.validators = []
    outcome = run_form(form, lambda: services.apply(
        db.session, contacts=form.contact_pairs(), actor=current_user, settings=settings(),
        **form.profile()))
    if outcome.done:
        group = outcome.result
        flash(_("%(name)s is registered as an applicant.", name=group.name), "success")
        return redirect(url_for(".detail", group_id=group.id))
    return render_template("groups/join.html", form=form, internal=True), outcome.status


@bp.route("/groups/<int:group_id>/review")
@requires(Permission.GROUPS_APPROVE)
def review(group_id: int):
    group = _group(group_id)
    if group.status is not GroupStatus.APPLICANT:
        return redirect(url_for(".detail", group_id=group.id))
    approve_form = ApproveForm(fee_percent=settings().expenses.group_admin_fee_percent)
    return render_template("groups/review.html", group=group, approve_form=approve_form,
                           decline_form=DeclineForm())


@bp.route("/groups/<int:group_id>/approve", methods=["POST"])
@requires(Permission.GROUPS_APPROVE)
def approve(group_id: int):
    group = _group(group_id)
    form = ApproveForm()
    outcome = run_form(form, lambda: services.approve(
        db.session, group, actor=current_user, settings=settings(), address=client_address(),
        fee_percent=decimal_of(form.fee_percent, "Give the fee as a number, e.g. 7 or 7.5."),
        agreement_version=form.agreement_version.data,
        agreement_signed_on=form.agreement_signed_on.data,
        agreement_signed_by=form.agreement_signed_by.data))
    if outcome.done:
        flash(_("%(name)s is active; its fund %(code)s is open and the organisers are invited.", name=group.name, code=group.fund.code), "success")
        return redirect(url_for(".detail", group_id=group.id))
    return render_template("groups/review.html", group=group, approve_form=form,
                           decline_form=DeclineForm()), 400


@bp.route("/groups/<int:group_id>/decline", methods=["POST"])
@requires(Permission.GROUPS_APPROVE)
def decline(group_id: int):
    group = _group(group_id)
    form = DeclineForm()
    if run_form(form, lambda: services.decline(db.session, group, actor=current_user,
                                               reason=form.reason.data,
                                               settings=settings())).done:
        flash(_("The application of %(name)s is declined.", name=group.name), "info")
        return redirect(url_for(".detail", group_id=group.id))
    approve_form = ApproveForm(fee_percent=settings().expenses.group_admin_fee_percent)
    return render_template("groups/review.html", group=group, approve_form=approve_form,
                           decline_form=form), 400


# --- editing, status, organisers -------------------------------------------------------------

@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@requires(Permission.GROUPS_MANAGE)
def edit(group_id: int):
    group = _group(group_id)
    form = GroupEditForm(obj=group)
    if request.method == "GET":
        form.kind.data, form.country.data = group.kind.value, group.country
    if group.status is GroupStatus.APPLICANT:
        for name in ("agreement_version", "agreement_signed_on", "agreement_signed_by"):
            delattr(form, name)
    outcome = run_form(form, lambda: services.update_group(db.session, group, actor=current_user,
                                                           **form.profile()))
    if outcome.done:
        flash(_("%(name)s is saved.", name=group.name), "success")
        return redirect(url_for(".detail", group_id=group.id))
    return render_template("groups/form.html", form=form, group=group), outcome.status


@bp.route("/groups/<int:group_id>/status", methods=["POST"])
@requires(Permission.GROUPS_MANAGE)
def change_status(group_id: int):
    group = _group(group_id)
    form = StatusForm()
    outcome = run_form(form, lambda: services.change_status(
        db.session, group, GroupStatus(form.status.data), actor=current_user,
        reason=form.reason.data), flash_refusal="danger")
    if outcome.invalid:
        flash(_("Choose the new status and give a reason."), "danger")
    elif outcome.done:
        flash(_("%(name)s is now %(value)s.", name=group.name, value=group.status.value), "success")
    return redirect(url_for(".detail", group_id=group.id))


@bp.route("/groups/<int:group_id>/organisers", methods=["POST"])
@requires(Permission.GROUPS_MANAGE)
def add_organiser(group_id: int):
    group = _group(group_id)
    form = OrganiserForm()
    outcome = run_form(form, lambda: services.add_organiser(
        db.session, group, email=form.email.data, name=form.name.data, actor=current_user,
        address=client_address(), settings=settings()), flash_refusal="danger")
    if outcome.invalid:
        flash(_("Give the new organiser's email address."), "danger")
    elif outcome.done:
        flash(_("%(email)s organises %(name)s now and has been told by email.", email=outcome.result.email, name=group.name),
              "success")
    return redirect(url_for(".detail", group_id=group.id))


@bp.route("/groups/<int:group_id>/organisers/<int:user_id>/remove", methods=["POST"])
@requires(Permission.GROUPS_MANAGE)
def remove_organiser(group_id: int, user_id: int):
    group = _group(group_id)
    user = get_or_404(User, user_id)
    outcome = run_form(ConfirmForm(), lambda: services.remove_organiser(
        db.session, group, user, actor=current_user), flash_refusal="danger")
    if outcome.invalid:
        abort(400)
    if outcome.done:
        flash(_("%(email)s no longer organises %(name)s.", email=user.email, name=group.name), "info")
    return redirect(url_for(".detail", group_id=group.id))

