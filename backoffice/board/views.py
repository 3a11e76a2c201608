"""The board's pages (``/board``): dashboard, bodies and terms, the meeting page used during the
meeting, minutes PDF, resolution register, circular votes (in the app and by signed link),
people in office, conflicts register, and the opt-in public page."""
from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..core import clock
from ..core.audit import AuditEvent
from ..core.bounds import MAX_ID
from ..core.db import utcnow
from ..core.errors import DomainError, ValidationError
from ..core.forms import current_locale, money_of
from ..core.i18n import _, _l
from ..core.money import Money
from ..core.permissions import Permission, public, requires
from ..core.query import arg
from ..core.urls import absolute_url
from ..core.views import get_or_404, run_form
from ..extensions import db, settings
from ..ledger.periods import FiscalYear
from . import circulars, minutes, notify, queries, services, wording
from .forms import (
    AddendumForm,
    ApproveMinutesForm,
    AttendanceForm,
    CircularForm,
    CountForm,
    EndTermForm,
    InterestForm,
    ItemForm,
    MeetingForm,
    MinutesForm,
    ResolutionForm,
    RulesForm,
    StepForm,
    TermForm,
    VoteForm,
)
from .models import (
    Addendum,
    AgendaItem,
    Body,
    Function,
    InterestKind,
    Meeting,
    MeetingStatus,
    Presence,
    Resolution,
    ResolutionStatus,
    SubjectKind,
    Term,
)
from .rules import BASIS_NAMES, Basis, Choice, Majority, shown

bp = Blueprint("board", __name__, url_prefix="/board")

MEETING_STEPS = {"invite": _l("The invitations are in the outbox."),
                 "open": _l("The meeting is open."),
                 "close": _l("The meeting is closed; the minutes wait for approval.")}


def _flash_refusal(error: DomainError) -> None:
    flash(str(error), "danger")


@bp.app_template_filter("minutes_html")
def _minutes_html(text: str | None):
    return minutes.to_html(text)


@bp.app_template_filter("board_time")
def _board_time(moment: datetime | None, form: str = "short") -> str:
    """A moment of the board's records (kept in UTC) on the association's clock, in the
    reader's language."""
    return wording.moment(moment, current_locale(), form, settings().organisation.timezone)


@bp.app_template_filter("board_basis")
def _basis(stored: str | None) -> str:
    """A resolution's stored basis (``votes_cast``) as read."""
    return str(BASIS_NAMES[Basis(stored)]) if stored in set(Basis) else (stored or "")


@bp.app_template_filter("board_majority")
def _majority(stored: str | None) -> str:
    """A resolution's stored majority (``two_thirds``) as read."""
    return str(Majority(stored).label) if stored in set(Majority) else (stored or "")


@bp.app_template_filter("board_reason")
def _reason(stored: str | None) -> str:
    """A reason kept in English with a resolution (its result's, a recusal's), as read."""
    return shown(stored)


@bp.route("/")
@requires(Permission.BOARD_VIEW)
def dashboard():
    return render_template("board/dashboard.html",
                           view=queries.dashboard(db.session, current_user, clock.today()))


# --- bodies and terms --------------------------------------------------------------------------

@bp.route("/bodies/<int:body_id>")
@requires(Permission.BOARD_VIEW)
def body(body_id: int):
    found = get_or_404(Body, body_id)
    on = arg("on", date) or clock.today()
    return _body_page(found, on, TermForm(), 200)


def _body_page(found: Body, on: date, form: TermForm, status: int):
    meetings = db.session.scalars(select(Meeting).where(Meeting.body_id == found.id)
                                  .order_by(Meeting.starts_at.desc()).limit(24)).all()
    return render_template("board/body.html", body=found, on=on, form=form,
                           members=services.in_office(db.session, found, on),
                           terms=found.terms, meetings=meetings, end_form=EndTermForm()), status


def _rules_page(found: Body, form: RulesForm, status: int):
    history = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "board.rules_changed", AuditEvent.object_type == "board_body",
        AuditEvent.object_id == str(found.id)).order_by(AuditEvent.id.desc()).limit(20)).all()
    return render_template("board/rules.html", body=found, form=form, history=history), status


@bp.route("/bodies/<int:body_id>/rules")
@requires(Permission.BOARD_VIEW)
def rules(body_id: int):
    """The body's decision rules as its statutes set them, in sentences and as a form."""
    found = get_or_404(Body, body_id)
    form = RulesForm(formdata=None)
    form.fill(found.rules)
    return _rules_page(found, form, 200)


@bp.route("/bodies/<int:body_id>/rules", methods=["POST"])
@requires(Permission.BOARD_MANAGE)
def change_rules(body_id: int):
    found = get_or_404(Body, body_id)
    form = RulesForm()
    outcome = run_form(form, lambda: services.set_rules(
        db.session, found, services.rules_from(form.values()), current_user))
    if outcome.done:
        flash(_("The rules are saved.") if outcome.result else _("Nothing was changed."),
              "success" if outcome.result else "info")
        return redirect(url_for(".rules", body_id=found.id))
    return _rules_page(found, form, outcome.status)


@bp.route("/bodies/<int:body_id>/terms", methods=["POST"])
@requires(Permission.BOARD_MANAGE)
def appoint(body_id: int):
    found = get_or_404(Body, body_id)
    form = TermForm()
    outcome = run_form(form, lambda: services.appoint(
        db.session, found, name=form.name.data, email=form.email.data,
        function=Function(form.function.data), start_on=form.start_on.data,
        end_on=form.end_on.data, legal_person=form.legal_person.data,
        represents=form.represents.data, actor=current_user))
    if outcome.done:
        flash(_("%(name)s is appointed.", name=outcome.result.name), "success")
        return redirect(url_for(".body", body_id=found.id))
    return _body_page(found, clock.today(), form, outcome.status)


@bp.route("/terms/<int:term_id>/end", methods=["POST"])
@requires(Permission.BOARD_MANAGE)
def end_term(term_id: int):
    term = get_or_404(Term, term_id)
    form = EndTermForm()
    run_form(form, lambda: services.end_term(db.session, term, form.end_on.data, current_user),
             flash_refusal="danger")
    return redirect(url_for(".body", body_id=term.body_id))


# --- meetings ----------------------------------------------------------------------------------

@bp.route("/bodies/<int:body_id>/meetings/new", methods=["GET", "POST"])
@requires(Permission.BOARD_MANAGE)
def new_meeting(body_id: int):
    found = get_or_404(Body, body_id)
    form = MeetingForm()
    outcome = run_form(form, lambda: services.schedule(
        db.session, found, title=form.title.data,
        starts_at=wording.typed(form.day.data, form.at.data or time(18),
                                settings().organisation.timezone),
        place=form.place.data, video_link=form.video_link.data,
        items=services.items_from_lines(form.agenda.data), actor=current_user))
    if outcome.done:
        return redirect(url_for(".meeting", meeting_id=outcome.result.id))
    return render_template("board/meeting_new.html", body=found, form=form), outcome.status


def _meeting_page(meeting: Meeting, status: int = 200, **forms):
    """The meeting page; only the forms the meeting's state offers are built."""
    session = db.session
    state = meeting.status
    members = services.members_of(session, meeting)
    attendance = {a.term_id: a for a in meeting.attendance}
    record = minutes.record(session, meeting)
    if state in (MeetingStatus.PLANNED, MeetingStatus.INVITED, MeetingStatus.OPEN):
        forms.setdefault("item_form", ItemForm())
    if state is MeetingStatus.OPEN:
        forms.setdefault("resolution_form", ResolutionForm())
        forms.setdefault("count_form", CountForm())
    if state in (MeetingStatus.OPEN, MeetingStatus.HELD):
        forms.setdefault("minutes_form", MinutesForm())
    if state is MeetingStatus.HELD:
        approve_form = forms.setdefault("approve_form", ApproveMinutesForm())
        approve_form.resolution.choices = [(r.id, f"{r.number} {r.title}") for r in session.scalars(
            select(Resolution).where(Resolution.subject_kind == SubjectKind.MINUTES,
                                     Resolution.subject_id == meeting.id,
                                     Resolution.status == ResolutionStatus.PASSED))]
    if state is MeetingStatus.APPROVED:
        forms.setdefault("addendum_form", AddendumForm())
    return render_template(
        "board/meeting.html", meeting=meeting, members=members, attendance=attendance,
        quorum=services.quorum_of(session, meeting, members), rules=meeting.body.rules,
        record=record, recused={r.id: services.recused(session, r)
                                for i in meeting.items for r in i.resolutions
                                if r.status is ResolutionStatus.OPEN},
        step_form=StepForm(), **forms), status


@bp.route("/meetings/<int:meeting_id>")
@requires(Permission.BOARD_VIEW)
def meeting(meeting_id: int):
    found = queries.meeting(db.session, meeting_id) if 0 < meeting_id <= MAX_ID else None
    if found is None:
        abort(404)
    return _meeting_page(found)


def _invite(found: Meeting):
    config = settings()
    link = absolute_url(config, "board.meeting", meeting_id=found.id)
    invitation = services.invite(
        db.session, found, today=clock.today(), actor=current_user,
        send=lambda term, m, warning: notify.invitation(
            db.session, term, m, organisation=config.organisation.name, link=link,
            locale=config.organisation.default_locale, zone=config.organisation.timezone))
    if invitation.late_days:
        flash(services.late_notice(invitation.late_days, found.body.rules.notice_days,
                                   wording.moment(invitation.latest_day, current_locale(), "day")),
              "warning")


@bp.route("/meetings/<int:meeting_id>/<any(invite, open, close):step>", methods=["POST"])
@requires(Permission.BOARD_MANAGE)
def meeting_step(meeting_id: int, step: str):
    found = get_or_404(Meeting, meeting_id)
    act = {"invite": lambda: _invite(found),
           "open": lambda: services.open_meeting(db.session, found, current_user),
           "close": lambda: services.close_meeting(db.session, found, current_user)}[step]
    if run_form(StepForm(), act, flash_refusal="danger").done:
        flash(str(MEETING_STEPS[step]), "success")
    return redirect(url_for(".meeting", meeting_id=found.id))


@bp.route("/meetings/<int:meeting_id>/items", methods=["POST"])
@requires(Permission.BOARD_MANAGE)
def add_item(meeting_id: int):
    found = get_or_404(Meeting, meeting_id)
    form = ItemForm()
    outcome = run_form(form, lambda: services.add_item(db.session, found, services.ItemInput(
        form.title.data, form.description.data, SubjectKind(form.subject_kind.data),
        form.subject_id.data, form.any_other_business.data), actor=current_user))
    if outcome.done:
        return redirect(url_for(".meeting", meeting_id=found.id, _anchor="agenda"))
    return _meeting_page(found, outcome.status, item_form=form)


@bp.route("/meetings/<int:meeting_id>/attendance/<int:term_id>", methods=["POST"])
@requires(Permission.BOARD_MANAGE)
def attendance(meeting_id: int, term_id: int):
    found = get_or_404(Meeting, meeting_id)
    term = get_or_404(Term, term_id)
    form = AttendanceForm()
    form.proxy_holder.choices = [(None, "—")] + [(t.id, t.name) for t in
                                                 services.members_of(db.session, found)]
    run_form(form, lambda: services.record_attendance(
        db.session, found, term, Presence(form.presence.data),
        proxy_holder=db.session.get(Term, form.proxy_holder.data)
        if form.proxy_holder.data else None, actor=current_user), flash_refusal="danger")
    return redirect(url_for(".meeting", meeting_id=found.id, _anchor="attendance"))


@bp.route("/items/<int:item_id>/minutes", methods=["POST"])
@requires(Permission.BOARD_MANAGE)
def item_minutes(item_id: int):
    item = get_or_404(AgendaItem, item_id)
    form = MinutesForm()
    if run_form(form, lambda: services.write_minutes(db.session, item, form.minutes.data,
                                                     current_user), flash_refusal="danger").done:
        flash(_("Minutes of item %(position)s saved.", position=item.position), "success")
    return redirect(url_for(".meeting", meeting_id=item.meeting_id, _anchor=f"item-{item.id}"))


def _amount(form: ResolutionForm) -> Money | None:
    if not (form.amount.data or "").strip():
        return None
    return money_of(form.amount, settings().organisation.default_currency)


@bp.route("/items/<int:item_id>/resolutions", methods=["POST"])
@requires(Permission.BOARD_MANAGE)
def propose(item_id: int):
    item = get_or_404(AgendaItem, item_id)
    form = ResolutionForm()

    def act():
        return services.propose(db.session, item, title=form.title.data, text=form.text.data,
                                amount=_amount(form), public=form.public.data,
                                majority=Majority(form.majority.data) if form.majority.data
                                else None, fiscal=FiscalYear.of(settings().organisation),
                                actor=current_user)
    outcome = run_form(form, act)
    if outcome.done:
        return redirect(url_for(".meeting", meeting_id=item.meeting_id,
                                _anchor=f"item-{item.id}"))
    return _meeting_page(item.meeting, outcome.status, resolution_form=form)


@bp.route("/resolutions/<int:resolution_id>/votes/<int:term_id>/<any(yes, no, abstain, invalid):choice>",
          methods=["POST"])
@requires(Permission.BOARD_MANAGE)
def record_vote(resolution_id: int, term_id: int, choice: str):
    """One click per member: the minute-taker records each member's vote at the meeting."""
    resolution = get_or_404(Resolution, resolution_id)
    term = get_or_404(Term, term_id)
    if resolution.item is None:
        abort(404)
    run_form(StepForm(), lambda: services.cast(db.session, resolution, term, Choice(choice),
                                               actor=current_user), flash_refusal="danger")
    return redirect(url_for(".meeting", meeting_id=resolution.item.meeting_id,
                            _anchor=f"resolution-{resolution.id}"))


@bp.route("/resolutions/<int:resolution_id>/close", methods=["POST"])
@requires(Permission.BOARD_MANAGE)
def close_vote(resolution_id: int):
    resolution = get_or_404(Resolution, resolution_id)
    if resolution.item is None:
        abort(404)
    outcome = run_form(CountForm(), lambda: services.close_vote(db.session, resolution,
                                                                current_user),
                       flash_refusal="danger")
    if outcome.done:
        flash(_("%(number)s: %(tally)s", number=resolution.number,
                tally=outcome.result.sentence()),
              "success" if outcome.result.passed else "warning")
    return redirect(url_for(".meeting", meeting_id=resolution.item.meeting_id,
                            _anchor=f"resolution-{resolution.id}"))


@bp.route("/meetings/<int:meeting_id>/approve", methods=["POST"])
@requires(Permission.BOARD_MANAGE)
def approve_minutes(meeting_id: int):
    found = get_or_404(Meeting, meeting_id)
    form = ApproveMinutesForm()
    form.resolution.choices = [(None, "")]

    def act():
        approving = db.session.get(Resolution, form.resolution.data or 0)
        if approving is None:
            raise ValidationError(_("Choose the resolution that approves the minutes."))
        minutes.approve(db.session, found, approving, actor=current_user)
    if run_form(form, act, flash_refusal="danger").done:
        minutes.keep(db.session, found, _printing(), actor=current_user)
        flash(_("The minutes are approved; from now on they never change."), "success")
    return redirect(url_for(".meeting", meeting_id=found.id))


@bp.route("/meetings/<int:meeting_id>/addenda", methods=["POST"])
@requires(Permission.BOARD_MANAGE)
def addendum(meeting_id: int):
    found = get_or_404(Meeting, meeting_id)
    form = AddendumForm()
    outcome = run_form(form, lambda: minutes.add_addendum(db.session, found, form.text.data,
                                                          actor=current_user),
                       flash_refusal="danger")
    if outcome.done:
        minutes.keep(db.session, found, _printing(), addendum=outcome.result, actor=current_user)
        flash(_("The addendum is added to the minutes."), "success")
    return redirect(url_for(".meeting", meeting_id=found.id, _anchor="addenda"))


def _printing() -> minutes.Printing:
    config = settings()
    return minutes.Printing(organisation=config.organisation.name, today=clock.today(),
                            folder=config.paths.uploads,
                            locale=config.organisation.default_locale,
                            zone=config.organisation.timezone)


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.route("/meetings/<int:meeting_id>/minutes.pdf")
@requires(Permission.BOARD_VIEW)
def minutes_pdf(meeting_id: int):
    """Approved minutes: the PDF kept at approval; a draft: rendered now."""
    found = get_or_404(Meeting, meeting_id)
    # minutes approved before files were kept: kept at this download
    data = minutes.document(db.session, found, _printing(), actor=current_user)
    draft = "" if found.status is MeetingStatus.APPROVED else "-draft"
    return _pdf(data, f"minutes-{found.id}{draft}.pdf")


@bp.route("/meetings/<int:meeting_id>/addenda/<int:addendum_id>.pdf")
@requires(Permission.BOARD_VIEW)
def addendum_pdf(meeting_id: int, addendum_id: int):
    found = get_or_404(Addendum, addendum_id)
    if found.meeting_id != meeting_id:
        abort(404)
    data = minutes.document(db.session, found.meeting, _printing(), addendum=found,
                            actor=current_user)
    return _pdf(data, f"minutes-{meeting_id}-addendum-{found.id}.pdf")


# --- resolutions -------------------------------------------------------------------------------

@bp.route("/resolutions")
@requires(Permission.BOARD_VIEW)
def register():
    filters = {"q": arg("q", str) or "", "body": arg("body", int),
               "year": arg("year", int, minimum=1900, maximum=9999),
               "status": arg("status", ResolutionStatus)}
    page = queries.register(db.session, text=filters["q"], body_id=filters["body"],
                            year=filters["year"], status=filters["status"], after=_after())
    shown = {k: (v.value if isinstance(v, ResolutionStatus) else str(v))
             for k, v in filters.items() if v}
    return render_template("board/register.html", page=page, years=queries.years(db.session),
                           statuses=[ResolutionStatus.PASSED, ResolutionStatus.FAILED,
                                     ResolutionStatus.OPEN],
                           bodies=db.session.scalars(select(Body)).all(), args=shown)


def _after() -> tuple[int, int, int] | None:
    """Where a page of the register starts (``?after=year-body-number``); 400 when unreadable."""
    try:
        return queries.parse_cursor(arg("after", str))
    except ValueError:
        abort(400, _("This page of the register does not exist; start from the first page."))


@bp.route("/resolutions/<int:resolution_id>")
@requires(Permission.BOARD_VIEW)
def resolution(resolution_id: int):
    found = get_or_404(Resolution, resolution_id)
    mine = next((t for t in queries.terms_of(db.session, current_user, clock.today())
                 if t.body_id == found.body_id), None)
    return render_template("board/resolution.html", resolution=found, mine=mine,
                           recused=services.recused(db.session, found),
                           vote_form=VoteForm(), votes={v.term_id: v for v in found.votes})


@bp.route("/resolutions/<int:resolution_id>/vote", methods=["POST"])
@requires(Permission.BOARD_VIEW)
def vote_in_app(resolution_id: int):
    found = get_or_404(Resolution, resolution_id)
    form = VoteForm()
    if run_form(form, lambda: circulars.vote_in_app(db.session, found, Choice(form.choice.data),
                                                    actor=current_user, settings=settings()),
                flash_refusal="danger").done:
        flash(_("Your vote is recorded; a copy is on its way to you."), "success")
    return redirect(url_for(".resolution", resolution_id=found.id))


@bp.route("/bodies/<int:body_id>/circulars/new", methods=["GET", "POST"])
@requires(Permission.BOARD_MANAGE)
def new_circular(body_id: int):
    found = get_or_404(Body, body_id)
    form = CircularForm()

    def act():
        return circulars.propose(
            db.session, found, title=form.title.data, text=form.text.data,
            deadline=wording.typed(form.deadline.data, time(23, 59, 59),
                                   settings().organisation.timezone),
            subject_kind=SubjectKind(form.subject_kind.data), subject_id=form.subject_id.data,
            amount=_amount(form), public=form.public.data,
            majority=Majority(form.majority.data) if form.majority.data else None,
            settings=settings(), actor=current_user)
    outcome = run_form(form, act)
    if outcome.done:
        flash(_("Every member has their voting link in the outbox."), "success")
        return redirect(url_for(".resolution", resolution_id=outcome.result.id))
    return render_template("board/circular_new.html", body=found, form=form), outcome.status


@bp.route("/vote/<token>", methods=["GET", "POST"])
@public
def vote_by_link(token: str):
    """A member's own voting link from the e-mail: no login, the signature is the key."""
    form = VoteForm()
    try:
        found, term = circulars.from_link(db.session, token, settings())
    except DomainError as error:
        return render_template("board/vote_link.html", refused=str(error)), 403
    outcome = run_form(form, lambda: circulars.vote_by_link(db.session, token,
                                                            Choice(form.choice.data),
                                                            settings=settings()))
    if outcome.done:
        return render_template("board/vote_link.html", resolution=found, term=term, done=True,
                               choice=Choice(form.choice.data))
    return render_template("board/vote_link.html", resolution=found, term=term, form=form,
                           voted=next((v for v in found.votes if v.term_id == term.id), None),
                           now=utcnow()), outcome.status


# --- people, conflicts, public -----------------------------------------------------------------

@bp.route("/people")
@requires(Permission.BOARD_VIEW)
def people():
    on = arg("on", date) or clock.today()
    return render_template("board/people.html", on=on,
                           bodies=queries.people_on(db.session, on),
                           representatives=queries.representatives(db.session, on))


@bp.route("/conflicts")
@requires(Permission.BOARD_VIEW)
def conflicts():
    return _conflicts_page(InterestForm(), 200)


def _conflicts_page(form: InterestForm, status: int):
    return render_template("board/conflicts.html", form=form,
                           interests=queries.conflicts_register(db.session)), status


@bp.route("/conflicts", methods=["POST"])
@requires(Permission.BOARD_MANAGE)
def declare_interest():
    form = InterestForm()
    outcome = run_form(form, lambda: services.declare_interest(
        db.session, email=form.email.data, kind=InterestKind(form.kind.data),
        description=form.description.data, start_on=form.start_on.data,
        end_on=form.end_on.data, group_id=form.group_id.data,
        sponsor_id=form.sponsor_id.data, actor=current_user))
    if outcome.done:
        flash(_("The interest is in the register."), "success")
        return redirect(url_for(".conflicts"))
    return _conflicts_page(form, outcome.status)


@bp.route("/public")
@public
def public_page():
    today = clock.today()
    bodies = queries.public_bodies(db.session, today)
    if not bodies:
        abort(404)
    page = queries.register(db.session, public_only=True, after=_after())
    return render_template("board/public.html", bodies=bodies, page=page,
                           organisation=settings().organisation.name)
