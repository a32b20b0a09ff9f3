import hashlib
import marshal
import re
from array import array
from xml.etree import ElementTree
from types import SimpleNamespace

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown import blockprocessors, inlinepatterns, util

from generator import exports, keys, prose
from generator.errors import BuildError
from generator.model import Site
from generator.pages import Page
from generator.prose import MarkdownRenderer
from generator.render import COMPILED, Renderer, format_money


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


def test_image_syntax_is_shown_as_text_never_dropped():
    """Briefs may not hold images (body.py reports them); one that slipped through would be
    dropped by the sanitiser without a trace, so the renderer does not make images at all."""
    html = MarkdownRenderer()("A ![chart](https://img.example/c.png) and ![map][m].\n\n[m]: https://img.example/m.png")
    assert "<img" not in html and "![chart](https://img.example/c.png)" in html and "![map]" in html


def test_the_renderer_keeps_no_state_between_documents():
    render = MarkdownRenderer()
    render("## Same")
    assert render("## Same") == '<h2 id="same">Same</h2>'


def without(shortcut: str) -> MarkdownRenderer:
    """The renderer without one of its shortcuts to the library's output (the method that sets it up)."""
    return type(f"Without{shortcut}", (MarkdownRenderer,), {shortcut: lambda self: None})()


RENDERER = MarkdownRenderer()
# Text made of what the code-span and link patterns turn on, in runs long enough to nest.
MARKDOWN_PIECES = st.lists(st.sampled_from(["`", "``", "\\", "\\`", "[", "]", "![", "!", "(", ")", "<", ">",
                                            "*", "_", "a", " ", "\n", "\n\n", "[r]: /x", "http://e.x", ":"]),
                           max_size=30).map("".join)
LIBRARY = without("_find_first_characters_fast")  # the library's own patterns for code spans and links


@settings(max_examples=400, deadline=None)
@given(MARKDOWN_PIECES)
def test_the_quicker_code_span_and_link_patterns_give_the_library_s_html(text):
    assert RENDERER(text) == LIBRARY(text)


@settings(max_examples=400, deadline=None)
@given(MARKDOWN_PIECES)
def test_the_quicker_patterns_match_what_the_library_s_match(text):
    for name in ("backtick", "reference", "link", "short_reference"):
        ours, theirs = RENDERER.md.inlinePatterns[name].compiled_re, LIBRARY.md.inlinePatterns[name].compiled_re
        assert [(m.span(), m.groups()) for m in ours.finditer(text)] == \
            [(m.span(), m.groups()) for m in theirs.finditer(text)]


def test_the_quicker_patterns_stand_in_only_for_the_library_patterns_they_were_written_for(monkeypatch):
    """Ours are used where the library's patterns are the ones they were written for (those of
    the version installed now, so the tests above compare two sets of patterns); a version whose
    patterns changed keeps its own, which ours might not match."""
    def used() -> tuple[str, str]:
        found = MarkdownRenderer().md.inlinePatterns
        return found["backtick"].compiled_re.pattern, found["link"].compiled_re.pattern

    for name, pattern in zip(("BACKTICK_RE", "LINK_RE", "REFERENCE_RE"), prose.LIBRARY_PATTERNS):
        monkeypatch.setattr(inlinepatterns, name, pattern)
    assert used() == (prose.QUICKER_BACKTICK, prose.QUICKER_BRACKET)
    monkeypatch.setattr(inlinepatterns, "LINK_RE", r"(?<![!\\])\[")  # as a later version might have it
    assert used() == (prose.LIBRARY_PATTERNS[0], r"(?<![!\\])\[")


# Blocks made of what the block processors turn on: headings, rules, quotes, references, tables.
BLOCK_PIECES = st.lists(st.sampled_from(["#", "## h", "###### ", " #", "=", "==", "-", "---", "- - -", "*", "* * *",
                                         "___", "_", ">", " > ", "> q", "|", "| a | b |", "|---|---|", "|:-|",
                                         "[r]: /x", "[r]:", ']: /y "t"', "1. ", "a", " ", "   ", "\n", "\n\n"]),
                        max_size=25).map("".join)
NOT_ASKING = without("_ask_block_processors_first")  # block processors asked only their own tests


@settings(max_examples=600, deadline=None)
@given(BLOCK_PIECES)
def test_the_block_processors_quick_questions_change_no_html(text):
    assert RENDERER(text) == NOT_ASKING(text)


def test_each_block_kind_asked_about_is_still_found():
    text = ("## One\n\nTwo\n---\n\nThree\n===\n\n* * *\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            "[a link][r]\n\n[r]: https://example.org/ \"title\"")
    html = RENDERER(text)
    assert html == NOT_ASKING(text)
    for part in ('<h2 id="one">One</h2>', '<h2 id="two">Two</h2>', "\nThree\n<hr>",  # an h1, which nh3 unwraps
                 "<blockquote>", "<table>", '<a href="https://example.org/" title="title" rel="noopener">a link</a>'):
        assert part in html


def test_the_quick_questions_are_asked_only_of_the_patterns_they_were_written_for(monkeypatch):
    """A version whose pattern changed keeps its processor's own test, which the question might
    not fit; the others are asked theirs. (The patterns the questions were written for are set
    here, so that the test speaks of the guard, not of the version installed.)"""
    def asked(name: str) -> bool:
        processor = MarkdownRenderer().md.parser.blockprocessors[name]
        method = getattr(processor, prose.QUICK_QUESTIONS[name][0])
        return getattr(method, "__self__", None) is not processor  # a bound method: the library's own

    processors = MarkdownRenderer().md.parser.blockprocessors
    for name, (_, attribute, pattern, _) in prose.QUICK_QUESTIONS.items():
        if pattern is not None:
            flags = getattr(processors[name], attribute).flags
            monkeypatch.setattr(type(processors[name]), attribute, re.compile(pattern, flags))
    assert all(asked(name) for name in prose.QUICK_QUESTIONS)
    monkeypatch.setattr(blockprocessors.BlockQuoteProcessor, "RE", re.compile(r"(^|\n)[ ]{0,3}&gt;(.*)"))
    assert not asked("quote") and asked("hashheader")


NOT_LEAVING = without("_leave_plain_text")  # every text put through the inline pass


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(MARKDOWN_PIECES, BLOCK_PIECES, st.sampled_from(["&amp;", "&#35;", "  \n", "a@b.c", "<a@b.c>",
                                                                          "**", "__", "*e*", "_e_", "\x02", "\x03"])),
                max_size=6).map("".join))
def test_text_left_out_of_the_inline_pass_comes_out_as_it_would_have(text):
    assert RENDERER(text) == NOT_LEAVING(text)


def test_plain_text_is_marked_to_be_left_by_the_inline_pass_and_the_rest_is_not():
    """Python-Markdown's inline pass leaves an AtomicString as it is (its documented use); the
    texts with something for an inline pattern stay plain strings, for the pass to work on."""
    md = MarkdownRenderer().md.reset()
    lines = "Plain words.\n\n## A heading\n\n- an item\n\nSome *emphasis* and a [link](/x/).".split("\n")
    for preprocessor in md.preprocessors:
        lines = preprocessor.run(lines)
    root = md.parser.parseDocument(lines).getroot()
    md.treeprocessors["plain_text"].run(root)
    texts = {element.text: type(element.text) for element in root.iter() if element.text and element.text.strip()}
    assert texts == {"Plain words.": util.AtomicString, "A heading": util.AtomicString, "an item": util.AtomicString,
                     "Some *emphasis* and a [link](/x/).": str}


def test_a_cached_macro_call_is_rendered_once_per_arguments(tmp_path):
    templates = tmp_path / "templates"
    (templates / "static").mkdir(parents=True)
    (templates / "macros.html").write_text('{% macro shout(thing, loud) %}{{ thing.name }}{{ "!" if loud }}{% endmacro %}'
                                           '{% macro echo(text) %}{{ text }}{% endmacro %}')
    (templates / "page.html").write_text('{% for t in things %}{{ cached("shout", t, loud) }} {% endfor %}')
    renderer = Renderer(templates, {"site": Site("Test", "A test site", "https://example.org/"), "parties": {}})
    one, same_name = SimpleNamespace(name="one"), SimpleNamespace(name="one")
    page = Page("/", "page.html", {"things": [one, same_name, one], "loud": True})
    assert renderer.render(page) == b"one! one! one! "
    calls = list(renderer._calls)
    assert len(calls) == 2  # one call per object: `one` twice, then an equal but other object
    one.name = "changed"  # kept by identity: the first rendering stands for the same object
    assert renderer.render(page) == b"one! one! one! "
    assert renderer.render(Page("/", "page.html", {"things": [one], "loud": 1})) == b"changed! "  # 1 is not True
    (templates / "echo.html").write_text('{% for n in [1, 2, 3] %}{{ cached("echo", "row " ~ word) }};{% endfor %}')
    before = len(renderer._calls)
    assert renderer.render(Page("/e/", "echo.html", {"word": "x"})) == b"row x;row x;row x;"
    assert len(renderer._calls) == before + 1  # a string argument made three times over is one call


def test_a_cached_call_of_a_missing_macro_names_it(tmp_path):
    templates = tmp_path / "templates"
    (templates / "static").mkdir(parents=True)
    (templates / "macros.html").write_text("")
    (templates / "page.html").write_text('{{ cached("no_such_row", 1) }}')
    renderer = Renderer(templates, {"site": Site("Test", "A test site", "https://example.org/"), "parties": {}})
    with pytest.raises(BuildError, match='rendering / failed in template page.html.*no macro "no_such_row" in macros.html'):
        renderer.render(Page("/", "page.html", {}))


def test_what_a_template_uses_is_kept_for_the_version_this_process_read(tmp_path, monkeypatch):
    """The templates each template uses are kept in the build cache by name and source. A cache
    read again (serve, after another process built) may hold an older version of a template:
    what is saved must be the version in use, or a new process parses the template again."""
    keys.USES.clear()
    (tmp_path / "page.html").write_text("")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path))
    keys.referenced(env, "page.html", '{% extends "base.html" %}')
    older = {key: kept for key, kept in COMPILED.marshalled(env).items() if key == "uses:page.html"}
    edited = '{% include "row.html" %}'
    keys.referenced(env, "page.html", edited)
    COMPILED.add_marshalled(older)
    checksum, uses = COMPILED.marshalled(env)["uses:page.html"]
    assert checksum == hashlib.sha1(edited.encode()).hexdigest() and marshal.loads(uses) == ("row.html",)
    keys.USES.clear()
    COMPILED.add_marshalled(older)  # a new process, which takes what the cache holds unparsed
    monkeypatch.setattr(keys, "parsed", lambda *args: pytest.fail("parsed again"))
    assert keys.referenced(jinja2.Environment(), "page.html", '{% extends "base.html" %}') == ("base.html",)


def test_the_cache_keeps_the_templates_of_the_folder_built_and_only_those_there(tmp_path):
    """A process keeps in memory every template it compiled: from other folders (the test suite),
    or since removed (serve). The build cache keeps those of the folder it was built from."""
    keys.USES.clear()
    envs = {}
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        for name in ("page.html", "gone.html"):
            (tmp_path / folder / name).write_text(f"{folder} {name}")
        env = envs[folder] = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path / folder), bytecode_cache=COMPILED)
        for name in ("page.html", "gone.html"):
            env.get_template(name)
            keys.referenced(env, name, env.loader.get_source(env, name)[0])
    (tmp_path / "one" / "gone.html").unlink()
    one = envs["one"]
    page = COMPILED.get_cache_key("page.html", one.loader.get_source(one, "page.html")[1])
    assert COMPILED.marshalled(one).keys() == {page, "uses:page.html"}


def test_the_sitemap_is_escaped_xml_with_a_date_for_each_brief():
    names = {"site": SimpleNamespace(base_url="https://example.org/a&b/")}
    data = exports.sitemap(names, ["/", "/deals/x/"], {"/deals/x/": "2024-05-01"})
    root = ElementTree.fromstring(data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    assert [u.findtext("s:loc", namespaces=ns) for u in root] == ["https://example.org/a&b/", "https://example.org/a&b/deals/x/"]
    assert [u.findtext("s:lastmod", namespaces=ns) for u in root] == [None, "2024-05-01"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=6), max_size=12), st.data())
def test_an_export_written_from_its_last_version_has_the_bytes_of_one_encoded_whole(last_shares, data):
    """Layout.pieces takes unchanged shares from the last build's export by position, and shares
    that stood one after another there as one piece: the file is the same as one whose every
    share is encoded, and Layout.spans says where each share lies in it."""
    layout = exports.Layout(b"[", b",", "json", b"]\n")
    last_file = b"".join(layout.pieces(last_shares))
    bounds = [n for span in layout.spans(last_shares) for n in span]
    last = exports.LastExport(memoryview(last_file), {}, array("q", bounds[0::2]), array("q", bounds[1::2]))
    # Each share now: one of the last file's, by position, or new bytes.
    picks = data.draw(st.lists(st.one_of(st.integers(0, len(last_shares) - 1) if last_shares else st.nothing(),
                                         st.binary(max_size=6)), max_size=12))
    whole = [last_shares[pick] if type(pick) is int else pick for pick in picks]
    pieces = layout.pieces(picks, last)
    written = b"".join(pieces)
    assert written == b"".join(layout.pieces(whole))
    assert [written[start:end] for start, end in layout.spans(picks, last)] == whole
    runs = sum(1 for previous, pick in zip([None, *picks], picks)
               if type(pick) is int and not (type(previous) is int and pick == previous + 1))
    assert sum(type(piece) is memoryview for piece in pieces) == runs
