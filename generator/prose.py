"""prose.py — Markdown (a brief's context, a system's description) to safe HTML.

Python-Markdown with raw HTML switched off (it is escaped, not passed through), and nh3 behind
it as a second layer. A brief's context is rendered when its file is checked, so the result is
cached with the file and computed in the checking workers; a template change then re-renders
pages without running Markdown again.
"""

from __future__ import annotations

import markdown
import nh3
from markdown import inlinepatterns, util
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

ALLOWED_TAGS = {"p", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "h2", "h3", "h4",
                "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "sup", "sub", "abbr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "abbr": {"title"},
                      "th": {"align"}, "td": {"align"}}


# Python-Markdown's patterns for the start of a code span and of a link (as of 3.11), and ours.
LIBRARY_PATTERNS = (r"(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`)", r"(?<!\!)\[", r"(?<!\!)\[")
QUICKER_BACKTICK = r"(?=[\\`])" + LIBRARY_PATTERNS[0]
QUICKER_BRACKET = r"\[(?<!\!\[)"

# Python-Markdown puts each block to its block processors in turn until one takes it (a paragraph,
# the most common block, to all of them), and several of them search the whole block with a
# pattern tried at every character. Each gets a question first, asked with str methods in C, that
# every block its pattern matches answers yes: by processor, the method asked it first (`test`,
# given the block; `run`, given the blocks, the first of them the one at hand), the attribute
# holding the pattern, the pattern (as of 3.11; None for the table's test, which splits rows
# instead), the question.
QUICK_QUESTIONS = {
    "hashheader": ("test", "RE", r'(?:^|\n)(?P<level>#{1,6})(?P<header>(?:\\.|[^\\#]|#+(?=[^#\n]))*?)#*(?:\n|$)',
                   lambda block: block.startswith("#") or "\n#" in block),  # a # opening a line
    "setextheader": ("test", "RE", r'^.*?\n(?:=+|-+)[ ]*(\n|$)',
                     lambda block: "\n=" in block or "\n-" in block),  # = or - opening the second line
    "hr": ("test", "SEARCH_RE", r'^[ ]{0,3}(?=(?P<atomicgroup>(-+[ ]{0,2}){3,}|(_+[ ]{0,2}){3,}|(\*+[ ]{0,2}){3,}))(?P=atomicgroup)[ ]*$',
           lambda block: block.count("-") > 2 or block.count("*") > 2 or block.count("_") > 2),  # three of one
    "quote": ("test", "RE", r'(^|\n)[ ]{0,3}>[ ]?(.*)', lambda block: ">" in block),
    # Its test takes every block; its run searches.
    "reference": ("run", "RE", r'^[ ]{0,3}\[([^\[\]]*)\]:[ ]*(?:\n[ ]*)?([^\s]+)[ ]*(?:\n[ ]*)?((["\'])(.*)\4[ ]*|\((.*)\)[ ]*)?$',
                  lambda blocks: "]:" in blocks[0]),  # [label]: address
    "table": ("test", "", None, lambda block: "|" in block),  # a table's first row has a pipe (with one cell, a border)
}


class PlainText(Treeprocessor):
    """Before the inline pass: marks atomic (to be left as it is) each text in which no inline
    pattern finds anything, as the library's own patterns say.

    The inline pass puts every text to each of its ten patterns in turn, with a call in Python
    each (over a quarter of the library's time on our briefs). A text none of their regular
    expressions matches comes out of it unchanged; asked here, in C, they spare it those calls.
    A text with a placeholder (STX), which the pass would put back, is left to it."""

    def run(self, root) -> None:
        searches = [pattern.getCompiledRegExp().search for pattern in self.md.inlinePatterns]

        def plain(text: str) -> bool:
            return type(text) is str and util.STX not in text and not any(search(text) for search in searches)
        for element in root.iter():
            if element.text and plain(element.text):
                element.text = util.AtomicString(element.text)
            if element.tail and plain(element.tail):
                element.tail = util.AtomicString(element.tail)


class MarkdownRenderer:
    """Python-Markdown with raw HTML off (it is escaped, not passed through) and nh3 behind it."""

    def __init__(self) -> None:
        # Extensions as objects: named by string, Python-Markdown first scans the entry points of
        # every installed package for the name (14 ms a process).
        self.md = markdown.Markdown(extensions=[TableExtension(), SaneListExtension(), TocExtension()],
                                    output_format="html")
        self.md.preprocessors.deregister("html_block")
        self.md.inlinePatterns.deregister("html")
        # Images are not allowed (body.py reports them), and nh3 would drop one without a trace;
        # without these patterns, image syntax that slips through shows as text and a link. Fewer
        # patterns also make the inline pass, Markdown's slowest, a fifth faster.
        for pattern in ("image_link", "image_reference", "short_image_ref"):
            self.md.inlinePatterns.deregister(pattern)
        self._find_first_characters_fast()
        self._ask_block_processors_first()
        self._leave_plain_text()
        # Configured once: nh3.clean takes its sets of tags and attributes anew on every call,
        # half of its time on a brief.
        self.sanitiser = nh3.Cleaner(tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                                     url_schemes={"http", "https", "mailto"}, link_rel="noopener")

    def _find_first_characters_fast(self) -> None:
        """The same patterns for code spans and links, written so the regex engine can skip ahead.

        Python-Markdown's begin with a lookbehind, so the engine tries them at every character of
        every text node, again after each match: a quarter of its time on our briefs (0.8 -> 0.6
        ms a brief). Ours match the same text: a code span starts at a backtick or a backslash,
        and `[` not after `!` is `[` with no `![` ending there. A version of the library with
        other patterns keeps its own."""
        if (inlinepatterns.BACKTICK_RE, inlinepatterns.LINK_RE, inlinepatterns.REFERENCE_RE) != LIBRARY_PATTERNS:
            return
        patterns, md = self.md.inlinePatterns, self.md
        patterns.register(inlinepatterns.BacktickInlineProcessor(QUICKER_BACKTICK), "backtick", 190)
        patterns.register(inlinepatterns.ReferenceInlineProcessor(QUICKER_BRACKET, md), "reference", 170)
        patterns.register(inlinepatterns.LinkInlineProcessor(QUICKER_BRACKET, md), "link", 160)
        patterns.register(inlinepatterns.ShortReferenceInlineProcessor(QUICKER_BRACKET, md), "short_reference", 130)

    def _ask_block_processors_first(self) -> None:
        """Put QUICK_QUESTIONS to each block before its processor's own test (a quarter of the
        library's time on our briefs: 0.27 of 0.95 ms a brief, timed processor by processor).
        A processor whose pattern is not the one its question was written for keeps its own."""
        processors = self.md.parser.blockprocessors
        for name, (method, attribute, pattern, question) in QUICK_QUESTIONS.items():
            if name not in processors:
                continue
            processor = processors[name]
            if pattern is not None and getattr(processor, attribute).pattern != pattern:
                continue
            own = getattr(processor, method)
            setattr(processor, method, lambda parent, block, own=own, asked=question: asked(block) and own(parent, block))

    def _leave_plain_text(self) -> None:
        self.md.treeprocessors.register(PlainText(self.md), "plain_text", 25)  # the inline pass is 20

    def __call__(self, text: str) -> Markup:
        return Markup(self.sanitiser.clean(self.md.reset().convert(text)))


_renderer: MarkdownRenderer | None = None  # one per process: building the Markdown object is slow


def to_html(text: str) -> Markup:
    global _renderer
    if _renderer is None:
        _renderer = MarkdownRenderer()
    return _renderer(text)
