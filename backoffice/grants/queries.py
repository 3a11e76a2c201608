"""Read-only views: the reviewers' queue, the budget per programme and year, the public list.

Each list reads one page of applications and then the aggregates for that page only, so the
cost does not grow with the number of applications.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session, aliased

from ..core import clock
from ..core.i18n import source
from ..core.money import Money
from ..core.tables import DATE, INTEGER, MONEY, NUMBER, Column, Table
from .models import (
    AWARDED_STATES,
    REVIEW_STATES,
    Application,
    Budget,
    Programme,
    Review,
    Status,
    Vote,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from sqlalchemy import ColumnElement, Select

    from ..core.actors import Actor


@dataclass(frozen=True, slots=True)
class MyReview:
    """The viewer's part in an application as the queue shows it."""

    conflict: bool
    score: int | None
    vote: str | None

    @property
    def vote_label(self) -> str:
        return str(Vote(self.vote).label) if self.vote else ""


@dataclass(frozen=True, slots=True)
class QueuedApplication:
    """An application as the queue shows it (plain values: an application has 34 columns,
    its description among them, and a page of ORM objects cost more than its statement)."""

    id: int
    applicant_name: str
    title: str
    programme_name: str
    submitted_at: datetime | None
    status: Status
    amount_requested: int
    currency: str

    @property
    def reference(self) -> str:
        return f"G-{self.id:05d}"


@dataclass
class QueueRow:
    application: QueuedApplication
    reviews: int = 0
    average_score: float | None = None
    votes: int = 0
    mine: MyReview | None = None


@dataclass
class Page:
    rows: list
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


_QUEUED = (Application.id, Application.applicant_name, Application.title, Programme.name,
           Application.submitted_at, Application.status, Application.amount_requested,
           Application.currency)


def _queue_statements(conditions: tuple) -> tuple[Select, Select]:
    """(how many applications meet ``conditions``, a page of them) with the page's ``offset``
    and ``limit`` as parameters. Each row of the page carries how many meet the conditions (a
    window), its review figures (reviews, average score and votes of the members without a
    conflict) and the ``reviewer``'s part (issue 17: one statement where there were four)."""
    of_it = Review.application_id == Application.id
    figures = [select(function).where(of_it, Review.conflict.is_(False))
               .correlate(Application).scalar_subquery().label(name)
               for name, function in (("reviews", func.count()), ("average", func.avg(Review.score)),
                                      ("votes", func.count(Review.vote)))]
    mine = aliased(Review, name="mine")
    return (select(func.count()).select_from(Application).where(*conditions),
            select(*_QUEUED, func.count().over().label("total"), *figures,
                   mine.id.label("mine"), mine.conflict, mine.score, mine.vote)
            .join(Programme, Programme.id == Application.programme_id)
            .outerjoin(mine, (mine.application_id == Application.id)
                       & (mine.reviewer_id == bindparam("reviewer")))
            .where(*conditions)
            .order_by(Application.submitted_at.asc().nulls_last(), Application.id)
            .offset(bindparam("offset")).limit(bindparam("limit")))


def _in_statuses() -> ColumnElement[bool]:
    return Application.status.in_(bindparam("statuses", expanding=True))


@cache
def _unfiltered_queue() -> tuple[Select, Select]:
    """The queue's statements without filters but its states, the page most asked for (built
    once: building them and their cache keys cost more than the rest of the queries' Python,
    issue 17)."""
    return _queue_statements((_in_statuses(),))


def applications_page(session: Session, *, statuses: Iterable[Status] = REVIEW_STATES, programme_id: int | None = None,
                      text: str = "", reviewer: Actor | None = None, assigned_only: bool = False,
                      page: int = 1, size: int = 50) -> Page:
    """Applications (oldest submission first) with their review figures and the viewer's part."""
    conditions = []
    if programme_id:
        conditions.append(Application.programme_id == programme_id)
    if text:
        pattern = f"%{text.strip()}%"
        conditions.append(Application.applicant_name.ilike(pattern)
                          | Application.title.ilike(pattern)
                          | Application.contact_email.ilike(pattern))
    if assigned_only and reviewer is not None:
        conditions.append(Application.id.in_(
            select(Review.application_id).where(Review.reviewer_id == reviewer.id,
                                                Review.conflict.is_(False))))
    counting, listing = (_queue_statements((_in_statuses(), *conditions)) if conditions
                         else _unfiltered_queue())
    page = max(1, page)
    found = session.execute(listing, {"statuses": list(statuses), "limit": size,
                                      "offset": (page - 1) * size,
                                      "reviewer": reviewer.id if reviewer is not None else None}).all()
    # The count comes with the rows; a page beyond the last has none to bring it.
    total = found[0].total if found else session.scalar(counting, {"statuses": list(statuses)})
    rows = [QueueRow(QueuedApplication(*row[:len(_QUEUED)]), reviews=row.reviews, votes=row.votes,
                     average_score=float(row.average) if row.average is not None else None,
                     mine=MyReview(row.conflict, row.score, row.vote) if row.mine is not None else None)
            for row in found]
    return Page(rows, total, page, size)


@dataclass
class BudgetRow:
    programme: Programme
    year: int
    budget: int | None
    awarded: int = 0
    paid: int = 0
    grants: int = 0
    requested_pending: int = 0
    pending: int = 0

    @property
    def committed(self) -> int:
        """Awarded and not yet paid: still owed (the grants payable)."""
        return self.awarded - self.paid

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else self.budget - self.awarded


@dataclass
class BudgetView:
    year: int
    rows: list[BudgetRow] = field(default_factory=list)
    years: list[int] = field(default_factory=list)


def budget_view(session: Session, year: int) -> BudgetView:
    programmes = session.scalars(select(Programme).order_by(Programme.name)).all()
    budgets = {b.programme_id: b.amount for b in session.scalars(
        select(Budget).where(Budget.year == year))}
    awarded = {row.programme_id: row for row in session.execute(
        select(Application.programme_id,
               func.coalesce(func.sum(Application.amount_awarded), 0).label("awarded"),
               func.coalesce(func.sum(Application.amount_paid), 0).label("paid"),
               func.count(case((Application.amount_awarded > 0, 1))).label("grants"))
        .where(Application.budget_year == year).group_by(Application.programme_id))}
    pending = {row.programme_id: row for row in session.execute(
        select(Application.programme_id,
               func.coalesce(func.sum(Application.amount_requested), 0).label("requested"),
               func.count().label("count"))
        .where(Application.status.in_(list(REVIEW_STATES)))
        .group_by(Application.programme_id))}
    view = BudgetView(year)
    for programme in programmes:
        row = BudgetRow(programme, year, budgets.get(programme.id))
        if (a := awarded.get(programme.id)) is not None:
            row.awarded, row.paid, row.grants = int(a.awarded), int(a.paid), a.grants
        if (p := pending.get(programme.id)) is not None:
            row.requested_pending, row.pending = int(p.requested), p.count
        view.rows.append(row)
    view.years = sorted({year, *session.scalars(select(Budget.year).distinct())}, reverse=True)
    return view


def awarded_publicly(session: Session, *, year: int | None = None, page: int = 1,
                     size: int = 50) -> Page:
    """Grants of programmes that publish their awards: to whom, for what, how much."""
    conditions = [Programme.public_list.is_(True),
                  Application.status.in_(list(AWARDED_STATES)),
                  Application.amount_awarded > 0]
    if year:
        conditions.append(Application.budget_year == year)
    base = select(Application).join(Application.programme).where(*conditions)
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    rows = session.scalars(base.order_by(Application.decided_at.desc(), Application.id.desc())
                           .offset((max(page, 1) - 1) * size).limit(size)).all()
    return Page(rows, total, max(page, 1), size)


def public_years(session: Session) -> list[int]:
    return list(session.scalars(
        select(Application.budget_year).join(Application.programme)
        .where(Programme.public_list.is_(True), Application.budget_year.is_not(None))
        .distinct().order_by(Application.budget_year.desc())))


def applications_of(session: Session, user: Actor) -> list[Application]:
    """What a logged-in applicant may follow: what they applied for, and their groups'."""
    conditions = [Application.applicant_user_id == user.id]
    if user.organised_group_ids:
        conditions.append(Application.group_id.in_(list(user.organised_group_ids)))
    condition = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
    return list(session.scalars(select(Application).where(condition)
                                .order_by(Application.id.desc()).limit(200)))


STATUS_CHOICES = [(s.value, s.label) for s in Status]


def applications_table(session: Session, **filters) -> Table:
    """The committee's queue with its filters (every page) as a table to download; ``filters``
    as for ``applications_page``."""
    page = applications_page(session, **filters, page=1, size=10**9)
    return Table("grant-applications", (
        Column("Reference", width=12), Column("Applicant"), Column("Event or purpose", width=40),
        Column("Programme"), Column("Submitted", DATE), Column("Status", width=14),
        Column("Requested", MONEY), Column("Reviews", INTEGER), Column("Score", NUMBER),
        Column("Votes", INTEGER)),
        ((row.application.reference, row.application.applicant_name, row.application.title,
          row.application.programme_name,
          clock.day_of(row.application.submitted_at) if row.application.submitted_at else None,
          source(row.application.status.label),  # the export's words are English, as its headers
          Money(row.application.amount_requested, row.application.currency),
          row.reviews, None if row.average_score is None else round(row.average_score, 1),
          row.votes) for row in page.rows))
