"""The auditors' pages (``/audits``): the audits, one audit's checklist (drawing the sample,
picking entries, checking or querying each item with its documents and bank lines), the report
and its stored PDF, which the discharge resolution's page links to."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from ..core import clock
from ..core.i18n import _, ngettext
from ..core.permissions import Permission, requires
from ..core.signals import source_pages
from ..core.uploads import StoredFile
from ..core.views import get_or_404, run_form, send_stored
from ..extensions import db, settings
from ..ledger import reads
from ..ledger.periods import FiscalYear
from . import audit
from .audit_forms import DrawForm, MarkForm, PickForm, ReportForm, StartAuditForm
from .audit_models import AUDIT_STATES, Audit, AuditItem
from .models import Body

bp = Blueprint("board_audit", __name__, url_prefix="/audits")


def source_url(kind: str | None, source_id: str | None) -> str | None:
    page = source_pages().get(kind or "")
    if page is None or not (source_id or "").isdigit():
        return None
    return url_for(page[0], **{page[1]: int(source_id)})


@bp.app_template_global()
def audit_report_for(year: int | None) -> Audit | None:
    """The reported audit a discharge resolution for ``year`` refers to (its page links it)."""
    return audit.report_for(db.session, year)


def _start_form() -> StartAuditForm:
    form = StartAuditForm()
    form.auditors.choices = [(b.id, b.name) for b in audit.auditor_bodies(db.session)]
    return form


@bp.route("/")
@requires(Permission.AUDIT_CHECKLIST)
def index():
    return render_template("board/audit/index.html", audits=audit.audits(db.session),
                           form=_start_form())


@bp.route("/", methods=["POST"])
@requires(Permission.AUDIT_CHECKLIST)
def start():
    form = _start_form()
    fiscal = FiscalYear.of(settings().organisation)
    outcome = run_form(form, lambda: audit.start(
        db.session, get_or_404(Body, form.auditors.data), year=form.year.data,
        fiscal=fiscal, actor=current_user))
    if outcome.done:
        flash(_("The audit of %(year)s is started.", year=form.year.data), "success")
        return redirect(url_for(".show", audit_id=outcome.result.id))
    return render_template("board/audit/index.html", audits=audit.audits(db.session),
                           form=form), outcome.status


def _page(found: Audit, status: int = 200, **forms):
    ids = [item.entry_id for item in found.items]
    forms.setdefault("draw_form", DrawForm())
    forms.setdefault("pick_form", PickForm())
    forms.setdefault("report_form", ReportForm())
    return render_template(
        "board/audit/audit.html", audit=found, entries=reads.entries(db.session, ids),
        bank_lines=audit.bank_lines(db.session, ids), source_url=source_url,
        mark_form=MarkForm(), open_audit=AUDIT_STATES.can(found, "check"),
        refusal=audit.report_refusal(found), **forms), status


@bp.route("/<int:audit_id>")
@requires(Permission.AUDIT_CHECKLIST)
def show(audit_id: int):
    return _page(get_or_404(Audit, audit_id))


@bp.route("/<int:audit_id>/draw", methods=["POST"])
@requires(Permission.AUDIT_CHECKLIST)
def draw(audit_id: int):
    found = get_or_404(Audit, audit_id)
    form = DrawForm()
    outcome = run_form(form, lambda: audit.draw(db.session, found, size=form.size.data,
                                                seed=form.seed.data, actor=current_user))
    if outcome.done:
        flash(ngettext("%(num)s entry drawn with seed %(seed)s.",
                       "%(num)s entries drawn with seed %(seed)s.", len(outcome.result),
                       seed=found.seed), "success")
        return redirect(url_for(".show", audit_id=audit_id))
    return _page(found, outcome.status, draw_form=form)


@bp.route("/<int:audit_id>/pick", methods=["POST"])
@requires(Permission.AUDIT_CHECKLIST)
def pick(audit_id: int):
    found = get_or_404(Audit, audit_id)
    form = PickForm()
    outcome = run_form(form, lambda: audit.pick(db.session, found, form.entry.data,
                                                actor=current_user))
    if outcome.done:
        flash(_("Entry #%(entry)s is in the sample.", entry=form.entry.data), "success")
        return redirect(url_for(".show", audit_id=audit_id))
    return _page(found, outcome.status, pick_form=form)


@bp.route("/items/<int:item_id>", methods=["POST"])
@requires(Permission.AUDIT_CHECKLIST)
def mark(item_id: int):
    item = get_or_404(AuditItem, item_id)
    form = MarkForm()
    action = "query" if form.query.data else "check"
    outcome = run_form(form, lambda: audit.mark(db.session, item, action, form.note.data,
                                                actor=current_user), flash_refusal="danger")
    if outcome.done:
        flash(_("Entry #%(entry)s: %(state)s.", entry=item.entry_id, state=item.status.label),
              "success")
    return redirect(url_for(".show", audit_id=item.audit_id, _anchor=f"item-{item.id}"))


@bp.route("/<int:audit_id>/report", methods=["POST"])
@requires(Permission.AUDIT_CHECKLIST)
def report(audit_id: int):
    found = get_or_404(Audit, audit_id)
    form = ReportForm()
    config = settings()
    outcome = run_form(form, lambda: audit.finish(
        db.session, found, audit.ReportInput(form.text.data, form.findings.data,
                                             form.recommend_discharge.data),
        organisation=config.organisation.name, folder=config.paths.uploads,
        today=clock.today(), actor=current_user, locale=config.organisation.default_locale,
        zone=config.organisation.timezone))
    if outcome.done:
        flash(_("The report is kept (SHA-256 %(sha)s…).", sha=outcome.result.sha256[:12]),
              "success")
        return redirect(url_for(".show", audit_id=audit_id))
    return _page(found, outcome.status, report_form=form)


@bp.route("/<int:audit_id>/report.pdf")
@requires(Permission.BOARD_VIEW, also=Permission.AUDIT_CHECKLIST)
def report_pdf(audit_id: int):
    found = get_or_404(Audit, audit_id)
    if found.document is None:
        return redirect(url_for(".show", audit_id=audit_id))
    return send_stored(get_or_404(StoredFile, found.document.file_id))
