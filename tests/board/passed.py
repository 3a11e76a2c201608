"""A passed board resolution on a subject, for the tests of the money that waits for one (grants
above the threshold, write-offs, payout batches): the board decides in writing, built with the
real services."""
from __future__ import annotations

from datetime import timedelta

from backoffice.board import services
from backoffice.board.models import Body, BodyKind, Function, Resolution, SubjectKind
from backoffice.board.rules import PRESETS, Choice
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.extensions import db

MEMBERS = (("Board Chair", "chair@board.test"), ("Board Member", "member@board.test"))


def the_board(session, members=None, actor=None) -> Body:
    """The board body (made the first time: the demo statutes' rules, two members in office)."""
    body = session.query(Body).filter_by(kind=BodyKind.BOARD).first()
    if body is not None:
        return body
    body = services.create_body(session, kind=BodyKind.BOARD, name="Board", code="B",
                                rules=PRESETS["demo_statutes"]["board"], actor=actor)
    for n, member in enumerate(members or MEMBERS):
        name, email, user_id = (member.display_name, member.email, member.id) \
            if hasattr(member, "email") else (*member, None)
        services.appoint(session, body, name=name, email=email, user_id=user_id,
                         function=Function.CHAIR if n == 0 else Function.MEMBER,
                         start_on=clock.today() - timedelta(days=30), actor=actor)
    return body


def decide(kind: SubjectKind, subject_id: int, amount=None, *, votes=("yes", "yes"),
           members=None, actor=None) -> Resolution:
    """The board decides in writing on the subject (up to ``amount``, a Money); returns the
    resolution (passed when everybody votes yes)."""
    session = db.session
    with transaction():
        body = the_board(session, members, actor)
        resolution = services.propose_circular(
            session, body, title=f"{kind.label} {subject_id}", text="Decided.",
            deadline=services.utcnow() + timedelta(days=7), subject_kind=kind,
            subject_id=subject_id, amount=amount, actor=actor)
        recused = services.recused(session, resolution)
        for term, choice in zip(services.in_office(session, body, clock.today()), votes):
            if term.id not in recused:
                services.cast(session, resolution, term, Choice(choice), actor=None, via="app")
        services.settle(session, resolution)
    return resolution
