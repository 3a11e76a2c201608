"""Member groups benchmark: 500 groups with their funds over a ledger of 1,000,000 postings; the
fund statement and the group directory as pages (target 100 ms each), and a SEPA payout batch of
1,000 approved claims (target 2 s)."""
from __future__ import annotations

import time
from datetime import date

from sqlalchemy import func, select

from backoffice.auth.services import create_user
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.expenses.models import ClaimLine, ClaimStatus, ExpenseClaim
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.groups.models import GroupKind, GroupStatus, MemberGroup
from backoffice.ledger import services as ledger
from backoffice.ledger.models import Posting
from backoffice.payouts import services as payouts

from .common import bench_app, fresh_database, median_ms
from .ledger import generate

PAGE_TARGET_MS = 100
BATCH_TARGET_MS = 2000
FULL = {"groups": 500, "postings": 1_000_000, "claims": 1_000}
QUICK = {"groups": 100, "postings": 20_000, "claims": 100}
CITIES = [("Berlin", "DE"), ("Wien", "AT"), ("Zürich", "CH"), ("Amsterdam", "NL"),
          ("Lyon", "FR"), ("Hamburg", "DE"), ("Graz", "AT"), ("Köln", "DE")]
IBANS = ["DE89370400440532013000", "NL91ABNA0417164300", "AT611904300234573201",
         "FR1420041010050500013M02606"]


def _groups(session, count: int) -> list[MemberGroup]:
    actor = create_user(session, "bench-admin@example.org", settings=app_settings(), roles=[Role.ADMIN],
                        password="bench-password")
    kinds = list(GroupKind)
    made = []
    for n in range(count):
        fund = ledger.create_fund(session, code=f"G{n:04d}", name=f"Python group {n}", actor=actor)
        city, country = CITIES[n % len(CITIES)]
        made.append(MemberGroup(name=f"Python group {n:04d} {city}", slug=f"group-{n}",
                                kind=kinds[n % len(kinds)], city=city, country=country,
                                status=GroupStatus.ACTIVE if n % 10 else GroupStatus.DORMANT,
                                status_since=date.today(), fund_id=fund.id))
    session.add_all(made)
    session.commit()
    return made


def _claims(session, groups: list[MemberGroup], count: int) -> list[ExpenseClaim]:
    """Approved claims spread over the groups (inserted directly: what the batch reads)."""
    claimant = create_user(session, "bench-organiser@example.org", settings=app_settings(), roles=[Role.ORGANISER],
                           password="bench-password")
    category = ledger.account_by_code(session, "5110")
    claims = []
    for n in range(count):
        group = groups[n % len(groups)]
        iban = IBANS[n % len(IBANS)]
        amount = 500 + (n * 7919) % 50_000
        claims.append(ExpenseClaim(
            fund_id=group.fund_id, group_id=group.id, claimant_id=claimant.id,
            title=f"Meetup costs {n}", payee_name=f"Organiser {n}", iban=iban,
            bic={"DE": "COBADEFFXXX", "NL": "ABNANL2A"}.get(iban[:2]), currency="EUR",
            total=amount, status=ClaimStatus.APPROVED, decided_by_id=claimant.id,
            lines=[ClaimLine(line_no=1, spent_on=date.today(), description="Pizza",
                             account_id=category.id, amount=amount)]))
    session.add_all(claims)
    session.commit()
    return claims


def run(report, backends, quick: bool) -> None:
    sizes = QUICK if quick else FULL
    for backend in backends:
        with fresh_database(backend) as url:
            app = bench_app(url)
            with app.app_context():
                started = time.monotonic()
                groups = _groups(db.session, sizes["groups"])
                data = generate(db.session, sizes["postings"])
                claims = _claims(db.session, groups, sizes["claims"])
                print(f"  generated {len(groups)} groups, {data['postings']:,} postings and "
                      f"{len(claims)} approved claims on {backend} in "
                      f"{time.monotonic() - started:.0f} s", flush=True)
                _measure(report, app, backend, sizes, groups, claims)
                db.session.remove()
                db.engine.dispose()


def _measure(report, app, backend, sizes, groups, claims) -> None:
    session = db.session
    size = f"{sizes['groups']} / {sizes['postings']:,}"
    group_funds = [g.fund_id for g in groups]
    busiest = session.execute(
        select(Posting.fund_id, func.count()).where(Posting.fund_id.in_(group_funds))
        .group_by(Posting.fund_id).order_by(func.count().desc()).limit(1)).one()[0]
    group = next(g for g in groups if g.fund_id == busiest)
    year = date.today().year - 1

    client = app.test_client()
    with transaction():
        create_user(session, "bench-treasurer@example.org", settings=app_settings(), roles=[Role.TREASURER],
                    password="bench-password")
    client.post("/login", data={"email": "bench-treasurer@example.org",
                                "password": "bench-password"})

    def page(name, url):
        def fetch():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        report.add("groups", f"{name} (page)", backend, size, median_ms(fetch),
                   target=PAGE_TARGET_MS)

    page("fund statement for a year", f"/funds/{busiest}?start={year}-01-01&end={year}-12-31")
    page("fund statement, fiscal year to date", f"/funds/{busiest}")
    page("group directory, first page", "/groups")
    page("group directory, filtered", "/groups?status=active&country=DE&q=python")
    page("group directory, last page", f"/groups?page={sizes['groups'] // 50}")
    page("group page with recent activity", f"/groups/{group.id}")

    selected = [("expense_claim", str(c.id)) for c in claims]

    def batch():
        try:
            payouts.create_batch(session, selected=selected, requested_on=date.today(),
                                 actor=None, settings=app_settings())
        finally:
            session.rollback()

    report.add("groups", f"SEPA batch of {len(claims):,} claims", backend,
               f"{len(claims):,} claims", median_ms(batch, repeat=5, warmup=1),
               target=BATCH_TARGET_MS)
