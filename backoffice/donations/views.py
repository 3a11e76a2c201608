"""Donation pages (public), the donor's plan link, and the treasurer's donation pages."""
from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from ..core import clock, signals
from ..core.bounds import as_id
from ..core.errors import NotFound, ValidationError
from ..core.forms import (
    ConfirmForm,
    InputRefused,
    current_locale,
    money_of,
    new_started_token,
    options,
)
from ..core.i18n import _
from ..core.money import Money
from ..core.permissions import Permission, login_required, public, requires
from ..core.query import arg, others, query_form
from ..core.urls import absolute_url
from ..core.views import export_format, get_or_404, run_form, send_table
from ..expenses.models import ExpenseClaim
from ..extensions import db, settings
from ..ledger.reads import chart_accounts, chart_funds
from ..ledger.services import fund_by_code
from . import booking, checkout, donors, manual, pages, plans, queries, refunds, waivers
from .forms import (
    ByHandForm,
    DonateForm,
    DonorForm,
    FilterForm,
    HandledForm,
    MergeForm,
    PageForm,
    ReasonForm,
)
from .models import (
    Channel,
    Donation,
    DonationKind,
    Donor,
    InKindOrigin,
    PlanInterval,
    PlanStatus,
    RecurringPlan,
)

bp = Blueprint("donations", __name__)


# --- the public donation page --------------------------------------------------------------

def _with_checkout_csp(response):
    from ..payments.views import _with_checkout_csp as allow  # noqa: PLC0415
    return allow(response)


def _page(fund_code: str | None):
    try:
        return pages.open_page(db.session, fund_code.upper() if fund_code else None)
    except NotFound:
        abort(404)


def _pledge(form: DonateForm, page) -> checkout.Pledge:
    chosen = form.amount.data
    typed = (form.other_amount.data or "").strip()
    if typed:
        head, _, tail = typed.rpartition(",")
        if head and "." not in typed and len(tail) in (1, 2):  # "12,50": a decimal comma
            form.other_amount.data = f"{head}.{tail}"
        amount = money_of(form.other_amount, page.currency)
    elif chosen and chosen.isdigit() and int(chosen) in page.suggestions:
        amount = Money(int(chosen), page.currency)
    else:
        form.other_amount.errors = ["Choose an amount or type one."]
        raise InputRefused
    interval = None if form.frequency.data in (None, "", "once") else PlanInterval(
        form.frequency.data)
    return checkout.Pledge(amount=amount, interval=interval,
                           donor=form.details(consent_public=bool(form.public_name.data)),
                           receipt_wanted=form.receipt_wanted.data,
                           public_name=form.public_name.data or "")


@bp.route("/donate", methods=["GET", "POST"], defaults={"fund_code": None})
@bp.route("/donate/<fund_code>", methods=["GET", "POST"])
@public
def donate(fund_code: str | None):
    page = _page(fund_code)
    form = DonateForm()
    form.amount.choices = options((str(a), Money(a, page.currency).format(current_locale()))
                                  for a in page.suggestions)
    if not page.allow_recurring:
        form.frequency.choices = options([("once", _("Once"))])
    if request.method == "GET":
        form.language.data = "de" if current_locale().startswith("de") else "en"  # as the page
        form.started.data = new_started_token()
        form.form_token.data = checkout.new_form_token()
        if page.suggestions:
            form.amount.data = str(page.suggestions[min(1, len(page.suggestions) - 1)])

    def start():
        pledge = _pledge(form, page)
        checkout.check_limits(db.session, address=request.remote_addr or "unknown",
                              email=pledge.donor.email, settings=settings())
        code = page.fund.code.lower()
        return checkout.start(
            db.session, page, pledge, form_token=form.form_token.data or "",
            success_url=absolute_url(settings(), "donations.thanks", fund_code=code),
            cancel_url=absolute_url(settings(), "donations.donate", fund_code=code),
            settings=settings())

    outcome = run_form(form, start)
    if outcome.done:
        return _with_checkout_csp(redirect(outcome.result.url, code=303))
    listed = queries.public_donors(db.session, page)
    response = make_response(render_template("donations/donate.html", page=page, form=form,
                                             listed=listed[:10]), outcome.status)
    return _with_checkout_csp(response)  # the form's redirect goes to Stripe Checkout


@bp.route("/donate/<fund_code>/thanks")
@public
def thanks(fund_code: str):
    return render_template("donations/thanks.html", page=_page(fund_code))


@bp.route("/donate/<fund_code>/donors")
@public
def public_list(fund_code: str):
    page = _page(fund_code)
    if not page.public_donor_list:
        abort(404)
    return render_template("donations/public_list.html", page=page,
                           listed=queries.public_donors(db.session, page))


@bp.route("/donate/plan/<token>", methods=["GET", "POST"])
@public
def my_plan(token: str):
    """The donor's signed link (in every mail about the plan): see it, end it."""
    try:
        plan = plans.plan_of_token(db.session, settings().secret_key, token)
    except NotFound:
        abort(404)
    form = ConfirmForm()
    outcome = run_form(form, lambda: plans.cancel(
        db.session, plan, actor=None, reason="The donor ended it from their link.",
        config=settings().stripe), flash_refusal="warning")
    if outcome.done:
        flash(_("Your plan has ended; nothing more will be collected."), "success")
        return redirect(url_for(".my_plan", token=token))
    return render_template("donations/my_plan.html", plan=plan, form=form), outcome.status


# --- the treasurer's pages -----------------------------------------------------------------

def _filters(form: FilterForm) -> queries.Filters:
    if (form.channel.data or "") not in {"", *(c.value for c in Channel)} or \
            (form.recurring.data or "") not in ("", "yes", "no"):
        abort(400)
    recurring = {"yes": True, "no": False}.get(form.recurring.data or "")
    return queries.Filters(fund_id=as_id(form.fund.data or ""),
                           channel=Channel(form.channel.data) if form.channel.data else None,
                           start=form.start.data, end=form.end.data, recurring=recurring)


@bp.route("/donations")
@requires(Permission.DONATIONS_VIEW)
def index():
    funds = chart_funds(db.session)
    form = query_form(FilterForm, fund=options(((f.id, f.code) for f in funds), _("All")))
    filters = _filters(form)
    if fmt := export_format():
        return send_table(queries.donations_table(db.session, filters), fmt)
    before = None
    if (day := arg("before_day", date)) and (before_id := arg("before_id", int)):
        before = (day, before_id)
    size = 50
    rows = queries.donations(db.session, filters, before=before, limit=size + 1)
    older = None
    if len(rows) > size:
        last = rows[size - 1]
        older = url_for(".index", before_day=last.donated_on.isoformat(), before_id=last.id,
                        **others("before_day", "before_id"))
    totals, per_month = queries.summary(db.session, filters)
    return render_template(
        "donations/index.html", form=form, funds=funds, donations=rows[:size], older=older,
        totals=totals, per_month=per_month[:36],
        failures=queries.failures(db.session))


@bp.route("/donations/<int:donation_id>", methods=["GET", "POST"])
@requires(Permission.DONATIONS_VIEW)
def donation(donation_id: int):
    row = get_or_404(Donation, donation_id)
    form = ReasonForm()
    if request.method == "POST" and not current_user.can(Permission.DONATIONS_MANAGE):
        abort(403)
    outcome = run_form(form, lambda: booking.reverse(db.session, row, actor=current_user,
                                                     reason=form.reason.data, settings=settings()))
    if outcome.done:
        flash(_("%(ref)s reversed.", ref=row.ref), "success")
        return redirect(url_for(".donation", donation_id=row.id))
    return render_template("donations/donation.html", donation=row, form=form,
                           refunds=refunds.refunds_of(db.session, row.id),
                           panels=signals.panels("donations.donation", session=db.session,
                                                 user=current_user, donation=row,
                                                 settings=settings())), outcome.status


def _by_hand_choices(form: ByHandForm) -> None:
    form.fund.choices = options((f.code, f"{f.code} {f.name}") for f in chart_funds(db.session)
                                if f.active)
    form.currency.choices = options((c, c) for c in settings().organisation.currencies)
    form.account.choices = options(((a.code, f"{a.code} {a.name}") for a in chart_accounts(
        db.session) if a.type in manual.IN_KIND_ACCOUNT_TYPES and a.active), "—")


def _record_by_hand(form: ByHandForm):
    try:
        fund = fund_by_code(db.session, form.fund.data or "")
    except NotFound:
        raise ValidationError(_("Choose a fund."), field="fund") from None
    amount = money_of(form.amount, form.currency.data or "EUR")
    donor = None
    if (form.donor_id.data or "").strip():
        donor = db.session.get(Donor, as_id(form.donor_id.data.strip().lstrip("DN-")) or 0)
        if donor is None:
            raise ValidationError(_("There is no donor with this number."), field="donor_id")
        donor = donors.current(db.session, donor)
        donors.remember_iban(db.session, donor, form.iban.data or "")
    else:
        donor = donors.find_or_create(db.session, form.details(), iban=form.iban.data or "",
                                      actor=current_user)
    if form.channel.data == Channel.IN_KIND.value:
        return manual.record_in_kind(
            db.session, donor=donor, fund=fund, value=amount, day=form.day.data,
            in_kind=booking.InKind(form.in_kind_description.data or "",
                                   form.valuation_basis.data or "",
                                   InKindOrigin(form.in_kind_origin.data or "unknown"),
                                   account_code=form.account.data or ""),
            actor=current_user, receipt_wanted=form.receipt_wanted.data,
            public_name=form.public_name.data, note=form.note.data or "")
    goods_value = money_of(form.goods_value, amount.currency) \
        if (form.goods_value.data or "").strip() else None
    return manual.record_by_hand(
        db.session, donor=donor, fund=fund, amount=amount, day=form.day.data,
        channel=Channel(form.channel.data or "cash"), actor=current_user,
        kind=DonationKind(form.kind.data or "money"), receipt_wanted=form.receipt_wanted.data,
        public_name=form.public_name.data, note=form.note.data or "",
        goods_description=form.goods_description.data or "", goods_value=goods_value)


@bp.route("/donations/new", methods=["GET", "POST"])
@requires(Permission.DONATIONS_MANAGE)
def new():
    form = ByHandForm()
    _by_hand_choices(form)
    if request.method == "GET":
        form.day.data = clock.today()
        form.currency.data = settings().organisation.default_currency
    outcome = run_form(form, lambda: _record_by_hand(form))
    if outcome.done:
        flash(_("%(ref)s recorded.", ref=outcome.result.ref), "success")
        return redirect(url_for(".donation", donation_id=outcome.result.id))
    return render_template("donations/new.html", form=form), outcome.status


@bp.route("/donations/donors")
@requires(Permission.DONATIONS_VIEW)
def donor_list():
    text = arg("q", str, "", max_length=200)
    page = arg("page", int, 1, minimum=1, maximum=10_000)
    rows = queries.donors(db.session, text, limit=51, offset=(page - 1) * 50)
    return render_template("donations/donors.html", rows=rows[:50], q=text, page=page,
                           more=len(rows) > 50)


@bp.route("/donations/donors/<int:donor_id>", methods=["GET", "POST"])
@requires(Permission.DONATIONS_VIEW)
def donor(donor_id: int):
    person = get_or_404(Donor, donor_id)
    if person.merged_into_id is not None:
        return redirect(url_for(".donor", donor_id=donors.current(db.session, person).id))
    form, merge = DonorForm(obj=person, prefix="donor"), MergeForm(prefix="merge")
    if request.method == "GET":
        form.donor_kind.data, form.language.data = person.kind.value, person.language.value
    if request.method == "POST" and not current_user.can(Permission.DONATIONS_MANAGE):
        abort(403)
    if merge.submit.data:
        def do_merge():
            other = db.session.get(Donor, as_id((merge.other.data or "").strip().lstrip("DN-"))
                                   or 0)
            if other is None:
                raise ValidationError(_("There is no donor with this number."), field="other")
            return donors.merge(db.session, donors.current(db.session, other), person,
                                actor=current_user)
        outcome = run_form(merge, do_merge)
        if outcome.done:
            flash(_("%(ref)s merged into %(other)s.", ref=person.ref, other=outcome.result.ref),
                  "success")
            return redirect(url_for(".donor", donor_id=outcome.result.id))
    else:
        outcome = run_form(form, lambda: donors.update_donor(
            db.session, person, form.details(consent_public=form.consent_public.data,
                                             consent_thanks=form.consent_thanks.data),
            notes=form.notes.data or "", actor=current_user))
        if outcome.done:
            flash(_("Saved."), "success")
            return redirect(url_for(".donor", donor_id=person.id))
    history = queries.donations(db.session, queries.Filters(donor_id=person.id), limit=500)
    return render_template(
        "donations/donor.html", donor=person, form=form, merge=merge, history=history,
        totals=queries.totals(db.session, queries.Filters(donor_id=person.id)),
        plans=[p for p in queries.plans(db.session) if p.donor_id == person.id],
        panels=signals.panels("donations.donor", session=db.session, user=current_user,
                              donor=person, settings=settings())), outcome.status


@bp.route("/donations/plans", methods=["GET"])
@requires(Permission.DONATIONS_VIEW)
def plan_list():
    status = arg("status", str, "", max_length=20)
    chosen = PlanStatus(status) if status in {s.value for s in PlanStatus} else None
    return render_template("donations/plans.html", plans=queries.plans(db.session, chosen),
                           status=status, form=ReasonForm(), statuses=list(PlanStatus))


@bp.route("/donations/plans/<int:plan_id>/cancel", methods=["POST"])
@requires(Permission.DONATIONS_MANAGE)
def cancel_plan(plan_id: int):
    plan = get_or_404(RecurringPlan, plan_id)
    form = ReasonForm()
    outcome = run_form(form, lambda: plans.cancel(db.session, plan, actor=current_user,
                                                  reason=form.reason.data,
                                                  config=settings().stripe),
                       flash_refusal="danger")
    if outcome.done:
        flash(_("%(ref)s cancelled.", ref=plan.ref), "success")
    elif not outcome.refusal:
        flash(_("Say why the plan ends."), "danger")
    return redirect(url_for(".plan_list"))


def _refunds_page(form: HandledForm, status: int = 200, posted_for: int | None = None):
    return render_template("donations/refunds.html", form=form, posted_for=posted_for,
                           waiting=refunds.for_treasurer(db.session),
                           handled=refunds.handled(db.session)), status


@bp.route("/donations/refunds")
@requires(Permission.DONATIONS_VIEW)
def refund_list():
    """Refunds that moved money at Stripe but are not booked as they happened: for the
    treasurer."""
    return _refunds_page(HandledForm())


@bp.route("/donations/refunds/<int:refund_id>/handled", methods=["POST"])
@requires(Permission.DONATIONS_MANAGE)
def refund_handled(refund_id: int):
    form = HandledForm()
    outcome = run_form(form, lambda: refunds.handle(db.session, refund_id, note=form.note.data,
                                                    actor=current_user))
    if outcome.done:
        flash(_("Refund %(refund)s marked as handled.",
                refund=outcome.result.refund.stripe_refund), "success")
        return redirect(url_for(".refund_list"))
    if isinstance(outcome.refusal, NotFound):
        abort(404)
    return _refunds_page(form, outcome.status, posted_for=refund_id)


@bp.route("/donations/pages", methods=["GET", "POST"])
@requires(Permission.DONATIONS_MANAGE)
def page_settings():
    form = PageForm()
    form.fund.choices = options((f.code, f"{f.code} {f.name}") for f in chart_funds(db.session)
                                if f.active)
    form.currency.choices = options((c, c) for c in settings().organisation.currencies)

    def save():
        fund = fund_by_code(db.session, form.fund.data)
        currency = form.currency.data or "EUR"
        suggestions = []
        for part in (form.suggested.data or "").split(","):
            if part.strip():
                try:
                    suggestions.append(Money.parse(part, currency))
                except ValidationError as error:
                    raise ValidationError(str(error), field="suggested") from None
        return pages.save_page(db.session, fund, title=form.title.data or fund.name,
                               purpose=form.purpose.data or "", currency=currency,
                               suggestions=suggestions, enabled=form.enabled.data,
                               allow_recurring=form.allow_recurring.data,
                               public_donor_list=form.public_donor_list.data,
                               actor=current_user)

    outcome = run_form(form, save)
    if outcome.done:
        flash(_("Donation page saved."), "success")
        return redirect(url_for(".page_settings"))
    return render_template("donations/pages.html", form=form,
                           pages=queries.pages(db.session)), outcome.status


@bp.route("/donations/waive/<int:claim_id>", methods=["GET", "POST"])
@login_required
def waive(claim_id: int):
    """The claimant (or a treasurer) waives an approved, unpaid claim: it becomes a donation."""
    claim = get_or_404(ExpenseClaim, claim_id)
    if claim.claimant_id != current_user.id and not current_user.can(
            Permission.EXPENSES_APPROVE):
        abort(404)
    form = ConfirmForm()
    outcome = run_form(form, lambda: waivers.waive(db.session, claim, actor=current_user),
                       flash_refusal="danger")
    if outcome.done:
        flash(_("Claim %(claim)s waived: recorded as your donation %(ref)s. Thank you!",
                claim=claim.ref, ref=outcome.result.ref), "success")
        return redirect(url_for("expenses.claim", claim_id=claim.id))
    if outcome.refusal:
        return redirect(url_for("expenses.claim", claim_id=claim.id))
    return render_template("donations/waive.html", claim=claim, form=form), outcome.status
