"""Pages of the queue: a job's progress and result (its starter and admins only), and the mail
outbox for admins (what waits or failed, and sending a message again)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from ..core import jobs, outbox
from ..core.errors import NotFound
from ..core.forms import ConfirmForm
from ..core.i18n import _
from ..core.permissions import Permission, login_required, requires
from ..core.views import get_or_404, run_form
from ..extensions import db

bp = Blueprint("jobs", __name__)


def _link(result: dict | None) -> str | None:
    """The page a finished job points to (its result stores an endpoint and its arguments)."""
    link = dict((result or {}).get("link") or {})
    endpoint = link.pop("endpoint", None)
    try:
        return url_for(endpoint, **link) if endpoint else None
    except BuildError:
        return None


@bp.route("/jobs/<int:job_id>")
@login_required
def show(job_id: int):
    try:
        job = jobs.visible_job(db.session, job_id, current_user)
    except NotFound:
        abort(404)
    return render_template("jobs/job.html", job=job, link=_link(job.result))


show.access_note = "the user who started the job, and admins"


@bp.route("/admin/outbox")
@requires(Permission.MAIL_OUTBOX)
def outbox_page():
    return render_template("jobs/outbox.html", mails=outbox.waiting(db.session),
                           counts=outbox.counts(db.session), form=ConfirmForm())


@bp.route("/admin/outbox/<int:mail_id>/retry", methods=["POST"])
@requires(Permission.MAIL_OUTBOX)
def retry_mail(mail_id: int):
    mail = get_or_404(outbox.OutboxMail, mail_id)
    outcome = run_form(ConfirmForm(), lambda: outbox.send_again(db.session, mail),
                       flash_refusal="warning")
    if outcome.done:
        flash(_("The message to %(recipients)s is sent again now.", recipients=mail.recipients), "success")
    elif outcome.invalid:
        abort(400)
    return redirect(url_for(".outbox_page"))
