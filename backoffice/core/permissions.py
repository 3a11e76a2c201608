"""Roles, permissions and the one access check every view goes through.

Deny by default: a view without a declared policy answers 403 (``web.enforce_access``). Views
declare exactly one policy with ``@public``, ``@login_required`` or ``@requires(Permission.X)``.
Organisers are further scoped to the member groups they organise: ``group_scope(user)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from .errors import NotFound

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

    from sqlalchemy import ColumnElement, Select

    from .actors import Actor


class Role(StrEnum):
    ADMIN = "admin"
    TREASURER = "treasurer"
    BOARD = "board"
    REVIEWER = "reviewer"
    ORGANISER = "organiser"
    AUDITOR = "auditor"  # Kassenprüfer: reads the books and their documents, changes nothing


class Permission(StrEnum):
    LEDGER_VIEW = "ledger.view"          # journal, balances, statements of every fund
    LEDGER_POST = "ledger.post"          # manual entries, reversals, fund transfers
    LEDGER_PERIODS = "ledger.periods"    # close and reopen periods
    ACCOUNTS_MANAGE = "accounts.manage"  # chart of accounts and funds
    AUDIT_VIEW = "audit.view"            # the audit log
    USERS_MANAGE = "users.manage"        # users, their roles, activation
    GROUPS_VIEW_ALL = "groups.view_all"  # every member group (organisers see only their own)
    GROUPS_VIEW_OWN = "groups.view_own"  # the groups one organises
    BANK_VIEW = "bank.view"              # bank accounts, statements, reconciliation state
    BANK_RECONCILE = "bank.reconcile"    # import statements, match, book lines, rules, accounts
    # member groups, funds, expense claims and payouts (issue 3)
    GROUPS_MANAGE = "groups.manage"          # register and edit groups, organisers, status
    GROUPS_APPROVE = "groups.approve"        # approve or decline applications
    FUNDS_MANAGE = "funds.manage"            # admin-fee policies
    FUNDS_OVERSPEND = "funds.overspend"      # let an expense take a fund below zero (with reason)
    EXPENSES_VIEW_ALL = "expenses.view_all"  # every expense claim
    EXPENSES_APPROVE = "expenses.approve"    # approve or reject expense claims
    PAYOUTS_MANAGE = "payouts.manage"        # SEPA payout batches
    INVOICES_VIEW = "invoices.view"      # sponsors, packages, invoices, receivables
    INVOICES_MANAGE = "invoices.manage"  # sponsors, packages, drafts, issue, send, cancel
    GRANTS_VIEW = "grants.view"          # applications, reviews, budgets of every programme
    GRANTS_REVIEW = "grants.review"      # score, comment, vote, ask applicants for information
    GRANTS_DECIDE = "grants.decide"      # assign reviewers, record decisions, reduce or cancel
    GRANTS_PAY = "grants.pay"            # pay grants out, close them after the report back
    GRANTS_MANAGE = "grants.manage"      # programmes: budgets, rules, questions, rounds
    BOARD_VIEW = "board.view"            # board records: meetings, minutes, resolutions, people, conflicts
    BOARD_MANAGE = "board.manage"        # schedule and run meetings, minutes, votes, terms, interests
    MAIL_OUTBOX = "mail.outbox"          # mail waiting or failed in the outbox; send it again
    PRIVACY_MANAGE = "privacy.manage"    # a person's data: export it, erase it on request
    REPORTS_VIEW = "reports.view"        # every statement, the annual report pack, the exports
    BUDGETS_MANAGE = "budgets.manage"    # enter, upload and revise budgets
    BUDGETS_APPROVE = "budgets.approve"  # approve a budget revision (by a board resolution)
    SETTINGS_MANAGE = "settings.manage"  # the association's details, bank accounts, policies
    DONATION_RECEIPTS = "donations.receipts"  # issue, mail, cancel and replace donation receipts
    DONATIONS_VIEW = "donations.view"      # donations, donors, recurring plans and their totals
    DONATIONS_MANAGE = "donations.manage"  # record, reverse, merge donors, donation pages, plans
    BOOKS_AUDIT = "books.audit"          # read pages others reach by managing (reconciliation, payouts, receipts)
    AUDIT_CHECKLIST = "audit.checklist"  # audit a fiscal year: sample, note, query, the auditors' report


_TREASURER = {
    Permission.LEDGER_VIEW, Permission.LEDGER_POST, Permission.LEDGER_PERIODS,
    Permission.ACCOUNTS_MANAGE, Permission.AUDIT_VIEW, Permission.GROUPS_VIEW_ALL,
    Permission.BANK_VIEW, Permission.BANK_RECONCILE,
    Permission.GROUPS_MANAGE, Permission.FUNDS_MANAGE, Permission.FUNDS_OVERSPEND,
    Permission.EXPENSES_VIEW_ALL, Permission.EXPENSES_APPROVE, Permission.PAYOUTS_MANAGE,
    Permission.GRANTS_VIEW, Permission.GRANTS_PAY, Permission.GRANTS_MANAGE,
}
_BOARD = {Permission.LEDGER_VIEW, Permission.AUDIT_VIEW, Permission.GROUPS_VIEW_ALL,
          Permission.BANK_VIEW, Permission.GROUPS_MANAGE, Permission.GROUPS_APPROVE,
          Permission.EXPENSES_VIEW_ALL,
          Permission.GRANTS_VIEW, Permission.GRANTS_DECIDE, Permission.GRANTS_MANAGE}
_TREASURER |= {Permission.INVOICES_VIEW, Permission.INVOICES_MANAGE}
_BOARD |= {Permission.INVOICES_VIEW}
# Reports (issue 15): the board, the treasurer and admins see every report (and the auditor role,
# once issue 16 adds it); organisers see their own fund's statement only (reports' index scopes it).
_TREASURER |= {Permission.REPORTS_VIEW, Permission.BUDGETS_MANAGE}
_BOARD |= {Permission.REPORTS_VIEW, Permission.BUDGETS_APPROVE}
# Donation receipts (issue 14): the treasurer issues them (admins have every permission).
_TREASURER |= {Permission.DONATION_RECEIPTS}
# Donations (issue 14): the treasurer records and manages them; the board sees them.
_TREASURER |= {Permission.DONATIONS_VIEW, Permission.DONATIONS_MANAGE}
_BOARD |= {Permission.DONATIONS_VIEW}
_REVIEWER = {Permission.GRANTS_VIEW, Permission.GRANTS_REVIEW, Permission.GRANTS_DECIDE}
_ORGANISER = {Permission.GROUPS_VIEW_OWN}

_BOARD |= {Permission.BOARD_VIEW, Permission.BOARD_MANAGE}
_TREASURER |= {Permission.BOARD_VIEW}

# The auditor (issue 16): every financial page and document and the audit log, read-only; no
# group admin, settings or board records. Their own work is the audit checklist.
_AUDITOR = {Permission.LEDGER_VIEW, Permission.AUDIT_VIEW, Permission.GROUPS_VIEW_ALL,
            Permission.BANK_VIEW, Permission.EXPENSES_VIEW_ALL, Permission.INVOICES_VIEW,
            Permission.GRANTS_VIEW, Permission.REPORTS_VIEW, Permission.DONATIONS_VIEW,
            Permission.BOOKS_AUDIT, Permission.AUDIT_CHECKLIST}

#: Roles that change nothing: a user holding one may send no POST, PUT, PATCH or DELETE, whatever
#: their other roles, except to views requiring one of ``READ_ONLY_MAY`` and to their own account
#: (``own_account``). ``web.enforce_access`` applies it before any view runs.
READ_ONLY_ROLES = frozenset({Role.AUDITOR})
READ_ONLY_MAY = frozenset({Permission.AUDIT_CHECKLIST})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.TREASURER: frozenset(_TREASURER),
    Role.BOARD: frozenset(_BOARD),
    Role.REVIEWER: frozenset(_REVIEWER),
    Role.ORGANISER: frozenset(_ORGANISER),
    Role.AUDITOR: frozenset(_AUDITOR),
}


def permissions_of(roles: Iterable[Role | str]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[Role(role)]
    return frozenset(granted)


def roles_with(permission: Permission) -> frozenset[Role]:
    return frozenset(role for role, perms in ROLE_PERMISSIONS.items() if permission in perms)


# --- declaring a view's policy -------------------------------------------------------------

@dataclass(frozen=True)
class AccessPolicy:
    public: bool = False
    permission: Permission | None = None  # None and not public: any logged-in user
    #: A second permission that opens the page too, for reading only (GET and HEAD):
    #: ``BOOKS_AUDIT`` on the read pages of a managing permission.
    also: Permission | None = None
    #: The user's own account (log out, password, sessions): read-only users may post here.
    own_account: bool = False

    def describe(self) -> str:
        if self.public:
            return "anyone"
        if self.permission is None:
            return "any logged-in user"
        return f"permission {self.permission}" + (f" or {self.also}" if self.also else "")

    def opens_for(self, user: Actor, method: str = "GET") -> bool:
        """Whether a logged-in ``user`` may reach the view with ``method``."""
        return self.public or self.permission is None or user.can(self.permission) or (
            self.also is not None and method in SAFE_METHODS and user.can(self.also))

    def admits(self, user: Actor, method: str) -> bool:
        """Whether a logged-in ``user`` gets past the access check with ``method``: what
        ``web.enforce_access`` asks, and what a page asks before it shows a control (a form, a
        button) that sends ``method`` to the view."""
        return self.opens_for(user, method) and not self.changes_refused(user.roles, method)

    def changes_refused(self, roles: Iterable[Role | str], method: str) -> bool:
        """Whether a request with ``method`` is refused to a holder of ``roles`` for being
        read-only (``READ_ONLY_ROLES``)."""
        if method in SAFE_METHODS or self.public or self.own_account:
            return False
        if not READ_ONLY_ROLES & {Role(r) for r in roles}:
            return False
        return self.permission not in READ_ONLY_MAY


def _declare(policy: AccessPolicy):
    def decorator(view: Callable[..., Any]):
        if hasattr(view, "access_policy"):
            raise RuntimeError(f"{view.__name__} declares two access policies")
        view.access_policy = policy
        return view
    return decorator


public = _declare(AccessPolicy(public=True))
login_required = _declare(AccessPolicy())
#: Any logged-in user, on their own account (read-only users too may post here).
own_account = _declare(AccessPolicy(own_account=True))


def requires(permission: Permission, *, also: Permission | None = None):
    """The view needs ``permission`` (or ``also``, for a read page auditors see as well)."""
    return _declare(AccessPolicy(permission=Permission(permission),
                                 also=Permission(also) if also else None))


#: Endpoints registered by Flask and extensions that serve static files.
PUBLIC_ENDPOINTS = frozenset({"static", "bootstrap.static"})


def policy_for(endpoint: str, view_functions: Mapping[str, Callable]) -> AccessPolicy | None:
    """The policy the endpoint's view declared (``view_functions``: the app's), or None."""
    if endpoint in PUBLIC_ENDPOINTS:
        return AccessPolicy(public=True)
    return getattr(view_functions.get(endpoint), "access_policy", None)


# --- organiser scoping ----------------------------------------------------------------------

@dataclass(frozen=True)
class GroupScope:
    """The member groups a user may see: all of them, or the ones they organise."""

    all_groups: bool
    group_ids: frozenset[int] = frozenset()

    def allows(self, group_id: int | None) -> bool:
        return self.all_groups or (group_id is not None and group_id in self.group_ids)

    def filter(self, statement: Select, group_id_column: ColumnElement[int]):
        """Restrict a select to the groups in scope."""
        if self.all_groups:
            return statement
        return statement.where(group_id_column.in_(self.group_ids or {-1}))


def group_scope(user: Actor) -> GroupScope:
    if user.can(Permission.GROUPS_VIEW_ALL):
        return GroupScope(all_groups=True)
    if user.can(Permission.GROUPS_VIEW_OWN):
        return GroupScope(all_groups=False, group_ids=frozenset(user.organised_group_ids))
    return GroupScope(all_groups=False)


def ensure_group_visible(user: Actor, group_id: int) -> None:
    """Raise ``NotFound`` (not 403: no hint that the group exists) outside the user's scope."""
    if not group_scope(user).allows(group_id):
        raise NotFound("No such group.")
