"""The board's operations: bodies and terms, interests, meetings, minutes, resolutions and votes.

Every function takes the session and the acting user, checks its rules, changes state and writes
the audit log in the caller's unit of work (``core.db.transaction``); the rules of deciding are
``rules`` (pure), fed here with what the database says. The database freezes approved minutes and
closed resolutions (migration 0022); these functions refuse first, with words.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..core import audit, clock
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import NotFound, PermissionDenied, ValidationError
from ..core.i18n import _, _l, ngettext
from ..core.money import Money
from ..ledger.periods import FiscalYear, PeriodKind
from . import audit as checklist
from . import rules as R
from . import subjects
from .models import (
    MEETING_STATES,
    Addendum,
    AgendaItem,
    Attendance,
    Body,
    BodyKind,
    Function,
    Interest,
    InterestKind,
    Meeting,
    MeetingStatus,
    Presence,
    Recusal,
    Resolution,
    ResolutionStatus,
    ResolutionVote,
    SubjectKind,
    Term,
)
from .wording import moment

#: What ``_clean`` asks for when a text is missing, by what the text is.
_MISSING = {"body_name": _l("Give the body's name."), "code": _l("Give a short code."),
            "member_email": _l("Give the member's e-mail address."),
            "member_name": _l("Give the member's name."), "email": _l("Give the e-mail address."),
            "description": _l("Give a description."), "title": _l("Give a title."),
            "item_title": _l("Give the item's title."),
            "resolution_title": _l("Give the resolution's title."),
            "resolution_text": _l("Give the resolution's text."),
            "correction": _l("Give the correction.")}


def _clean(value: str | None, field: str, what: str, limit: int, required: bool = True) -> str:
    """``value`` stripped; ``what`` names it in ``_MISSING``."""
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(str(_MISSING[what]), field=field)
    if len(value) > limit:
        raise ValidationError(_("Keep it under %(limit)s characters.", limit=limit), field=field)
    return value


# --- bodies and terms --------------------------------------------------------------------------

def create_body(session: Session, *, kind: BodyKind, name: str, code: str,
                rules: R.BodyRules, actor: Actor | None, audits: Body | None = None,
                public: bool = False) -> Body:
    body = Body(kind=kind, name=_clean(name, "name", "body_name", 120),
                code=_clean(code, "code", "code", 8).upper(), rules_json=rules.as_json(),
                audits_id=audits.id if audits else None, public=public)
    session.add(body)
    session.flush()
    audit.record(session, actor, "board.body_created", "board_body", body.id,
                 summary=f"{body.name} ({kind.value})", after=rules.as_json())
    return body


def rules_from(values: dict) -> R.BodyRules:
    """Rules typed on the rules page; ``ValidationError`` naming what cannot be used."""
    try:
        return R.BodyRules.of(values)
    except (R.RulesError, TypeError) as error:
        field = next((name for name in values if name in str(error)), None)
        raise ValidationError(str(error), field=field) from None


def set_rules(session: Session, body: Body, rules: R.BodyRules, actor: Actor,
              today: date | None = None) -> bool:
    """Store the body's rules (audited with before and after); the vote weight of every member
    still in office follows the new weights (votes cast before keep theirs). False: nothing
    changed."""
    before = dict(body.rules_json or {})
    if R.BodyRules.of(before) == rules:
        return False
    body.rules_json = rules.as_json()
    today = today or clock.today()
    for term in body.terms:
        if term.end_on is None or term.end_on >= today:
            term.weight = rules.weight(term.legal_person)
    changed = sorted(k for k, v in body.rules_json.items() if R.BodyRules.of(before)
                     .as_json().get(k) != v)
    audit.record(session, actor, "board.rules_changed", "board_body", body.id,
                 summary=f"{body.name}: {', '.join(changed).replace('_', ' ')} changed",
                 before=before, after=body.rules_json)
    return True


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return a_start <= (b_end or date.max) and b_start <= (a_end or date.max)


def appoint(session: Session, body: Body, *, name: str, email: str, function: Function,
            start_on: date, end_on: date | None = None, user_id: int | None = None,
            legal_person: bool = False, represents: bool = False,
            elected_by: Resolution | None = None, actor: Actor | None) -> Term:
    """A term of office on ``body``. An auditor never sits on the board they audit in the same
    period (refused both ways)."""
    email = _clean(email, "email", "member_email", 254).casefold()
    if end_on is not None and end_on < start_on:
        raise ValidationError(_("A term ends on or after the day it starts."), field="end_on")
    if elected_by is not None and elected_by.status is not ResolutionStatus.PASSED:
        raise ValidationError(_("Resolution %(number)s did not pass.", number=elected_by.number),
                              field="elected_by")
    watched = [b for b in session.scalars(select(Body).where(or_(
        Body.audits_id == body.id, Body.id == (body.audits_id or -1))))]
    for other in watched:
        for term in other.terms:
            if term.email == email and _overlaps(start_on, end_on, term.start_on, term.end_on):
                raise ValidationError(
                    _("%(name)s sits on %(body)s in that period; an auditor cannot sit on the "
                      "board they audit.", name=name, body=other.name), field="email")
    term = Term(body=body, name=_clean(name, "name", "member_name", 200), email=email,
                function=function, start_on=start_on, end_on=end_on, user_id=user_id,
                legal_person=legal_person, weight=body.rules.weight(legal_person),
                represents=represents, elected_by=elected_by)
    session.add(term)
    session.flush()
    audit.record(session, actor, "board.appointed", "board_term", term.id,
                 summary=f"{term.name}: {function.value} of {body.name} from {start_on}"
                         + (f" to {end_on}" if end_on else ""))
    return term


def end_term(session: Session, term: Term, end_on: date, actor: Actor) -> None:
    if end_on < term.start_on:
        raise ValidationError(_("A term ends on or after the day it starts."), field="end_on")
    before = term.end_on
    term.end_on = end_on
    audit.record(session, actor, "board.term_ended", "board_term", term.id,
                 summary=f"{term.name} leaves {term.body.name} on {end_on}",
                 before={"end_on": before}, after={"end_on": end_on})


def in_office(session: Session, body: Body, on: date) -> list[Term]:
    return list(session.scalars(select(Term).where(
        Term.body_id == body.id, Term.start_on <= on,
        or_(Term.end_on.is_(None), Term.end_on >= on)).order_by(Term.function, Term.name)))


# --- interests ---------------------------------------------------------------------------------

def declare_interest(session: Session, *, email: str, kind: InterestKind, description: str,
                     start_on: date, end_on: date | None = None, group_id: int | None = None,
                     sponsor_id: int | None = None, actor: Actor) -> Interest:
    if kind is InterestKind.GROUP and group_id is None:
        raise ValidationError(_("Name the member group."), field="group_id")
    if kind is InterestKind.SPONSOR and sponsor_id is None:
        raise ValidationError(_("Name the sponsor."), field="sponsor_id")
    interest = Interest(email=_clean(email, "email", "email", 254).casefold(),
                        kind=kind, description=_clean(description, "description",
                                                      "description", 500),
                        start_on=start_on, end_on=end_on, group_id=group_id,
                        sponsor_id=sponsor_id)
    session.add(interest)
    session.flush()
    audit.record(session, actor, "board.interest_declared", "board_interest", interest.id,
                 summary=f"{interest.email}: {interest.description}")
    return interest


def person(session: Session, term: Term, on: date) -> R.Person:
    """The member as the conflict rule sees them on ``on``: identity and declared interests."""
    held = [i for i in session.scalars(select(Interest).where(Interest.email == term.email))
            if i.held(on)]
    return R.Person(email=term.email, user_id=term.user_id,
                    groups=frozenset(i.group_id for i in held if i.group_id is not None),
                    sponsors=frozenset(i.sponsor_id for i in held if i.sponsor_id is not None))


# --- meetings ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemInput:
    title: str
    description: str = ""
    subject_kind: SubjectKind = SubjectKind.NONE
    subject_id: int | None = None
    any_other_business: bool = False


#: Agenda lines that are "any other business" (which carries no resolution).
ANY_OTHER_BUSINESS = frozenset({"any other business", "aob", "verschiedenes", "sonstiges"})


def items_from_lines(text: str | None) -> list[ItemInput]:
    """An agenda typed one item per line; "Any other business" (or AOB, Verschiedenes) is
    marked as such."""
    return [ItemInput(line.strip(), any_other_business=line.strip().rstrip(".").casefold()
                      in ANY_OTHER_BUSINESS)
            for line in (text or "").splitlines() if line.strip()]


def schedule(session: Session, body: Body, *, title: str, starts_at: datetime, place: str = "",
             video_link: str = "", items: Iterable[ItemInput] = (), actor: Actor) -> Meeting:
    if not (place or "").strip() and not (video_link or "").strip():
        raise ValidationError(_("Give a place or a video link."), field="place")
    meeting = Meeting(body=body, title=_clean(title, "title", "title", 200),
                      starts_at=starts_at, place=(place or "").strip(),
                      video_link=(video_link or "").strip(), invited=[])
    session.add(meeting)
    session.flush()
    for entry in items:
        add_item(session, meeting, entry, actor=actor)
    audit.record(session, actor, "board.meeting_scheduled", "board_meeting", meeting.id,
                 summary=f"{body.name}: {meeting.title} on {starts_at:%Y-%m-%d %H:%M}")
    return meeting


def add_item(session: Session, meeting: Meeting, entry: ItemInput, *, actor: Actor) -> AgendaItem:
    """An agenda item. Added before the invitation it is announced with it; added later (in the
    meeting) it is not announced and carries no resolution."""
    if meeting.status is MeetingStatus.APPROVED or meeting.status is MeetingStatus.HELD:
        raise ValidationError(_("The meeting is over: its agenda is closed."))
    position = (max((i.position for i in meeting.items), default=0)) + 1
    item = AgendaItem(meeting=meeting, position=position,
                      title=_clean(entry.title, "title", "item_title", 300),
                      description=(entry.description or "").strip(),
                      subject_kind=entry.subject_kind, subject_id=entry.subject_id,
                      any_other_business=entry.any_other_business,
                      announced=meeting.status is MeetingStatus.PLANNED, present=[])
    session.add(item)
    session.flush()
    return item


@dataclass(frozen=True)
class Invitation:
    meeting: Meeting
    recipients: list[Term]
    late_days: int
    latest_day: date

    @property
    def warning(self) -> str | None:
        if not self.late_days:
            return None
        return late_notice(self.late_days, self.meeting.body.rules.notice_days,
                           moment(self.latest_day, "en", "day"))


def late_notice(late_days: int, notice_days: int, latest: str) -> str:
    """The warning of an invitation sent late, in the language of the moment (``latest``: the
    day it was due, written in that language)."""
    return ngettext("The invitation goes out %(num)s day late: the statutes ask for "
                    "%(notice)s days' notice (send by %(latest)s). Resolutions of this meeting "
                    "may be challenged.",
                    "The invitation goes out %(num)s days late: the statutes ask for "
                    "%(notice)s days' notice (send by %(latest)s). Resolutions of this meeting "
                    "may be challenged.", late_days, notice=notice_days, latest=latest)


def invite(session: Session, meeting: Meeting, *, today: date, actor: Actor,
           send=None) -> Invitation:
    """Invite every member in office on the meeting's day, with the agenda; note how late it
    is. ``send(term, meeting, warning)`` queues each member's e-mail (``notify.invitation``)."""
    MEETING_STATES.check(meeting, "invite")
    if not meeting.items:
        raise ValidationError(_("Put at least one item on the agenda before inviting."))
    rules = meeting.body.rules
    members = in_office(session, meeting.body, meeting.day)
    if not members:
        raise ValidationError(_("Nobody is in office on %(body)s on that day.",
                                body=meeting.body.name))
    latest = R.latest_invitation_day(meeting.day, rules)
    late = R.notice_shortfall(today, meeting.day, rules)
    meeting.status = MeetingStatus.INVITED
    meeting.invited_on = today
    meeting.late_notice_days = late
    meeting.invited = sorted({*meeting.invited, *(t.id for t in members)})
    for item in meeting.items:
        item.announced = True
    invitation = Invitation(meeting, members, late, latest)
    for term in members:
        if send is not None:
            send(term, meeting, invitation.warning)
    audit.record(session, actor, "board.invited", "board_meeting", meeting.id,
                 summary=f"{meeting.title}: {len(members)} members invited"
                         + (f", {late} day(s) late" if late else ""))
    return invitation


def open_meeting(session: Session, meeting: Meeting, actor: Actor) -> None:
    MEETING_STATES.apply(meeting, "open")
    meeting.opened_at = utcnow()
    if meeting.minute_taker_id is None:
        meeting.minute_taker_id = actor.id
    audit.record(session, actor, "board.meeting_opened", "board_meeting", meeting.id,
                 summary=meeting.title)


def members_of(session: Session, meeting: Meeting) -> list[Term]:
    """Everybody entitled at this meeting: in office on its day."""
    return in_office(session, meeting.body, meeting.day)


def record_attendance(session: Session, meeting: Meeting, term: Term, presence: Presence, *,
                      proxy_holder: Term | None = None, actor: Actor) -> Attendance:
    MEETING_STATES.check(meeting, "attendance")
    if term.id not in {t.id for t in members_of(session, meeting)}:
        raise ValidationError(_("%(name)s is not a member of %(body)s that day.",
                                name=term.name, body=meeting.body.name))
    rules = meeting.body.rules
    if presence is Presence.PROXY:
        if not rules.proxies:
            raise ValidationError(_("This body's statutes allow no proxies."), field="presence")
        if proxy_holder is None or proxy_holder.id == term.id:
            raise ValidationError(_("Name the member who holds the proxy."),
                                  field="proxy_holder")
    else:
        proxy_holder = None
    row = next((a for a in meeting.attendance if a.term_id == term.id), None)
    if row is None:
        row = Attendance(meeting=meeting, term=term, presence=presence)
        session.add(row)
    row.presence = presence
    row.proxy_holder_id = proxy_holder.id if proxy_holder else None
    seats = seats_at(session, meeting)
    problem = R.proxy_refusal(seats, rules)
    if problem:
        raise ValidationError(problem, field="proxy_holder")
    session.flush()
    audit.record(session, actor, "board.attendance", "board_meeting", meeting.id,
                 summary=f"{term.name}: {presence.value}"
                         + (f" (proxy: {proxy_holder.name})" if proxy_holder else ""))
    return row


def seats_at(session: Session, meeting: Meeting, recused: dict[int, str] | None = None,
             members: list[Term] | None = None) -> list[R.Seat]:
    presence = {a.term_id: a for a in meeting.attendance}
    seats = []
    for term in members if members is not None else members_of(session, meeting):
        row = presence.get(term.id)
        seats.append(R.Seat(
            member=term.id, weight=term.weight,
            present=row is not None and row.presence is Presence.PRESENT,
            represented_by=row.proxy_holder_id if row is not None and
            row.presence is Presence.PROXY else None,
            recused=term.id in (recused or {}), chair=term.function is Function.CHAIR))
    return seats


def quorum_of(session: Session, meeting: Meeting,
              members: list[Term] | None = None) -> R.Quorum:
    return R.quorum(seats_at(session, meeting, members=members), meeting.body.rules)


def take_item(session: Session, item: AgendaItem, actor: Actor) -> None:
    """Note who is present (or represented) as the meeting takes this item."""
    MEETING_STATES.check(item.meeting, "minutes")
    item.present = [s.member for s in seats_at(session, item.meeting) if s.counts_present]


def write_minutes(session: Session, item: AgendaItem, text: str, actor: Actor) -> None:
    MEETING_STATES.check(item.meeting, "minutes")
    item.minutes = (text or "").strip()
    if not item.present and item.meeting.status is MeetingStatus.OPEN:
        take_item(session, item, actor)
    audit.record(session, actor, "board.minutes_written", "board_agenda_item", item.id,
                 summary=f"{item.meeting.title}, item {item.position}")


def close_meeting(session: Session, meeting: Meeting, actor: Actor) -> None:
    open_votes = [r.number for i in meeting.items for r in i.resolutions
                  if r.status is ResolutionStatus.OPEN]
    if open_votes:
        raise ValidationError(_("Close the vote on %(numbers)s first.",
                                numbers=", ".join(open_votes)))
    MEETING_STATES.apply(meeting, "close")
    meeting.closed_at = utcnow()
    audit.record(session, actor, "board.meeting_closed", "board_meeting", meeting.id,
                 summary=meeting.title)


def approve_minutes(session: Session, meeting: Meeting, resolution: Resolution,
                    actor: Actor) -> None:
    """The minutes are approved by a passed resolution of the same body, taken at a later
    meeting or in writing, that names them. From then on they never change (the database
    refuses it); corrections are addenda."""
    MEETING_STATES.check(meeting, "approve_minutes")
    if resolution.status is not ResolutionStatus.PASSED or \
            resolution.subject_kind is not SubjectKind.MINUTES or \
            resolution.subject_id != meeting.id or resolution.body_id != meeting.body_id:
        raise ValidationError(_("Minutes are approved by a passed resolution of %(body)s that "
                                "names them.", body=meeting.body.name))
    if resolution.item is not None and resolution.item.meeting_id == meeting.id:
        raise ValidationError(_("A meeting does not approve its own minutes."))
    meeting.status = MeetingStatus.APPROVED
    meeting.minutes_approved_at = utcnow()
    meeting.approved_by_id = resolution.id
    audit.record(session, actor, "board.minutes_approved", "board_meeting", meeting.id,
                 summary=f"{meeting.title}: minutes approved by {resolution.number}")


def add_addendum(session: Session, meeting: Meeting, text: str, *, item: AgendaItem | None = None,
                 actor: Actor) -> Addendum:
    MEETING_STATES.check(meeting, "addendum")
    if item is not None and item.meeting_id != meeting.id:
        raise ValidationError(_("That item belongs to another meeting."), field="item")
    addendum = Addendum(meeting=meeting, item_id=item.id if item else None,
                        text=_clean(text, "text", "correction", 20_000),
                        written_by_id=actor.id)
    session.add(addendum)
    session.flush()
    audit.record(session, actor, "board.addendum", "board_meeting", meeting.id,
                 summary=f"{meeting.title}: addendum {addendum.id}")
    return addendum


# --- resolutions -------------------------------------------------------------------------------

def _number(session: Session, body: Body, year: int) -> tuple[int, str]:
    """The next number of the body's series for the year, gap-free: the body's row is locked
    first (SQLite: the unit of work begins as the writer), so two resolutions recorded at once
    take their numbers one after the other, in the unit of work that creates them; a unit of
    work rolled back gives its number back."""
    session.execute(select(Body.id).where(Body.id == body.id).with_for_update())
    last = session.scalar(select(func.max(Resolution.sequence)).where(
        Resolution.body_id == body.id, Resolution.year == year)) or 0
    return last + 1, f"{body.code}-{year}-{last + 1:03d}"


def discharge_period(subject_id: int, fiscal: FiscalYear | None) -> tuple[date, date]:
    """The first and last day of the fiscal year a discharge is for: the one beginning in the
    year ``subject_id`` (as the auditors' checklist counts it), by the association's fiscal
    year (``FiscalYear.of(settings.organisation)``)."""
    if fiscal is None:
        raise ValueError("A discharge resolution needs the association's fiscal year (fiscal=).")
    if not 1900 <= subject_id <= 2199:
        raise ValidationError(_("A discharge is for a fiscal year (1900–2199)."),
                              field="subject_id")
    return fiscal.bounds(PeriodKind.YEAR, date(subject_id, fiscal.first_month, 1))


def _recusals(session: Session, body: Body, terms: Iterable[Term], kind: SubjectKind,
              subject_id: int | None, on: date, fiscal: FiscalYear | None) -> dict[int, str]:
    other = subjects.party(session, kind, subject_id)
    reasons = {}
    for term in terms:
        reason = R.conflict(person(session, term, on), other)
        if reason:
            reasons[term.id] = reason
    if kind is SubjectKind.DISCHARGE and subject_id is not None:
        # the discharge for a fiscal year: nobody who sat on the board that year votes on it
        boards = session.scalars(select(Body).where(Body.kind == BodyKind.BOARD)).all()
        start, end = discharge_period(subject_id, fiscal)
        sat = {t.email for b in boards for t in b.terms
               if _overlaps(t.start_on, t.end_on, start, end)}
        for term in terms:
            if term.email in sat:
                reasons[term.id] = R.SAT_IN_FISCAL_YEAR % {"start": start.isoformat(),
                                                           "end": end.isoformat()}
    return reasons


def _majority_for(body: Body, kind: SubjectKind, majority: R.Majority | None) -> R.Majority:
    if kind is SubjectKind.STATUTES:
        return body.rules.statute_majority
    return majority or body.rules.majority


def propose(session: Session, item: AgendaItem, *, title: str, text: str,
            subject_kind: SubjectKind | None = None, subject_id: int | None = None,
            amount: Money | None = None, majority: R.Majority | None = None,
            public: bool = False, fiscal: FiscalYear | None = None,
            actor: Actor) -> Resolution:
    """A motion on an agenda item of an open meeting, put to the vote. Refused on an item not
    announced in the invitation, on "any other business", or when a member was not invited.
    A discharge needs ``fiscal``, the association's fiscal year: who sat on the board then is
    excluded from the vote."""
    meeting = item.meeting
    MEETING_STATES.check(meeting, "vote")
    members = members_of(session, meeting)
    refusal = R.hard_refusal(announced=item.announced, any_other_business=item.any_other_business,
                             uninvited=[t.name for t in members if t.id not in set(meeting.invited)])
    if refusal:
        raise ValidationError(refusal)
    kind = subject_kind if subject_kind is not None else item.subject_kind
    subject_id = subject_id if subject_id is not None else item.subject_id
    if kind is SubjectKind.DISCHARGE and checklist.report_for(session, subject_id) is None:
        raise ValidationError(_("The discharge for %(year)s refers to the auditors' report on "
                                "that year: none is written yet.", year=subject_id))
    sequence, number = _number(session, meeting.body, meeting.day.year)
    resolution = Resolution(
        body=meeting.body, year=meeting.day.year, sequence=sequence, number=number,
        item=item, title=_clean(title, "title", "resolution_title", 300),
        text=_clean(text, "text", "resolution_text", 20_000), subject_kind=kind,
        subject_id=subject_id, amount=None if amount is None else amount.amount,
        currency=None if amount is None else amount.currency,
        majority=_majority_for(meeting.body, kind, majority).value, public=public,
        proposed_by_id=getattr(actor, "id", None))
    session.add(resolution)
    session.flush()
    for term_id, reason in _recusals(session, meeting.body, members, kind, subject_id,
                                     meeting.day, fiscal).items():
        session.add(Recusal(resolution_id=resolution.id, term_id=term_id, reason=reason[:300]))
    session.flush()
    audit.record(session, actor, "board.proposed", "board_resolution", resolution.id,
                 summary=f"{number}: {resolution.title}")
    return resolution


def recused(session: Session, resolution: Resolution) -> dict[int, str]:
    return {r.term_id: r.reason for r in session.scalars(
        select(Recusal).where(Recusal.resolution_id == resolution.id))}


def _entitled_terms(session: Session, resolution: Resolution) -> list[Term]:
    if resolution.item is not None:
        return members_of(session, resolution.item.meeting)
    return in_office(session, resolution.body, resolution.day)


def seats_for(session: Session, resolution: Resolution) -> list[R.Seat]:
    recusals = recused(session, resolution)
    if resolution.item is not None:
        return seats_at(session, resolution.item.meeting, recusals)
    return [R.Seat(member=t.id, weight=t.weight, present=True, recused=t.id in recusals,
                   chair=t.function is Function.CHAIR)
            for t in _entitled_terms(session, resolution)]


def _open(resolution: Resolution) -> None:
    if resolution.status is not ResolutionStatus.OPEN:
        raise ValidationError(_("The vote on %(number)s is closed (%(result)s).",
                                number=resolution.number, result=resolution.status.label))


def cast(session: Session, resolution: Resolution, term: Term, choice: R.Choice, *,
         actor: Actor | None, via: str = "meeting", now: datetime | None = None) -> ResolutionVote:
    """Record ``term``'s vote. At a meeting the member must be present or represented (the
    proxy holder's vote is recorded with ``proxy_id``), and the quorum is checked again when the
    rules say so; the minute-taker may correct a vote until the vote closes. In writing a vote
    is final (second vote refused), except a US-style consent, which may be revoked until the
    resolution takes effect (``revoke``)."""
    _open(resolution)
    now = now or utcnow()
    seats = {s.member: s for s in seats_for(session, resolution)}
    seat = seats.get(term.id)
    if seat is None:
        raise PermissionDenied(_("%(name)s is not entitled to vote on %(number)s.",
                                 name=term.name, number=resolution.number))
    if seat.recused:
        raise PermissionDenied(_("%(name)s may not vote on %(number)s: %(reason)s.",
                                 name=term.name, number=resolution.number,
                                 reason=R.shown(recused(session, resolution)[term.id])))
    existing = session.scalar(select(ResolutionVote).where(
        ResolutionVote.resolution_id == resolution.id, ResolutionVote.term_id == term.id))
    if resolution.item is not None:
        meeting = resolution.item.meeting
        MEETING_STATES.check(meeting, "vote")
        if not seat.counts_present:
            raise ValidationError(_("%(name)s is not recorded as present or represented.",
                                    name=term.name))
        rules = meeting.body.rules
        if rules.recheck_quorum:
            quorum = R.quorum(list(seats.values()), rules)
            if not quorum.met:
                raise ValidationError(quorum.sentence())
    else:
        if now > resolution.deadline:
            raise ValidationError(_("The deadline for %(number)s has passed.",
                                    number=resolution.number))
        if existing is not None:
            raise ValidationError(_("%(name)s has voted on %(number)s already.",
                                    name=term.name, number=resolution.number))
    if existing is None:
        existing = ResolutionVote(resolution=resolution, term_id=term.id, choice=choice,
                                  weight=term.weight, via=via, cast_at=now,
                                  proxy_id=seat.represented_by)
        session.add(existing)
    else:
        existing.choice = choice
        existing.cast_at = now
    session.flush()
    audit.record(session, actor, "board.vote", "board_resolution", resolution.id,
                 summary=f"{resolution.number}: {term.name} {choice.value}"
                         + (" (by proxy)" if seat.represented_by else "") + f" via {via}")
    return existing


def revoke(session: Session, resolution: Resolution, term: Term, *, actor: Actor | None) -> None:
    """Withdraw a consent to a circular resolution under the US profile (before it takes
    effect, i.e. while the vote is open)."""
    _open(resolution)
    if resolution.item is not None or resolution.body.rules.circular is not R.CircularRule.US_CONSENT:
        raise ValidationError(_("Only a written consent under the US profile can be revoked."))
    vote = session.scalar(select(ResolutionVote).where(
        ResolutionVote.resolution_id == resolution.id, ResolutionVote.term_id == term.id))
    if vote is None:
        raise NotFound(_("%(name)s has not consented to %(number)s.", name=term.name,
                         number=resolution.number))
    session.delete(vote)
    session.flush()
    audit.record(session, actor, "board.consent_revoked", "board_resolution", resolution.id,
                 summary=f"{resolution.number}: {term.name} revoked their consent")


def _votes(session: Session, resolution: Resolution) -> dict[int, R.Choice]:
    return {v.term_id: v.choice for v in session.scalars(
        select(ResolutionVote).where(ResolutionVote.resolution_id == resolution.id))}


def _store(session: Session, resolution: Resolution, tally: R.Tally, passed: bool, reason: str,
           seats: list[R.Seat], actor: Actor | None, now: datetime) -> None:
    names = {t.id: t for t in _entitled_terms(session, resolution)}
    reasons = recused(session, resolution)
    resolution.entitled = [
        {"term": s.member, "name": names[s.member].name, "weight": s.weight,
         "present": s.counts_present, "proxy": s.represented_by, "recused": s.recused,
         "reason": reasons.get(s.member, "")} for s in seats]
    resolution.yes, resolution.no, resolution.abstain = tally.yes, tally.no, tally.abstain
    resolution.invalid, resolution.excluded = tally.invalid, tally.excluded
    resolution.basis, resolution.base, resolution.needed = tally.basis.value, tally.base, tally.needed
    resolution.outcome_reason = reason[:300]
    resolution.status = ResolutionStatus.PASSED if passed else ResolutionStatus.FAILED
    resolution.decided_at = now
    audit.record(session, actor, "board.decided", "board_resolution", resolution.id,
                 summary=f"{resolution.number} {resolution.status.value}: "
                         f"{tally.sentence(english=True)}",
                 after={"yes": tally.yes, "no": tally.no, "abstain": tally.abstain,
                        "invalid": tally.invalid, "excluded": tally.excluded,
                        "basis": tally.basis.value, "needed": tally.needed})


def close_vote(session: Session, resolution: Resolution, actor: Actor,
               now: datetime | None = None) -> R.Tally:
    """Count the votes of a meeting's resolution and store the tally and who was entitled."""
    _open(resolution)
    if resolution.item is None:
        raise ValidationError(_("A circular resolution is settled by its votes or its "
                                "deadline."))
    meeting = resolution.item.meeting
    MEETING_STATES.check(meeting, "vote")
    rules = meeting.body.rules
    seats = seats_for(session, resolution)
    quorum = R.quorum(seats, rules)
    if rules.recheck_quorum and not quorum.met:
        raise ValidationError(quorum.sentence())
    tally = R.tally(seats, _votes(session, resolution), rules, R.Majority(resolution.majority))
    _store(session, resolution, tally, tally.passed, tally.reason, seats, actor, now or utcnow())
    return tally


# --- circular resolutions ----------------------------------------------------------------------

def propose_circular(session: Session, body: Body, *, title: str, text: str, deadline: datetime,
                     subject_kind: SubjectKind = SubjectKind.NONE, subject_id: int | None = None,
                     amount: Money | None = None, majority: R.Majority | None = None,
                     public: bool = False, actor: Actor, fiscal: FiscalYear | None = None,
                     now: datetime | None = None) -> Resolution:
    """A resolution in writing (a discharge needs ``fiscal``, as ``propose``)."""
    now = now or utcnow()
    if deadline <= now:
        raise ValidationError(_("The deadline lies in the future."), field="deadline")
    today = clock.day_of(now)
    members = in_office(session, body, today)
    if not members:
        raise ValidationError(_("Nobody is in office on %(body)s.", body=body.name))
    sequence, number = _number(session, body, today.year)
    resolution = Resolution(
        body=body, year=today.year, sequence=sequence, number=number, deadline=deadline,
        title=_clean(title, "title", "resolution_title", 300),
        text=_clean(text, "text", "resolution_text", 20_000), subject_kind=subject_kind,
        subject_id=subject_id, amount=None if amount is None else amount.amount,
        currency=None if amount is None else amount.currency,
        majority=_majority_for(body, subject_kind, majority).value, public=public,
        proposed_by_id=getattr(actor, "id", None), created_at=now)
    session.add(resolution)
    session.flush()
    for term_id, reason in _recusals(session, body, members, subject_kind, subject_id,
                                     today, fiscal).items():
        session.add(Recusal(resolution_id=resolution.id, term_id=term_id, reason=reason[:300]))
    session.flush()
    audit.record(session, actor, "board.circular_proposed", "board_resolution", resolution.id,
                 summary=f"{number}: {resolution.title} (until {deadline:%Y-%m-%d %H:%M})")
    return resolution


def settle(session: Session, resolution: Resolution, *, now: datetime | None = None,
           actor: Actor | None = None) -> R.CircularResult:
    """Record a circular resolution's result once it is certain, or at its deadline."""
    _open(resolution)
    now = now or utcnow()
    seats = seats_for(session, resolution)
    result = R.circular_result(seats, _votes(session, resolution), resolution.body.rules,
                               R.Majority(resolution.majority),
                               deadline_passed=now >= resolution.deadline)
    if result.outcome is not R.Outcome.PENDING:
        tally = result.tally or R.tally(seats, _votes(session, resolution),
                                        resolution.body.rules, R.Majority(resolution.majority))
        _store(session, resolution, tally, result.outcome is R.Outcome.PASSED, result.reason,
               seats, actor, now)
    return result


def settle_due(session: Session, now: datetime | None = None) -> int:
    """Record the result of every open circular resolution whose result is certain or whose
    deadline has passed (the scheduled ``board.circulars`` job); returns how many were
    decided. Running it again decides nothing twice (a closed vote is not open any more)."""
    now = now or utcnow()
    due = session.scalars(select(Resolution).where(
        Resolution.status == ResolutionStatus.OPEN, Resolution.deadline.is_not(None))
        .order_by(Resolution.deadline, Resolution.id).with_for_update()).all()
    decided = 0
    for resolution in due:
        if settle(session, resolution, now=now).outcome is not R.Outcome.PENDING:
            decided += 1
    return decided


def terms_ending(session: Session, today: date, within: timedelta = timedelta(days=60)) -> list[Term]:
    return list(session.scalars(select(Term).where(
        Term.end_on.is_not(None), Term.end_on >= today, Term.end_on <= today + within)
        .order_by(Term.end_on)))
