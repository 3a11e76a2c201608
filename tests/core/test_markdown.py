"""Markdown people write (programme rules, minutes) becomes safe HTML."""
from backoffice.core.markdown import to_html


def test_structure_and_emphasis_survive():
    html = to_html("# Rules\n\n- **Open** to all groups\n- see [the FAQ](https://example.org/faq)")
    assert "<h3>Rules</h3>" in html  # below the page's own h1 and h2
    assert "<li><strong>Open</strong> to all groups</li>" in html
    assert '<a href="https://example.org/faq" rel="noopener">the FAQ</a>' in html


def test_raw_html_scripts_and_other_links_are_gone():
    html = to_html('<script>alert(1)</script>\n\n[x](javascript:alert(1)) ![i](https://e.org/i.png)'
                   '\n\n<img src=x onerror=alert(1)>')
    assert "<script" not in html and "<img" not in html and "<a" not in html
    assert "&lt;script&gt;" in html and "&lt;img" in html  # shown as text, never as a tag


def test_nothing_is_empty():
    assert to_html(None) == "" and to_html("") == ""

