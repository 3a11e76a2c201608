"""Every allowed and refused step of an application and of a payment (the tables beside the
models), with the words a refusal uses."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from backoffice.core.errors import AlreadyDone, InvalidTransition
from backoffice.grants.models import (
    APPLICATION_STATES,
    DISBURSEMENT_STATES,
    DisbursementStatus,
    Status,
)

from ..state_tables import assert_step, assert_table

S, D = Status, DisbursementStatus
REVIEW = (S.SUBMITTED, S.INFO_REQUESTED, S.IN_REVIEW)

#: (state, action) -> where it leads; every other pair is refused.
APPLICATION = {
    (S.DRAFT, "submit"): S.SUBMITTED,
    (S.SUBMITTED, "request_information"): S.INFO_REQUESTED,
    (S.INFO_REQUESTED, "answer"): S.SUBMITTED,
    (S.SUBMITTED, "start_review"): S.IN_REVIEW,
    (S.IN_REVIEW, "approve"): S.APPROVED,
    (S.IN_REVIEW, "reject"): S.REJECTED,
    **{(state, "withdraw"): S.WITHDRAWN for state in (S.DRAFT, *REVIEW)},
    (S.APPROVED, "cancel"): S.CANCELLED,
    (S.APPROVED, "paid"): S.PAID,
    (S.PAID, "report_due"): S.REPORT_DUE,
    (S.REPORT_DUE, "report_overdue"): S.REPORT_OVERDUE,
    **{(state, "report"): S.REPORT_RECEIVED for state in (S.PAID, S.REPORT_DUE,
                                                          S.REPORT_OVERDUE)},
    (S.REPORT_RECEIVED, "close"): S.CLOSED,
    **{(state, "payment_returned"): S.APPROVED for state in (S.PAID, S.REPORT_DUE,
                                                             S.REPORT_OVERDUE)},
    (S.DRAFT, "edit"): S.DRAFT,
    **{(state, "review"): state for state in REVIEW},
    (S.IN_REVIEW, "vote"): S.IN_REVIEW,
    (S.APPROVED, "reduce"): S.APPROVED,
    (S.APPROVED, "pay"): S.APPROVED,
}
VERBS = {"submit": "submitted", "request_information": "asked for more information",
         "answer": "answered", "start_review": "put in review", "approve": "approved",
         "reject": "rejected", "withdraw": "withdrawn", "cancel": "cancelled",
         "paid": "marked paid", "report_due": "marked as waiting for its report",
         "report_overdue": "marked overdue", "report": "reported on", "close": "closed",
         "payment_returned": "given back a returned payment"}
OPERATIONS = {
    "edit": "Application G-7 is already {state}; it can no longer be edited.",
    "review": "Application G-7 is {state}: reviews are closed.",
    "vote": "Votes are cast while an application is in review; G-7 is {state}.",
    "reduce": "Only an approved grant that is not fully paid can be reduced; G-7 is {state}.",
    "pay": "Application G-7 is {state}: there is nothing to pay.",
}


def application_refusal(state: Status, action: str) -> tuple[type, str]:
    label = state.label.lower()
    if action in OPERATIONS:
        return InvalidTransition, OPERATIONS[action].format(state=label)
    if state in {to for (_, name), to in APPLICATION.items() if name == action}:
        return AlreadyDone, f"Application G-7 is already {label}; nothing was changed."
    return InvalidTransition, f"Application G-7 is {label} and cannot be {VERBS[action]} now."


def test_the_application_table_is_the_one_written_here():
    assert_table(APPLICATION_STATES, APPLICATION)
    assert set(APPLICATION_STATES.actions) == set(VERBS) | set(OPERATIONS)


@pytest.mark.parametrize("state", list(Status))
@pytest.mark.parametrize("action", list(VERBS) + list(OPERATIONS))
def test_every_application_step(state, action):
    assert_step(APPLICATION_STATES, SimpleNamespace(status=state, reference="G-7"), action,
                APPLICATION, application_refusal(state, action))


PAYMENT = {
    (D.READY, "record_payment"): D.PAID,
    (D.PAID, "record_return"): D.READY,
    (D.READY, "cancel"): D.CANCELLED,
    (D.READY, "correct_payee"): D.READY,
}
PAYMENT_REFUSED = {
    "record_payment": "Payment GRANT-7-1 is {state}, not waiting for payout.",
    "record_return": "Payment GRANT-7-1 is {state}, not paid.",
    "cancel": "Only a payment that waits for its payout can be cancelled.",
    "correct_payee": "Only a payment that waits for its payout can be changed.",
}


def test_the_payment_table_is_the_one_written_here():
    assert_table(DISBURSEMENT_STATES, PAYMENT)


@pytest.mark.parametrize("state", list(DisbursementStatus))
@pytest.mark.parametrize("action", list(PAYMENT_REFUSED))
def test_every_payment_step(state, action):
    # never AlreadyDone: a payout hook's error
    assert_step(DISBURSEMENT_STATES, SimpleNamespace(status=state, end_to_end_id="GRANT-7-1"),
                action, PAYMENT,
                (InvalidTransition, PAYMENT_REFUSED[action].format(state=state.value)))
