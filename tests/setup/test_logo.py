"""The logo: uploaded in the settings, checked and re-encoded, audited, printed on invoices;
an issued invoice keeps the logo it was printed with."""
from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from backoffice.core import logo
from backoffice.core.audit import AuditEvent
from backoffice.core.errors import ValidationError
from backoffice.core.stored_settings import StoredSetting
from backoffice.core.uploads import StoredFile
from backoffice.extensions import db, forget_stored_settings
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services

from ..helpers import form_tokens, login
from ..invoicing import factories


def _image(kind: str = "PNG", size=(300, 100), colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription: metadata that must not be kept
    image.save(out, kind, exif=exif)
    return out.getvalue()


def _upload(client, data: bytes, name: str = "logo.png", **extra):
    return client.post("/admin/settings/logo", data={
        **form_tokens(client, "/admin/settings"), "logo": (io.BytesIO(data), name),
        "upload": "Upload logo", **extra}, content_type="multipart/form-data")


def _images_in(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_prepare_keeps_a_png_within_the_box_without_metadata():
    for kind in ("PNG", "JPEG"):
        kept = logo.prepare(_image(kind, size=(3000, 500)))
        with Image.open(io.BytesIO(kept)) as image:
            assert image.format == "PNG" and image.size == (1200, 200)  # aspect kept
            assert not image.getexif() and "exif" not in image.info


@pytest.mark.parametrize("data, message", [
    (b"", "Choose an image file"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not a PNG or JPEG"),
    (b"%PDF-1.7 not an image", "not a PNG or JPEG"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "not a PNG or JPEG"),  # a truncated PNG
])
def test_prepare_refuses_what_is_not_a_png_or_jpeg(data, message):
    with pytest.raises(ValidationError, match=message):
        logo.prepare(data)


def test_prepare_refuses_other_image_formats_and_decompression_bombs():
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    with pytest.raises(ValidationError, match="must be a PNG or JPEG"):
        logo.prepare(gif.getvalue())
    for side in (8_000, 10_000):  # 64 Mpx (above ours), 100 Mpx (above Pillow's warning)
        bomb = io.BytesIO()
        Image.new("1", (side, side)).save(bomb, "PNG", optimize=True)  # a tiny file
        assert len(bomb.getvalue()) < logo.MAX_UPLOAD_BYTES
        with pytest.raises(ValidationError, match="too large in pixels"):
            logo.prepare(bomb.getvalue())


def test_an_admin_uploads_a_logo_that_invoices_print_and_keep(app, client, users):
    before = factories.issued(issue_date=date(2026, 5, 10))
    pdf_before = services.stored_pdf(db.session, before, settings=app_settings())
    assert _images_in(pdf_before) == 0
    login(client, "admin")
    response = _upload(client, _image())
    assert response.status_code == 302
    forget_stored_settings()
    sha = app_settings().invoicing.seller.logo
    assert len(sha) == 64 and db.session.scalar(select(StoredFile).where(StoredFile.sha256 == sha))
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.change")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.after == {"INVOICE_SELLER.logo": sha} and event.actor_id == users["admin"].id
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'data-testid="logo-preview"' in page and "data:image/png;base64," in page

    after = factories.issued(issue_date=date(2026, 5, 11))
    assert after.seller["logo"] == sha
    assert _images_in(services.stored_pdf(db.session, after, settings=app_settings())) == 1
    # the invoice issued earlier is unchanged, and removing the logo leaves the later one as printed
    assert services.stored_pdf(db.session, db.session.get(type(before), before.id), settings=app_settings()) == pdf_before
    response = client.post("/admin/settings/logo", data={
        **form_tokens(client, "/admin/settings"), "remove": "Remove logo"})
    assert response.status_code == 302
    forget_stored_settings()
    assert app_settings().invoicing.seller.logo == ""
    assert _images_in(services.stored_pdf(db.session, factories.issued(issue_date=date(2026, 5, 12)), settings=app_settings())) == 0
    assert services.document_of(db.session, db.session.get(type(after), after.id), settings=app_settings()).seller.logo == sha


def test_a_file_that_is_no_image_is_refused_with_400_and_nothing_is_kept(app, client, users):
    login(client, "admin")
    files = db.session.scalar(select(func.count()).select_from(StoredFile))
    response = _upload(client, b"<html><script>x</script></html>", name="logo.png")
    assert response.status_code == 400
    assert "not a PNG or JPEG image" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == files
    assert db.session.scalar(select(StoredSetting).where(
        StoredSetting.key == "INVOICE_SELLER.logo")) is None


def test_only_admins_upload_a_logo(app, client, users):
    for role in ("treasurer", "board", "organiser"):
        login(client, role)
        assert _upload(client, _image()).status_code == 403
    forget_stored_settings()
    assert app_settings().invoicing.seller.logo == ""
