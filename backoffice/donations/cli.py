"""The ``donations`` command group."""
from __future__ import annotations

from flask.cli import AppGroup

from .receipts.cli import receipts_command

donations_cli = AppGroup("donations", help="Donors, donations and their receipts.")
donations_cli.add_command(receipts_command)
