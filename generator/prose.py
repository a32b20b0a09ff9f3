"""prose.py — Markdown (a brief's context, a system's description) to safe HTML.

Python-Markdown with raw HTML switched off (it is escaped, not passed through), and nh3 behind
it as a second layer. A brief's context is rendered when its file is checked, so the result is
cached with the file and computed in the checking workers; a template change then re-renders
pages without running Markdown again.
"""

from __future__ import annotations

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {"p", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "h2", "h3", "h4",
                "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "sup", "sub", "abbr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "abbr": {"title"},
                      "th": {"align"}, "td": {"align"}}


class MarkdownRenderer:
    """Python-Markdown with raw HTML off (it is escaped, not passed through) and nh3 behind it."""

    def __init__(self) -> None:
        self.md = markdown.Markdown(extensions=["tables", "sane_lists", "toc"], output_format="html")
        self.md.preprocessors.deregister("html_block")
        self.md.inlinePatterns.deregister("html")
        # Images are not allowed (body.py reports them), and nh3 would drop one without a trace;
        # without these patterns, image syntax that slips through shows as text and a link. Fewer
        # patterns also make the inline pass, Markdown's slowest, a fifth faster.
        for pattern in ("image_link", "image_reference", "short_image_ref"):
            self.md.inlinePatterns.deregister(pattern)

    def __call__(self, text: str) -> Markup:
        html = self.md.reset().convert(text)
        return Markup(nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                                url_schemes={"http", "https", "mailto"}, link_rel="noopener"))


_renderer: MarkdownRenderer | None = None  # one per process: building the Markdown object is slow


def to_html(text: str) -> Markup:
    global _renderer
    if _renderer is None:
        _renderer = MarkdownRenderer()
    return _renderer(text)
