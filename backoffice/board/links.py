"""Each member's voting link for a circular resolution: the resolution and the member, signed
with the app's secret (itsdangerous, its own salt). A changed link fails the signature; a link
older than ``MAX_AGE`` is expired; the deadline and a second vote are the service's to refuse.
Nothing is stored: the link is made again for every e-mail."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..core.errors import PermissionDenied
from ..core.i18n import _

SALT = "backoffice.board.vote"
#: No circular vote runs longer; a link older than this is refused even if the signature holds.
MAX_AGE = timedelta(days=60)


@dataclass(frozen=True)
class VoteLink:
    resolution_id: int
    term_id: int


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    if not secret_key:
        raise RuntimeError("SECRET_KEY is needed to sign voting links.")
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def make(secret_key: str, resolution_id: int, term_id: int) -> str:
    return _serializer(secret_key).dumps({"r": resolution_id, "t": term_id})


def read(secret_key: str, token: str, *, max_age: timedelta = MAX_AGE) -> VoteLink:
    """The resolution and member a link names; ``PermissionDenied`` for a changed or expired
    link (never saying which part was wrong)."""
    try:
        data = _serializer(secret_key).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise PermissionDenied(_("This voting link has expired.")) from None
    except BadSignature:
        raise PermissionDenied(_("This voting link is not valid.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int) or \
            not isinstance(data.get("t"), int):
        raise PermissionDenied(_("This voting link is not valid."))
    return VoteLink(data["r"], data["t"])
