"""What runs on its own, and when (Celery beat, UTC): ``backoffice jobs schedule`` lists it,
``backoffice jobs run-scheduled NAME`` runs one entry now, in the calling process.

Each entry names a job (``core.queue``); every one of them is safe to run more than once a day
(reminders are sent once, a backup is one more archive, the outbox sends what is due).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scheduled:
    job: str
    what: str
    minute: str = "0"
    hour: str = "*"

    def when(self) -> str:
        if self.minute == "*":
            return "every minute"
        if self.hour == "*":
            return f"hourly at {int(self.minute):02d} minutes past"
        return f"daily at {int(self.hour):02d}:{int(self.minute):02d} UTC"

    def celery_schedule(self):
        from celery.schedules import crontab  # noqa: PLC0415

        return crontab(minute=self.minute, hour=self.hour)


SCHEDULE: dict[str, Scheduled] = {
    "outbox": Scheduled("mail.drain", "send the mail that is due, again what failed before",
                        minute="*"),
    "invoice-reminders": Scheduled("invoices.remind", "first and second payment reminders for "
                                   "overdue invoices", minute="0", hour="7"),
    "grant-reports": Scheduled("grants.remind", "grant reports due, reminders, overdue reports",
                               minute="10", hour="7"),
    "terms-ending": Scheduled("board.terms", "members and the chair told of terms of office "
                              "ending in 90 and 30 days", minute="20", hour="7"),
    "circular-votes": Scheduled("board.circulars", "circular board votes decided when their "
                                "result is certain or their deadline passed", minute="5"),
    "donation-plans": Scheduled("donations.plans.finish", "recurring plans whose cancellation "
                                "was asked for but not confirmed by Stripe are ended",
                                minute="40"),
    "retention": Scheduled("privacy.retention", "personal data past its retention rule is "
                           "anonymised or removed (docs/RETENTION.md)", minute="20", hour="3"),
    "ledger-totals": Scheduled("ledger.totals", "the ledger's cumulative totals carried to the "
                               "end of last year (after the turn of the year)", minute="5",
                               hour="0"),
    "backup": Scheduled("backup", "a backup archive; the newest BACKUP_KEEP are kept",
                        minute="30", hour="2"),
}


def beat_schedule() -> dict:
    return {name: {"task": entry.job, "schedule": entry.celery_schedule()}
            for name, entry in SCHEDULE.items()}
