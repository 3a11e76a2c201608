"""Grants: programmes, applications, reviews and votes, awards tied to the fund ledger,
payments through payout batches, reports back.

Modules: ``models``; ``services`` (an application's life: every transition), ``programmes``
(keeping programmes), ``queries`` (queue, budgets, public list), ``access`` (the applicant's
secret link), ``notify`` (the applicant's emails), ``letters`` (award letter PDF), ``payouts``
(grant payments as a payable source of payout batches), ``forms``, ``views``, ``cli``
(``backoffice grants remind`` for cron), ``demo``.
"""
