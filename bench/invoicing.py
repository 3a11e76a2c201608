"""Invoicing benchmark.

1. Issuing invoices including their PDFs (number, PDF/A-3 with the Factur-X XML, SHA-256, stored
   file, ledger entry, audit): the time per invoice, against WeasyPrint rendering the same HTML
   alone, both as a plain PDF and as the same PDF/A-3 with the XML attached (WeasyPrint's own
   work for the document the law asks for). The app's overhead should stay under 20 %: the target
   applies to the second comparison, the first is reported beside it.
2. Webhook throughput: signed Stripe events posted to ``/stripe/webhook`` and processed end to
   end (signature, event store, handlers, bookings, Stripe API calls to the local stand-in), the
   mix a Checkout payment produces, with duplicate deliveries. Target: 200 events/s on SQLite;
   the load average is in the figure's name and the events per CPU-second of this process beside.

``BENCH_INVOICING=issue`` (or ``webhooks``) runs one part only.
"""
from __future__ import annotations

import os
import statistics
import time
from datetime import date

from backoffice.core.db import transaction
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import documents, services, sponsors
from backoffice.invoicing.services import DraftData, LineData
from backoffice.invoicing.sponsors import SponsorData
from backoffice.pdf import html_to_pdf
from tests import stripe_standin as sis

from .common import bench_app, fresh_database

OVERHEAD_TARGET = 20.0  # percent
THROUGHPUT_TARGET = 200.0  # events per second (SQLite)


def _sponsor(session):
    return sponsors.create_sponsor(session, SponsorData(
        name="Bench Sponsor GmbH", street="Benchstraße 1", postcode="10115", city="Berlin",
        country="DE", vat_id="DE136695976", language="de", billing_emails="ap@bench.example"),
        actor=None)


def _drafts(session, sponsor, count):
    ids = []
    for n in range(count):
        draft = services.create_draft(session, DraftData(
            sponsor=sponsor, currency="EUR", service_date=date.today(), lines=[
                LineData(f"Gold sponsorship {n}\nBooth, logo, 4 tickets", 1000, 500000 + n),
                LineData("Catering add-on", 2500, 1999, "reduced")]), actor=None, settings=app_settings())
        ids.append(draft.id)
    session.commit()
    return ids


def _issue(report, backend, quick):
    count = 30 if quick else 1000
    with fresh_database(backend) as url:
        app = bench_app(url)
        with app.app_context():
            session = db.session
            ids = _drafts(session, _sponsor(session), count)
            from backoffice.invoicing.models import Invoice

            issue_ms, render_ms, same_ms = [], [], []
            for position, invoice_id in enumerate(ids):
                invoice = session.get(Invoice, invoice_id)
                started = time.perf_counter()
                with transaction():
                    services.issue(session, invoice, actor=None, settings=app_settings())
                issue_ms.append((time.perf_counter() - started) * 1000)
                # The same HTML, rendered by WeasyPrint alone (interleaved, so that both see the
                # same machine load): every invoice in quick mode, every fifth otherwise.
                if quick or position % 5 == 0:
                    doc = services.document_of(session, invoice, settings=app_settings())
                    html = documents.render_html(doc)
                    started = time.perf_counter()
                    html_to_pdf(html)
                    render_ms.append((time.perf_counter() - started) * 1000)
                    xml = documents.render_xml(doc)
                    started = time.perf_counter()
                    documents.embed_einvoice(html_to_pdf(html, pdf_variant="pdf/a-3b"), xml, doc)
                    same_ms.append((time.perf_counter() - started) * 1000)
            db.engine.dispose()
    per_invoice = statistics.median(issue_ms)
    alone, same = statistics.median(render_ms), statistics.median(same_ms)
    report.add("invoicing", "issue one invoice incl. PDF/A-3 (median)", backend, f"{count}",
               per_invoice)
    report.add("invoicing", "WeasyPrint, same HTML, plain PDF (median)", backend,
               f"{len(render_ms)}", alone)
    report.add("invoicing", "WeasyPrint, same HTML, PDF/A-3 + XML (median)", backend,
               f"{len(same_ms)}", same)
    report.add("invoicing", "app overhead over a plain PDF", backend, f"{count}",
               (per_invoice - alone) / alone * 100, unit="%")
    report.add("invoicing", "app overhead over the same PDF/A-3", backend, f"{count}",
               (per_invoice - same) / same * 100, unit="%", target=OVERHEAD_TARGET)
    report.add("invoicing", "issuing throughput", backend, f"{count}",
               count / (sum(issue_ms) / 1000), unit="/s")


def _events_for(stripe, invoice, completed):
    """What Stripe sends around one Checkout payment, and a retried delivery."""
    pi = {"id": completed["payment_intent"], "object": "payment_intent", "status": "succeeded",
          "amount": completed["amount_total"], "amount_received": completed["amount_total"],
          "currency": "eur", "metadata": completed["metadata"], "latest_charge": None}
    completed_event = sis.event("checkout.session.completed", completed)
    return [
        sis.event("payment_intent.created", {**pi, "status": "requires_payment_method"}),
        sis.event("charge.succeeded", {"id": "ch_bench", "object": "charge"}),
        completed_event,
        sis.event("payment_intent.succeeded", pi),
        sis.event("charge.updated", {"id": "ch_bench", "object": "charge"}),
        completed_event,  # Stripe retries: a duplicate
    ]


def _webhooks(report, backend, quick):
    payments = 20 if quick else 200
    stripe = sis.StripeStandIn()
    try:
        with fresh_database(backend) as url:
            app = bench_app(url)
            app.config.update(STRIPE_SECRET_KEY=sis.API_KEY, STRIPE_WEBHOOK_SECRET=sis.WEBHOOK_SECRET,
                              STRIPE_API_BASE=stripe.url)
            with app.app_context():
                session = db.session
                from backoffice.invoicing.models import Invoice

                sponsor = _sponsor(session)
                ids = _drafts(session, sponsor, payments)
                deliveries = []
                for invoice_id in ids:
                    invoice = session.get(Invoice, invoice_id)
                    with transaction():
                        services.issue(session, invoice, actor=None, settings=app_settings())
                    created = stripe.create_session({
                        "mode": "payment", "line_items": [{"quantity": "1", "price_data": {
                            "currency": "eur", "unit_amount": str(invoice.gross_total)}}],
                        "metadata": {"invoice_id": str(invoice.id),
                                     "invoice_number": invoice.number},
                        "payment_intent_data": {"metadata": {"invoice_id": str(invoice.id),
                                                             "invoice_number": invoice.number}}})
                    completed = stripe.complete(created["id"])
                    deliveries += [sis.delivery(e) for e in _events_for(stripe, invoice, completed)]
                db.session.remove()
                client = app.test_client()
                warmup, deliveries = deliveries[:6], deliveries[6:]  # first requests load code
                for payload, headers in warmup:
                    client.post("/stripe/webhook", data=payload, headers=headers)
                load = os.getloadavg()[0]
                started, cpu = time.perf_counter(), time.process_time()
                for payload, headers in deliveries:
                    response = client.post("/stripe/webhook", data=payload, headers=headers)
                    assert response.status_code == 200, response.get_data(as_text=True)
                elapsed = time.perf_counter() - started
                cpu = time.process_time() - cpu
                from sqlalchemy import func, select

                from backoffice.invoicing.models import InvoicePayment

                booked = db.session.scalar(select(func.count()).select_from(InvoicePayment))
                assert booked == payments, (booked, payments)
                db.engine.dispose()
    finally:
        stripe.close()
    rate = len(deliveries) / elapsed
    report.add("invoicing", f"webhook events processed (6 per payment, 1 dup; load {load:.1f})",
               backend, f"{len(deliveries)}", rate, unit="/s",
               target=THROUGHPUT_TARGET if backend == "sqlite" else None, higher_is_better=True)
    # The machine may be shared: the events per CPU-second of this process (the stand-in's HTTP
    # server runs in it too) do not depend on what else runs.
    report.add("invoicing", "webhook events per CPU-second of this process", backend,
               f"{len(deliveries)}", len(deliveries) / cpu, unit="/s", higher_is_better=True)


def run(report, backends, quick):
    part = os.environ.get("BENCH_INVOICING", "")  # "issue" or "webhooks": one part only
    for backend in backends:
        if part in ("", "issue"):
            _issue(report, backend, quick)
        if part in ("", "webhooks"):
            _webhooks(report, backend, quick)
