"""The decision rules as tables: each row a case the statutes (or the law) decide one way."""
from __future__ import annotations

from datetime import date

import pytest

from backoffice.board.rules import (
    PRESETS,
    Basis,
    BodyRules,
    Choice,
    CircularRule,
    Majority,
    NoticeCounting,
    Outcome,
    Party,
    Person,
    QuorumKind,
    RulesError,
    Seat,
    circular_result,
    conflict,
    hard_refusal,
    latest_invitation_day,
    notice_shortfall,
    proxy_refusal,
    quorum,
    tally,
)

Y, N, A, INV = Choice.YES, Choice.NO, Choice.ABSTAIN, Choice.INVALID


def seats(n: int, present: int | None = None, weights: dict[int, int] | None = None,
          recused: tuple[int, ...] = (), chair: int | None = None) -> list[Seat]:
    present = n if present is None else present
    return [Seat(member=i, weight=(weights or {}).get(i, 1), present=i < present,
                 recused=i in recused, chair=i == chair) for i in range(n)]


def votes(*choices) -> dict[int, Choice]:
    return {i: c for i, c in enumerate(choices) if c is not None}


# --- majorities --------------------------------------------------------------------------------

CAST = BodyRules(basis=Basis.VOTES_CAST)
PRESENT = BodyRules(basis=Basis.PRESENT)
MEMBERSHIP = BodyRules(basis=Basis.MEMBERSHIP)
CASTING = BodyRules(basis=Basis.VOTES_CAST, chair_casting_vote=True)

MAJORITY_TABLE = [
    # (rules, majority, seats, votes, passed, yes, no, abstain, base, needed)
    # votes cast: abstentions and invalid votes do not count
    (CAST, Majority.SIMPLE, seats(5), votes(Y, Y, N, A, A), True, 2, 1, 2, 3, 2),
    (CAST, Majority.SIMPLE, seats(5), votes(Y, N, A, A, INV), False, 1, 1, 2, 2, 2),  # a tie fails
    (CAST, Majority.SIMPLE, seats(4), votes(Y, Y, N, N), False, 2, 2, 0, 4, 3),
    (CAST, Majority.SIMPLE, seats(3), votes(A, A, A), False, 0, 0, 3, 0, 1),  # nothing cast
    # members present: an abstention weighs as a no
    (PRESENT, Majority.SIMPLE, seats(5), votes(Y, Y, N, A, A), False, 2, 1, 2, 5, 3),
    (PRESENT, Majority.SIMPLE, seats(5, present=4), votes(Y, Y, Y, N), True, 3, 1, 0, 4, 3),
    # whole membership: the absent count against
    (MEMBERSHIP, Majority.SIMPLE, seats(7, present=4), votes(Y, Y, Y, Y), True, 4, 0, 0, 7, 4),
    (MEMBERSHIP, Majority.SIMPLE, seats(8, present=4), votes(Y, Y, Y, Y), False, 4, 0, 0, 8, 5),
    # special majorities
    (CAST, Majority.TWO_THIRDS, seats(6), votes(Y, Y, Y, Y, N, N), True, 4, 2, 0, 6, 4),
    (CAST, Majority.TWO_THIRDS, seats(7), votes(Y, Y, Y, Y, N, N, N), False, 4, 3, 0, 7, 5),
    (CAST, Majority.THREE_QUARTERS, seats(8), votes(Y, Y, Y, Y, Y, Y, N, N), True, 6, 2, 0, 8, 6),
    (CAST, Majority.THREE_QUARTERS, seats(8), votes(Y, Y, Y, Y, Y, N, N, N), False, 5, 3, 0, 8,
     6),
    (CAST, Majority.THREE_QUARTERS, seats(5), votes(Y, Y, Y, N, A), True, 3, 1, 1, 4, 3),
    (CAST, Majority.UNANIMOUS, seats(4), votes(Y, Y, Y, A), True, 3, 0, 1, 3, 3),
    (CAST, Majority.UNANIMOUS, seats(4), votes(Y, Y, Y, N), False, 3, 1, 0, 4, 4),
    (PRESENT, Majority.UNANIMOUS, seats(4), votes(Y, Y, Y, A), False, 3, 0, 1, 4, 4),
    # weights: a legal-person member with 3 votes
    (CAST, Majority.SIMPLE, seats(3, weights={0: 3}), votes(Y, N, N), True, 3, 2, 0, 5, 3),
    (CAST, Majority.THREE_QUARTERS, seats(3, weights={0: 3}), votes(Y, Y, N), True, 4, 1, 0, 5,
     4),
    # a tie with the chair's casting vote
    (CASTING, Majority.SIMPLE, seats(4, chair=0), votes(Y, Y, N, N), True, 2, 2, 0, 4, 3),
    (CASTING, Majority.SIMPLE, seats(4, chair=0), votes(N, Y, Y, N), False, 2, 2, 0, 4, 3),
    (CASTING, Majority.SIMPLE, seats(4, chair=0), votes(A, Y, N, None), False, 1, 1, 1, 2, 2),
    # a casting vote never turns a special majority
    (CASTING, Majority.TWO_THIRDS, seats(4, chair=0), votes(Y, Y, N, N), False, 2, 2, 0, 4, 3),
]


@pytest.mark.parametrize(("rules", "majority", "entitled", "cast", "passed", "yes", "no",
                          "abstain", "base", "needed"), MAJORITY_TABLE)
def test_majority_table(rules, majority, entitled, cast, passed, yes, no, abstain, base, needed):
    result = tally(entitled, cast, rules, majority)
    assert (result.passed, result.yes, result.no, result.abstain, result.base, result.needed) == \
        (passed, yes, no, abstain, base, needed)
    assert result.basis is rules.basis


def test_the_tally_keeps_invalid_and_excluded_votes_apart():
    entitled = seats(6, recused=(5,), weights={5: 3})
    result = tally(entitled, votes(Y, Y, N, INV, A), CAST)
    assert (result.yes, result.no, result.abstain, result.invalid, result.excluded) == \
        (2, 1, 1, 1, 3)
    assert result.base == 3 and result.passed
    assert "3 excluded (conflict of interest)" in result.sentence()


def test_a_recused_member_is_not_in_the_basis_of_the_whole_membership():
    # 4 members, one recused: 2 yes of the 3 entitled is a majority of the membership
    assert tally(seats(4, recused=(3,)), votes(Y, Y, N), MEMBERSHIP).passed
    assert not tally(seats(4), votes(Y, Y, N), MEMBERSHIP).passed


def test_a_vote_from_somebody_not_entitled_is_refused():
    with pytest.raises(RulesError):
        tally(seats(2), {7: Y}, CAST)


def test_a_tie_says_why_it_failed():
    assert tally(seats(2), votes(Y, N), CAST).reason == "a tie fails"
    assert "chair" in tally(seats(2), votes(Y, N), CASTING).reason


# --- quorum ------------------------------------------------------------------------------------

QUORUM_TABLE = [
    # (rules, seats, met, needed)
    (BodyRules(quorum=QuorumKind.NONE), seats(9, present=1), True, 1),
    (BodyRules(quorum=QuorumKind.NONE), seats(9, present=0), False, 1),
    (BodyRules(quorum=QuorumKind.NUMBER, quorum_number=3), seats(9, present=3), True, 3),
    (BodyRules(quorum=QuorumKind.NUMBER, quorum_number=3), seats(9, present=2), False, 3),
    (BodyRules(quorum=QuorumKind.SHARE, quorum_share=(1, 2)), seats(7, present=4), True, 4),
    (BodyRules(quorum=QuorumKind.SHARE, quorum_share=(1, 2)), seats(7, present=3), False, 4),
    (BodyRules(quorum=QuorumKind.SHARE, quorum_share=(2, 3)), seats(6, present=4), True, 4),
    (BodyRules(quorum=QuorumKind.SHARE, quorum_share=(2, 3)), seats(6, present=3), False, 4),
]


@pytest.mark.parametrize(("rules", "entitled", "met", "needed"), QUORUM_TABLE)
def test_quorum_table(rules, entitled, met, needed):
    result = quorum(entitled, rules)
    assert (result.met, result.needed) == (met, needed)
    assert ("Quorate" if met else "Not quorate") in result.sentence()


def test_a_proxy_counts_for_the_quorum_only_where_proxies_are_allowed():
    with_proxy = [Seat(0, 1, present=True), Seat(1, 1, represented_by=0), Seat(2, 1), Seat(3, 1)]
    share = BodyRules(quorum=QuorumKind.SHARE, quorum_share=(1, 2))
    assert quorum(with_proxy, BodyRules(quorum=QuorumKind.SHARE, proxies=True)).met
    assert not quorum(with_proxy, share).met


PROXY_TABLE = [
    (BodyRules(proxies=False), [Seat(0, 1, present=True), Seat(1, 1, represented_by=0)],
     "allow no proxies"),
    (BodyRules(proxies=True), [Seat(0, 1), Seat(1, 1, represented_by=0)],
     "held by a member who is present"),
    (BodyRules(proxies=True), [Seat(0, 1, present=True), Seat(1, 1, represented_by=0),
                               Seat(2, 1, represented_by=0)], "at most 1"),
    (BodyRules(proxies=True, proxies_per_holder=2),
     [Seat(0, 1, present=True), Seat(1, 1, represented_by=0), Seat(2, 1, represented_by=0)], None),
]


@pytest.mark.parametrize(("rules", "entitled", "refusal"), PROXY_TABLE)
def test_proxy_table(rules, entitled, refusal):
    found = proxy_refusal(entitled, rules)
    assert (found is None) if refusal is None else (refusal in found)


def test_a_proxy_vote_carries_the_represented_members_weight():
    entitled = [Seat(0, 1, present=True), Seat(1, 3, represented_by=0), Seat(2, 1, present=True)]
    result = tally(entitled, {0: Y, 1: Y, 2: N}, BodyRules(proxies=True))
    assert (result.yes, result.no, result.passed) == (4, 1, True)


# --- notice ------------------------------------------------------------------------------------

NOTICE_TABLE = [
    # (days, counting, meeting day, sent on, days late)
    (21, NoticeCounting.DAY_AFTER_SENDING, date(2026, 3, 23), date(2026, 3, 1), 0),
    (21, NoticeCounting.DAY_AFTER_SENDING, date(2026, 3, 23), date(2026, 3, 2), 1),
    (21, NoticeCounting.SAME_DAY, date(2026, 3, 23), date(2026, 3, 2), 0),
    (21, NoticeCounting.SAME_DAY, date(2026, 3, 23), date(2026, 3, 3), 1),
    (7, NoticeCounting.DAY_AFTER_SENDING, date(2026, 3, 9), date(2026, 3, 1), 0),
    (7, NoticeCounting.DAY_AFTER_SENDING, date(2026, 3, 9), date(2026, 3, 5), 4),
]


@pytest.mark.parametrize(("days", "counting", "meeting", "sent", "late"), NOTICE_TABLE)
def test_notice_table(days, counting, meeting, sent, late):
    rules = BodyRules(notice_days=days, notice_counting=counting)
    assert notice_shortfall(sent, meeting, rules) == late
    assert notice_shortfall(latest_invitation_day(meeting, rules), meeting, rules) == 0


# --- circular resolutions ----------------------------------------------------------------------

UNANIMOUS = BodyRules(circular=CircularRule.UNANIMOUS)
US = BodyRules(circular=CircularRule.US_CONSENT)
BY_MAJORITY = BodyRules(circular=CircularRule.MAJORITY, basis=Basis.VOTES_CAST)

CIRCULAR_TABLE = [
    # (rules, seats, votes, deadline passed, outcome)
    (UNANIMOUS, seats(3), votes(Y, Y), False, Outcome.PENDING),
    (UNANIMOUS, seats(3), votes(Y, Y, Y), False, Outcome.PASSED),
    (UNANIMOUS, seats(3), votes(Y, N), False, Outcome.FAILED),  # certain at once
    (UNANIMOUS, seats(3), votes(Y, A), False, Outcome.FAILED),  # abstaining is not consenting
    (UNANIMOUS, seats(3), votes(Y, Y), True, Outcome.FAILED),   # a consent missing at the deadline
    (UNANIMOUS, seats(3, recused=(2,)), votes(Y, Y), False, Outcome.PASSED),
    (US, seats(3), votes(Y, Y, Y), False, Outcome.PASSED),
    (US, seats(3), votes(Y, None, Y), False, Outcome.PENDING),
    (BY_MAJORITY, seats(5), votes(Y, Y, Y), False, Outcome.PASSED),   # 3 of 5: certain
    (BY_MAJORITY, seats(5), votes(Y, Y), False, Outcome.PENDING),
    (BY_MAJORITY, seats(5), votes(N, N, N), False, Outcome.FAILED),
    (BY_MAJORITY, seats(5), votes(Y, Y, N), True, Outcome.PASSED),    # the votes cast decide
    (BY_MAJORITY, seats(5), votes(Y, N), True, Outcome.FAILED),       # a tie fails
]


@pytest.mark.parametrize(("rules", "entitled", "cast", "deadline_passed", "outcome"),
                         CIRCULAR_TABLE)
def test_circular_table(rules, entitled, cast, deadline_passed, outcome):
    assert circular_result(entitled, cast, rules, deadline_passed=deadline_passed).outcome is \
        outcome


# --- the hard rules ----------------------------------------------------------------------------

CONFLICT_TABLE = [
    (Person("ada@example.org"), Party(emails=frozenset({"Ada@Example.org"})), True),
    (Person("ada@example.org", user_id=4), Party(users=frozenset({4})), True),
    (Person("ada@example.org", groups=frozenset({9})), Party(groups=frozenset({9})), True),
    (Person("ada@example.org", sponsors=frozenset({2})), Party(sponsors=frozenset({2})), True),
    (Person("ada@example.org", sponsors=frozenset({2})), Party(sponsors=frozenset({3})), False),
    (Person("ada@example.org"), None, False),
]


@pytest.mark.parametrize(("member", "party", "conflicted"), CONFLICT_TABLE)
def test_conflict_table(member, party, conflicted):
    assert (conflict(member, party) is not None) is conflicted


HARD_TABLE = [
    (True, False, [], None),
    (False, False, [], "not announced"),
    (True, True, [], "carries no resolution"),
    (True, False, ["Ada"], "Not every member was invited (Ada)"),
]


@pytest.mark.parametrize(("announced", "aob", "uninvited", "refusal"), HARD_TABLE)
def test_hard_rules_table(announced, aob, uninvited, refusal):
    found = hard_refusal(announced=announced, any_other_business=aob, uninvited=uninvited)
    assert (found is None) if refusal is None else refusal in found


# --- configuration -----------------------------------------------------------------------------

def test_rules_round_trip_through_json():
    rules = BodyRules(notice_days=21, quorum=QuorumKind.SHARE, quorum_share=(2, 3),
                      basis=Basis.MEMBERSHIP, proxies=True, legal_person_weight=3)
    assert BodyRules.of(rules.as_json()) == rules


@pytest.mark.parametrize(("stored", "words"), [
    ({"notice_dayz": 3}, "Unknown rule setting"),
    ({"basis": "loudest"}, "basis must be one of"),
    ({"notice_days": -1}, "notice_days"),
    ({"legal_person_weight": 0}, "legal_person_weight"),
    ({"quorum_share": [3, 2]}, "quorum_share"),
    ({"proxies": "yes"}, "proxies must be true or false"),
])
def test_a_configuration_that_cannot_be_used_is_refused_by_name(stored, words):
    with pytest.raises(RulesError, match=words):
        BodyRules.of(stored)


def test_the_demo_ships_the_real_statutes():
    assembly, board = PRESETS["demo_statutes"]["assembly"], PRESETS["demo_statutes"]["board"]
    assert (assembly.notice_days, assembly.channel.value, assembly.quorum) == \
        (21, "email", QuorumKind.NONE)
    assert (assembly.statute_majority, assembly.basis) == (Majority.THREE_QUARTERS,
                                                          Basis.VOTES_CAST)
    assert (assembly.person_weight, assembly.legal_person_weight) == (1, 3)
    assert board.quorum is QuorumKind.NONE and not board.chair_casting_vote
    # ¾ of votes cast for a statute change: 3 yes, 1 no, 5 abstaining passes
    assert tally(seats(9), votes(Y, Y, Y, N, A, A, A, A, A), assembly,
                 assembly.statute_majority).passed
    assert not tally(seats(2), votes(Y, N), board).passed  # a tie fails
