"""Minutes as people read them: Markdown made safe (``core.markdown``), and the
minutes PDF with every item, who was present for it, its resolutions and each vote.

Approved minutes are rendered once, when they are approved, and kept with their SHA-256 in the
document storage (``MinutesFile``, append-only); every later download serves those bytes,
checked against the hash, never a new rendering (a member's name, the association's name or the
template may change later; the approved document does not). Each addendum gets its own PDF,
kept the same way when it is written. Minutes approved before the files were kept are rendered
and kept at their first download. Drafts are rendered for each download.

A PDF takes 0.2-0.5 s to render. It is never rendered inside a unit of work that writes (on
SQLite the writer holds the whole database, and other writers would wait past their timeout):
``keep`` runs after the approval (or the addendum) is committed, renders from the rows that no
longer change, and keeps the file in a short unit of work of its own, once (a second ``keep``
finds it kept and stores nothing).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.db import transaction
from ..core.errors import Conflict
from ..core.i18n import _
from ..core.markdown import to_html
from ..core.templates import render_document
from ..core.uploads import StoredFile, read_stored, store_upload
from ..pdf import html_to_pdf
from . import services, wording
from .models import Meeting, MeetingStatus, MinutesFile, Recusal, Resolution, ResolutionVote, Term

if TYPE_CHECKING:
    from ..core.actors import Actor
    from .models import Addendum

MAX_PDF_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Printing:
    """What a PDF of the minutes prints besides the rows: the association and the day, the
    storage its file is kept in, the language it is written in and the time zone of its moments
    (the association's: approved minutes are kept once, for everybody)."""

    organisation: str
    today: date
    folder: str | Path
    locale: str = "en"
    zone: str = "UTC"


@lru_cache(maxsize=4096)
def _html(text: str) -> Markup:
    """Minutes as HTML, remembered by their text (a pure function of it): a meeting page shows
    every item's minutes, and approved minutes never change."""
    return to_html(text)


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
            "minutes": {item.id: _html(item.minutes) for item in meeting.items},
            "addenda": [(a, to_html(a.text)) for a in meeting.addenda]}


def pdf(session: Session, meeting: Meeting, *, organisation: str, today: date,
        locale: str = "en", zone: str = "UTC") -> bytes:
    html = render_document("pdf/board_minutes.html", organisation=organisation, today=today,
                           **wording.written(locale, zone), **record(session, meeting))
    return html_to_pdf(html)


def addendum_pdf(session: Session, addendum: Addendum, *, organisation: str, today: date,
                 locale: str = "en", zone: str = "UTC") -> bytes:
    item = next((i for i in addendum.meeting.items if i.id == addendum.item_id), None)
    html = render_document("pdf/board_addendum.html", organisation=organisation, today=today,
                           meeting=addendum.meeting, addendum=addendum, item=item,
                           text=to_html(addendum.text), **wording.written(locale, zone))
    return html_to_pdf(html)


def _keep(session: Session, meeting: Meeting, data: bytes, name: str, printing: Printing,
          actor: Actor | None, addendum: Addendum | None = None) -> MinutesFile:
    stored = store_upload(session, folder=printing.folder, filename=name, data=data,
                          allowed={"pdf"}, max_bytes=MAX_PDF_BYTES, actor=actor)
    kept = MinutesFile(meeting_id=meeting.id, addendum_id=addendum.id if addendum else None,
                       file_id=stored.id, sha256=stored.sha256)
    session.add(kept)
    session.flush()
    return kept


def _kept(session: Session, meeting: Meeting, addendum: Addendum | None) -> MinutesFile | None:
    return session.scalar(select(MinutesFile).where(
        MinutesFile.meeting_id == meeting.id,
        MinutesFile.addendum_id == addendum.id if addendum is not None
        else MinutesFile.addendum_id.is_(None)))


def _read(session: Session, kept: MinutesFile, folder: str | Path) -> bytes:
    data = read_stored(session.get(StoredFile, kept.file_id), folder)
    if hashlib.sha256(data).hexdigest() != kept.sha256:
        raise Conflict(_("The stored PDF of these minutes does not match its recorded SHA-256; "
                         "it must not be served. Restore it from a backup."))
    return data


def approve(session: Session, meeting: Meeting, resolution: Resolution, *,
            actor: Actor) -> None:
    """Approve the minutes (``services.approve_minutes``) in the caller's unit of work; once it
    is committed, ``keep`` renders and keeps their PDF."""
    services.approve_minutes(session, meeting, resolution, actor)


def add_addendum(session: Session, meeting: Meeting, text: str, *, item=None,
                 actor: Actor) -> Addendum:
    """A correction to approved minutes (``services.add_addendum``) in the caller's unit of
    work; once it is committed, ``keep(..., addendum=...)`` keeps its PDF."""
    return services.add_addendum(session, meeting, text, item=item, actor=actor)


def _render(session: Session, meeting: Meeting, printing: Printing,
            addendum: Addendum | None) -> bytes:
    if addendum is None:
        return pdf(session, meeting, organisation=printing.organisation, today=printing.today,
                   locale=printing.locale, zone=printing.zone)
    return addendum_pdf(session, addendum, organisation=printing.organisation,
                        today=printing.today, locale=printing.locale, zone=printing.zone)


def keep(session: Session, meeting: Meeting, printing: Printing, *,
         addendum: Addendum | None = None, actor: Actor | None = None) -> MinutesFile:
    """The kept PDF of approved minutes (or of an addendum), kept now if it is not yet: rendered
    outside any unit of work that writes, then stored in a short one of its own under the
    meeting's lock. Kept meanwhile by somebody else (a second click, a download): that file
    stays and nothing is stored. Call it with no unit of work open (it commits)."""
    kept = _kept(session, meeting, addendum)
    if kept is not None:
        return kept
    data = _render(session, meeting, printing, addendum)
    name = (f"minutes-{meeting.id}.pdf" if addendum is None
            else f"minutes-{meeting.id}-addendum-{addendum.id}.pdf")
    with transaction(session):
        session.execute(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())
        kept = _kept(session, meeting, addendum) or _keep(session, meeting, data, name, printing,
                                                          actor, addendum)
    return kept


def document(session: Session, meeting: Meeting, printing: Printing, *,
             addendum: Addendum | None = None, actor: Actor | None = None) -> bytes:
    """The PDF to serve: the kept file of approved minutes (or of an addendum), checked against
    its SHA-256; kept now if approved minutes have none yet (approved before files were kept);
    a draft rendered for this download."""
    if addendum is None and meeting.status is not MeetingStatus.APPROVED:
        return _render(session, meeting, printing, None)
    return _read(session, keep(session, meeting, printing, addendum=addendum, actor=actor),
                 printing.folder)
