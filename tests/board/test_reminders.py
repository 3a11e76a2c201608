"""Terms of office ending: the member, the chair and the secretary are told 90 and 30 days before,
each reminder once however often the daily job runs; the job is on the schedule."""
from __future__ import annotations

from datetime import date, timedelta

from backoffice.board import reminders, services
from backoffice.board.models import BodyKind, Function
from backoffice.board.rules import PRESETS
from backoffice.core.db import transaction
from backoffice.jobs.schedule import SCHEDULE

TODAY = date(2026, 12, 4)


def _board(session):
    body = services.create_body(session, kind=BodyKind.BOARD, name="Board", code="B",
                                rules=PRESETS["demo_statutes"]["board"], actor=None)
    start = TODAY - timedelta(days=700)
    terms = {}
    for name, function, ends in (("Clara Chair", Function.CHAIR, None),
                                 ("Sam Secretary", Function.SECRETARY, TODAY + timedelta(days=400)),
                                 ("Tina Treasurer", Function.TREASURER, TODAY + timedelta(days=60)),
                                 ("Max Member", Function.MEMBER, TODAY + timedelta(days=20)),
                                 ("Olga Old", Function.MEMBER, TODAY - timedelta(days=1))):
        terms[name] = services.appoint(session, body, name=name,
                                       email=f"{name.split()[0].lower()}@board.test",
                                       function=function, start_on=start, end_on=ends, actor=None)
    return terms


def _run(session, today):
    with transaction():
        return reminders.remind_terms_ending(session, today, organisation="Python e.V.")


def test_each_term_is_told_once_per_threshold_to_the_member_chair_and_secretary(session, mailbox):
    with transaction():
        _board(session)
    assert _run(session, TODAY) == {"told": 2}
    by_subject = {m["Subject"]: sorted(m["To"].addresses[i].addr_spec
                                       for i in range(len(m["To"].addresses))) for m in mailbox}
    assert by_subject == {
        "Term of office ending on 24 December 2026: Max Member, Board":
            ["clara@board.test", "max@board.test", "sam@board.test"],
        "Term of office ending on 02 February 2027: Tina Treasurer, Board":
            ["clara@board.test", "sam@board.test", "tina@board.test"]}
    body = next(m for m in mailbox if "Max Member" in m["Subject"]).get_content()
    assert "of Max Member (Member, Board) at Python e.V. ends on 24 December 2026, in 20 days" in body

    assert _run(session, TODAY) == {"told": 0}  # the same day again
    assert _run(session, TODAY + timedelta(days=15)) == {"told": 0}
    assert _run(session, TODAY + timedelta(days=31)) == {"told": 1}  # Tina: now 29 days left
    assert len(mailbox) == 3


def test_the_daily_job_is_scheduled():
    assert SCHEDULE["terms-ending"].job == "board.terms"
    assert SCHEDULE["terms-ending"].when() == "daily at 07:20 UTC"
