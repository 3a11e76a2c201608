"""gunicorn's hooks for the web workers (``backoffice serve`` passes this module as its config:
``--config python:backoffice.core.gunicorn_hooks``). No Flask here."""
from __future__ import annotations

import gc

#: How many more objects the collector watches may be made than freed before it looks at the
#: youngest ones (Python's default is 700). A page makes and frees tens of thousands, nearly all
#: freed as soon as they are left: at 700 the collector ran four times a request of the
#: statement of activities (~0.45 ms of ~13), at 10,000 about never (issue 17).
YOUNG_THRESHOLD = 10_000


def post_worker_init(worker: object) -> None:
    """Once the worker has built the app: everything built so far (the modules, the app, its
    url map and templates, ~300 k objects) lives as long as the process, so the collector's full
    passes leave it out (``gc.freeze``). Issue 17: under the load benchmark a full pass over it
    stopped a worker for ~150 ms about once in 750 requests, and the collector took ~0.6 ms of
    every request on average (0.46 frozen). The youngest objects are then looked at less often
    (``YOUNG_THRESHOLD``)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
