"""Absolute URLs for everything that leaves the app (emails, PDFs, pay links, Stripe redirects).

They are built from the configured ``BASE_URL`` (``Settings.base_url``) only, never from the
request: a request's ``Host`` (or ``X-Forwarded-Host``) is chosen by whoever sends it, and a
password-reset link built from it would point to the sender's server. Flask's external
``url_for`` is therefore not used anywhere (``tests/core/test_urls.py`` fails if it appears).
"""
from __future__ import annotations

from typing import Any

from .settings import Settings


def absolute_url(settings: Settings, endpoint: str, **values: Any) -> str:
    """``BASE_URL`` followed by the endpoint's path (from the app's URL map); works inside and
    outside a request (the command line sends mail too)."""
    path = settings.url_map.bind("localhost").build(endpoint, values)
    return settings.base_url.rstrip("/") + path
