"""Who may not take part in deciding on a grant application, and why. No database, no Flask.

One rule for every path that decides (``DECISIONS``): the services refuse a conflicted actor with
``PermissionDenied``, the application page hides the forms, the tally leaves out their votes, and
the board-confirmation check does not count them. A person is conflicted on an application when

- they declared a conflict of interest on it (their review says so),
- they are the applicant: the user who made the application, or a user whose e-mail address is the
  application's contact address (compared case-insensitively),
- they organise the member group that applies.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from ..core.errors import PermissionDenied
from ..core.i18n import N_, gettext

if TYPE_CHECKING:
    from ..core.actors import Actor
    from .models import Application


class Reason(StrEnum):
    DECLARED = "declared"
    APPLICANT = "applicant"
    CONTACT = "contact"
    ORGANISER = "organiser"


#: Each reason as the rule says it (the permissions table prints these) ...
RULES: dict[Reason, str] = {
    Reason.DECLARED: "declared a conflict of interest on it",
    Reason.APPLICANT: "made the application with their account",
    Reason.CONTACT: "have the application's contact e-mail address (compared case-insensitively)",
    Reason.ORGANISER: "organise the member group that applies",
}
#: ... and as the refusal tells the person.
_TOLD: dict[Reason, str] = {
    Reason.DECLARED: N_("You declared a conflict of interest"),
    Reason.APPLICANT: N_("You made this application"),
    Reason.CONTACT: N_("Your e-mail address is the application's contact address"),
    Reason.ORGANISER: N_("You organise the group that applies"),
}

#: The actions a conflicted person may not take on the application, as the refusal names them.
DECISIONS: dict[str, str] = {
    "assign": "assign reviewers to",
    "review": "review",
    "score": "score",
    "vote": "vote on",
    "approve": "approve",
    "reject": "decline",
    "reduce": "change the amount of",
    "cancel": "cancel",
    "close": "close",
}
#: The refusal of each of them, a whole sentence (``DECISIONS`` words it for the permissions
#: table); ``reason`` is ``ConflictOfInterest.told()``.
_REFUSALS: dict[str, str] = {
    "assign": N_("%(reason)s: you cannot assign reviewers to application %(reference)s."),
    "review": N_("%(reason)s: you cannot review application %(reference)s."),
    "score": N_("%(reason)s: you cannot score application %(reference)s."),
    "vote": N_("%(reason)s: you cannot vote on application %(reference)s."),
    "approve": N_("%(reason)s: you cannot approve application %(reference)s."),
    "reject": N_("%(reason)s: you cannot decline application %(reference)s."),
    "reduce": N_("%(reason)s: you cannot change the amount of application %(reference)s."),
    "cancel": N_("%(reason)s: you cannot cancel application %(reference)s."),
    "close": N_("%(reason)s: you cannot close application %(reference)s."),
}


@dataclass(frozen=True)
class ConflictOfInterest:
    reason: Reason
    note: str = ""

    def told(self) -> str:
        """The reason as the person is told it ("You declared a conflict of interest (...)")."""
        if self.note:
            return gettext("%(reason)s (%(note)s)", reason=gettext(_TOLD[self.reason]),
                           note=self.note)
        return gettext(_TOLD[self.reason])


def _same_email(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and a.strip().casefold() == b.strip().casefold()


def conflict_of(application: Application, person: Actor) -> ConflictOfInterest | None:
    """Why ``person`` (a user, or anything with ``id``, ``email`` and optionally
    ``organised_group_ids``) may not decide on ``application``; ``None`` when they may.

    Reads only what is loaded on the two objects: the application's reviews, applicant user,
    contact e-mail and group, and the person's id, e-mail and organised groups."""
    if person is None:
        return None
    person_id = getattr(person, "id", None)
    if person_id is not None:
        for review in application.reviews:
            if review.reviewer_id == person_id and review.conflict:
                return ConflictOfInterest(Reason.DECLARED, review.conflict_note or "")
        if application.applicant_user_id is not None and \
                application.applicant_user_id == person_id:
            return ConflictOfInterest(Reason.APPLICANT)
    if _same_email(getattr(person, "email", None), application.contact_email):
        return ConflictOfInterest(Reason.CONTACT)
    groups = getattr(person, "organised_group_ids", frozenset())
    if application.group_id is not None and application.group_id in groups:
        return ConflictOfInterest(Reason.ORGANISER)
    return None


def refusal(application: Application, person: Actor, action: str) -> str | None:
    """The sentence refusing ``person`` the decision ``action``; ``None`` when they may."""
    conflict = conflict_of(application, person)
    if conflict is None:
        return None
    return gettext(_REFUSALS[action], reason=conflict.told(), reference=application.reference)


def refuse(application: Application, person: Actor, action: str) -> None:
    """``PermissionDenied`` when ``person`` may not take the decision ``action`` (one of
    ``DECISIONS``) on ``application``: what every deciding service calls first."""
    text = refusal(application, person, action)
    if text is not None:
        raise PermissionDenied(text)
