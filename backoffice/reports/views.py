"""The Reports menu: the index of every report, the statements' pages and their downloads."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..core.permissions import login_required
from ..extensions import db
from . import catalogue, scope

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("")
@login_required
def index():
    """Every report the user may open; an organiser sees their own funds' statements only."""
    sections = catalogue.visible(current_user.can)
    own_funds = scope.organised_funds(db.session, current_user) if not sections else []
    return render_template("reports/index.html", sections=sections, own_funds=own_funds,
                           section="reports")
