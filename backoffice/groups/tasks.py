"""Member groups on the start page (see ``core.tasks``)."""
from sqlalchemy import func, select

from ..core.permissions import Permission
from ..core.tasks import TaskKind, register
from .models import GroupStatus, MemberGroup


def _applying(session, user, today) -> int:
    return session.scalar(select(func.count()).select_from(MemberGroup).where(
        MemberGroup.status == GroupStatus.APPLICANT))


register(TaskKind("Groups applying to join", Permission.GROUPS_APPROVE, _applying,
                  "groups.directory", {"status": GroupStatus.APPLICANT.value}))
