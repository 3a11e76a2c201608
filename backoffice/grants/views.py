"""Grants: the public pages applicants use, and the committee's and treasurer's pages."""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from babel.numbers import format_decimal
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from ..auth.models import User
from ..core import clock
from ..core.bounds import FIRST_DATE, LAST_DATE, as_id
from ..core.db import transaction
from ..core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from ..core.forms import (
    ConfirmForm,
    current_locale,
    new_started_token,
    object_options,
    options,
    show_error,
)
from ..core.i18n import _, _l
from ..core.money import Money
from ..core.permissions import Permission, login_required, public, requires
from ..core.query import arg, others, page_arg, query_form
from ..core.views import export_format, get_or_404, run_form, send_stored, send_table
from ..extensions import csrf, db, settings
from ..groups.models import MemberGroup
from ..ledger.chart import Fund
from ..payouts.returns import describe, latest_return
from . import (
    access,
    applying,
    conflicts,
    deciding,
    lifecycle,
    paying,
    queries,
    reporting,
    resolutions,
    reviewing,
)
from . import programmes as programme_services
from .forms import (
    AnswerForm,
    ApproveForm,
    AssignForm,
    BudgetForm,
    CloseForm,
    ConflictForm,
    DisburseForm,
    FilterForm,
    PayeeForm,
    ProgrammeForm,
    QuestionForm,
    ReasonForm,
    ReduceForm,
    ReportForm,
    RequestInfoForm,
    ResendLinkForm,
    RoundForm,
    ScoreForm,
    VoteForm,
    WithdrawForm,
    application_form,
)
from .letters import award_letter_pdf
from .models import (
    REVIEW_STATES,
    Application,
    Attachment,
    Disbursement,
    DisbursementStatus,
    Programme,
    Question,
    Status,
)

bp = Blueprint("grants", __name__, url_prefix="/grants")


def _address() -> str:
    return request.remote_addr or "unknown"


def _programme(slug: str) -> Programme:
    return db.session.scalar(select(Programme).where(Programme.slug == slug)) or abort(404)


def _uploads(field_name: str) -> list[applying.Upload]:
    """The files sent in ``field_name``; a file over the limit is refused before it is read."""
    limit = settings().grants.max_file_bytes
    uploads = []
    for storage in request.files.getlist(field_name):
        if not storage or not storage.filename:
            continue
        storage.stream.seek(0, 2)
        size = storage.stream.tell()
        storage.stream.seek(0)
        if size > limit:
            raise ValidationError(_("%(file)s is %(size)s MB; the limit is %(limit)s MB per file.",
                                    file=storage.filename,
                                    size=format_decimal(size / 1e6, "0.0", locale=current_locale()),
                                    limit=format_decimal(limit / 1e6, "0", locale=current_locale())),
                                  field=field_name)
        uploads.append(applying.Upload(storage.filename, storage.stream.read()))
    return uploads


def _show(form, error: DomainError) -> None:
    if isinstance(error, applying.IncompleteApplication):
        for name, message in error.errors.items():
            field = getattr(form, name, None)
            if field is not None and hasattr(field, "errors") and name != "budget_lines":
                if not field.errors:  # one message per field: the form's own comes first
                    field.errors = [*field.errors, message]
            elif name == "budget_lines":
                form.budget_problem = message
            else:
                form.form_errors.append(message)
        form.form_errors.insert(0, str(error))
    elif error.field == "budget_lines":
        form.budget_problem = str(error)
    else:
        show_error(form, error)


def takes_documents(view):
    """Mark a form view that receives documents. Its request may be larger than the app-wide
    limit, so that a too-large file gets a field error with everything typed kept (instead of a
    bare 413). The app-wide CSRF check would read the body before that limit is raised, so it
    steps aside here; the view's FlaskForm checks the CSRF token itself."""
    view.takes_documents = True
    return csrf.exempt(view)


@bp.after_request
def _private_pages(response):
    """Pages behind the secret link are nobody else's: no caches keep them."""
    if request.endpoint and request.endpoint.endswith("_link"):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.before_request
def _allow_documents():
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "takes_documents", False):
        request.max_content_length = 8 * settings().grants.max_file_bytes


# --- public: programmes, applying ------------------------------------------------------------------

@bp.route("/")
@public
def index():
    programmes = db.session.scalars(select(Programme).order_by(Programme.name)).all()
    today = clock.today()
    rounds = {p.id: applying.open_round(db.session, p, today) for p in programmes if p.uses_rounds}
    return render_template("grants/public/index.html", programmes=programmes, rounds=rounds,
                           any_public=any(p.public_list for p in programmes))


@bp.route("/p/<slug>")
@public
def programme(slug: str):
    programme = _programme(slug)
    return render_template("grants/public/programme.html", programme=programme,
                           round=applying.open_round(db.session, programme, clock.today()),
                           closed=_closed_reason(programme))


def _closed_reason(programme: Programme) -> str | None:
    try:
        applying.check_accepting(db.session, programme, clock.today())
    except ValidationError as error:
        return str(error)
    return None


def _group_choices():
    groups = db.session.scalars(select(MemberGroup).where(MemberGroup.status == "active")
                                .order_by(MemberGroup.name)).all()
    return options(((g.id, g.name) for g in groups), blank=_("Not a member group (yet)"))


def _prepare_form(form, programme: Programme):
    form.group_id.choices = _group_choices()
    if request.method == "GET" or not form.started.data:
        form.started.data = new_started_token()
    if form.add_line.data:
        form.budget.append_entry()
    return form


def _save(form, *, programme=None, application=None):
    """Validate and save (as draft, or submitted); returns the saved application or None."""
    if form.add_line.data:
        return None
    if not form.validate_on_submit():
        if form.submit.data and not form.guard_errors():  # name everything else too
            target = programme or application.programme
            round_ = application.round if application else applying.open_round(
                db.session, target, clock.today())
            problems = applying.submission_problems(target, form.to_input(), round_=round_)
            if any(line.item.errors or line.amount.errors for line in form.budget):
                problems.pop("budget_lines", None)  # the lines' own errors say it
            _show(form, applying.IncompleteApplication(problems))
        elif not form.form_errors:
            form.form_errors.append(_("Some answers need a second look; see the marked fields."))
        return None
    try:
        uploads = _uploads("attachments")
        remove = [n for n in map(as_id, request.form.getlist("remove_file")) if n is not None]
        with transaction():
            return applying.save_application(
                db.session, data=form.to_input(), uploads=uploads, remove_files=remove,
                submit=bool(form.submit.data), programme=programme, application=application,
                user=current_user if current_user.is_authenticated else None,
                address=_address(), settings=settings())
    except DomainError as error:
        _show(form, error)
        return None


@bp.route("/p/<slug>/apply", methods=["GET", "POST"])
@public
@takes_documents
def apply(slug: str):
    programme = _programme(slug)
    closed = _closed_reason(programme)
    form = _prepare_form(application_form(programme), programme)
    if request.method == "GET" and current_user.is_authenticated:
        form.contact_email.data = form.contact_email.data or current_user.email
        form.contact_name.data = form.contact_name.data or current_user.name
        if len(current_user.organised_groups) == 1:
            group = current_user.organised_groups[0]
            form.group_id.data, form.applicant_name.data = group.id, group.name
    if request.method == "POST" and closed is None:
        saved = _save(form, programme=programme)
        if saved is not None:
            return _after_save(saved, created=True)
    status = 400 if request.method == "POST" and not form.add_line.data else 200
    return render_template("grants/public/apply.html", form=form, programme=programme,
                           closed=closed, application=None, viewer=None), status


def _after_save(application: Application, *, created: bool):
    viewer = Viewer(application, token=access.token_for(application, settings().secret_key))
    if application.status is Status.SUBMITTED:
        flash(_("Thank you! Your application is submitted. We have emailed you a confirmation "
                "with the link to this page."), "success")
        return redirect(viewer.url("status"))
    flash(_("Your draft is saved. We have emailed you the link to come back to it; you can also "
            "bookmark this page.") if created else _("Your draft is saved."), "success")
    return redirect(viewer.url("edit"))


@bp.route("/links", methods=["GET", "POST"])
@public
def resend():
    form = ResendLinkForm()
    if request.method == "GET":
        form.started.data = new_started_token()
    outcome = run_form(form, lambda: applying.send_links(db.session, form.email.data,
                                                         address=_address(), settings=settings()))
    if outcome.done:
        flash(_("If we have applications from that address, we have emailed their links."), "info")
        return redirect(url_for(".index"))
    return render_template("grants/public/resend.html", form=form), outcome.status


@bp.route("/awarded")
@public
def awarded():
    year = arg("year", int, minimum=FIRST_DATE.year, maximum=LAST_DATE.year)
    page = queries.awarded_publicly(db.session, year=year, page=page_arg())
    return render_template("grants/public/awarded.html", page=page, year=year,
                           years=queries.public_years(db.session))


# --- the applicant's own pages: behind the secret link, or their account ---------------------------

@dataclass
class Viewer:
    """Who looks at an application from the applicant's side, and how they got there."""

    application: Application
    token: str | None = None

    @property
    def actor(self):
        if self.token is None:
            return current_user
        return access.Applicant(self.application.contact_email)

    def url(self, endpoint: str, **values) -> str:
        if self.token is not None:
            return url_for(f"grants.{endpoint}_link", token=self.token, **values)
        return url_for(f"grants.{endpoint}_account", application_id=self.application.id, **values)


def _may_follow(user, application: Application) -> bool:
    return application.applicant_user_id == user.id or (
        application.group_id is not None and application.group_id in user.organised_group_ids)


def applicant_route(rule: str, endpoint: str, methods=("GET",), documents: bool = False):
    """Register a view twice: ``/a/<token>...`` (public, the secret link opens it) and
    ``/my/<id>...`` (logged in, for the applicant or an organiser of the applying group)."""
    def decorator(function):
        def by_link(token, **values):
            application = access.application_by_token(db.session, token,
                                                      secret_key=settings().secret_key)
            return function(Viewer(application, token=token), **values)

        def by_account(application_id, **values):
            application = db.session.get(Application, application_id)
            if application is None or not _may_follow(current_user, application):
                raise NotFound(_("There is no such application among yours."))
            return function(Viewer(application), **values)

        by_link.__name__, by_account.__name__ = f"{endpoint}_link", f"{endpoint}_account"
        by_link.access_note = "whoever holds the application's secret link"
        by_account.access_note = "the applicant's account or an organiser of the applying group"
        if documents:
            by_link, by_account = takes_documents(by_link), takes_documents(by_account)
        bp.add_url_rule(f"/a/<token>{rule}", by_link.__name__, public(by_link),
                        methods=list(methods))
        bp.add_url_rule(f"/my/<int:application_id>{rule}", by_account.__name__,
                        login_required(by_account), methods=list(methods))
        return function
    return decorator


def _status_page(viewer: Viewer, *, status: int = 200, **forms):
    application = viewer.application
    if application.status is Status.DRAFT:
        return redirect(viewer.url("edit"))
    defaults = {"answer_form": AnswerForm(formdata=None), "withdraw_form": WithdrawForm(formdata=None),
                "report_form": ReportForm(formdata=None)}
    defaults.update(forms)
    events = [e for e in application.events if e.public]
    return render_template("grants/public/status.html", application=application, viewer=viewer,
                           events=events, can_do=lifecycle.can_do, Status=Status,
                           **defaults), status


@applicant_route("", "status")
def status(viewer: Viewer):
    return _status_page(viewer)


@applicant_route("/edit", "edit", methods=("GET", "POST"), documents=True)
def edit(viewer: Viewer):
    application = viewer.application
    if application.status is not Status.DRAFT:
        return redirect(viewer.url("status"))
    programme = application.programme
    form = application_form(programme, obj=None if request.method == "POST" else _form_data(
        application))
    _prepare_form(form, programme)
    if request.method == "POST":
        saved = _save(form, application=application)
        if saved is not None:
            return _after_save(saved, created=False)
    status_code = 400 if request.method == "POST" and not form.add_line.data else 200
    return render_template("grants/public/apply.html", form=form, programme=programme,
                           closed=None, application=application, viewer=viewer), status_code


def _form_data(application: Application) -> SimpleNamespace:
    """An application's values in the shape of the application form (to fill it for editing)."""
    values = {name: getattr(application, name) for name in (
        "group_id", "applicant_name", "contact_name", "contact_email", "title", "description",
        "event_start", "event_end", "expected_attendance", "other_funding", "account_holder",
        "iban")}
    currency = application.currency
    lines = [SimpleNamespace(item=line.description, amount=_amount_text(line.amount, currency))
             for line in application.budget_lines]
    lines += [SimpleNamespace(item="", amount="")] * max(0, 3 - len(lines))
    return SimpleNamespace(**values, **(application.answers or {}), budget=lines,
                           amount_requested=_amount_text(application.amount_requested, currency))


@applicant_route("/answer", "answer", methods=("POST",), documents=True)
def answer(viewer: Viewer):
    form = AnswerForm()
    if run_form(form, lambda: applying.answer_information(
            db.session, viewer.application, answer=form.answer.data, uploads=_uploads("files"),
            actor=viewer.actor, settings=settings())).done:
        flash(_("Thank you, your answer is sent to the committee."), "success")
        return redirect(viewer.url("status"))
    return _status_page(viewer, status=400, answer_form=form)


@applicant_route("/withdraw", "withdraw", methods=("POST",))
def withdraw(viewer: Viewer):
    form = WithdrawForm()
    if run_form(form, lambda: applying.withdraw(db.session, viewer.application,
                                                reason=form.reason.data,
                                                actor=viewer.actor, settings=settings())).done:
        flash(_("Your application is withdrawn."), "info")
        return redirect(viewer.url("status"))
    return _status_page(viewer, status=400, withdraw_form=form)


@applicant_route("/report", "report", methods=("POST",), documents=True)
def report(viewer: Viewer):
    form = ReportForm()
    form.money_currency = viewer.application.currency
    if run_form(form, lambda: reporting.submit_report(
            db.session, viewer.application, narrative=form.narrative.data,
            attendance=form.attendance.data, amount_spent=form.amount_spent.money,
            unused=form.unused.money, uploads=_uploads("receipts"), actor=viewer.actor,
            settings=settings())).done:
        flash(_("Thank you for your report!"), "success")
        return redirect(viewer.url("status"))
    return _status_page(viewer, status=400, report_form=form)


def _letter_response(application: Application) -> Response:
    if application.amount_awarded is None or application.status is Status.CANCELLED:
        abort(404)
    return Response(award_letter_pdf(application, settings()), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="award-letter-{application.reference}.pdf"'})


@applicant_route("/letter.pdf", "letter")
def letter(viewer: Viewer):
    return _letter_response(viewer.application)


def _attachment(application: Application, attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.application_id != application.id:
        abort(404)
    return attachment


@applicant_route("/files/<int:attachment_id>", "file")
def file(viewer: Viewer, attachment_id: int):
    return send_stored(_attachment(viewer.application, attachment_id).file)


@bp.route("/mine")
@login_required
def mine():
    return render_template("grants/public/mine.html",
                           applications=queries.applications_of(db.session, current_user))


# --- the committee: queue, application, reviews, decisions -------------------------------------------

def _application(application_id: int) -> Application:
    return get_or_404(Application, application_id)


@bp.route("/queue")
@requires(Permission.GRANTS_VIEW)
def queue():
    programmes = db.session.execute(select(Programme.id, Programme.name).order_by(Programme.name))
    form = query_form(
        FilterForm, programme=options(programmes, blank=_("All programmes")),
        status=options(queries.STATUS_CHOICES, blank=_("Waiting for the committee")))
    statuses = [Status(form.status.data)] if form.status.data else list(REVIEW_STATES)
    filters = dict(statuses=statuses, programme_id=form.programme.data, text=form.q.data or "",
                   reviewer=current_user, assigned_only=bool(form.mine.data))
    if fmt := export_format():
        return send_table(queries.applications_table(db.session, **filters), fmt)
    page = queries.applications_page(db.session, **filters, page=page_arg(),
                                     size=current_app.config["PAGE_SIZE"])
    query = others("page")
    return render_template("grants/queue.html", form=form, page=page, query=query,
                           score_text=lambda value: format_decimal(value, "0.0",
                                                                   locale=current_locale()))


def _committee(application: Application):
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()
    taken = {r.reviewer_id for r in application.reviews}
    return [u for u in users if u.can(Permission.GRANTS_REVIEW) and u.id not in taken
            and not reviewing.is_conflicted(application, u)]


#: The forms of the application page: name in the template -> (class, field-name prefix). The
#: prefixes keep the ids of the page's many fields (three "amount"s) apart.
DETAIL_FORMS = {
    "info_form": (RequestInfoForm, "info"), "score_form": (ScoreForm, "score"),
    "conflict_form": (ConflictForm, "conflict"), "vote_form": (VoteForm, "vote"),
    "assign_form": (AssignForm, "assign"), "approve_form": (ApproveForm, "approve"),
    "reject_form": (ReasonForm, "reject"), "reduce_form": (ReduceForm, "reduce"),
    "cancel_form": (ReasonForm, "cancel"), "disburse_form": (DisburseForm, "disburse"),
    "close_form": (CloseForm, "close"), "confirm_form": (ConfirmForm, ""),
}


def _detail(application: Application, *, status: int = 200, **forms):
    mine = reviewing.review_of(application, current_user)
    initial = {
        "score_form": {"obj": mine},
        "vote_form": {"vote": mine.vote if mine else None},
        "approve_form": {"amount": _amount_text(application.amount_requested,
                                                application.currency),
                         "conditions": application.programme.conditions},
        "close_form": {"returned": _amount_text(
            application.report.unused_amount if application.report else 0,
            application.currency)},
    }
    shown = {name: forms.get(name) or form_class(formdata=None, prefix=prefix,
                                                  **initial.get(name, {}))
             for name, (form_class, prefix) in DETAIL_FORMS.items()}
    shown["assign_form"].reviewer.choices = options(
        ((u.id, u.display_name) for u in _committee(application)),
        blank=_("Choose a committee member"))
    overdue = deciding.has_overdue_report(db.session, group_id=application.group_id,
                                          email=application.contact_email,
                                          exclude_id=application.id) \
        if application.status in REVIEW_STATES else None
    return render_template(
        "grants/application.html", application=application, mine=mine,
        conflict=conflicts.conflict_of(application, current_user),
        needs_board=application.amount_requested is not None
        and resolutions.needs_resolution(application, application.amount_requested),
        tally=reviewing.tally(application), overdue=overdue, can_do=lifecycle.can_do,
        Status=Status, available=deciding.available_in_fund(db.session, application.programme),
        **shown), status


def _amount_text(minor: int | None, currency: str) -> str:
    """An amount as a plain number for an input field ("1234.50"), which any locale parses."""
    if minor is None:
        return ""
    return f"{Money(minor, currency).to_decimal():f}"


@bp.route("/applications/<int:application_id>")
@requires(Permission.GRANTS_VIEW)
def application(application_id: int):
    return _detail(_application(application_id))


def _act(application_id: int, form_name: str, run, success: str, choices=None):
    """Run one committee action from its form: flash and go back, or show the form's errors."""
    application = _application(application_id)
    form_class, prefix = DETAIL_FORMS[form_name]
    form = form_class(prefix=prefix)
    form.money_currency = application.currency
    if choices is not None:
        form.reviewer.choices = choices
    outcome = run_form(form, lambda: run(application, form))
    if outcome.done:
        flash(str(success), "success")
        return redirect(url_for(".application", application_id=application_id))
    status = 400
    if isinstance(outcome.refusal, PermissionDenied):
        status = 403
        flash(str(outcome.refusal), "danger")  # the form may be hidden from this person
    db.session.expire_all()
    return _detail(_application(application_id), status=status, **{form_name: form})


#: The committee's and the treasurer's actions on an application, each a POST of one form of
#: the application page to one service: (URL and endpoint, permission, form, call, message).
ACTIONS = [
    ("request-information", Permission.GRANTS_REVIEW, "info_form",
     lambda a, f: reviewing.request_information(db.session, a, question=f.question.data,
                                               actor=current_user, settings=settings()),
     _l("The applicant is asked; the application waits for their answer.")),
    ("start-review", Permission.GRANTS_REVIEW, "confirm_form",
     lambda a, f: reviewing.start_review(db.session, a, actor=current_user, settings=settings()),
     _l("The application is in review: the committee can vote.")),
    ("volunteer", Permission.GRANTS_REVIEW, "confirm_form",
     lambda a, f: reviewing.volunteer(db.session, a, actor=current_user),
     _l("You review this application.")),
    ("review", Permission.GRANTS_REVIEW, "score_form",
     lambda a, f: reviewing.score(db.session, a, value=f.score.data, comment=f.comment.data,
                                 actor=current_user),
     _l("Your review is saved.")),
    ("conflict", Permission.GRANTS_REVIEW, "conflict_form",
     lambda a, f: reviewing.declare_conflict(db.session, a, note=f.note.data, actor=current_user),
     _l("Your conflict of interest is recorded; you take no part in this decision.")),
    ("vote", Permission.GRANTS_REVIEW, "vote_form",
     lambda a, f: reviewing.cast_vote(db.session, a, vote=f.vote.data, actor=current_user),
     _l("Your vote is recorded.")),
    ("approve", Permission.GRANTS_DECIDE, "approve_form",
     lambda a, f: deciding.approve(db.session, a, amount=f.amount.money,
                                   conditions=f.conditions.data, note=f.note.data,
                                   actor=current_user, settings=settings()),
     _l("The grant is approved and its money committed; the applicant has the award letter.")),
    ("reject", Permission.GRANTS_DECIDE, "reject_form",
     lambda a, f: deciding.reject(db.session, a, reason=f.reason.data, actor=current_user,
                                  settings=settings()),
     _l("The application is declined; the applicant is told.")),
    ("reduce", Permission.GRANTS_DECIDE, "reduce_form",
     lambda a, f: deciding.reduce_grant(db.session, a, amount=f.amount.money,
                                        reason=f.reason.data, actor=current_user,
                                        settings=settings()),
     _l("The grant is reduced; the difference is released from the commitment.")),
    ("cancel", Permission.GRANTS_DECIDE, "cancel_form",
     lambda a, f: deciding.cancel_grant(db.session, a, reason=f.reason.data, actor=current_user,
                                        settings=settings()),
     _l("The grant is cancelled and its commitment reversed.")),
    ("disburse", Permission.GRANTS_PAY, "disburse_form",
     lambda a, f: paying.create_disbursement(db.session, a, amount=f.amount.money,
                                               actor=current_user,
                                               organisation=settings().organisation.name),
     _l("The payment is ready for payout.")),
    ("close", Permission.GRANTS_PAY, "close_form",
     lambda a, f: reporting.close_grant(db.session, a, returned=f.returned.money,
                                       note=f.note.data, actor=current_user,
                                       settings=settings()),
     _l("The grant is closed.")),
]


#: The actions above that decide (``conflicts.DECISIONS``), for the permissions table: the
#: services refuse them to a person conflicted on the application.
DECISION_OF = {"volunteer": "review", "review": "score", "vote": "vote", "approve": "approve",
               "reject": "reject", "reduce": "reduce", "cancel": "cancel", "close": "close",
               "assign": "assign"}
NOT_CONFLICTED = "not conflicted on the application"


def _action_view(name: str, form_name: str, run, success: str):
    def view(application_id: int):
        return _act(application_id, form_name, run, success)
    view.__name__ = name
    if name.replace("_", "-") in DECISION_OF:
        view.access_note = NOT_CONFLICTED
    return view


for _slug, _permission, _form_name, _run, _success in ACTIONS:
    bp.add_url_rule(f"/applications/<int:application_id>/{_slug}", _slug.replace("-", "_"),
                    requires(_permission)(_action_view(_slug.replace("-", "_"), _form_name, _run,
                                                       _success)),
                    methods=["POST"])


@bp.route("/applications/<int:application_id>/assign", methods=["POST"])
@requires(Permission.GRANTS_DECIDE)
def assign(application_id: int):
    def run(application, form):
        reviewer = db.session.get(User, form.reviewer.data)
        reviewing.assign_reviewer(db.session, application, reviewer, actor=current_user,
                                  settings=settings())
    users = db.session.scalars(select(User.id).where(User.active.is_(True))).all()
    return _act(application_id, "assign_form", run, _("The reviewer is assigned."),
                choices=options(((u, str(u)) for u in users), blank=""))


assign.access_note = NOT_CONFLICTED


@bp.route("/applications/<int:application_id>/letter.pdf")
@requires(Permission.GRANTS_VIEW)
def internal_letter(application_id: int):
    return _letter_response(_application(application_id))


@bp.route("/applications/<int:application_id>/files/<int:attachment_id>")
@requires(Permission.GRANTS_VIEW)
def internal_file(application_id: int, attachment_id: int):
    return send_stored(_attachment(_application(application_id), attachment_id).file)


# --- paying ----------------------------------------------------------------------------------------

@bp.route("/payouts")
@requires(Permission.GRANTS_PAY, also=Permission.BOOKS_AUDIT)
def payouts():
    waiting = db.session.scalars(select(Disbursement).where(
        Disbursement.status == DisbursementStatus.READY).order_by(Disbursement.id)).all()
    recent = db.session.scalars(select(Disbursement).where(
        Disbursement.status == DisbursementStatus.PAID).order_by(Disbursement.id.desc())
        .limit(20)).all()
    return render_template("grants/payouts.html", waiting=waiting, recent=recent,
                           in_batch={d.id: paying.batch_of(db.session, d) for d in waiting},
                           returned={d.id: latest_return(db.session, "grant", d.id)
                                     for d in waiting}, describe=describe)


def _disbursement(disbursement_id: int) -> Disbursement:
    return get_or_404(Disbursement, disbursement_id)


@bp.route("/payouts/<int:disbursement_id>/cancel", methods=["POST"])
@requires(Permission.GRANTS_PAY)
def cancel_payout(disbursement_id: int):
    disbursement = _disbursement(disbursement_id)
    if run_form(ConfirmForm(), lambda: paying.cancel_disbursement(
            db.session, disbursement, actor=current_user), flash_refusal="danger").done:
        flash(_("Payment %(reference)s is cancelled.", reference=disbursement.end_to_end_id), "info")
    return redirect(url_for(".payouts"))


@bp.route("/payouts/<int:disbursement_id>/account", methods=["POST"])
@requires(Permission.GRANTS_PAY)
def correct_payout_account(disbursement_id: int):
    """The treasurer enters the account the grantee gave after the bank returned a payment."""
    disbursement = _disbursement(disbursement_id)
    form = PayeeForm()
    outcome = run_form(form, lambda: paying.correct_payee(
        db.session, disbursement, iban=form.iban.data, payee_name=form.payee_name.data,
        actor=current_user))
    if outcome.invalid:
        flash(_("Give the IBAN and the account holder."), "danger")
    elif outcome.refusal:
        flash(_("Payment %(reference)s: %(refusal)s", reference=disbursement.end_to_end_id,
                refusal=outcome.refusal), "danger")
    else:
        flash(_("Payment %(reference)s goes to %(iban)s with the next payout batch.",
                reference=disbursement.end_to_end_id, iban=disbursement.iban), "success")
    return redirect(url_for(".payouts"))


# --- budgets and programmes ---------------------------------------------------------------------------

@bp.route("/budget")
@requires(Permission.GRANTS_VIEW)
def budget():
    year = arg("year", int, clock.today().year, minimum=FIRST_DATE.year, maximum=LAST_DATE.year)
    return render_template("grants/budget.html", view=queries.budget_view(db.session, year))


@bp.route("/programmes")
@requires(Permission.GRANTS_MANAGE, also=Permission.BOOKS_AUDIT)
def programmes():
    items = db.session.scalars(select(Programme).order_by(Programme.name)).all()
    return render_template("grants/programmes.html", programmes=items)


def _programme_form(form: ProgrammeForm) -> ProgrammeForm:
    funds = db.session.scalars(select(Fund).where(Fund.active.is_(True)).order_by(Fund.code)).all()
    form.fund_id.choices = object_options(funds, blank=_("Choose a fund"))
    form.currency.choices = options((c, c) for c in current_app.config["CURRENCIES"])
    return form


def _programme_input(form: ProgrammeForm) -> programme_services.ProgrammeInput:
    return programme_services.ProgrammeInput(
        name=form.name.data, slug=form.slug.data, fund_id=form.fund_id.data,
        max_per_grant=form.max_per_grant.money, summary=form.summary.data or "",
        description=form.description.data or "", rules=form.rules.data or "",
        conditions=form.conditions.data or "", min_lead_days=form.min_lead_days.data or 0,
        board_threshold=form.board_threshold.money, quorum=form.quorum.data,
        report_days=form.report_days.data or 0, uses_rounds=form.uses_rounds.data,
        accepting=form.accepting.data, public_list=form.public_list.data)


@bp.route("/programmes/new", methods=["GET", "POST"])
@requires(Permission.GRANTS_MANAGE)
def new_programme():
    form = _programme_form(ProgrammeForm())
    if request.method == "GET":
        form.currency.data = current_app.config["DEFAULT_CURRENCY"]
    outcome = run_form(form, lambda: programme_services.create_programme(
        db.session, _programme_input(form), actor=current_user))
    if outcome.done:
        created = outcome.result
        flash(_("Programme “%(name)s” is created. Set its budget and questions below.",
                name=created.name), "success")
        return redirect(url_for(".edit_programme", programme_id=created.id))
    return render_template("grants/programme_form.html", form=form, programme=None), \
        outcome.status


def _programme_page(programme: Programme, form=None, *, status: int = 200, **forms):
    if form is None:
        form = _programme_form(ProgrammeForm(formdata=None, obj=programme))
        form.max_per_grant.data = _amount_text(programme.max_per_grant, programme.currency)
        form.board_threshold.data = _amount_text(programme.board_threshold, programme.currency)
    defaults = {"budget_form": BudgetForm(formdata=None, year=clock.today().year),
                "question_form": QuestionForm(formdata=None),
                "round_form": RoundForm(formdata=None),
                "confirm_form": ConfirmForm(formdata=None)}
    defaults.update(forms)
    return render_template("grants/programme_form.html", form=form, programme=programme,
                           **defaults), status


@bp.route("/programmes/<int:programme_id>", methods=["GET", "POST"])
@requires(Permission.GRANTS_MANAGE, also=Permission.BOOKS_AUDIT)
def edit_programme(programme_id: int):
    programme = get_or_404(Programme, programme_id)
    if request.method == "GET":
        return _programme_page(programme)
    form = _programme_form(ProgrammeForm())
    if run_form(form, lambda: programme_services.update_programme(
            db.session, programme, _programme_input(form), actor=current_user)).done:
        flash(_("The programme is saved."), "success")
        return redirect(url_for(".edit_programme", programme_id=programme_id))
    return _programme_page(programme, form, status=400)


def _programme_part(programme_id: int, form_name: str, form, run, success: str):
    programme = get_or_404(Programme, programme_id)
    form.money_currency = programme.currency
    if run_form(form, lambda: run(programme, form)).done:
        flash(success, "success")
        return redirect(url_for(".edit_programme", programme_id=programme_id))
    return _programme_page(programme, status=400, **{form_name: form})


@bp.route("/programmes/<int:programme_id>/budget", methods=["POST"])
@requires(Permission.GRANTS_MANAGE)
def set_budget(programme_id: int):
    return _programme_part(programme_id, "budget_form", BudgetForm(),
                           lambda p, f: programme_services.set_budget(
                               db.session, p, year=f.year.data, amount=f.amount.money,
                               actor=current_user), _("The budget is set."))


@bp.route("/programmes/<int:programme_id>/questions", methods=["POST"])
@requires(Permission.GRANTS_MANAGE)
def add_question(programme_id: int):
    return _programme_part(programme_id, "question_form", QuestionForm(),
                           lambda p, f: programme_services.add_question(
                               db.session, p, label=f.label.data, kind=f.kind.data,
                               choices=f.choices.data, required=f.required.data,
                               help_text=f.help_text.data, actor=current_user),
                           _("The question is added to the form."))


@bp.route("/programmes/<int:programme_id>/questions/<int:question_id>/retire", methods=["POST"])
@requires(Permission.GRANTS_MANAGE)
def retire_question(programme_id: int, question_id: int):
    def run(programme, form):
        question = db.session.get(Question, question_id)
        if question is None or question.programme_id != programme.id:
            raise NotFound(_("No such question."))
        programme_services.retire_question(db.session, question, actor=current_user)
    return _programme_part(programme_id, "confirm_form", ConfirmForm(), run,
                           _("The question is no longer asked."))


@bp.route("/programmes/<int:programme_id>/rounds", methods=["POST"])
@requires(Permission.GRANTS_MANAGE)
def add_round(programme_id: int):
    return _programme_part(programme_id, "round_form", RoundForm(),
                           lambda p, f: programme_services.add_round(
                               db.session, p, name=f.name.data, opens_on=f.opens_on.data,
                               deadline=f.deadline.data, actor=current_user),
                           _("The round is added."))
