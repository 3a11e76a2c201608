"""A person named in a group's application or as a group's contact, for ``core.privacy``; the
people named in declined applications are removed once the rule's months have passed."""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from ..core.actors import Actor
from ..core.privacy import ERASED, Holding, Outcome, months_before
from .models import GroupApplicant, GroupStatus, MemberGroup


def holdings(sender, *, session: Session, email: str, settings) -> list[Holding]:
    found = []
    for applicant in session.scalars(select(GroupApplicant).where(
            func.lower(GroupApplicant.email) == email).order_by(GroupApplicant.id)):
        found.append(Holding(
            "group application", f"Named in the application of {applicant.group.name}",
            {"group": applicant.group.name, "name": applicant.name, "email": applicant.email,
             "group_status": applicant.group.status.value}, _remove(applicant)))
    for group in session.scalars(select(MemberGroup).where(or_(
            func.lower(MemberGroup.contact_email) == email,
            func.lower(MemberGroup.coc_contact) == email)).order_by(MemberGroup.id)):
        found.append(Holding("group contact", f"Contact of {group.name}",
                             {"group": group.name, "contact_email": group.contact_email,
                              "code_of_conduct_contact": group.coc_contact},
                             _clear_contact(group, email)))
    return found


def _remove(applicant: GroupApplicant):
    def erase(session: Session, actor: Actor | None, today: date) -> Outcome:
        label = f"Named in the application of {applicant.group.name}"
        session.delete(applicant)
        return Outcome(label, ERASED, "the people named in a group's application are not "
                       "records the association must keep")
    return erase


def _clear_contact(group: MemberGroup, email: str):
    def erase(session: Session, actor: Actor | None, today: date) -> Outcome:
        if group.contact_email.lower() == email:
            group.contact_email = ""
        if group.coc_contact.lower() == email:
            group.coc_contact = ""
        return Outcome(f"Contact of {group.name}", ERASED,
                       "the address is removed from the group's contacts; the group stays")
    return erase


def retention(sender, *, session: Session, today: date, settings) -> dict[str, int]:
    cutoff = months_before(today, settings.retention.declined_applications_months)
    declined = select(MemberGroup.id).where(MemberGroup.status == GroupStatus.DECLINED,
                                            MemberGroup.status_since < cutoff)
    removed = session.execute(delete(GroupApplicant).where(
        GroupApplicant.group_id.in_(declined))).rowcount
    session.execute(update(MemberGroup).where(MemberGroup.id.in_(declined))
                    .values(contact_email="", coc_contact=""))
    return {"declined group applications": removed}
