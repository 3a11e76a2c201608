"""Board benchmark: 20 years of monthly board meetings (240 meetings, about 5,000 resolutions with
five votes each, approved minutes), then the resolution register (first page, a search, a year,
a late page) and the meeting page of one meeting, as whole pages (target: 50 ms each)."""
from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, update

from backoffice.auth.services import create_user
from backoffice.board import services
from backoffice.board.models import (
    AgendaItem,
    Attendance,
    BodyKind,
    Function,
    Meeting,
    MeetingStatus,
    Presence,
    Resolution,
    ResolutionStatus,
    ResolutionVote,
)
from backoffice.board.rules import PRESETS
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from .common import fresh_apps, median_ms

TARGET_MS = 50
SIZES = [240]        # monthly meetings: 20 years
QUICK_SIZES = [24]
PER_MEETING = 21     # resolutions per meeting (240 × 21 = 5,040)
WORDS = ["budget", "grant", "roof", "laptop", "sponsor", "workshop", "travel", "insurance",
         "venue", "membership", "statutes", "audit", "website", "newsletter", "conference"]


def generate(session, meetings: int, seed: int = 16) -> dict:
    rng = random.Random(seed)
    start = date.today().replace(day=1) - timedelta(days=meetings * 31)
    body = services.create_body(session, kind=BodyKind.BOARD, name="Board", code="B",
                                rules=PRESETS["demo_statutes"]["board"], actor=None)
    terms = [services.appoint(session, body, name=f"Member {n}", email=f"m{n}@board.example",
                              function=Function.CHAIR if n == 0 else Function.MEMBER,
                              start_on=start, actor=None) for n in range(5)]
    session.commit()
    term_ids = [t.id for t in terms]
    meeting_rows, item_rows, resolution_rows = [], [], []
    sequence: dict[int, int] = {}
    for m in range(1, meetings + 1):
        day = start + timedelta(days=31 * m)
        at = datetime(day.year, day.month, 15, 18, tzinfo=UTC)
        meeting_rows.append(dict(id=m, body_id=body.id, title=f"Board meeting {at:%B %Y}",
                                 starts_at=at, place="Office", video_link="",
                                 status=MeetingStatus.HELD, invited_on=at.date() - timedelta(
                                     days=14), late_notice_days=0, invited=term_ids))
        for position in range(1, PER_MEETING + 1):
            item_id = (m - 1) * PER_MEETING + position
            words = " ".join(rng.sample(WORDS, 3))
            item_rows.append(dict(id=item_id, meeting_id=m, position=position,
                                  title=f"Item {position}: {words}", description="",
                                  announced=True, any_other_business=False, subject_kind="none",
                                  minutes=f"Discussed the {words}. **Agreed.**",
                                  present=term_ids))
            sequence[at.year] = sequence.get(at.year, 0) + 1
            resolution_rows.append(dict(
                id=item_id, body_id=body.id, year=at.year, sequence=sequence[at.year],
                number=f"B-{at.year}-{sequence[at.year]:03d}", item_id=item_id,
                title=f"On the {words}", text=f"The board decides on the {words}.",
                subject_kind="none", majority="simple", status=ResolutionStatus.OPEN,
                public=rng.random() < 0.2, created_at=at))
    session.execute(insert(Meeting), meeting_rows)
    session.execute(insert(AgendaItem), item_rows)
    session.execute(insert(Attendance), [dict(meeting_id=m["id"], term_id=t,
                                              presence=Presence.PRESENT)
                                         for m in meeting_rows for t in term_ids])
    session.execute(insert(Resolution), resolution_rows)
    session.execute(insert(ResolutionVote), [
        dict(resolution_id=r["id"], term_id=t, choice=rng.choice(["yes", "yes", "no", "abstain"]),
             weight=1, via="meeting", cast_at=r["created_at"])
        for r in resolution_rows for t in term_ids])
    # closed and approved as the services leave them (the triggers freeze them from here on)
    session.execute(update(Resolution).values(
        status=ResolutionStatus.PASSED, decided_at=Resolution.created_at, yes=3, no=1, abstain=1,
        invalid=0, excluded=0, basis="votes_cast", base=4, needed=3,
        outcome_reason="more than half of the votes cast needed: 3 of 4",
        entitled=[{"term": t, "name": f"Member {n}", "weight": 1, "present": True,
                   "recused": False, "reason": ""} for n, t in enumerate(term_ids)]))
    session.execute(update(Meeting).values(status=MeetingStatus.APPROVED,
                                           minutes_approved_at=Meeting.starts_at))
    if session.get_bind().dialect.name == "postgresql":
        for table in ("board_meetings", "board_agenda_items", "board_resolutions"):
            session.execute(db.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
    session.execute(db.text("ANALYZE"))
    session.commit()
    return {"meetings": meetings, "resolutions": len(resolution_rows),
            "middle": meetings // 2, "year": meeting_rows[meetings // 2]["starts_at"].year,
            "oldest_year": meeting_rows[0]["starts_at"].year, "body": body.id}


def run(report, backends, quick: bool) -> None:
    for backend, size, app in fresh_apps(backends, QUICK_SIZES if quick else SIZES):
        started = time.monotonic()
        data = generate(db.session, size)
        print(f"  generated {data['meetings']:,} meetings and {data['resolutions']:,} "
              f"resolutions on {backend} in {time.monotonic() - started:.0f} s", flush=True)
        _measure(report, app, backend, f"{data['resolutions']:,} res.", data)


def _measure(report, app, backend: str, label: str, data: dict) -> None:
    client = app.test_client()
    with app.test_request_context():
        with transaction():
            create_user(db.session, "bench-board@example.org", settings=app_settings(),
                        roles=[Role.BOARD], password="bench-password")
    client.post("/login", data={"email": "bench-board@example.org",
                                "password": "bench-password"})

    def page(name, url):
        def fetch():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        report.add("board", f"{name} (page)", backend, label, median_ms(fetch),
                   target=TARGET_MS)

    page("resolution register, first page", "/board/resolutions")
    page("resolution register, search", "/board/resolutions?q=roof+laptop")
    page("resolution register, one year", f"/board/resolutions?year={data['year']}")
    # keyset: the page after a year's first resolution, and one near the oldest (20 years back)
    page("resolution register, a middle page", f"/board/resolutions?after={data['year']}-"
                                               f"{data['body']}-2")
    page("resolution register, near the oldest", f"/board/resolutions?after="
                                                 f"{data['oldest_year'] + 1}-{data['body']}-2")
    page("meeting page (21 resolutions, votes)", f"/board/meetings/{data['middle']}")
    page("board dashboard", "/board/")
