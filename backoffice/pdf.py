"""HTML to PDF with WeasyPrint, shared by statements, invoices, receipts, letters and reports.

The HTML comes from the caller (``core.templates.render_document`` renders a document's template
without an app). WeasyPrint may only read local files from ``backoffice/static`` (stylesheets,
fonts, images) and ``data:`` URLs: user content in a document can never make the server fetch
anything from the network.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

STATIC = Path(__file__).resolve().parent / "static"


def _allowed(url: str) -> bool:
    if url.startswith("data:"):
        return True
    if url.startswith("file://"):
        return Path(url.removeprefix("file://")).resolve().is_relative_to(STATIC)
    return False


@lru_cache(maxsize=1)
def _fetcher_class():
    from weasyprint.urls import URLFetcher  # noqa: PLC0415 (slow import, load on first use)

    class LocalOnly(URLFetcher):
        def fetch(self, url: str, headers: dict[str, str] | None = None):
            if not _allowed(url):
                raise ValueError(f"documents may not load {url!r}")
            return super().fetch(url, headers)

    return LocalOnly


def html_to_pdf(html: str, **options: Any) -> bytes:
    """Render HTML to PDF bytes; ``options`` go to WeasyPrint (e.g. ``pdf_variant="pdf/a-3b"``,
    ``attachments=[...]``)."""
    import weasyprint  # noqa: PLC0415 (takes half a second; only documents need it)

    document = weasyprint.HTML(string=html, base_url=f"file://{STATIC}/",
                               url_fetcher=_fetcher_class()())
    return document.write_pdf(**options)


def html_to_pdf_pages(html: str, **options: Any) -> tuple[bytes, int]:
    """``html_to_pdf`` and the number of pages it laid out (a report pack's contents say it)."""
    import weasyprint  # noqa: PLC0415

    rendered = weasyprint.HTML(string=html, base_url=f"file://{STATIC}/",
                               url_fetcher=_fetcher_class()()).render()
    return rendered.write_pdf(**options), len(rendered.pages)
