"""The annual budget is approved through the board's own check of the resolution it names
(``board.money.named``, the seam the reports' budgets call): the check's refusals reach the
budget, and the resolution relied on is in the audit log."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.board.models import SubjectKind
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.ledger.services import account_by_code, general_fund
from backoffice.reports import budgets

from .passed import decide

YEAR = 2027


def _revision(session, actor):
    line = budgets.PlanLine(account_by_code(session, "5500").id, general_fund(session).id,
                            Money(24_000, "EUR"))
    with transaction():
        return budgets.revise(session, YEAR, [line], note="", actor=actor)


def test_budget_approval_goes_through_the_boards_check(app, session, users):
    actor = users[Role.TREASURER]
    revision = _revision(session, actor)
    failed = decide(SubjectKind.ANNUAL_BUDGET, YEAR, votes=("yes", "no"))
    other = decide(SubjectKind.ANNUAL_BUDGET, YEAR - 1)
    grant = decide(SubjectKind.GRANT_APPLICATION, YEAR)
    for wrong, message in ((None, "Name the board resolution"),
                           (failed.id, f"{failed.number} has not passed"),
                           (other.id, f"{other.number} is not about “Annual budget {YEAR}”"),
                           (grant.id, "is not about “Annual budget")):
        with pytest.raises(ValidationError, match=message), transaction():
            budgets.approve(session, revision, resolution_id=wrong, actor=actor)
    assert not session.scalars(select(AuditEvent).where(
        AuditEvent.action == "board.resolution_relied_on")).all()

    passed = decide(SubjectKind.ANNUAL_BUDGET, YEAR)
    with transaction():
        budgets.approve(session, revision, resolution_id=passed.id, actor=actor)
    assert revision.resolution_id == passed.id
    relied = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "board.resolution_relied_on")).one()
    assert (relied.object_id, relied.actor_label) == (str(passed.id), actor.email)
    assert relied.summary == f"{passed.number} allows annual_budget {YEAR}"
