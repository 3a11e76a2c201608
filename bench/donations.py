"""Donations benchmark.

1. Webhook throughput: signed Stripe events posted to ``/stripe/webhook`` and processed end to
   end (signature, payments' event store, the ``stripe_event`` hand-over, donor matching, the
   booking with Stripe's fee and the admin fee, API calls to the local stand-in), the mix a
   one-time donation through Checkout produces, with a duplicate delivery; and monthly plans
   (checkout completed, two paid invoices). Target: 200 events/s on SQLite. The jobs a request
   asks for (the donor's mail, the outbox drain) are handed over as to a configured queue
   (``QUEUE_BROKER_URL``), not run inside the request, and run afterwards as a worker would: the
   mails are checked (one per booked gift) and their time is reported per gift beside. The
   machine's load average is in the figure's name, and the events per CPU-second of this
   process beside it (the stand-in's HTTP server runs in this process too).
2. The donations page (``/donations``: the newest 50, totals, per fund and month) over 100,000
   donations by 10,000 donors in 20 funds. Target: 50 ms. The rows are bulk-inserted, so the
   cached totals (``donations/totals.py``) are rebuilt once before the page is timed.

``BENCH_PROFILE=1`` runs the timed webhook deliveries under cProfile and prints the top costs
(cumulative and own time); ``BENCH_DONATIONS=webhooks`` (or ``page``) runs one part only.
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import random
import time
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from backoffice.auth.services import create_user
from backoffice.core import queue
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.outbox import OutboxMail
from backoffice.core.permissions import Role
from backoffice.donations import checkout, donors, pages
from backoffice.donations import totals as donation_totals
from backoffice.donations.models import Donation, Donor, PlanInterval
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.funds import fees
from backoffice.funds.models import IncomeKind
from backoffice.jobs import dispatch
from backoffice.ledger import services as ledger
from tests import stripe_standin as sis

from .common import bench_app, fresh_database, median_ms

THROUGHPUT_TARGET = 200.0  # events per second (SQLite)
PAGE_TARGET_MS = 50


def _fund_with_page(session, code="PYLB"):
    with transaction():
        fund = ledger.create_fund(session, code=code, name=f"Fund {code}", actor=None)
        fees.set_policy(session, fund, rate_percent=Decimal(7), donation_rate_percent=Decimal(3),
                        kinds=[IncomeKind.DONATION], effective_from=date(2020, 1, 1), actor=None)
        page = pages.save_page(session, fund, title=code, purpose="", currency="EUR",
                               suggestions=[Money(2500, "EUR")], enabled=True,
                               allow_recurring=True, public_donor_list=False, actor=None)
    return page


def _pledge(n: int, interval=None) -> checkout.Pledge:
    return checkout.Pledge(amount=Money(1000 + n, "EUR"), interval=interval,
                           donor=donors.DonorDetails(name=f"Donor {n}",
                                                     email=f"donor{n}@example.org"))


def _webhooks(report, backend, quick):
    gifts = 20 if quick else 200
    stripe = sis.StripeStandIn()
    try:
        with fresh_database(backend) as url:
            app = bench_app(url)
            app.config.update(STRIPE_SECRET_KEY=sis.API_KEY,
                              STRIPE_WEBHOOK_SECRET=sis.WEBHOOK_SECRET,
                              STRIPE_API_BASE=stripe.url, BASE_URL="http://localhost")
            with app.app_context():
                session = db.session
                page = _fund_with_page(session)
                deliveries = []
                for n in range(gifts):
                    monthly = n % 4 == 3
                    with transaction():
                        row = checkout.start(
                            session, page, _pledge(n, PlanInterval.MONTH if monthly else None),
                            form_token=f"bench-{n}", success_url="http://localhost/s",
                            cancel_url="http://localhost/c", settings=app_settings())
                    completed = stripe.complete(row.stripe_id)
                    done = sis.event("checkout.session.completed", completed)
                    if monthly:
                        sub = completed["subscription"]
                        events = [done, sis.event("invoice.paid", stripe.pay_invoice(sub)),
                                  sis.event("invoice.paid", stripe.pay_invoice(sub)), done]
                    else:
                        pi = {"id": completed["payment_intent"], "object": "payment_intent",
                              "status": "succeeded", "metadata": completed["metadata"]}
                        events = [sis.event("payment_intent.created", pi),
                                  sis.event("charge.succeeded", {"id": "ch_b", "object": "charge"}),
                                  done, done]
                    deliveries += [sis.delivery(e) for e in events]
                # Each POST to the stand-in empties its cache of expanded payment intents (real
                # Stripe answers in constant time; localstripe scans its whole store): fill it
                # again, so that the figure measures the app, not the stand-in.
                for pi_id in list(stripe_payment_intents(stripe)):
                    stripe._remember_expanded(pi_id)
                db.session.remove()
                client = app.test_client()
                warmup, deliveries = deliveries[:4], deliveries[4:]
                for payload, headers in warmup:
                    client.post("/stripe/webhook", data=payload, headers=headers)
                profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
                handed_over = []  # the jobs a worker runs (as with QUEUE_BROKER_URL set)
                queue.set_dispatcher(lambda name, kwargs, countdown: handed_over.append(
                    (name, kwargs)))
                load = os.getloadavg()[0]
                started, cpu = time.perf_counter(), time.process_time()
                if profile:
                    profile.enable()
                _count_sql(True)
                for payload, headers in deliveries:
                    response = client.post("/stripe/webhook", data=payload, headers=headers)
                    assert response.status_code == 200, response.get_data(as_text=True)
                elapsed = time.perf_counter() - started
                cpu = time.process_time() - cpu
                _count_sql(False)
                if profile:
                    profile.disable()
                    _print_profile(profile, len(deliveries))
                worker_started = time.perf_counter()
                for name, kwargs in handed_over:  # the worker's part: the donors' mails
                    queue.run_here(name, kwargs, app.config, app_settings())
                worker = time.perf_counter() - worker_started
                queue.set_dispatcher(dispatch)
                booked = db.session.scalar(select(func.count()).select_from(Donation))
                expected = sum(2 if n % 4 == 3 else 1 for n in range(gifts))
                assert booked == expected, (booked, expected)
                thanked = db.session.scalar(select(func.count()).select_from(Donation).where(
                    Donation.thanked_at.is_not(None)))
                mails = db.session.scalar(select(func.count()).select_from(OutboxMail))
                assert thanked == booked and mails >= booked, (thanked, mails, booked)
                db.engine.dispose()
    finally:
        stripe.close()
    report.add("donations", f"webhook events processed (4 per gift, 1 dup; load {load:.1f})",
               backend, f"{len(deliveries)}", len(deliveries) / elapsed, unit="/s",
               target=THROUGHPUT_TARGET if backend == "sqlite" else None, higher_is_better=True)
    report.add("donations", "webhook events per CPU-second of this process", backend,
               f"{len(deliveries)}", len(deliveries) / cpu, unit="/s", higher_is_better=True)
    report.add("donations", "the worker's part: donors' mails (thank-you, failures) and the "
               "outbox", backend, f"{len(handed_over)} jobs", worker * 1000 / max(booked, 1),
               unit="ms per gift")


def _count_sql(on: bool) -> None:
    import builtins  # noqa: PLC0415  (a statement counter installed from outside, if any)
    switch = getattr(builtins, "_donmail_sql", None)
    if switch is not None:
        switch["v"] = on


def _print_profile(profile: cProfile.Profile, deliveries: int) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    out.write(f"--- webhook deliveries: {deliveries}; load average {os.getloadavg()}\n")
    stats.sort_stats("cumulative").print_stats("backoffice|stripe|weasy|jinja", 60)
    stats.sort_stats("tottime").print_stats(25)
    if os.environ.get("BENCH_PROFILE_CALLERS"):
        stats.print_callers(os.environ["BENCH_PROFILE_CALLERS"])
    print(out.getvalue())


def stripe_payment_intents(stripe) -> set[str]:
    """Every payment intent the stand-in confirmed (checkouts and subscription invoices)."""
    return {s["payment_intent"] for s in stripe.sessions.values() if s.get("payment_intent")} \
        | set(stripe.paid_intents)


def _page(report, backend, quick):
    count, donor_count, fund_count = (5_000, 500, 5) if quick else (100_000, 10_000, 20)
    with fresh_database(backend) as url:
        app = bench_app(url)
        with app.app_context():
            session = db.session
            with transaction():
                create_user(session, "bench-treasurer@example.org", settings=app_settings(),
                            roles=[Role.TREASURER], password="bench-password")
                fund_ids = [ledger.create_fund(session, code=f"F{n:02d}", name=f"Fund {n}",
                                               actor=None).id for n in range(fund_count)]
            rng = random.Random(14)
            with transaction():
                session.execute(insert(Donor), [
                    {"kind": "person", "name": f"Donor {n}", "email": f"d{n}@example.org",
                     "street": "", "postcode": "", "city": "", "country": "DE",
                     "language": "en", "consent_thanks": True, "consent_public": False,
                     "notes": "", "created_at": _now(), "updated_at": _now()}
                    for n in range(donor_count)])
            donor_ids = list(session.scalars(select(Donor.id)))
            start = date(2024, 1, 1)
            rows = [{"donor_id": rng.choice(donor_ids), "fund_id": rng.choice(fund_ids),
                     "amount": rng.randint(100, 50_000), "currency": "EUR",
                     "donated_on": start + timedelta(days=rng.randint(0, 1000)),
                     "channel": rng.choice(["stripe", "bank", "cash"]), "kind": "money",
                     "status": "booked", "in_kind_description": "", "valuation_basis": "",
                     "receipt_wanted": False, "note": "", "fee": 0, "admin_fee": 0,
                     "reversal_reason": "", "created_at": _now()} for _ in range(count)]
            for chunk in range(0, count, 10_000):
                with transaction():
                    session.execute(insert(Donation), rows[chunk:chunk + 10_000])
            with transaction():  # a bulk insert bypasses the ORM's flush: fill the cache once
                donation_totals.rebuild(session)
            if backend == "postgresql":
                with transaction():
                    session.execute(__import__("sqlalchemy").text("ANALYZE"))
            db.session.remove()
            client = app.test_client()
            client.post("/login", data={"email": "bench-treasurer@example.org",
                                        "password": "bench-password"})
            for url_, name in (("/donations", "donations page"),
                               (f"/donations?fund={fund_ids[0]}&channel=bank",
                                "donations page, one fund and channel")):
                def fetch(url_=url_):
                    response = client.get(url_)
                    assert response.status_code == 200, response.status_code

                report.add("donations", f"{name} ({count:,} donations)", backend,
                           f"{count:,}", median_ms(fetch), target=PAGE_TARGET_MS)
            db.engine.dispose()


def _now():
    from backoffice.core.db import utcnow  # noqa: PLC0415
    return utcnow()


def run(report, backends, quick):
    part = os.environ.get("BENCH_DONATIONS", "")
    for backend in backends:
        if part in ("", "webhooks"):
            _webhooks(report, backend, quick)
        if part in ("", "page"):
            _page(report, backend, quick)
