"""What a resolution decides, read from the package that keeps it: its label and the other party
(§ 34 BGB: who may not vote on it). The board sits above the domain packages, so it reads them
directly; they ask the board through ``core.signals`` (``board.money``)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..core.i18n import _
from ..grants.models import Application
from ..groups.models import MemberGroup
from ..payouts.models import PayoutBatch
from .models import SubjectKind
from .rules import APPLICANT, GROUP, Party


def party(session: Session, kind: SubjectKind, subject_id: int | None) -> Party | None:
    """The other side of the matter: the applicant of a grant (contact address, the user who
    applied, the organisers of the applying group), a group applying for admission (its
    organisers and contacts). None: the association has no counterpart in it."""
    if subject_id is None:
        return None
    if kind is SubjectKind.GRANT_APPLICATION:
        application = session.get(Application, subject_id)
        if application is None:
            return None
        users = {application.applicant_user_id} - {None}
        emails = {application.contact_email}
        groups = {application.group_id} - {None}
        if application.group is not None:
            users |= {u.id for u in application.group.organisers}
            emails |= {u.email for u in application.group.organisers}
        return Party(emails=frozenset(emails), users=frozenset(users), groups=frozenset(groups),
                     label=APPLICANT % {"reference": application.reference})
    if kind is SubjectKind.GROUP_ADMISSION:
        group = session.get(MemberGroup, subject_id)
        if group is None:
            return None
        return Party(emails=frozenset(u.email for u in group.organisers),
                     users=frozenset(u.id for u in group.organisers),
                     groups=frozenset({group.id}), label=GROUP % {"name": group.name})
    return None


def label(session: Session, kind: SubjectKind, subject_id: int | None) -> str:
    """What a resolution decides, in the reader's language."""
    if kind is SubjectKind.NONE or subject_id is None:
        return str(kind.label) if kind is not SubjectKind.NONE else ""
    if kind is SubjectKind.GRANT_APPLICATION:
        application = session.get(Application, subject_id)
        if application is not None:
            return _("Grant application %(reference)s: %(title)s",
                     reference=application.reference, title=application.title)
    if kind is SubjectKind.GROUP_ADMISSION:
        group = session.get(MemberGroup, subject_id)
        if group is not None:
            return _("Admission of %(name)s", name=group.name)
    if kind is SubjectKind.PAYOUT_BATCH:
        batch = session.get(PayoutBatch, subject_id)
        if batch is not None:
            return _("Payout batch %(message_id)s (%(count)s transfers, %(amount)s)",
                     message_id=batch.message_id, count=batch.item_count,
                     amount=batch.amount)
    if kind in (SubjectKind.ANNUAL_BUDGET, SubjectKind.DISCHARGE):
        return f"{kind.label} {subject_id}"
    return f"{kind.label} #{subject_id}"
