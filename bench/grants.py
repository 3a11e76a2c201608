"""Grants benchmark: 10,000 applications in five programmes (3,000 of them waiting for the
committee, with reviews and votes), then the reviewers' queue and the programme budget view, as
queries and as whole pages (target: 100 ms each)."""
from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from backoffice.auth.services import create_user
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.grants import programmes as programme_services
from backoffice.grants.models import REVIEW_STATES, Application, Review, Status
from backoffice.grants.queries import applications_page, budget_view
from backoffice.ledger import services as ledger

from .common import fresh_apps, median_ms

TARGET_MS = 100
SIZES = [10_000]
QUICK_SIZES = [2_000]
OTHER_STATES = [s for s in Status if s not in REVIEW_STATES]


def generate(session, count: int, seed: int = 11) -> dict:
    rng = random.Random(seed)
    treasurer = create_user(session, "bench-treasurer@example.org", settings=app_settings(), roles=[Role.TREASURER],
                            password="bench-password")
    reviewers = [create_user(session, f"bench-reviewer{n}@example.org", settings=app_settings(), roles=[Role.REVIEWER],
                             password="bench-password") for n in range(8)]
    programmes = []
    for n in range(5):
        fund = ledger.create_fund(session, code=f"GR{n}", name=f"Grants {n}", actor=treasurer)
        programme = programme_services.create_programme(
            session, programme_services.ProgrammeInput(
                name=f"Programme {n}", slug=f"programme-{n}", fund_id=fund.id,
                max_per_grant=Money(500_000, "EUR")), actor=treasurer)
        for year in range(date.today().year - 4, date.today().year + 1):
            programme_services.set_budget(session, programme, year=year,
                                          amount=Money(50_000_000, "EUR"), actor=treasurer)
        programmes.append(programme)
    session.commit()
    now = datetime.now(UTC)
    rows = []
    for number in range(1, count + 1):
        status = rng.choice(list(REVIEW_STATES)) if number % 10 < 3 else rng.choice(OTHER_STATES)
        awarded = status in (Status.APPROVED, Status.PAID, Status.REPORT_DUE,
                             Status.REPORT_OVERDUE, Status.REPORT_RECEIVED, Status.CLOSED)
        requested = rng.randint(100, 2000) * 100
        submitted = now - timedelta(days=rng.randint(0, 5 * 365), minutes=number)
        rows.append(dict(
            id=number, programme_id=rng.choice(programmes).id, status=status,
            applicant_name=f"Group {number % 700}", contact_email=f"group{number % 700}@example.org",
            title=f"Event number {number}", currency="EUR", amount_requested=requested,
            access_nonce=f"{number:032d}", answers={}, contact_name="", description="",
            other_funding="", account_holder="", iban="", conditions="",
            amount_awarded=requested if awarded else None,
            amount_paid=requested if awarded and status is not Status.APPROVED else 0,
            budget_year=submitted.year if awarded else None,
            submitted_at=None if status is Status.DRAFT else submitted,
            created_at=submitted, updated_at=submitted))
    session.execute(insert(Application), rows)
    reviews = []
    for row in rows:
        if row["status"] in REVIEW_STATES:
            for reviewer in rng.sample(reviewers, 3):
                vote = rng.choice([None, "yes", "no", "abstain"]) \
                    if row["status"] is Status.IN_REVIEW else None
                reviews.append(dict(application_id=row["id"], reviewer_id=reviewer.id,
                                    score=rng.randint(1, 5), comment="", conflict=False,
                                    conflict_note="", vote=vote, created_at=now))
    session.execute(insert(Review), reviews)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(db.text("SELECT setval(pg_get_serial_sequence('grant_applications', "
                                "'id'), (SELECT max(id) FROM grant_applications))"))
        session.execute(db.text("ANALYZE"))
    else:
        session.execute(db.text("ANALYZE"))
    session.commit()
    return {"applications": count, "reviews": len(reviews), "reviewer": reviewers[0]}


def run(report, backends, quick: bool) -> None:
    for backend, size, app in fresh_apps(backends, QUICK_SIZES if quick else SIZES):
        started = time.monotonic()
        data = generate(db.session, size)
        print(f"  generated {data['applications']:,} applications and {data['reviews']:,} "
              f"reviews on {backend} in {time.monotonic() - started:.0f} s", flush=True)
        _measure(report, app, backend, f"{size:,} apps", data)


def _measure(report, app, backend: str, size: str, data: dict) -> None:
    reviewer = data["reviewer"]
    year = date.today().year

    def query(name, function):
        report.add("grants", f"{name} (query)", backend, size, median_ms(function))

    query("reviewers' queue, first page",
          lambda: applications_page(db.session, reviewer=db.session.get(type(reviewer),
                                                                         reviewer.id)))
    query("programme budget view", lambda: budget_view(db.session, year))

    client = app.test_client()
    with app.test_request_context():
        with transaction():
            create_user(db.session, "bench-reader@example.org", settings=app_settings(), roles=[Role.REVIEWER],
                        password="bench-password")
    client.post("/login", data={"email": "bench-reader@example.org",
                                "password": "bench-password"})

    def page(name, url):
        def fetch():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        report.add("grants", f"{name} (page)", backend, size, median_ms(fetch), target=TARGET_MS)

    page("reviewers' queue, first page", "/grants/queue")
    page("reviewers' queue, page 20", "/grants/queue?page=20")
    page("reviewers' queue, one programme, search", "/grants/queue?programme=2&q=Group+1")
    page("programme budget view", f"/grants/budget?year={year}")
    page("all applications of a status", "/grants/queue?status=closed&page=5")
