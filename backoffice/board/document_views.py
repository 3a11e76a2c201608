"""The document register's pages (``/board/documents``): every kind with its versions (the one in
force marked, the tax-exemption notice with its facts), each file as it was kept, and the form
that adds a document or a new version of one. Board members and treasurers read it, auditors too;
the board adds to it; nothing is ever replaced or deleted."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..core import clock
from ..core.errors import ValidationError
from ..core.i18n import _
from ..core.permissions import Permission, requires
from ..core.uploads import StoredFile
from ..core.views import get_or_404, run_form, send_stored
from ..extensions import db, settings
from . import documents
from .document_forms import DocumentForm
from .models import Document, DocumentKind

bp = Blueprint("board_documents", __name__, url_prefix="/board/documents")

#: Kinds of which one version is in force at a time (contracts stand side by side).
VERSIONED = (DocumentKind.STATUTES, DocumentKind.TAX_EXEMPTION, DocumentKind.REGISTER_EXTRACT)


def _form() -> DocumentForm:
    form = DocumentForm()
    superseded = select(Document.supersedes_id).where(Document.supersedes_id.is_not(None))
    open_versions = db.session.scalars(select(Document).where(Document.id.not_in(superseded))
                                       .order_by(Document.kind, Document.effective_on.desc()))
    form.supersedes.choices = [("", _("— nothing: a new document —"))] + [
        (str(doc.id), f"{doc.kind.label}: {doc.title} ({doc.effective_on:%Y-%m-%d})")
        for doc in open_versions]
    return form


def _page(form: DocumentForm, status: int = 200):
    today = clock.today()
    registers = []
    for kind in DocumentKind:
        versions = documents.versions(db.session, kind)
        if versions or kind is not DocumentKind.AUDIT_REPORT:
            in_force = documents.latest(db.session, kind, today) if kind in VERSIONED else None
            registers.append((kind, versions, in_force))
    superseded_by = {doc.supersedes_id: doc for doc in db.session.scalars(
        select(Document).where(Document.supersedes_id.is_not(None)))}
    return render_template("board/documents.html", registers=registers, form=form,
                           superseded_by=superseded_by, today=today), status


@bp.route("/")
@requires(Permission.BOARD_VIEW, also=Permission.BOOKS_AUDIT)
def index():
    return _page(_form())


@bp.route("/", methods=["POST"])
@requires(Permission.BOARD_MANAGE)
def add():
    form = _form()

    def keep() -> Document:
        upload = form.file.data
        if not getattr(upload, "filename", ""):
            raise ValidationError(_("Choose the file of the signed document (PDF)."), field="file")
        supersedes = get_or_404(Document, form.supersedes.data) if form.supersedes.data else None
        return documents.add(
            db.session, kind=DocumentKind(form.kind.data), title=form.title.data,
            effective_on=form.effective_on.data, data=upload.read(), filename=upload.filename, folder=settings().paths.uploads,
            details=form.details(), supersedes=supersedes, actor=current_user)

    outcome = run_form(form, keep)
    if outcome.done:
        flash(_("%(title)s is in the register (SHA-256 %(sha)s…).", title=outcome.result.title,
                sha=outcome.result.sha256[:12]), "success")
        return redirect(url_for(".index"))
    return _page(form, outcome.status)


@bp.route("/<int:document_id>/file")
@requires(Permission.BOARD_VIEW, also=Permission.BOOKS_AUDIT)
def file(document_id: int):
    document = get_or_404(Document, document_id)
    return send_stored(db.session.get(StoredFile, document.file_id))
