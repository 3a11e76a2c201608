"""Shared building blocks: money, errors, permissions, audit log, mail, database helpers."""
