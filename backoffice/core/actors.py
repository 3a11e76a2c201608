"""Who acts, as services see them: a user (`auth.models.User`) or, where a service accepts
``None``, the system (a command-line script, a scheduled job).

A protocol, so core and the ledger name the actor in their signatures without importing `auth`.
Somebody acting without an account is an actor with ``id`` ``None`` (a grant applicant through
their secret link: ``grants.access.Applicant``, which holds no permission).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .permissions import Permission


class Actor(Protocol):
    @property
    def id(self) -> int | None: ...

    @property
    def email(self) -> str: ...

    @property
    def display_name(self) -> str: ...

    def can(self, permission: Permission) -> bool: ...
