"""Donations: donors, gifts by every channel (Stripe Checkout, bank transfer, cash, cheque, in
kind, waived reimbursements), recurring plans, and their booking into a fund.

Receivers of other packages' signals are connected here (see ``wiring``) once the services exist.
"""
