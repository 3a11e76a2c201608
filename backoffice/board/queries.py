"""What the board's pages read: the dashboard, the resolution register, people in office on a
date and the association's representatives, the conflicts register, the public page.

Each page is a handful of queries whatever the history's size (the register is paged by keyset
and searched in the database; the meeting page reads its items, resolutions, votes and
attendance in a fixed number of queries; ``bench/board.py`` measures both with 20 years of
monthly meetings)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session, joinedload, selectinload

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
    """One page of the register: its rows, where the next page starts (None: the last page),
    and whether it is the first. Paged by keyset (the last row's year, body and number), so a
    page deep in twenty years reads as little as the first; nothing counts every match."""

    rows: list[Resolution]
    next_after: str | None
    first: bool

    @property
    def total(self) -> int | None:
        """How many resolutions match, when they all fit on this one page (else unknown)."""
        return len(self.rows) if self.first and self.next_after is None else None


def cursor_of(resolution: Resolution) -> str:
    return f"{resolution.year}-{resolution.body_id}-{resolution.sequence}"


def parse_cursor(text: str | None) -> tuple[int, int, int] | None:
    """``year-body-sequence`` as the register's links write it (``ValueError`` otherwise)."""
    if not text:
        return None
    year, body_id, sequence = (int(part) for part in text.split("-"))
    if not (0 < year < 10_000 and 0 < body_id < 2**31 and 0 < sequence < 2**31):
        raise ValueError(text)
    return year, body_id, sequence


def register(session: Session, *, text: str = "", body_id: int | None = None,
             year: int | None = None, status: ResolutionStatus | None = None,
             public_only: bool = False, after: tuple[int, int, int] | None = None,
             per_page: int = 50) -> Page:
    """Resolutions, newest first (year, body, number, all descending: the register's index read
    backwards), filtered and searched in the database, one page after ``after``; each row with
    its meeting. A search reads rows in that order until it has a page (no count of all)."""
    where = []
    text = (text or "").strip()
    if text:
        pattern = f"%{text.replace('%', '').replace('_', '')}%"
        # SQLite's LIKE ignores ASCII case itself (its lower() knows no more than ASCII
        # either): ilike's lower() on every column of every row only made the scan slower
        sqlite = session.get_bind().dialect.name == "sqlite"
        where.append(or_(*(column.like(pattern) if sqlite else column.ilike(pattern)
                           for column in (Resolution.number, Resolution.title,
                                          Resolution.text))))
    if body_id:
        where.append(Resolution.body_id == body_id)
    if year:
        where.append(Resolution.year == year)
    if status:
        where.append(Resolution.status == status)
    if public_only:
        where.append(Resolution.public.is_(True))
    if after is not None:
        where.append(tuple_(Resolution.year, Resolution.body_id, Resolution.sequence)
                     < tuple_(*after))
    # one query: the page's rows in the index's order, each with its item and meeting (joined:
    # each has at most one, so the LIMIT stays a limit on resolutions)
    rows = list(session.scalars(
        select(Resolution).where(*where)
        .order_by(Resolution.year.desc(), Resolution.body_id.desc(), Resolution.sequence.desc())
        .limit(per_page + 1)
        .options(joinedload(Resolution.item).joinedload(AgendaItem.meeting))))
    more = len(rows) > per_page
    rows = rows[:per_page]
    return Page(rows, cursor_of(rows[-1]) if more else None, after is None)


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
        joinedload(Meeting.body)))
