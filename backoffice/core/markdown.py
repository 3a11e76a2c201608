"""Text people write in Markdown (board minutes, a grant programme's rules) shown as safe HTML:
markdown-it without raw HTML, then nh3's allow-list (no images, scripts, styles or attributes
beyond a link's address), headings shifted below the page's own h1 and h2."""
from __future__ import annotations

from functools import cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

#: What Markdown may become: text structure, emphasis, lists, tables, links.
TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "h3", "h4", "h5", "blockquote", "code",
        "pre", "table", "thead", "tbody", "tr", "th", "td", "a", "hr", "del"}


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table") \
        .enable("strikethrough")


def to_html(text: str | None) -> Markup:
    """``text`` (Markdown) as safe HTML, its headings two levels below the page's."""
    html = _markdown().render(text or "")
    for level in (2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(f"</h{level}>",
                                                                        f"</h{level + 2}>")
    return Markup(nh3.clean(html, tags=TAGS, attributes={"a": {"href"}},
                            url_schemes={"http", "https", "mailto"}, link_rel="noopener"))
