"""The decision rules of a body, as pure functions: notice, quorum, majority, circular votes.

Most rules come from the statutes, so each body carries its own ``BodyRules`` (stored as JSON on
``board_bodies.rules``, read back through ``BodyRules.of``, which refuses anything it does not
know). A few rules no configuration switches off (``hard_refusal``): a member never votes on a
matter between the association and themself (§ 34 BGB), a resolution needs an agenda item that was
announced in the invitation ("any other business" carries none), and every member of the body must
have been invited.

Nothing here reads the database or the clock: the services gather the facts (who sits on the body
on that day, who is present, who voted what) and these functions decide. The tests state them as
tables (``tests/board/test_rules.py``).

Counting, written down once:

- Weights are whole numbers (a person 1, a legal-person member as the statutes say, e.g. 3). Every
  sum below is a sum of weights.
- A recused member (conflict of interest, § 34 BGB) is *excluded*: not in any count, not in the
  basis, and the tally says how much weight was excluded.
- The **basis** a majority is measured against: ``votes_cast`` (yes + no; abstentions and invalid
  votes do not count — the German default, BGH II ZR 126/81), ``present`` (every entitled weight
  present or represented, so an abstention counts as a no), or ``membership`` (every entitled
  weight of the body, present or not).
- **Simple majority**: yes × 2 > basis. A tie (yes × 2 = basis) fails unless the rules give the
  chair a casting vote, in which case the chair's own vote decides it. **Two-thirds** and
  **three-quarters**: yes × 3 ≥ 2 × basis, yes × 4 ≥ 3 × basis. **Unanimity**: yes = basis.
  A basis of zero passes nothing.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from ..core.i18n import N_, _, _l, gettext, ngettext, source


class RulesError(ValueError):
    """A body's configuration that cannot be used (names the setting)."""


class NoticeCounting(StrEnum):
    DAY_AFTER_SENDING = "day_after_sending"  # §§ 187(1), 188 BGB: the sending day does not count
    SAME_DAY = "same_day"                    # the sending day is the first day of the period


class Channel(StrEnum):
    EMAIL = "email"
    LETTER = "letter"


class QuorumKind(StrEnum):
    NONE = "none"      # quorate however many attend
    NUMBER = "number"  # at least ``quorum_number`` members present or represented
    SHARE = "share"    # at least ``quorum_share`` (numerator, denominator) of the members


class Basis(StrEnum):
    VOTES_CAST = "votes_cast"
    PRESENT = "present"
    MEMBERSHIP = "membership"

    @property
    def label(self) -> str:
        """As it reads after "of the" ("more than half of the votes cast")."""
        return _BASES[self]


class Majority(StrEnum):
    SIMPLE = "simple"
    TWO_THIRDS = "two_thirds"
    THREE_QUARTERS = "three_quarters"
    UNANIMOUS = "unanimous"

    @property
    def label(self) -> str:
        """As it reads inside a sentence ("more than half of the votes cast")."""
        return _MAJORITIES[self]


class CircularRule(StrEnum):
    UNANIMOUS = "unanimous"  # § 32(3) BGB: valid when every member agrees (text form suffices)
    MAJORITY = "majority"    # the statutes allow a majority (the body's basis and majority)
    US_CONSENT = "us_consent"  # unanimous written consent; effective with the last consent,
    #                            a consent may be revoked until then


class Choice(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"
    INVALID = "invalid"

    @property
    def label(self) -> str:
        return _CHOICES[self]


_BASES = {Basis.VOTES_CAST: _l("votes cast"), Basis.PRESENT: _l("members present"),
          Basis.MEMBERSHIP: _l("whole membership")}
_MAJORITIES = {Majority.SIMPLE: _l("more than half"), Majority.TWO_THIRDS: _l("two thirds"),
               Majority.THREE_QUARTERS: _l("three quarters"), Majority.UNANIMOUS: _l("all")}
#: The bases and majorities named on their own (a choice in a form, a tally's basis).
BASIS_NAMES = {Basis.VOTES_CAST: _l("Votes cast"), Basis.PRESENT: _l("Members present"),
               Basis.MEMBERSHIP: _l("Whole membership")}
MAJORITY_NAMES = {Majority.SIMPLE: _l("More than half"), Majority.TWO_THIRDS: _l("Two thirds"),
                  Majority.THREE_QUARTERS: _l("Three quarters"), Majority.UNANIMOUS: _l("All")}
_CHOICES = {Choice.YES: _l("Yes"), Choice.NO: _l("No"), Choice.ABSTAIN: _l("Abstain"),
            Choice.INVALID: _l("Invalid")}


@dataclass(frozen=True)
class BodyRules:
    """What a body's statutes say about meeting and deciding."""

    notice_days: int = 14
    notice_counting: NoticeCounting = NoticeCounting.DAY_AFTER_SENDING
    channel: Channel = Channel.EMAIL
    quorum: QuorumKind = QuorumKind.NONE
    quorum_number: int = 0
    quorum_share: tuple[int, int] = (1, 2)
    recheck_quorum: bool = True  # quorum checked again before every vote
    basis: Basis = Basis.VOTES_CAST
    majority: Majority = Majority.SIMPLE          # ordinary resolutions
    statute_majority: Majority = Majority.THREE_QUARTERS  # statute changes (§ 33 BGB default)
    proxies: bool = False
    proxies_per_holder: int = 1
    person_weight: int = 1
    legal_person_weight: int = 1
    chair_casting_vote: bool = False
    circular: CircularRule = CircularRule.UNANIMOUS
    circular_days: int = 7  # default deadline of a circular vote

    def __post_init__(self) -> None:
        for name in ("notice_days", "quorum_number", "proxies_per_holder", "circular_days"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise RulesError(_("%(name)s must be a whole number of 0 or more, not %(value)s.",
                                   name=name, value=repr(value)))
        for name in ("person_weight", "legal_person_weight"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise RulesError(_("%(name)s must be a whole number of 1 or more, not %(value)s.",
                                   name=name, value=repr(value)))
        numerator, denominator = self.quorum_share
        if not (isinstance(numerator, int) and isinstance(denominator, int)
                and 0 < numerator <= denominator):
            raise RulesError(_("quorum_share must be a fraction between 0 and 1, not %(value)s.",
                               value=repr(self.quorum_share)))

    @classmethod
    def of(cls, stored: Mapping[str, Any] | None) -> BodyRules:
        """The rules stored as JSON; an unknown key or value is refused, a missing one defaults."""
        stored = dict(stored or {})
        known = {f.name: f for f in cls.__dataclass_fields__.values()}
        unknown = set(stored) - set(known)
        if unknown:
            raise RulesError(_("Unknown rule setting(s): %(names)s.",
                               names=", ".join(sorted(unknown))))
        values: dict[str, Any] = {}
        enums = {"notice_counting": NoticeCounting, "channel": Channel, "quorum": QuorumKind,
                 "basis": Basis, "majority": Majority, "statute_majority": Majority,
                 "circular": CircularRule}
        for name, value in stored.items():
            if name in enums:
                try:
                    value = enums[name](value)
                except ValueError:
                    choices = ", ".join(m.value for m in enums[name])
                    raise RulesError(_("%(name)s must be one of %(choices)s, not %(value)s.",
                                       name=name, choices=choices, value=repr(value))) from None
            elif name == "quorum_share":
                value = tuple(value)
                if len(value) != 2:
                    raise RulesError(_("quorum_share is a pair (numerator, denominator)."))
            elif name in ("recheck_quorum", "proxies", "chair_casting_vote"):
                if not isinstance(value, bool):
                    raise RulesError(_("%(name)s must be true or false, not %(value)s.",
                                       name=name, value=repr(value)))
            values[name] = value
        return cls(**values)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["quorum_share"] = list(self.quorum_share)
        return {k: (v.value if isinstance(v, StrEnum) else v) for k, v in data.items()}

    def weight(self, legal_person: bool) -> int:
        return self.legal_person_weight if legal_person else self.person_weight

    def describe(self) -> list[str]:
        """The rules in sentences, for the body's page and the minutes (in the reader's
        language)."""
        channel = {Channel.EMAIL: _("email"), Channel.LETTER: _("letter")}[self.channel]
        if self.notice_counting is NoticeCounting.DAY_AFTER_SENDING:
            notice = ngettext("Notice: %(num)s day by %(channel)s, counted from the day after "
                              "sending.", "Notice: %(num)s days by %(channel)s, counted from the "
                              "day after sending.", self.notice_days, channel=channel)
        else:
            notice = ngettext("Notice: %(num)s day by %(channel)s, counted from the sending day.",
                              "Notice: %(num)s days by %(channel)s, counted from the sending day.",
                              self.notice_days, channel=channel)
        if self.quorum is QuorumKind.NONE:
            quorum = (_("Quorate however many members attend, checked before every vote.")
                      if self.recheck_quorum else _("Quorate however many members attend."))
        elif self.quorum is QuorumKind.NUMBER:
            quorum = (_("Quorate with %(number)s members present or represented, checked before "
                        "every vote.", number=self.quorum_number) if self.recheck_quorum
                      else _("Quorate with %(number)s members present or represented.",
                             number=self.quorum_number))
        else:
            share = f"{self.quorum_share[0]}/{self.quorum_share[1]}"
            quorum = (_("Quorate with %(share)s of the members present or represented, checked "
                        "before every vote.", share=share) if self.recheck_quorum
                      else _("Quorate with %(share)s of the members present or represented.",
                             share=share))
        votes = _("Votes: %(person)s per person, %(legal)s per legal-person member.",
                  person=self.person_weight, legal=self.legal_person_weight)
        proxies = (ngettext("Proxies allowed (%(num)s per member).",
                            "Proxies allowed (%(num)s per member).", self.proxies_per_holder)
                   if self.proxies else _("No proxies."))
        return [notice, quorum,
                _("Resolutions: %(majority)s of the %(basis)s; statute changes: %(statutes)s.",
                  majority=self.majority.label, basis=self.basis.label,
                  statutes=self.statute_majority.label),
                _("A tie: the chair's vote decides.") if self.chair_casting_vote
                else _("A tie fails."),
                f"{votes} {proxies}",
                {CircularRule.UNANIMOUS: _("Circular resolutions need every member's consent."),
                 CircularRule.MAJORITY: _("Circular resolutions pass by the same majority as at "
                                          "a meeting."),
                 CircularRule.US_CONSENT: _("Circular resolutions: unanimous written consent, "
                                            "effective with the last consent; a consent may be "
                                            "revoked until then.")}[self.circular]]


#: Named configurations. ``demo_statutes`` is taken from a real association's statutes:
#: three weeks' notice by e-mail, the assembly quorate however many attend, three quarters of the
#: votes cast for statute changes, one vote per person and three per legal-person member; the
#: board always quorate; a tie fails.
PRESETS: dict[str, dict[str, BodyRules]] = {
    "demo_statutes": {
        "assembly": BodyRules(notice_days=21, channel=Channel.EMAIL, quorum=QuorumKind.NONE,
                              basis=Basis.VOTES_CAST, statute_majority=Majority.THREE_QUARTERS,
                              person_weight=1, legal_person_weight=3, proxies=False),
        "board": BodyRules(notice_days=7, quorum=QuorumKind.NONE, basis=Basis.VOTES_CAST,
                           chair_casting_vote=False, circular=CircularRule.UNANIMOUS),
        "committee": BodyRules(notice_days=7, quorum=QuorumKind.NONE),
        "auditors": BodyRules(notice_days=7, quorum=QuorumKind.NONE),
    },
    "german_default": {  # §§ 32–34 BGB without anything in the statutes
        kind: BodyRules() for kind in ("assembly", "board", "committee", "auditors")},
    "us_board": {  # a typical US nonprofit's bylaws (majority of the whole board is a quorum)
        kind: BodyRules(notice_days=10, notice_counting=NoticeCounting.SAME_DAY,
                        quorum=QuorumKind.SHARE, quorum_share=(1, 2), basis=Basis.PRESENT,
                        statute_majority=Majority.TWO_THIRDS, proxies=False,
                        circular=CircularRule.US_CONSENT)
        for kind in ("assembly", "board", "committee", "auditors")},
}


# --- notice ------------------------------------------------------------------------------------

def latest_invitation_day(meeting_day: date, rules: BodyRules) -> date:
    """The last day an invitation may go out for a meeting on ``meeting_day``.

    Counted from the day after sending, N days' notice means N whole days between the sending day
    and the meeting day (sent on the 1st with 7 days' notice: the 2nd to the 8th are the period,
    the meeting may be on the 9th). Counted from the sending day, the sending day is the first.
    """
    extra = 1 if rules.notice_counting is NoticeCounting.DAY_AFTER_SENDING else 0
    return meeting_day - timedelta(days=rules.notice_days + extra)


def notice_shortfall(sent_on: date, meeting_day: date, rules: BodyRules) -> int:
    """How many days too late an invitation sent on ``sent_on`` is (0: in time)."""
    return max(0, (sent_on - latest_invitation_day(meeting_day, rules)).days)


# --- who counts --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Seat:
    """One entitled member at one vote: their weight and whether they are there."""

    member: int          # the term's id
    weight: int
    present: bool = False            # in the room (or the video call)
    represented_by: int | None = None  # the member holding their proxy
    recused: bool = False
    chair: bool = False

    @property
    def counts_present(self) -> bool:
        return self.present or self.represented_by is not None


def proxy_refusal(seats: Iterable[Seat], rules: BodyRules) -> str | None:
    """Why the proxies among ``seats`` cannot stand (None: they can)."""
    seats = list(seats)
    present = {s.member for s in seats if s.present}
    held: dict[int, int] = {}
    for seat in seats:
        if seat.represented_by is None:
            continue
        if not rules.proxies:
            return _("This body's statutes allow no proxies.")
        if seat.present:
            return _("A member who is present votes themself, not by proxy.")
        if seat.represented_by not in present:
            return _("A proxy must be held by a member who is present.")
        held[seat.represented_by] = held.get(seat.represented_by, 0) + 1
        if held[seat.represented_by] > rules.proxies_per_holder:
            return ngettext("A member may hold at most %(num)s proxy.",
                            "A member may hold at most %(num)s proxies.",
                            rules.proxies_per_holder)
    return None


@dataclass(frozen=True)
class Quorum:
    met: bool
    present: int   # members present or represented
    needed: int
    members: int
    rule: str  # the rule, as the sentence says it in the reader's language (a lazy text)

    def sentence(self) -> str:
        if self.met:
            return _("Quorate: %(present)s of %(members)s members present or represented "
                     "(%(rule)s).", present=self.present, members=self.members, rule=self.rule)
        return _("Not quorate: %(present)s of %(members)s members present or represented, "
                 "%(needed)s needed (%(rule)s).", present=self.present, members=self.members,
                 needed=self.needed, rule=self.rule)


def quorum(seats: Iterable[Seat], rules: BodyRules) -> Quorum:
    """Whether the body can decide with these members there (heads, not weights; a member
    represented by proxy counts as present where proxies are allowed)."""
    seats = list(seats)
    members = len(seats)
    present = sum(1 for s in seats if s.present or (rules.proxies and s.represented_by is not None))
    if rules.quorum is QuorumKind.NONE:
        return Quorum(present > 0, present, 1, members, _l("quorate however many attend"))
    if rules.quorum is QuorumKind.NUMBER:
        needed = max(1, rules.quorum_number)
        return Quorum(present >= needed, present, needed, members,
                      _l("%(number)s members needed", number=rules.quorum_number))
    numerator, denominator = rules.quorum_share
    needed = max(1, -(-members * numerator // denominator))  # ceiling
    share = f"{numerator}/{denominator}"
    return Quorum(present >= needed, present, needed, members,
                  _l("%(share)s of the members needed", share=share))


# --- the tally ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tally:
    """A vote counted: the figures are weights; ``excluded`` is the recused weight."""

    yes: int
    no: int
    abstain: int
    invalid: int
    excluded: int
    basis: Basis
    base: int        # the weight the majority is measured against
    majority: Majority
    needed: int      # yes weight needed to pass (with a tie: the casting vote decides)
    passed: bool
    casting_vote: bool = False  # the chair's vote decided a tie
    reason: str = ""  # in English, as it is stored (``shown`` reads it in the reader's language)

    def sentence(self, *, english: bool = False) -> str:
        """The tally in a sentence: in the reader's language, or in English for the records."""
        say = _english if english else gettext
        figures = [say(N_("%(count)s yes"), count=self.yes), say(N_("%(count)s no"), count=self.no),
                   f"{self.abstain} abstaining" if english else ngettext(
                       "%(num)s abstaining", "%(num)s abstaining", self.abstain)]
        if self.invalid:
            figures.append(say(N_("%(count)s invalid"), count=self.invalid))
        if self.excluded:
            figures.append(say(N_("%(count)s excluded (conflict of interest)"),
                               count=self.excluded))
        reason = self.reason if english else shown(self.reason)
        return say(N_("%(figures)s: passed (%(reason)s).") if self.passed
                   else N_("%(figures)s: failed (%(reason)s)."),
                   figures=", ".join(figures), reason=reason)


def _needed(majority: Majority, base: int) -> int:
    if majority is Majority.SIMPLE:
        return base // 2 + 1
    if majority is Majority.TWO_THIRDS:
        return -(-2 * base // 3)
    if majority is Majority.THREE_QUARTERS:
        return -(-3 * base // 4)
    return base


def tally(seats: Iterable[Seat], votes: Mapping[int, Choice], rules: BodyRules,
          majority: Majority | None = None) -> Tally:
    """Count ``votes`` (member → choice; a member holding a proxy casts the represented member's
    vote under that member's id) among the entitled ``seats``."""
    majority = majority or rules.majority
    seats = list(seats)
    by_member = {s.member: s for s in seats}
    stray = set(votes) - set(by_member)
    if stray:
        raise RulesError(f"Votes from members who are not entitled: {sorted(stray)}.")
    sums = dict.fromkeys(Choice, 0)
    excluded = 0
    chair_choice = None
    for seat in seats:
        if seat.recused:
            excluded += seat.weight
            continue
        choice = votes.get(seat.member)
        if choice is not None:
            sums[choice] += seat.weight
            if seat.chair:
                chair_choice = choice
    yes, no = sums[Choice.YES], sums[Choice.NO]
    counted = [s for s in seats if not s.recused]
    if rules.basis is Basis.VOTES_CAST:
        base = yes + no
    elif rules.basis is Basis.PRESENT:
        base = sum(s.weight for s in counted if s.present or
                   (rules.proxies and s.represented_by is not None) or s.member in votes)
    else:
        base = sum(s.weight for s in counted)
    needed = _needed(majority, base)
    casting = False
    reason = _english(NEEDED, majority=source(majority.label), basis=source(rules.basis.label),
                      needed=needed, base=base)
    if base == 0:
        passed, reason = False, _english(NO_BASE, basis=source(rules.basis.label))
    elif majority is Majority.SIMPLE and 2 * yes == base:
        casting = rules.chair_casting_vote and chair_choice in (Choice.YES, Choice.NO)
        passed = casting and chair_choice is Choice.YES
        reason = (TIE_CAST if casting
                  else TIE_NO_CHAIR if rules.chair_casting_vote else TIE)
    elif majority is Majority.UNANIMOUS:
        passed = yes == base
    else:
        passed = yes >= needed
    return Tally(yes=yes, no=no, abstain=sums[Choice.ABSTAIN], invalid=sums[Choice.INVALID],
                 excluded=excluded, basis=rules.basis, base=base, majority=majority,
                 needed=needed, passed=passed, casting_vote=casting, reason=reason)


# --- circular resolutions ----------------------------------------------------------------------

class Outcome(StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True)
class CircularResult:
    outcome: Outcome
    reason: str
    tally: Tally | None = field(default=None)


def circular_result(seats: Iterable[Seat], votes: Mapping[int, Choice], rules: BodyRules,
                    majority: Majority | None = None, *, deadline_passed: bool) -> CircularResult:
    """The result of a circular resolution once it is certain, or at the deadline.

    Unanimous rules (German § 32(3) BGB, the US profile) need every entitled member's yes: a no or
    an abstention settles it as failed at once, the last yes settles it as passed, and at the
    deadline a missing consent means failed. Under a majority rule the result is certain when
    the missing votes could not change it (all of them yes and all of them no give the same
    result); at the deadline the votes cast decide.
    """
    seats = [replace(s, present=True) for s in seats]  # everybody takes part in writing
    entitled = [s for s in seats if not s.recused]
    if rules.circular in (CircularRule.UNANIMOUS, CircularRule.US_CONSENT):
        unanimous = Majority.UNANIMOUS
        mine = {m: c for m, c in votes.items()}
        whole = replace(rules, basis=Basis.MEMBERSHIP)
        result = tally(seats, mine, whole, unanimous)
        refused = [s for s in entitled if mine.get(s.member) not in (None, Choice.YES)]
        if refused:
            return CircularResult(Outcome.FAILED, NOT_CONSENTED, result)
        if all(mine.get(s.member) is Choice.YES for s in entitled) and entitled:
            return CircularResult(Outcome.PASSED, ALL_CONSENTED, result)
        if deadline_passed:
            return CircularResult(Outcome.FAILED, NOT_ALL_BY_DEADLINE, result)
        return CircularResult(Outcome.PENDING, WAITING, result)
    missing = [s.member for s in entitled if s.member not in votes]
    if deadline_passed or not missing:
        result = tally(seats, votes, rules, majority)
        return CircularResult(Outcome.PASSED if result.passed else Outcome.FAILED,
                              result.reason, result)
    best = tally(seats, {**votes, **dict.fromkeys(missing, Choice.YES)}, rules, majority)
    worst = tally(seats, {**votes, **dict.fromkeys(missing, Choice.NO)}, rules, majority)
    if best.passed == worst.passed:
        outcome = Outcome.PASSED if worst.passed else Outcome.FAILED
        return CircularResult(outcome, CERTAIN, tally(seats, votes, rules, majority))
    return CircularResult(Outcome.PENDING, STILL_OPEN)


# --- the rules no configuration switches off ---------------------------------------------------

@dataclass(frozen=True)
class Party:
    """Who stands on the other side of a matter (the applicant of a grant, the payee of a
    payment, the sponsor's contact): e-mail addresses, user ids, member groups, sponsors."""

    emails: frozenset[str] = frozenset()
    users: frozenset[int] = frozenset()
    groups: frozenset[int] = frozenset()
    sponsors: frozenset[int] = frozenset()
    label: str = ""


@dataclass(frozen=True)
class Person:
    """A member as the conflict rule sees them: who they are and their declared interests."""

    email: str | None
    user_id: int | None = None
    groups: frozenset[int] = frozenset()    # member groups they organise (declared)
    sponsors: frozenset[int] = frozenset()  # sponsors they work for (declared)


def conflict(person: Person, party: Party | None) -> str | None:
    """§ 34 BGB: why ``person`` may not vote on a matter with ``party`` (None: they may)."""
    if party is None:
        return None
    other = party.label or OTHER_PARTY
    email = (person.email or "").strip().casefold()
    if email and email in {e.strip().casefold() for e in party.emails}:
        return _english(IS_MEMBER, party=other)
    if person.user_id is not None and person.user_id in party.users:
        return _english(IS_MEMBER, party=other)
    if person.groups & party.groups:
        return _english(ORGANISES, party=other)
    if person.sponsors & party.sponsors:
        return _english(WORKS_FOR, party=other)
    return None


def hard_refusal(*, announced: bool, any_other_business: bool, uninvited: Iterable[str]) -> str | None:
    """Why no resolution can be taken on this item at all (None: it can)."""
    if any_other_business:
        return _("\"Any other business\" carries no resolution: put the matter on the agenda of "
                 "the next meeting.")
    if not announced:
        return _("This item was not announced in the invitation; a resolution on it would be "
                 "void.")
    missing = sorted(uninvited)
    if missing:
        return _("Not every member was invited (%(names)s); no resolution can be taken.",
                 names=", ".join(missing))
    return None


# --- the reasons kept with a resolution --------------------------------------------------------
# A resolution keeps the reason of its result and of each recusal in English (stored records,
# like the audit log); ``shown`` reads one in the reader's language. The reasons are the closed
# set of texts below: a stored reason is matched against them, its values read back (a label of
# these rules in the reader's language, a value that is a reason itself read the same way).

NEEDED = N_("%(majority)s of the %(basis)s needed: %(needed)s of %(base)s")
NO_BASE = N_("no votes counted on the basis of the %(basis)s")
TIE = N_("a tie fails")
TIE_CAST = N_("a tie, decided by the chair's vote")
TIE_NO_CHAIR = N_("a tie fails (the chair did not vote)")
NOT_CONSENTED = N_("a member did not consent")
ALL_CONSENTED = N_("every member consented")
NOT_ALL_BY_DEADLINE = N_("not every member consented by the deadline")
WAITING = N_("waiting for consents")
CERTAIN = N_("certain whatever the missing votes")
STILL_OPEN = N_("the missing votes could still change the result")
OTHER_PARTY = N_("the other party")
IS_MEMBER = N_("%(party)s is this member (§ 34 BGB)")
ORGANISES = N_("organises the member group concerned (%(party)s)")
WORKS_FOR = N_("works for the sponsor concerned (%(party)s)")
APPLICANT = N_("the applicant of %(reference)s")
GROUP = N_("the group %(name)s")
SAT_ON_BOARD = N_("sat on the board in %(year)s (discharge)")  # kept by older versions
SAT_IN_FISCAL_YEAR = N_("sat on the board in the fiscal year %(start)s to %(end)s (discharge)")
REASONS = (NEEDED, NO_BASE, TIE, TIE_CAST, TIE_NO_CHAIR, NOT_CONSENTED, ALL_CONSENTED,
           NOT_ALL_BY_DEADLINE, WAITING, CERTAIN, STILL_OPEN, OTHER_PARTY, IS_MEMBER, ORGANISES,
           WORKS_FOR, APPLICANT, GROUP, SAT_ON_BOARD, SAT_IN_FISCAL_YEAR)


def _english(message: str, **values: Any) -> str:
    """A marked text in English, as the records keep it."""
    return message % values if values else message


@cache
def _pattern(message: str) -> re.Pattern:
    return re.compile(re.sub(r"%\\\((\w+)\\\)s", r"(?P<\1>.+?)", re.escape(message)))


def _labels() -> frozenset[str]:
    return frozenset(source(label) for label in (*_BASES.values(), *_MAJORITIES.values()))


def shown(stored: str | None, say: Callable[..., str] = gettext) -> str:
    """A reason kept in English (a tally's, a recusal's) in the reader's language (``say``: the
    gettext of another language, for a document); a text that is none of the reasons (written
    by an older version) as it is."""
    if not stored:
        return stored or ""
    for message in REASONS:
        match = _pattern(message).fullmatch(stored)
        if match:
            labels = _labels()
            return say(message, **{name: say(value) if value in labels else shown(value, say)
                                   for name, value in match.groupdict().items()})
    return stored
