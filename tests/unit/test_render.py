import pytest

from generator.prose import MarkdownRenderer
from generator.render import format_money


@pytest.mark.parametrize("amount, text", [
    (700_000_000, "USD 700 million"), (1_400_000_000, "USD 1.4 billion"), (1_000_000_000, "USD 1 billion"),
    (25_000, "USD 25,000"), (1_234_567, "USD 1,234,567"), (None, "not known"),
])
def test_money_is_exact_and_readable(amount, text):
    assert format_money(amount, "USD") == text


def test_markdown_escapes_raw_html_and_drops_unsafe_links():
    render = MarkdownRenderer()
    html = render('<script>alert(1)</script>\n\n[x](javascript:alert(2)) [y](data:text/html,hi) [z](/deals/a/)\n\n## Background')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html and "data:text" not in html
    assert '<a href="/deals/a/" rel="noopener">z</a>' in html
    assert '<h2 id="background">Background</h2>' in html


def test_the_renderer_keeps_no_state_between_documents():
    render = MarkdownRenderer()
    render("## Same")
    assert render("## Same") == '<h2 id="same">Same</h2>'
