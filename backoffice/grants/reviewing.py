"""Reviewing an application: the committee's reviewers, scores, conflicts, votes and their tally,
questions to the applicant."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import PermissionDenied, ValidationError
from ..core.i18n import _
from ..core.permissions import Permission
from ..core.settings import Settings
from . import conflicts, notify
from .lifecycle import check, locked, record_event, required_text, transition
from .models import Application, Review, Vote


def review_of(application: Application, user: Actor) -> Review | None:
    return next((r for r in application.reviews if r.reviewer_id == user.id), None)


def is_conflicted(application: Application, user: Actor) -> bool:
    """Declared a conflict, is the applicant (by account or contact e-mail), or organises the
    group that applies: ``conflicts.conflict_of``."""
    return conflicts.conflict_of(application, user) is not None


def _review_row(session: Session, application: Application, user: Actor, *, assigned_by: Actor | None = None) -> Review:
    review = review_of(application, user)
    if review is None:
        review = Review(application=application, reviewer_id=user.id,
                        assigned_by_id=getattr(assigned_by, "id", None))
        session.add(review)
        session.flush()
    return review


def _check_reviewer(user: Actor) -> None:
    if not user.can(Permission.GRANTS_REVIEW):
        raise PermissionDenied(_("%(name)s is not a member of the grants committee.",
                                 name=user.display_name))


def _check_open_for_review(application: Application) -> None:
    check(application, "review")


def assign_reviewer(session: Session, application: Application, reviewer: Actor, *,
                    actor: Actor, settings: Settings) -> Review:
    _check_open_for_review(application)
    conflicts.refuse(application, actor, "assign")
    _check_reviewer(reviewer)
    if is_conflicted(application, reviewer):
        raise ValidationError(_("%(name)s has a conflict of interest with this application.",
                                name=reviewer.display_name), field="reviewer")
    if review_of(application, reviewer) is not None:
        raise ValidationError(_("%(name)s already reviews this application.",
                                name=reviewer.display_name), field="reviewer")
    review = _review_row(session, application, reviewer, assigned_by=actor)
    record_event(session, application, "reviewer_assigned", actor, public=False,
                 reason=f"{reviewer.display_name} assigned")
    audit.record(session, actor, "grant.reviewer_assigned", "grant_application", application.id,
                 summary=f"{application.reference}: {reviewer.email} assigned")
    notify.review_request(session, application, reviewer, asked_by=actor, settings=settings)
    return review


def volunteer(session: Session, application: Application, *, actor: Actor) -> Review:
    _check_open_for_review(application)
    _check_reviewer(actor)
    conflicts.refuse(application, actor, "review")
    if review_of(application, actor) is not None:
        raise ValidationError(_("You already review this application."))
    review = _review_row(session, application, actor)
    record_event(session, application, "reviewer_volunteered", actor, public=False)
    audit.record(session, actor, "grant.reviewer_volunteered", "grant_application",
                 application.id, summary=f"{application.reference}: {actor.email} volunteered")
    return review


def declare_conflict(session: Session, application: Application, *, note: str,
                     actor: Actor) -> Review:
    """The member takes no further part: their score and vote (if any) are removed."""
    _check_reviewer(actor)
    note = required_text(note, "note", _("Please say briefly what the conflict is."), 500)
    review = _review_row(session, application, actor)
    before = {"score": review.score, "vote": review.vote}
    review.conflict, review.conflict_note = True, note
    review.score, review.vote, review.voted_at = None, None, None
    record_event(session, application, "conflict_declared", actor, public=False, reason=note)
    audit.record(session, actor, "grant.conflict_declared", "grant_application", application.id,
                 summary=f"{application.reference}: {actor.email}: {note[:200]}", before=before)
    return review


def score(session: Session, application: Application, *, value: int | None, comment: str,
          actor: Actor) -> Review:
    _check_open_for_review(application)
    _check_reviewer(actor)
    conflicts.refuse(application, actor, "score")
    if value is not None and not 1 <= value <= 5:
        raise ValidationError(_("Score from 1 (weak) to 5 (excellent)."), field="score")
    comment = (comment or "").strip()
    if value is None and not comment:
        raise ValidationError(_("Give a score or a comment."), field="score")
    review = _review_row(session, application, actor)
    before = {"score": review.score, "comment": review.comment}
    review.score, review.comment = value, comment[:10000]
    audit.record(session, actor, "grant.scored", "grant_application", application.id,
                 summary=f"{application.reference}: score {value}", before=before,
                 after={"score": value, "comment": comment[:500]})
    return review


def cast_vote(session: Session, application: Application, *, vote: str, actor: Actor) -> Review:
    application = locked(session, application)
    check(application, "vote")
    _check_reviewer(actor)
    conflicts.refuse(application, actor, "vote")
    vote = Vote(vote)
    review = _review_row(session, application, actor)
    before = review.vote
    review.vote, review.voted_at = vote.value, utcnow()
    audit.record(session, actor, "grant.voted", "grant_application", application.id,
                 summary=f"{application.reference}: {vote.value}", before={"vote": before},
                 after={"vote": vote.value})
    return review


@dataclass(frozen=True)
class Tally:
    yes: int
    no: int
    abstain: int
    quorum: int

    @property
    def cast(self) -> int:
        return self.yes + self.no + self.abstain

    @property
    def quorate(self) -> bool:
        return self.cast >= self.quorum

    @property
    def carried(self) -> bool:
        return self.quorate and self.yes > self.no


def tally(application: Application) -> Tally:
    """Votes of members without a conflict (``conflicts.conflict_of``, also one that arose
    after the vote); abstentions count toward the quorum only."""
    votes = [r.vote for r in application.reviews
             if r.vote and conflicts.conflict_of(application, r.reviewer) is None]
    return Tally(votes.count("yes"), votes.count("no"), votes.count("abstain"),
                 application.programme.quorum)


def request_information(session: Session, application: Application, *, question: str,
                        actor: Actor, settings: Settings) -> Application:
    application = locked(session, application)
    check(application, "request_information")
    question = required_text(question, "question",
                             _("Please write the question for the applicant."), 5000)
    transition(session, application, "request_information", actor, reason=question,
               settings=settings)
    return application


def start_review(session: Session, application: Application, *, actor: Actor,
                 settings: Settings) -> Application:
    application = locked(session, application)
    transition(session, application, "start_review", actor, settings=settings)
    return application
