"""Imports every model so that SQLAlchemy and Alembic see the whole schema."""
from .auth.models import LoginAttempt, User, UserRole, UserToken  # noqa: F401
from .banking.models import (  # noqa: F401
    BankAccount,
    BankImport,
    BankLine,
    BankMatch,
    BankMatchItem,
    BankMatchLine,
    BankRule,
    BankStatement,
)
from .core.audit import AuditEvent  # noqa: F401
from .core.uploads import StoredFile  # noqa: F401
from .funds.models import FeePolicy  # noqa: F401
from .groups.models import MemberGroup, group_organisers  # noqa: F401
from .ledger.models import (  # noqa: F401
    Account,
    AccountTotal,
    Fund,
    FundAccountTotal,
    FundBalanceTotal,
    JournalEntry,
    Period,
    Posting,
)
