"""Donation receipts benchmark: the year-end run for 10,000 donors with 50,000 donations.

2,000 donors gave once (a single receipt each), 8,000 gave six times (a collective receipt with
its annex each); every donor asked for a receipt. The run issues the 10,000 receipts as the page's
job and the command line do (``run.run``: each receipt numbered, rendered, stored with its
SHA-256, written and audited in a unit of work of its own). Beside it, interleaved so both see the
same machine load, WeasyPrint renders the same documents alone (every 20th receipt's HTML, before
it is issued). Target: the time per receipt within 25 % of WeasyPrint's time for the document,
compared pair by pair (the receipt's time over its document's rendering alone, the median of the
ratios), so that the load of a shared machine weighs on both sides alike.

``BENCH_RECEIPTS_SAMPLE=N``: the whole data set is loaded and the whole run planned (the plan is
timed), then N receipts spread evenly over the plan are issued as the run issues each one
(``services.issue``: numbered, rendered, stored, audited in a unit of work of its own), every
fourth paired with WeasyPrint rendering its document alone; the figures' names say "sample".
``BENCH_PROFILE=1`` prints where the sampled receipts' time went (cProfile).
For a shared machine where the full run would take too long.
"""
from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import tempfile
import time
from datetime import date

from sqlalchemy import func, insert, select

from backoffice.donations.models import Channel, Donation, DonationKind, DonationStatus, Donor
from backoffice.donations.receipts import render, services
from backoffice.donations.receipts import run as annual
from backoffice.donations.receipts.models import Receipt
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.ledger.services import general_fund
from backoffice.pdf import html_to_pdf

from .common import bench_app, fresh_database

OVERHEAD_TARGET = 25.0  # percent
#: Donors and donations of the full run; BENCH_RECEIPTS_SIZE=2000/10000 for a shorter one.
SIZE = tuple(int(n) for n in os.environ.get("BENCH_RECEIPTS_SIZE", "10000/50000").split("/"))
YEAR = 2026
SAMPLE_EVERY = 20
#: Receipts issued from the full plan instead of the whole run (0: the whole run).
SAMPLE = int(os.environ.get("BENCH_RECEIPTS_SAMPLE", "0"))


def _load(session, donors: int, donations: int) -> None:
    """``donors`` donors; a fifth give once, the rest share the other donations evenly."""
    once = donors // 5
    fund = general_fund(session).id
    session.execute(insert(Donor), [
        {"kind": "person", "name": f"Donor {n:05d}", "street": f"Benchstraße {n % 200 + 1}",
         "postcode": "10115", "city": "Berlin", "country": "DE", "email": f"d{n}@bench.example",
         "language": "de", "consent_thanks": True, "consent_public": False, "notes": ""}
        for n in range(donors)])
    ids = session.scalars(select(Donor.id).order_by(Donor.id)).all()
    rows, many = [], ids[once:]
    per_donor = (donations - once) // len(many)
    for n, donor_id in enumerate(ids):
        count = 1 if n < once else per_donor
        for k in range(count):
            rows.append({"donor_id": donor_id, "fund_id": fund, "amount": 2500 + (n * 7 + k) % 40 * 1000,
                         "currency": "EUR", "donated_on": date(YEAR, 1 + (k * 2 + n) % 12, 1 + n % 28),
                         "channel": Channel.BANK.value, "kind": DonationKind.MONEY.value,
                         "status": DonationStatus.BOOKED.value, "receipt_wanted": k == 0,
                         "in_kind_description": "", "valuation_basis": "", "note": "",
                         "fee": 0, "admin_fee": 0, "reversal_reason": ""})
    for start in range(0, len(rows), 5000):
        session.execute(insert(Donation), rows[start:start + 5000])
    session.commit()


def _annual_run(report, backend: str, quick: bool) -> None:
    donors, donations = (200, 1000) if quick else SIZE
    with fresh_database(backend) as url, tempfile.TemporaryDirectory() as uploads:
        app = bench_app(url)
        app.config["UPLOAD_FOLDER"] = uploads
        with app.app_context():
            session = db.session
            _load(session, donors, donations)
            settings = app_settings()
            issue_date = date(YEAR + 1, 1, 15)
            planned = time.perf_counter()
            requests, _ = annual.plan(session, YEAR, settings=settings, issue_date=issue_date)
            plan_ms = (time.perf_counter() - planned) * 1000
            session.commit()
            alone_ms, issue_ms, paired = {}, {}, []
            clock = {"last": None, "aside": 0.0}

            def progress(done: int, total: int) -> None:
                """Called before receipt ``done`` is issued: the time since the last call is
                receipt ``done - 1``'s. Every 20th receipt's document is first rendered by
                WeasyPrint alone (that time is taken off the run's)."""
                now = time.perf_counter()
                if clock["last"] is not None and done > 0:
                    issue_ms[done - 1] = (now - clock["last"]) * 1000
                if done < total and done % SAMPLE_EVERY == 0:
                    request = requests[done]
                    series = services.series_for(settings, issue_date)
                    doc = services.document_for(session, request, settings=settings,
                                                number=services.format_number(series, done + 1))
                    html = render.render_html(doc)
                    session.commit()
                    rendered = time.perf_counter()
                    html_to_pdf(html)
                    alone_ms[done] = (time.perf_counter() - rendered) * 1000
                clock["aside"] += time.perf_counter() - now
                clock["last"] = time.perf_counter()

            html_to_pdf(render.render_html(services.document_for(
                session, requests[0], settings=settings, number="warm-up")))  # fonts, caches
            session.commit()
            if SAMPLE and not quick and SAMPLE < len(requests):
                _sample(report, backend, session, settings, requests, issue_date,
                        f"{donors}/{donations}", plan_ms)
                db.engine.dispose()
                return
            started = time.perf_counter()
            outcome = annual.run(session, YEAR, settings=settings, actor=None,
                                 issue_date=issue_date, progress=progress)
            elapsed = time.perf_counter() - started - clock["aside"]
            issued = session.scalar(select(func.count()).select_from(Receipt))
            assert outcome.issued == issued == len(requests) == donors, (outcome, issued)
            paired = [issue_ms[k] / alone_ms[k] for k in alone_ms if k in issue_ms]
            db.engine.dispose()
    size = f"{donors}/{donations}"
    report.add("receipts", "year-end run, time per receipt (median)", backend, size,
               statistics.median(issue_ms.values()))
    report.add("receipts", "WeasyPrint, same documents alone (median)", backend,
               f"{len(alone_ms)}", statistics.median(alone_ms.values()))
    report.add("receipts", "run overhead, paired with the same document", backend,
               f"{len(paired)}", (statistics.median(paired) - 1) * 100, unit="%",
               target=OVERHEAD_TARGET)
    report.add("receipts", "year-end run, mean per receipt", backend, size,
               elapsed / issued * 1000)
    report.add("receipts", "year-end run, whole", backend, size, elapsed, unit="s")


def _sample(report, backend, session, settings, requests, issue_date, size, plan_ms) -> None:
    """Issue ``SAMPLE`` receipts spread over the full plan (see the module)."""
    step = len(requests) / SAMPLE
    chosen = [requests[int(k * step)] for k in range(SAMPLE)]
    series = services.series_for(settings, issue_date)
    issue_ms, paired, alone = [], [], []
    load = os.getloadavg()[0]
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    for position, request in enumerate(chosen):
        alone_ms = None
        if position % 4 == 0:
            doc = services.document_for(session, request, settings=settings,
                                        number=services.format_number(series, position + 1))
            html = render.render_html(doc)
            session.commit()
            rendered = time.perf_counter()
            html_to_pdf(html)
            alone_ms = (time.perf_counter() - rendered) * 1000
            alone.append(alone_ms)
        started = time.perf_counter()
        if profile:
            profile.enable()
        services.issue(session, request, settings=settings, actor=None)
        if profile:
            profile.disable()
        issue_ms.append((time.perf_counter() - started) * 1000)
        if alone_ms:
            paired.append(issue_ms[-1] / alone_ms)
    issued = session.scalar(select(func.count()).select_from(Receipt))
    assert issued == len(chosen), (issued, len(chosen))
    if profile:
        stats = pstats.Stats(profile).sort_stats("cumulative")
        stats.print_stats("backoffice|weasy", 25)
        stats.print_stats("backoffice/(core|donations|board|ledger)", 40)
    what = f"sample of {len(chosen)} of {len(requests)} receipts, load {load:.1f}"
    report.add("receipts", f"year-end plan of the whole year ({len(requests)} receipts)",
               backend, size, plan_ms)
    report.add("receipts", f"time per receipt (median; {what})", backend, size,
               statistics.median(issue_ms))
    report.add("receipts", "WeasyPrint, same documents alone (median)", backend,
               f"{len(alone)}", statistics.median(alone))
    report.add("receipts", f"run overhead, paired with the same document ({what})", backend,
               f"{len(paired)}", (statistics.median(paired) - 1) * 100, unit="%",
               target=OVERHEAD_TARGET)
    report.add("receipts", f"projected whole run ({len(requests)} x mean)", backend, size,
               statistics.mean(issue_ms) * len(requests) / 1000 + plan_ms / 1000, unit="s")


def run(report, backends, quick):
    for backend in backends:
        _annual_run(report, backend, quick)
