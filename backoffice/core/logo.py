"""The association's logo on its documents.

An upload (PNG or JPEG) is decoded and written again as a PNG of at most ``BOX`` pixels without
its metadata, so what is kept is an image and nothing else (no script, no EXIF location), then
kept like every stored file, addressed by its SHA-256. The seller's details carry that SHA-256
(``INVOICE_SELLER.logo``): an issued invoice keeps the details it was printed with, and so the
logo, however often the logo changes later. Documents print it from a ``data:`` URL, the only
kind of image WeasyPrint may load besides the app's own static files.
"""
from __future__ import annotations

import base64
import io
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ValidationError
from .i18n import _
from .storage import StorageError, storage_at
from .uploads import key_of, store_upload

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .actors import Actor

MAX_UPLOAD_BYTES = 5_000_000
MAX_PIXELS = 40_000_000  # decoded size refused beyond this (a small file can unpack huge)
BOX = (1200, 400)        # kept at most this wide and high: a letterhead needs no more


def prepare(data: bytes) -> bytes:
    """The PNG to keep for an uploaded PNG or JPEG; raises ``ValidationError`` for anything else."""
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415 (only uploads need it)

    if not data:
        raise ValidationError(_("Choose an image file."), field="logo")
    if len(data) > MAX_UPLOAD_BYTES:
        size, limit = f"{len(data) / 1e6:.1f}", f"{MAX_UPLOAD_BYTES / 1e6:.0f}"
        raise ValidationError(_("The image is %(size)s MB; the limit is %(limit)s MB.",
                                size=size, limit=limit), field="logo")
    too_large = ValidationError(_("The image is too large in pixels; a logo of at most "
                                  "%(width)s × %(height)s pixels is enough.",
                                  width=BOX[0], height=BOX[1]), field="logo")
    unreadable = ValidationError(_("The file is not a PNG or JPEG image."), field="logo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise too_large from None
    except (UnidentifiedImageError, OSError):
        raise unreadable from None
    try:
        with image:
            if image.format not in ("PNG", "JPEG"):
                raise ValidationError(_("The logo must be a PNG or JPEG image."), field="logo")
            if image.width * image.height > MAX_PIXELS:
                raise too_large
            image.load()
            kept = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info
                                 else "RGB")
    except OSError:  # truncated or corrupt data
        raise unreadable from None
    kept.thumbnail(BOX)
    out = io.BytesIO()
    kept.save(out, "PNG", optimize=True)
    return out.getvalue()


def keep(session: Session, *, folder: str | Path, data: bytes, actor: Actor | None) -> str:
    """Check, re-encode and keep an uploaded logo; its SHA-256 (for ``INVOICE_SELLER.logo``)."""
    png = prepare(data)
    stored = store_upload(session, folder=folder, filename="logo.png", data=png,
                          allowed={"png"}, max_bytes=MAX_UPLOAD_BYTES, actor=actor)
    return stored.sha256


def data_url(folder: str | Path, sha256: str) -> str | None:
    """The kept logo as a ``data:`` URL for a document; None without one (or when the storage has
    lost it: the document is printed without a logo rather than not at all)."""
    if not sha256:
        return None
    try:
        data = storage_at(folder).get(key_of(sha256))
    except StorageError:
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")
