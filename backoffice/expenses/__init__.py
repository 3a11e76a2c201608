"""Expense claims: lines, receipts, four-eyes approval, payables, and SEPA payout batches."""
