"""The register pages by keyset (every resolution once, newest first, whatever the history's
length; an unreadable page 400), searches in the database, and the meeting page reads the same
number of queries whatever its number of items and resolutions."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from backoffice.board import services
from backoffice.board.models import SubjectKind
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.extensions import db

from ..helpers import login
from .conftest import meeting_in_session, vote_all


def _circulars(board, count: int, on) -> int:
    now = datetime(on.year, on.month, on.day, 12, tzinfo=UTC)
    with transaction():
        for n in range(count):
            services.propose_circular(db.session, board.body, title=f"Motion {n}",
                                      text="About the roof" if n % 10 == 0 else "Other",
                                      deadline=now + timedelta(days=7),
                                      actor=board.secretary_user, now=now)
    return on.year


def _numbers(html: str) -> list[str]:
    return re.findall(r'<td class="code"><a [^>]*>([^<]+)</a>', html)


def test_the_register_pages_by_keyset_through_every_resolution(client, board):
    older = _circulars(board, 70, board.chair.start_on + timedelta(days=1))
    newer = _circulars(board, 50, clock.today())
    assert older < newer
    login(client, Role.TREASURER)
    seen, url = [], "/board/resolutions"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += _numbers(html)
        link = re.search(r'rel="next" href="([^"]+)"', html)
        url = link.group(1).replace("&amp;", "&") if link else None
    expected = [f"B-{newer}-{n:03d}" for n in range(50, 0, -1)] + \
               [f"B-{older}-{n:03d}" for n in range(70, 0, -1)]
    assert seen == expected
    first = client.get("/board/resolutions").get_data(as_text=True)
    assert "Newest first, 50 a page." in first and "Newest</a>" not in first
    # a search pages the same way, and a small result says how many
    html = client.get("/board/resolutions?q=roof").get_data(as_text=True)
    assert "12 resolutions." in html and len(_numbers(html)) == 12
    assert _numbers(client.get("/board/resolutions?q=ROOF").get_data(as_text=True)) == \
        _numbers(html)  # whatever the case
    html = client.get(f"/board/resolutions?q=roof&year={older}").get_data(as_text=True)
    assert _numbers(html) == [f"B-{older}-{n:03d}" for n in range(61, 0, -10)]
    for bad in ("x", "2025-1", "2025-1-0", "99999-1-1", "2025-1-99999999999"):
        assert client.get(f"/board/resolutions?after={bad}").status_code == 400, bad
    assert client.get("/board/public?after=x").status_code in (400, 404)


def _queries(app, client, url: str) -> int:
    statements = []

    def count(*args):
        statements.append(args[2])
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def _meeting_with(board, items: int):
    meeting = meeting_in_session(board, actor=board.secretary_user, items=[
        services.ItemInput(f"Item {n}", subject_kind=SubjectKind.NONE) for n in range(items)])
    for item in meeting.items:
        with transaction():
            resolution = services.propose(db.session, item, title=f"On {item.title}",
                                          text="Decided.", actor=board.secretary_user)
        vote_all(resolution, board, ["yes", "no", "abstain"], board.secretary_user)
        with transaction():
            services.close_vote(db.session, resolution, board.secretary_user)
            services.write_minutes(db.session, item, f"Minutes of **{item.title}**.",
                                   board.secretary_user)
    return meeting


def test_the_meeting_page_reads_as_many_queries_for_two_items_as_for_eight(app, client, board):
    small, large = _meeting_with(board, 2), _meeting_with(board, 8)
    login(client, Role.BOARD)
    client.get(f"/board/meetings/{small.id}")  # the session's first page loads the user
    counts = [_queries(app, client, f"/board/meetings/{m.id}") for m in (small, large)]
    assert counts[0] == counts[1], counts
    assert counts[0] <= 20
