"""The Content-Security-Policy allows styles from the app's own stylesheets only (``style-src
'self'``): a ``style`` attribute or element in a page template is refused by the browser (an error
in its console). Documents rendered to PDF (WeasyPrint) and e-mails are not pages and keep
theirs."""
from __future__ import annotations

import re
from pathlib import Path

from backoffice.core.headers import SECURITY_HEADERS

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: Templates rendered to PDF outside templates/pdf/.
DOCUMENTS = {"donations/receipts/us.html", "reports/pdf_statement.html", "reports/pdf_pack.html"}
INLINE = re.compile(r"""<[^>]*\sstyle\s*=|<style[\s>]""", re.IGNORECASE)


def _pages() -> list[Path]:
    return [path for path in TEMPLATES.rglob("*.html")
            if path.relative_to(TEMPLATES).parts[0] != "pdf" and "emails" not in path.parts
            and str(path.relative_to(TEMPLATES)) not in DOCUMENTS]


def test_no_page_template_has_an_inline_style():
    assert "style-src 'self';" in SECURITY_HEADERS["Content-Security-Policy"]
    pages = _pages()
    assert any(p.name == "resolution.html" for p in pages)
    offending = [f"{path.relative_to(TEMPLATES)}:{n}" for path in pages
                 for n, line in enumerate(path.read_text().splitlines(), 1) if INLINE.search(line)]
    assert offending == []
