from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from ..core import clock, signals
from ..core.errors import DomainError
from ..core.forms import ConfirmForm, InputRefused, current_locale, money_of
from ..core.i18n import _
from ..core.money import Money
from ..core.permissions import Permission, requires
from ..core.query import arg, others, page_arg, query_form
from ..core.views import export_format, get_or_404, run_form, send_table
from ..extensions import db, settings
from ..groups.models import MemberGroup
from . import credits, services, state
from . import sponsors as sponsor_services
from .amounts import format_quantity, parse_quantity
from .forms import (
    CancelForm,
    DraftForm,
    FilterForm,
    PackageForm,
    RefundForm,
    SponsorForm,
    options,
)
from .models import Invoice, InvoicePayment, Sponsor, SponsorshipPackage

bp = Blueprint("invoicing", __name__)


@bp.context_processor
def _labels() -> dict:
    """The names the pages show for stored codes (payment kinds, VAT treatments, ...)."""
    return {"labels": state.LABELS}


def _sponsors():
    return db.session.scalars(select(Sponsor).order_by(Sponsor.name)).all()


def _groups():
    return db.session.scalars(select(MemberGroup).order_by(MemberGroup.name)).all()


def _packages(active_only=True):
    statement = select(SponsorshipPackage).order_by(SponsorshipPackage.event, SponsorshipPackage.name)
    if active_only:
        statement = statement.where(SponsorshipPackage.active.is_(True))
    return db.session.scalars(statement).all()


# --- invoices ----------------------------------------------------------------------------------

@bp.route("/invoices")
@requires(Permission.INVOICES_VIEW)
def invoices():
    today = clock.today()
    sponsors = db.session.execute(select(Sponsor.id, Sponsor.name).order_by(Sponsor.name))
    form = query_form(FilterForm, sponsor=options([("", _("All sponsors")), *sponsors]))
    filters = state.InvoiceFilter(status=form.status.data or "", year=form.year.data,
                                  sponsor_id=form.sponsor.data, text=form.q.data or "")
    if fmt := export_format():
        return send_table(state.invoices_table(db.session, filters, today), fmt)
    size = current_app.config["PAGE_SIZE"]
    page = page_arg()
    rows, more = state.list_invoices(db.session, filters, today, limit=size,
                                     offset=(page - 1) * size)
    query = others("page")
    return render_template("invoicing/invoices.html", form=form, rows=rows, today=today,
                           summary=state.summary(db.session, today), page=page, more=more,
                           query=query)


@bp.route("/invoices/aging")
@requires(Permission.INVOICES_VIEW)
def aging():
    today = clock.today()
    rows, totals = state.aging(db.session, today)
    return render_template("invoicing/aging.html", rows=rows, totals=totals, today=today,
                           buckets=state.AGING_BUCKETS, credits=state.credits(db.session),
                           days_overdue=state.days_overdue)


def _draft_form(form: DraftForm, invoice: Invoice | None = None):
    form.sponsor.choices = options([("", _("Choose a sponsor"))] + [(s.id, s.name) for s in _sponsors()])
    form.group.choices = options([("", _("None: the general fund"))] + [(g.id, g.name) for g in _groups()])
    form.currency.choices = options([(c, c) for c in current_app.config["CURRENCIES"]])
    packages = _packages()
    for line in form.lines:
        line.package.choices = options([("", "—")] + [
            (p.id, f"{p.label} ({Money(p.price, p.currency).format(current_locale())})")
            for p in packages])
    return packages


def _draft_data(form: DraftForm, packages) -> services.DraftData:
    """The form's content as service input; ``InputRefused`` after setting the field errors."""
    by_id = {p.id: p for p in packages}
    sponsor = db.session.get(Sponsor, form.sponsor.data) if form.sponsor.data else None
    if sponsor is None:
        form.sponsor.errors = [_("Choose a sponsor.")]
        raise InputRefused
    lines, ok = [], True
    for entry in form.lines:
        line = entry.form
        if line.is_blank():
            continue
        package = by_id.get(line.package.data)
        description = (line.description.data or "").strip()
        price_text = (line.unit_price.data or "").strip()
        treatment, reason = line.tax_treatment.data, line.exempt_reason.data
        if package is not None:
            description = description or "\n".join(filter(None, [package.label, package.description]))
            if not price_text:
                price_text = str(Money(package.price, package.currency).to_decimal())
                treatment, reason = package.tax_treatment, package.exempt_reason
        try:
            quantity = parse_quantity(line.quantity.data or "1")
        except (ValueError, ArithmeticError):
            line.quantity.errors = [_("Give a quantity such as 1 or 2.5.")]
            ok = False
            continue
        try:
            price = Money.parse(price_text, form.currency.data, current_locale())
        except DomainError as error:
            line.unit_price.errors = [str(error)]
            ok = False
            continue
        lines.append(services.LineData(description=description, quantity_milli=quantity,
                                       unit_price=price.amount, tax_treatment=treatment,
                                       exempt_reason=reason,
                                       package_id=package.id if package else None))
    if not ok:
        raise InputRefused
    return services.DraftData(
        sponsor=sponsor, currency=form.currency.data, service_date=form.service_date.data,
        service_end=form.service_end.data, payment_days=form.payment_days.data,
        group_id=form.group.data, notes=form.notes.data,
        po_reference=form.po_reference.data or None, lines=lines)


def _edit_draft(invoice: Invoice | None):
    form = DraftForm(obj=None)
    if request.method == "GET":
        if invoice is not None:
            form.sponsor.data, form.group.data = invoice.sponsor_id, invoice.group_id
            form.currency.data, form.service_date.data = invoice.currency, invoice.service_date
            form.service_end.data, form.payment_days.data = invoice.service_end, invoice.payment_days
            form.po_reference.data, form.notes.data = invoice.po_reference, invoice.notes
            while len(form.lines) < len(invoice.lines):
                form.lines.append_entry()
            for entry, line in zip(form.lines, invoice.lines):
                entry.form.package.data = line.package_id
                entry.form.description.data = line.description
                entry.form.quantity.data = format_quantity(line.quantity_milli)
                entry.form.unit_price.data = f"{Money(line.unit_price, invoice.currency).to_decimal()}"
                entry.form.tax_treatment.data = line.tax_treatment
                entry.form.exempt_reason.data = line.exempt_reason
        else:
            form.currency.data = current_app.config["DEFAULT_CURRENCY"]
            form.service_date.data = clock.today()
            form.payment_days.data = settings().invoicing.payment_days
            form.sponsor.data = arg("sponsor", int)
    packages = _draft_form(form, invoice)
    status = 200
    if form.add_line.data:
        form.lines.append_entry()
        _draft_form(form, invoice)
    else:
        def save() -> Invoice:
            data = _draft_data(form, packages)
            if invoice is None:
                return services.create_draft(db.session, data, actor=current_user, settings=settings())
            services.update_draft(db.session, invoice, data, actor=current_user, settings=settings())
            return invoice

        outcome = run_form(form, save)
        if outcome.done:
            flash(_("The draft is saved. Check it, then issue it."), "success")
            return redirect(url_for(".invoice", invoice_id=outcome.result.id))
        status = outcome.status
    return render_template("invoicing/draft_form.html", form=form, invoice=invoice,
                           packages=packages), status


@bp.route("/invoices/new", methods=["GET", "POST"])
@requires(Permission.INVOICES_MANAGE)
def new_invoice():
    return _edit_draft(None)


@bp.route("/invoices/<int:invoice_id>/edit", methods=["GET", "POST"])
@requires(Permission.INVOICES_MANAGE)
def edit_invoice(invoice_id: int):
    invoice = get_or_404(Invoice, invoice_id)
    if not invoice.is_draft:
        flash(_("Invoice %(number)s is issued and can no longer change.", number=invoice.number),
              "warning")
        return redirect(url_for(".invoice", invoice_id=invoice.id))
    return _edit_draft(invoice)


@bp.route("/invoices/<int:invoice_id>")
@requires(Permission.INVOICES_VIEW)
def invoice(invoice_id: int):
    invoice = get_or_404(Invoice, invoice_id)
    today = clock.today()
    return render_template(
        "invoicing/invoice.html", invoice=invoice, today=today,
        doc=services.page_document(db.session, invoice, settings()),
        status=state.status(invoice, today), paid=state.paid_amount(invoice),
        outstanding=state.outstanding(invoice),
        panels=signals.panels("invoicing.invoice", session=db.session, user=current_user,
                              invoice=invoice, settings=settings()),  # payments: the Stripe fees
        credited=state.credited(invoice), refunds=state.refunds_to_decide(invoice),
        pay_url=services.pay_url(invoice, settings=settings()) if not invoice.is_draft else None,
        next_reminder=services.next_reminder(invoice, today, settings=settings()) if not invoice.is_draft else None,
        confirm=ConfirmForm(), cancel_form=CancelForm(), quantity=format_quantity,
        credit=credits.balance(db.session, invoice.sponsor_id, invoice.currency))


@bp.route("/invoices/<int:invoice_id>/apply-credit", methods=["POST"])
@requires(Permission.INVOICES_MANAGE)
def apply_credit(invoice_id: int):
    return _act(invoice_id, lambda inv: credits.apply_to_invoice(db.session, inv,
                                                                 actor=current_user),
                lambda invoice, result: _("The sponsor's credit is set off against %(number)s.",
                                          number=invoice.number))


def _act(invoice_id: int, action, success, *, form=None, then=None):
    """Run one service on the invoice from a posted form; flash the outcome (``success``: the
    message, from the invoice and the service's result) and redirect (to ``then`` or the invoice
    the service returned, else this one)."""
    invoice = get_or_404(Invoice, invoice_id)
    form = form or ConfirmForm()
    outcome = run_form(form, lambda: action(invoice), flash_refusal="danger")
    if outcome.invalid:
        flash(next(iter(form.errors.values()), [_("The form had expired.")])[0], "danger")
    if not outcome.done:
        return redirect(url_for(".invoice", invoice_id=invoice_id))
    result = outcome.result
    flash(success(invoice, result), "success")
    if then:
        return redirect(then)
    target = result.id if isinstance(result, Invoice) else invoice_id
    return redirect(url_for(".invoice", invoice_id=target))


@bp.route("/invoices/<int:invoice_id>/issue", methods=["POST"])
@requires(Permission.INVOICES_MANAGE)
def issue(invoice_id: int):
    return _act(invoice_id, lambda inv: services.issue_now(db.session, inv, actor=current_user, settings=settings()),
                lambda invoice, result: _("Invoice %(number)s is issued and booked.",
                                          number=invoice.number))  # in units of work of its own


@bp.route("/invoices/<int:invoice_id>/delete", methods=["POST"])
@requires(Permission.INVOICES_MANAGE)
def delete(invoice_id: int):
    return _act(invoice_id, lambda inv: services.delete_draft(db.session, inv, actor=current_user),
                lambda invoice, result: _("The draft is deleted."), then=url_for(".invoices"))


@bp.route("/invoices/<int:invoice_id>/send", methods=["POST"])
@requires(Permission.INVOICES_MANAGE)
def send(invoice_id: int):
    return _act(invoice_id, lambda inv: services.send_invoice(db.session, inv, actor=current_user, settings=settings()),
                lambda invoice, result: _("Invoice %(number)s is sent to %(recipients)s.",
                                          number=invoice.number, recipients=result.recipients))


@bp.route("/invoices/<int:invoice_id>/remind", methods=["POST"])
@requires(Permission.INVOICES_MANAGE)
def remind(invoice_id: int):
    return _act(invoice_id, lambda inv: services.send_reminder(db.session, inv, actor=current_user, settings=settings()),
                lambda invoice, result: _("A reminder for %(number)s is sent to %(recipients)s.",
                                          number=invoice.number, recipients=result.recipients))


@bp.route("/invoices/<int:invoice_id>/cancel", methods=["POST"])
@requires(Permission.INVOICES_MANAGE)
def cancel(invoice_id: int):
    form = CancelForm()
    return _act(invoice_id, lambda inv: services.cancel_now(db.session, inv, actor=current_user,
                                                            reason=form.reason.data, settings=settings()),
                lambda invoice, result: _("Invoice %(number)s is cancelled by %(cancellation)s.",
                                          number=invoice.number, cancellation=result.number),
                form=form)  # in units of work of its own


@bp.route("/invoices/<int:invoice_id>/refunds/<int:payment_id>", methods=["POST"])
@requires(Permission.INVOICES_MANAGE)
def settle_refund(invoice_id: int, payment_id: int):
    refund = get_or_404(InvoicePayment, payment_id)
    if refund.invoice_id != invoice_id:
        abort(404)
    decision = request.form.get("decision", "")
    message = (_("A credit note for the refund is issued.") if decision == "credit_note"
               else _("The refunded money is owed again."))
    return _act(invoice_id, lambda inv: services.decide_refund_now(
        db.session, refund, decision, actor=current_user, settings=settings()),
        lambda invoice, result: message)  # in units of work of its own


@bp.route("/invoices/<int:invoice_id>/pdf")
@requires(Permission.INVOICES_VIEW)
def pdf(invoice_id: int):
    return pdf_response(get_or_404(Invoice, invoice_id), disposition="inline")


def pdf_response(invoice: Invoice, *, disposition: str) -> Response:
    """The bytes stored at issue (checked against their SHA-256), never a new rendering."""
    return Response(services.stored_pdf(db.session, invoice, settings=settings()), mimetype="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{invoice.number}.pdf"',
                             "Cache-Control": "private, no-store"})


# --- sponsors ------------------------------------------------------------------------------------

@bp.route("/sponsors")
@requires(Permission.INVOICES_VIEW)
def sponsors():
    open_by_sponsor: dict[int, dict[str, int]] = {}
    for item in state.open_invoices(db.session):
        totals = open_by_sponsor.setdefault(item.invoice.sponsor_id, {})
        totals[item.invoice.currency] = totals.get(item.invoice.currency, 0) + item.outstanding
    return render_template("invoicing/sponsors.html", sponsors=_sponsors(), open=open_by_sponsor)


def _sponsor_data(form: SponsorForm) -> sponsor_services.SponsorData:
    return sponsor_services.SponsorData(**{name: getattr(form, name).data for name in (
        "name", "street", "postcode", "city", "country", "vat_id", "billing_emails",
        "po_reference", "language", "contacts", "notes")})


@bp.route("/sponsors/new", methods=["GET", "POST"])
@requires(Permission.INVOICES_MANAGE)
def new_sponsor():
    form = SponsorForm()
    outcome = run_form(form, lambda: sponsor_services.create_sponsor(db.session, _sponsor_data(form),
                                                             actor=current_user))
    if outcome.done:
        flash(_("%(name)s is added.", name=outcome.result.name), "success")
        return redirect(url_for(".sponsor", sponsor_id=outcome.result.id))
    return render_template("invoicing/sponsor_form.html", form=form, sponsor=None), outcome.status


@bp.route("/sponsors/<int:sponsor_id>/edit", methods=["GET", "POST"])
@requires(Permission.INVOICES_MANAGE)
def edit_sponsor(sponsor_id: int):
    sponsor = get_or_404(Sponsor, sponsor_id)
    form = SponsorForm(obj=sponsor)
    outcome = run_form(form, lambda: sponsor_services.update_sponsor(db.session, sponsor,
                                                             _sponsor_data(form),
                                                             actor=current_user))
    if outcome.done:
        flash(_("%(name)s is saved. Issued invoices keep the details they were issued with.",
                name=sponsor.name), "success")
        return redirect(url_for(".sponsor", sponsor_id=sponsor.id))
    return render_template("invoicing/sponsor_form.html", form=form, sponsor=sponsor), outcome.status


@bp.route("/sponsors/<int:sponsor_id>")
@requires(Permission.INVOICES_VIEW)
def sponsor(sponsor_id: int):
    sponsor = get_or_404(Sponsor, sponsor_id)
    today = clock.today()
    invoices = db.session.scalars(select(Invoice).where(Invoice.sponsor_id == sponsor.id)
                                  .order_by(Invoice.issue_date.desc().nulls_first(),
                                            Invoice.id.desc())).all()
    payments = sorted((p for inv in invoices for p in inv.payments),
                      key=lambda p: (p.received_on, p.id), reverse=True)
    return render_template("invoicing/sponsor.html", sponsor=sponsor, invoices=invoices,
                           payments=payments, today=today, status_of=state.status,
                           outstanding_of=state.outstanding,
                           credit=credits.balances(db.session, sponsor.id),
                           credit_rows=credits.movements(db.session, sponsor.id),
                           refund_form=RefundForm(data={"payee_name": sponsor.name[:70]}))


@bp.route("/sponsors/<int:sponsor_id>/refund", methods=["POST"])
@requires(Permission.INVOICES_MANAGE)
def refund_credit(sponsor_id: int):
    sponsor = get_or_404(Sponsor, sponsor_id)
    form = RefundForm()

    def refund() -> Money:
        amount = Money.parse(form.amount.data, credits.SEPA_CURRENCY, current_locale())
        credits.request_refund(db.session, sponsor, amount, payee_name=form.payee_name.data,
                               iban=form.iban.data, actor=current_user)
        return amount

    outcome = run_form(form, refund, flash_refusal="danger")
    if outcome.invalid:
        flash(_("Give the amount, the account holder and the IBAN."), "danger")
    elif outcome.done:
        flash(_("%(amount)s of credit waits for the next payout batch.",
                amount=outcome.result.format(current_locale())), "success")
    return redirect(url_for(".sponsor", sponsor_id=sponsor.id))


# --- packages ------------------------------------------------------------------------------------

@bp.route("/packages")
@requires(Permission.INVOICES_VIEW)
def packages():
    return render_template("invoicing/packages.html", packages=_packages(active_only=False))


def _package_form(package: SponsorshipPackage | None):
    form = PackageForm(obj=package)
    form.group.choices = options([("", _("None"))] + [(g.id, g.name) for g in _groups()])
    form.currency.choices = options([(c, c) for c in current_app.config["CURRENCIES"]])
    if request.method == "GET":
        if package is not None:
            form.group.data = package.group_id
            form.price.data = f"{Money(package.price, package.currency).to_decimal()}"
        else:
            form.currency.data = current_app.config["DEFAULT_CURRENCY"]
    outcome = run_form(form, lambda: sponsor_services.save_package(
        db.session, package, actor=current_user, name=form.name.data, event=form.event.data,
        group_id=form.group.data, description=form.description.data,
        price=money_of(form.price, form.currency.data), tax_treatment=form.tax_treatment.data,
        exempt_reason=form.exempt_reason.data, active=form.active.data))
    if outcome.done:
        flash(_("Package %(package)s is saved.", package=outcome.result.label), "success")
        return redirect(url_for(".packages"))
    return render_template("invoicing/package_form.html", form=form, package=package), outcome.status


@bp.route("/packages/new", methods=["GET", "POST"])
@requires(Permission.INVOICES_MANAGE)
def new_package():
    return _package_form(None)


@bp.route("/packages/<int:package_id>/edit", methods=["GET", "POST"])
@requires(Permission.INVOICES_MANAGE)
def edit_package(package_id: int):
    return _package_form(get_or_404(SponsorshipPackage, package_id))
