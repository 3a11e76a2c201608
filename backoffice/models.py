"""Imports every model so that SQLAlchemy and Alembic see the whole schema."""
from .auth.models import (  # noqa: F401
    LoginAttempt,
    LoginCounter,
    User,
    UserRole,
    UserSession,
    UserToken,
)
from .banking.models import (  # noqa: F401
    BankAccount,
    BankImport,
    BankLine,
    BankMatch,
    BankMatchItem,
    BankMatchLine,
    BankOpenPosting,
    BankRule,
    BankStatement,
)
from .board import audit_models as board_audit_models  # noqa: F401  (the auditors' checklist)
from .board import models as board_models  # noqa: F401  (every board table)
from .core.audit import AuditEvent  # noqa: F401
from .core.jobs import Job  # noqa: F401
from .core.outbox import OutboxMail  # noqa: F401
from .core.public_forms import FormAttempt  # noqa: F401
from .core.stored_settings import StoredSetting  # noqa: F401
from .core.uploads import StoredFile  # noqa: F401
from .donations.models import (  # noqa: F401
    Donation,
    DonationCheckout,
    DonationPage,
    Donor,
    DonorIban,
    RecurringFailure,
    RecurringPlan,
)
from .donations.receipts.models import (  # noqa: F401
    Receipt,
    ReceiptGift,
    ReceiptMailing,
    ReceiptNumberCounter,
)
from .expenses.models import (  # noqa: F401
    ClaimApproval,
    ClaimLine,
    ClaimReceipt,
    ExpenseClaim,
)
from .funds.models import FeePolicy  # noqa: F401
from .grants import models as grants_models  # noqa: F401  (every grants table)
from .groups.models import (  # noqa: F401
    GroupApplicant,
    GroupStatusChange,
    MemberGroup,
    group_organisers,
)
from .invoicing.models import (  # noqa: F401
    Invoice,
    InvoiceDispatch,
    InvoiceLine,
    InvoiceNumberCounter,
    InvoicePayment,
    InvoiceRefundDecision,
    Sponsor,
    SponsorshipPackage,
)
from .ledger import models as ledger_tables  # noqa: F401 (only the ledger queries them)
from .ledger.chart import Account, Fund  # noqa: F401
from .payments.models import CheckoutSession, StripeEvent, StripeFee, StripePayout  # noqa: F401
from .payouts.models import PayoutBatch, PayoutItem, PayoutReturn  # noqa: F401
from .reports.datev_map import DatevAccount  # noqa: F401
from .reports.models import (  # noqa: F401
    AccountSphere,
    BudgetPlanLine,
    BudgetRevision,
    PostingSphere,
    ReportPack,
)
from .setup import services as setup_services  # noqa: F401  (its start-page panel)
