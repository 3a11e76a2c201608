"""What the board's pages read: the dashboard, the resolution register, people in office on a
date and the association's representatives, the conflicts register, the public page.

Each page is a handful of queries whatever the history's size (the register is paged and
searched in the database; ``bench/board.py`` measures it with 20 years of monthly meetings)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..core.actors import Actor
from .models import (
    AgendaItem,
    Body,
    BodyKind,
    Interest,
    Meeting,
    MeetingStatus,
    Resolution,
    ResolutionStatus,
    ResolutionVote,
    Term,
)


def terms_of(session: Session, actor: Actor, on: date) -> list[Term]:
    """The actor's terms in office on ``on`` (by account, or by e-mail address)."""
    email = (getattr(actor, "email", "") or "").casefold()
    return list(session.scalars(select(Term).where(
        or_(Term.user_id == actor.id, Term.email == email), Term.start_on <= on,
        or_(Term.end_on.is_(None), Term.end_on >= on))))


def votes_due(session: Session, actor: Actor, today: date) -> list[tuple[Resolution, Term]]:
    """Open circular resolutions of a body the actor sits on, which they have not voted on."""
    mine = {t.body_id: t for t in terms_of(session, actor, today)}
    if not mine:
        return []
    found = session.scalars(select(Resolution).where(
        Resolution.status == ResolutionStatus.OPEN, Resolution.deadline.is_not(None),
        Resolution.body_id.in_(list(mine))).order_by(Resolution.deadline)).all()
    voted = set(session.execute(select(ResolutionVote.resolution_id, ResolutionVote.term_id)
                                .where(ResolutionVote.resolution_id.in_([r.id for r in found]))))
    return [(r, mine[r.body_id]) for r in found if (r.id, mine[r.body_id].id) not in voted]


def minutes_to_approve(session: Session) -> list[Meeting]:
    return list(session.scalars(select(Meeting).where(Meeting.status == MeetingStatus.HELD)
                                .order_by(Meeting.starts_at)))


@dataclass(frozen=True)
class Dashboard:
    next_meetings: list[Meeting]
    open_votes: list[Resolution]
    votes_due: list[tuple[Resolution, Term]]
    terms_ending: list[Term]
    minutes_to_approve: list[Meeting]
    bodies: list[Body]


def dashboard(session: Session, actor: Actor, today: date) -> Dashboard:
    upcoming = session.scalars(select(Meeting).where(
        Meeting.status.in_([MeetingStatus.PLANNED, MeetingStatus.INVITED, MeetingStatus.OPEN]))
        .order_by(Meeting.starts_at).limit(5)).all()
    open_votes = session.scalars(select(Resolution).where(
        Resolution.status == ResolutionStatus.OPEN).order_by(Resolution.id).limit(20)).all()
    ending = session.scalars(select(Term).where(
        Term.end_on.is_not(None), Term.end_on >= today, Term.end_on <= today + timedelta(days=90))
        .order_by(Term.end_on)).all()
    return Dashboard(list(upcoming), list(open_votes), votes_due(session, actor, today),
                     list(ending), minutes_to_approve(session),
                     list(session.scalars(select(Body).order_by(Body.id))))


# --- the resolution register -------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    rows: list[Resolution]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def register(session: Session, *, text: str = "", body_id: int | None = None,
             year: int | None = None, status: ResolutionStatus | None = None,
             public_only: bool = False, page: int = 1, per_page: int = 50) -> Page:
    """Resolutions, newest first, filtered in the database; each row with its meeting."""
    where = []
    text = (text or "").strip()
    if text:
        pattern = f"%{text.replace('%', '').replace('_', '')}%"
        where.append(or_(Resolution.number.ilike(pattern), Resolution.title.ilike(pattern),
                         Resolution.text.ilike(pattern)))
    if body_id:
        where.append(Resolution.body_id == body_id)
    if year:
        where.append(Resolution.year == year)
    if status:
        where.append(Resolution.status == status)
    if public_only:
        where.append(Resolution.public.is_(True))
    total = session.scalar(select(func.count()).select_from(Resolution).where(*where)) or 0
    page = max(1, page)
    # the page's ids first (a narrow sort on the index), then those rows with what they show
    ids = list(session.scalars(
        select(Resolution.id).where(*where)
        .order_by(Resolution.year.desc(), Resolution.body_id, Resolution.sequence.desc())
        .offset((page - 1) * per_page).limit(per_page)))
    found = {r.id: r for r in session.scalars(
        select(Resolution).where(Resolution.id.in_(ids))
        .options(selectinload(Resolution.item).selectinload(AgendaItem.meeting),
                 selectinload(Resolution.body)))} if ids else {}
    return Page([found[i] for i in ids], total, page, per_page)


def years(session: Session) -> list[int]:
    return list(session.scalars(select(Resolution.year).distinct().order_by(
        Resolution.year.desc())))


# --- people ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InOffice:
    body: Body
    terms: list[Term]


def people_on(session: Session, on: date) -> list[InOffice]:
    terms = session.scalars(select(Term).where(
        Term.start_on <= on, or_(Term.end_on.is_(None), Term.end_on >= on))
        .options(selectinload(Term.elected_by)).order_by(Term.body_id, Term.function, Term.name))
    by_body: dict[int, list[Term]] = {}
    for term in terms:
        by_body.setdefault(term.body_id, []).append(term)
    return [InOffice(body, by_body.get(body.id, []))
            for body in session.scalars(select(Body).order_by(Body.id))]


def representatives(session: Session, on: date) -> list[Term]:
    """Who may represent the association on ``on`` (§ 26 BGB; for the register of
    associations): the board's members marked as representatives, in office that day."""
    return list(session.scalars(select(Term).join(Body, Term.body_id == Body.id).where(
        Body.kind == BodyKind.BOARD, Term.represents.is_(True), Term.start_on <= on,
        or_(Term.end_on.is_(None), Term.end_on >= on)).order_by(Term.function, Term.name)))


def conflicts_register(session: Session) -> list[Interest]:
    return list(session.scalars(select(Interest).order_by(Interest.email, Interest.start_on)))


def public_bodies(session: Session, on: date) -> list[InOffice]:
    return [entry for entry in people_on(session, on) if entry.body.public]


def meeting(session: Session, meeting_id: int) -> Meeting | None:
    """A meeting with everything its page shows loaded in a few queries (items, their
    resolutions, attendance, addenda, the body)."""
    return session.scalar(select(Meeting).where(Meeting.id == meeting_id).options(
        selectinload(Meeting.items).selectinload(AgendaItem.resolutions),
        selectinload(Meeting.attendance), selectinload(Meeting.addenda),
        selectinload(Meeting.body)))
