"""Fiscal sponsorship: admin-fee policies on group funds, fund statements, the organiser's view."""
