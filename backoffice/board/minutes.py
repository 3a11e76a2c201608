"""Minutes as people read them: Markdown made safe (``core.markdown``), and the
minutes PDF with every item, who was present for it, its resolutions and each vote.

The PDF is rendered from the stored rows alone; once the minutes are approved those rows never
change (migration 0022), so the document rendered today is the document rendered at approval.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.markdown import to_html
from ..core.templates import render_document
from ..pdf import html_to_pdf
from .models import Recusal, Resolution, ResolutionVote, Term

if TYPE_CHECKING:
    from .models import Meeting


def record(session: Session, meeting: Meeting) -> dict:
    """Everything the minutes show, read once: per item who was present, its resolutions, their
    votes and recusals (no query per row)."""
    terms = {t.id: t for t in session.scalars(select(Term).where(Term.body_id == meeting.body_id))}
    resolution_ids = [r.id for item in meeting.items for r in item.resolutions]
    votes: dict[int, list] = {}
    recusals: dict[int, list] = {}
    if resolution_ids:
        for vote in session.scalars(select(ResolutionVote).where(
                ResolutionVote.resolution_id.in_(resolution_ids)).order_by(ResolutionVote.id)):
            votes.setdefault(vote.resolution_id, []).append(vote)
        for recusal in session.scalars(select(Recusal).where(
                Recusal.resolution_id.in_(resolution_ids))):
            recusals.setdefault(recusal.resolution_id, []).append(recusal)
    approved_by = session.get(Resolution, meeting.approved_by_id) if meeting.approved_by_id \
        else None
    return {"meeting": meeting, "terms": terms, "approved_by": approved_by, "votes": votes, "recusals": recusals,
            "minutes": {item.id: to_html(item.minutes) for item in meeting.items},
            "addenda": [(a, to_html(a.text)) for a in meeting.addenda]}


def pdf(session: Session, meeting: Meeting, *, organisation: str, today: date) -> bytes:
    html = render_document("pdf/board_minutes.html", organisation=organisation, today=today,
                           **record(session, meeting))
    return html_to_pdf(html)
