"""End to end: the fixture archive builds into the page map of DESIGN §2, with the right facts."""

from __future__ import annotations

import html
import re
from pathlib import Path

from generator.build import build, load_archive
from generator.pages import plan_pages
from generator.links import check_files
from generator.search import indexed_page_count
from tests.conftest import FIXTURE_CONTENT, edit, render_in_memory

EXPECTED_PAGES = {
    "index.html", "404.html", "about/index.html", "search/index.html",
    "deals/index.html", "deals/2001-norway-chile-fixture-sam/index.html",
    "deals/2010-xfix-norway-fixture-tank/index.html", "deals/undated-chile-norway-fixture-tank/index.html",
    "countries/index.html", "countries/norway/index.html", "countries/chile/index.html",
    "countries/fixture-liberation-front/index.html",
    "systems/index.html", "systems/fixture-sam/index.html", "systems/fixture-tank/index.html",
    "years/index.html", "years/2001/index.html", "years/2010/index.html", "data/index.html",
}


def text_of(files: dict[str, bytes], path: str) -> str:
    """A page's visible text with tags removed and whitespace folded, for content assertions."""
    body = re.sub(r"<[^>]+>", " ", files[path].decode())
    return re.sub(r"\s+", " ", html.unescape(body))


def test_every_page_of_the_page_map_is_rendered(fixture_files):
    pages = {path for path in fixture_files if path.endswith(".html")}
    assert pages == EXPECTED_PAGES
    assert {"assets/style.css", "assets/search.js"} <= set(fixture_files)


def test_a_brief_shows_every_reported_value_with_its_source(fixture_files):
    page = text_of(fixture_files, "deals/2001-norway-chile-fixture-sam/index.html")
    assert "12 ordered 15 March 2001 [1]" in page
    assert "Also reported: 14 ordered c. 2001 [2] The paper says \"about 14\"." in page
    assert "6 in 2002 est. [1]" in page and "6 in June 2003 [2]" in page
    assert "EUR 250 million (systems and training) [1]" in page
    assert "USD 300 million [2]" in page
    assert "Delivered as of June 2003" in page
    assert "SIPRI deal id 99999" in page


def test_a_brief_shows_quotes_timeline_sources_and_corrections(fixture_files):
    page = text_of(fixture_files, "deals/2001-norway-chile-fixture-sam/index.html")
    assert "Ana Example , Fictional minister, 15 March 2001 [1]" in page
    assert "Ben Example , date not known [2]" in page
    # The timeline is shown in date order, whatever order the file gives.
    assert page.index("15 March 2001 Contract signed.") < page.index("June 2003 Last delivery reported.")
    assert "Fixture wire report . Fixture Times, carrying Fixture Press Agency. Published 16 March 2001; page updated 1 January 2015." in page
    assert "3 February 2024 : The delivery total was corrected." in page
    assert "Last updated 3 February 2024" in page


def test_unknown_values_are_shown_as_not_known(fixture_files):
    page = text_of(fixture_files, "deals/2010-xfix-norway-fixture-tank/index.html")
    assert "Number not known ordered 2010 [1]" in page
    assert "Delivered not known" in page and "Value not known" in page
    undated = text_of(fixture_files, "deals/undated-chile-norway-fixture-tank/index.html")
    assert "Ordered not known" in undated


def test_related_briefs_link_both_ways(fixture_files):
    first = fixture_files["deals/2001-norway-chile-fixture-sam/index.html"].decode()
    second = fixture_files["deals/2010-xfix-norway-fixture-tank/index.html"].decode()
    assert 'href="/deals/2010-xfix-norway-fixture-tank/"' in first
    assert 'href="/deals/2001-norway-chile-fixture-sam/"' in second


def test_party_pages_list_exports_imports_and_partners(fixture_files):
    norway = text_of(fixture_files, "countries/norway/index.html")
    assert "1 as supplier" in norway and "2 as recipient" in norway
    assert "Supplied to Chile 1 brief" in norway
    assert "Supplied by Chile 1 brief Fixture Liberation Front 1 brief" in norway
    front = text_of(fixture_files, "countries/fixture-liberation-front/index.html")
    assert "A fictional non-state party used by the tests." in front


def test_system_pages_show_specs_with_alternatives_and_deals(fixture_files):
    page = text_of(fixture_files, "systems/fixture-sam/index.html")
    assert "Also known as FX-1" in page
    assert "Range 10 km [1] Also reported: 12 km [1]" in page
    assert "[Fixture] Norway sells Fixture SAM to Chile" in page
    listing = text_of(fixture_files, "systems/index.html")
    assert listing.index("Air-defence systems") < listing.index("Armoured vehicles")


def test_year_pages_group_briefs_by_year_of_order(fixture_files):
    assert "[Fixture] Norway sells" in text_of(fixture_files, "years/2001/index.html")
    assert "[Fixture] Fixture Liberation Front" in text_of(fixture_files, "years/2010/index.html")
    assert "Order date not known [Fixture] Chile and Norway discuss tanks" in text_of(fixture_files, "years/index.html")


def test_every_internal_link_and_anchor_resolves(fixture_files):
    assert check_files(fixture_files) == []


def test_the_link_check_finds_broken_links_anchors_and_unreachable_pages():
    files = {
        "index.html": b'<a href="/a/">a</a>\n<a href="/b/#yes">b</a>',
        "a/index.html": b'<p>\n<a href="/b/#nope">x</a> <a href="/c/">c</a> <a href="#top">top</a></p>',
        "b/index.html": b'<h2 id="yes">y</h2>',
        "orphan/index.html": b"<p>nobody links here</p>",
    }
    assert [str(e) for e in check_files(files)] == [
        'site/a/index.html:2: link: "/b/#nope": no element with id "nope" on that page',
        'site/a/index.html:2: link: "/c/" points to no page of the site',
        'site/a/index.html:2: link: "#top": no element with id "top" on that page',
        "site/orphan/index.html: no page links here: it cannot be reached from the home page",
    ]


def test_pages_declare_their_language_and_need_no_inline_script(fixture_files):
    for path, data in fixture_files.items():
        if path.endswith(".html"):
            page = data.decode()
            assert '<html lang="en">' in page, path
            # Only JSON-LD data blocks, which are never executed, may be inline.
            assert not re.search(r'<script(?![^>]*\bsrc=)(?![^>]*type="application/ld\+json")', page), f"inline script in {path}"
            assert not re.search(r"\son[a-z]+=", page), f"inline event handler in {path}"


def test_titles_and_bodies_are_escaped(content):
    brief = content / "deals" / "2001-norway-chile-fixture-sam.md"
    edit(brief, '"[Fixture] Norway sells Fixture SAM to Chile"', '"<script>alert(1)</script> <img src=x onerror=alert(2)>"')
    edit(brief, "This synthetic brief exists", '<script>alert(3)</script> <a href="javascript:alert(4)">a</a> <b onclick="x()">b</b> This synthetic brief exists')
    page = render_in_memory(content)["deals/2001-norway-chile-fixture-sam/index.html"].decode()
    assert "<script>alert" not in page and "<img" not in page and "<b onclick" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<a href="javascript:' not in page and '&lt;a href="javascript:alert(4)"&gt;' in page


def test_a_build_writes_the_site_and_its_search_index(built_fixture: Path):
    for path in EXPECTED_PAGES:
        assert (built_fixture / path).is_file(), path
    # Every brief, party and system page is indexed, and nothing else.
    meant = [page.path for page in plan_pages(load_archive(FIXTURE_CONTENT)) if page.indexed]
    assert len(meant) == 3 + 3 + 2  # briefs, parties, systems of the fixture archive
    assert indexed_page_count(built_fixture) == len(meant)


def test_building_twice_gives_byte_identical_pages(content, tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    build(content, first, index=False)
    build(content, second, index=False)
    files = lambda root: {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    assert files(first) == files(second)


def test_a_rebuild_replaces_the_previous_site(content, tmp_path):
    out = tmp_path / "site"
    build(content, out, index=False)
    (out / "stale.html").write_text("left over")
    (content / "deals" / "undated-chile-norway-fixture-tank.md").unlink()
    build(content, out, index=False)
    assert not (out / "stale.html").exists()
    assert not (out / "deals" / "undated-chile-norway-fixture-tank").exists()
