"""Circular resolutions between meetings: the proposal mailed to every member with their own
signed link, a vote from the app or the link (each member once, a copy of the vote by e-mail),
the result recorded as soon as it is certain, or at the deadline (``settle_due``, scheduled)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..core import clock
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import NotFound, PermissionDenied
from ..core.i18n import _
from ..core.money import Money
from ..core.settings import Settings
from ..core.urls import absolute_url
from ..ledger.periods import FiscalYear
from . import links, notify, services
from .models import Body, Resolution, ResolutionVote, SubjectKind, Term
from .queries import terms_of
from .rules import Choice, CircularResult, Majority


def link_for(settings: Settings, resolution: Resolution, term: Term) -> str:
    return absolute_url(settings, "board.vote_by_link",
                        token=links.make(settings.secret_key, resolution.id, term.id))


def propose(session: Session, body: Body, *, title: str, text: str, deadline: datetime,
            settings: Settings, actor: Actor, subject_kind: SubjectKind = SubjectKind.NONE,
            subject_id: int | None = None, amount: Money | None = None,
            majority: Majority | None = None,
            public: bool = False, now: datetime | None = None) -> Resolution:
    """Put a resolution to the body in writing and mail each member (not the recused) a link."""
    resolution = services.propose_circular(
        session, body, title=title, text=text, deadline=deadline, subject_kind=subject_kind,
        subject_id=subject_id, amount=amount, majority=majority,
        public=public, actor=actor, fiscal=FiscalYear.of(settings.organisation), now=now)
    recused = services.recused(session, resolution)
    for term in services.in_office(session, body, resolution.day):
        if term.id not in recused:
            notify.circular(session, term, resolution, organisation=settings.organisation.name,
                            link=link_for(settings, resolution, term),
                            locale=settings.organisation.default_locale,
                            zone=settings.organisation.timezone)
    return resolution


def _vote(session: Session, resolution: Resolution, term: Term, choice: Choice, *,
          actor: Actor | None, via: str, settings: Settings,
          now: datetime) -> tuple[ResolutionVote, CircularResult]:
    if resolution.item is not None:
        raise NotFound(_("This resolution is voted on at its meeting."))
    vote = services.cast(session, resolution, term, choice, actor=actor, via=via, now=now)
    notify.vote_copy(session, term, resolution, choice=choice,
                     organisation=settings.organisation.name, cast_at=now,
                     locale=settings.organisation.default_locale,
                     zone=settings.organisation.timezone)
    return vote, services.settle(session, resolution, now=now, actor=actor)


def vote_in_app(session: Session, resolution: Resolution, choice: Choice, *, actor: Actor,
                settings: Settings, now: datetime | None = None):
    now = now or utcnow()
    term = next((t for t in terms_of(session, actor, clock.day_of(now))
                 if t.body_id == resolution.body_id), None)
    if term is None:
        raise PermissionDenied(_("You are not a member of %(body)s.", body=resolution.body.name))
    return _vote(session, resolution, term, choice, actor=actor, via="app", settings=settings,
                 now=now)


def from_link(session: Session, token: str, settings: Settings) -> tuple[Resolution, Term]:
    """The resolution and member a link names (``PermissionDenied`` for a changed or expired
    link, or one naming a member who is not on the body)."""
    named = links.read(settings.secret_key, token)
    resolution = session.get(Resolution, named.resolution_id)
    term = session.get(Term, named.term_id)
    if resolution is None or term is None or term.body_id != resolution.body_id:
        raise PermissionDenied(_("This voting link is not valid."))
    return resolution, term


def vote_by_link(session: Session, token: str, choice: Choice, *, settings: Settings,
                 now: datetime | None = None):
    resolution, term = from_link(session, token, settings)
    return _vote(session, resolution, term, choice, actor=None, via="link", settings=settings,
                 now=now or utcnow())
