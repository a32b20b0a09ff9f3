"""What readers and researchers get besides pages: feeds, open data, citations, sharing metadata,
charts, pagination, breadcrumbs and suggested briefs. Each file is read with a real parser."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import feedparser
import jsonschema
import pytest

import generator.pages
from generator.build import load_archive
from generator.exports import DEAL_COLUMNS, DELIVERY_COLUMNS, deal_row, delivery_rows
from generator.pages import site_context
from tests.conftest import FIXTURE_CONTENT, render_in_memory

BRIEF = "deals/2001-norway-chile-fixture-sam/"
BASE = "https://fixture.example"


def test_the_archive_feed_is_valid_atom_with_every_brief(fixture_files):
    feed = feedparser.parse(fixture_files["feed.xml"])
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Fixture Archive"
    assert [entry.link for entry in feed.entries] == [
        f"{BASE}/deals/2001-norway-chile-fixture-sam/",  # updated 2024-02-03
        f"{BASE}/deals/undated-chile-norway-fixture-tank/",  # published 2024-01-03
        f"{BASE}/deals/2010-xfix-norway-fixture-tank/",
    ]
    assert feed.entries[0].summary == "A synthetic brief with every field filled, for the tests."
    assert feed.entries[0].updated == "2024-02-03T00:00:00Z"


@pytest.mark.parametrize("path, links", [
    ("countries/chile/feed.xml", ["2001-norway-chile-fixture-sam", "undated-chile-norway-fixture-tank"]),
    ("systems/fixture-tank/feed.xml", ["undated-chile-norway-fixture-tank", "2010-xfix-norway-fixture-tank"]),
])
def test_party_and_system_feeds_hold_their_briefs(fixture_files, path, links):
    feed = feedparser.parse(fixture_files[path])
    assert not feed.bozo
    assert [entry.link for entry in feed.entries] == [f"{BASE}/deals/{slug}/" for slug in links]


def test_pages_link_their_feeds(fixture_files):
    chile = fixture_files["countries/chile/index.html"].decode()
    assert '<link rel="alternate" type="application/atom+xml" title="Chile: arms transfer briefs" href="/countries/chile/feed.xml">' in chile
    assert '<a href="/countries/chile/feed.xml">' in chile
    assert 'href="/feed.xml"' in fixture_files["index.html"].decode()


def test_the_json_export_validates_against_its_published_schema(fixture_files):
    document = json.loads(fixture_files["data/deals.json"])
    jsonschema.validate(document, json.loads(fixture_files["data/deals.schema.json"]))
    brief = next(d for d in document["deals"] if d["slug"] == "2001-norway-chile-fixture-sam")
    assert brief["ordered"]["quantity"] == 12 and brief["ordered"]["date"] == "2001-03-15"
    assert brief["ordered"]["alternatives"][0] | {"note": None} == {
        "quantity": 14, "date": "2001", "circa": True, "amount": None, "currency": None, "scope": None,
        "label": None, "value": None, "estimate": False, "note": None, "sources": ["paper"], "alternatives": []}
    assert brief["value"]["amount"] == 250_000_000 and brief["value"]["alternatives"][0]["currency"] == "USD"
    assert [s["id"] for s in brief["sources"]] == ["wire", "paper"]
    assert brief["quotes"][1] == {"text": "An undated remark.", "speaker": "Ben Example", "role": None, "date": None,
                                  "context": None, "language": None, "sources": ["paper"]}
    tank = next(d for d in document["deals"] if d["slug"] == "2010-xfix-norway-fixture-tank")
    assert tank["value"] is None and tank["ordered"]["quantity"] is None  # not known: null, never 0


def test_the_schema_rejects_a_broken_export(fixture_files):
    document = json.loads(fixture_files["data/deals.json"])
    document["deals"][0]["ordered"]["quantity"] = -1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, json.loads(fixture_files["data/deals.schema.json"]))


def read_csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_deals_csv_has_one_row_per_brief(fixture_files):
    rows = read_csv(fixture_files["data/deals.csv"])
    assert [row["slug"] for row in rows] == ["2010-xfix-norway-fixture-tank", "2001-norway-chile-fixture-sam",
                                             "undated-chile-norway-fixture-tank"]
    sam = rows[1]
    assert (sam["supplier"], sam["recipient"], sam["system"], sam["ordered_quantity"], sam["ordered_date"]) == (
        "Norway", "Chile", "Fixture SAM", "12", "2001-03-15")
    assert (sam["delivered_total"], sam["value_amount"], sam["value_currency"], sam["other_reported_values"]) == (
        "12", "250000000", "EUR", "2")
    assert rows[0]["value_amount"] == "" and rows[0]["supplier"] == "Fixture Liberation Front"


def test_deliveries_csv_has_one_row_per_reported_delivery(fixture_files):
    rows = read_csv(fixture_files["data/deliveries.csv"])
    assert [(r["slug"], r["delivery_date"], r["quantity"], r["estimate"], r["sources"]) for r in rows] == [
        ("2001-norway-chile-fixture-sam", "2002", "6", "yes", "Fixture wire report"),
        ("2001-norway-chile-fixture-sam", "2003-06", "6", "no", "Fixture paper"),
    ]


def test_every_value_a_csv_row_is_made_of_has_its_column():
    # The CSV writer takes each row's values by column: a value without a column would be left out.
    archive = load_archive(FIXTURE_CONTENT)
    names = site_context(archive)  # what the renderer gives the exports
    for deal in archive.deals:
        assert list(deal_row(deal, names)) == DEAL_COLUMNS
        assert all(list(row) == DELIVERY_COLUMNS for row in delivery_rows(deal, names))
    assert any(delivery_rows(deal, names) for deal in archive.deals)


def test_each_party_page_offers_its_briefs_as_csv(fixture_files):
    rows = read_csv(fixture_files["countries/chile/deals.csv"])
    assert [row["slug"] for row in rows] == ["2001-norway-chile-fixture-sam", "undated-chile-norway-fixture-tank"]
    assert 'href="/countries/chile/deals.csv"' in fixture_files["countries/chile/index.html"].decode()


def test_every_listing_links_the_open_data(fixture_files):
    for path in ("deals/index.html", "years/2001/index.html", "countries/norway/index.html", "systems/fixture-sam/index.html"):
        assert 'href="/data/"' in fixture_files[path].decode(), path


def test_sitemap_lists_every_page_and_robots_points_to_it(fixture_files):
    root = ET.fromstring(fixture_files["sitemap.xml"])
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [loc.text for loc in root.findall("s:url/s:loc", namespace)]
    html_pages = [p for p in fixture_files if p.endswith(".html") and p != "404.html"]
    assert len(locations) == len(html_pages)
    assert f"{BASE}/{BRIEF}" in locations and f"{BASE}/" in locations
    lastmod = root.find(f"s:url[s:loc='{BASE}/{BRIEF}']/s:lastmod", namespace)
    assert lastmod.text == "2024-02-03"
    assert fixture_files["robots.txt"].decode() == f"User-agent: *\nAllow: /\n\nSitemap: {BASE}/sitemap.xml\n"


def meta(page: str, name: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)">', page)
    assert match, name
    return match.group(1)


def test_briefs_have_canonical_url_description_opengraph_and_twitter_tags(fixture_files):
    page = fixture_files[f"{BRIEF}index.html"].decode()
    assert f'<link rel="canonical" href="{BASE}/{BRIEF}">' in page
    assert meta(page, "description") == "A synthetic brief with every field filled, for the tests."
    assert meta(page, "og:title") == "[Fixture] Norway sells Fixture SAM to Chile"
    assert meta(page, "og:type") == "article" and meta(page, "og:url") == f"{BASE}/{BRIEF}"
    assert meta(page, "twitter:card") == "summary"


def json_ld(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))


def test_json_ld_describes_briefs_and_the_dataset(fixture_files):
    article = json_ld(fixture_files[f"{BRIEF}index.html"].decode())
    assert article["@type"] == "NewsArticle" and article["headline"] == "[Fixture] Norway sells Fixture SAM to Chile"
    assert (article["datePublished"], article["dateModified"]) == ("2024-01-02", "2024-02-03")
    dataset = json_ld(fixture_files["data/index.html"].decode())
    assert dataset["@type"] == "Dataset"
    assert {d["contentUrl"] for d in dataset["distribution"]} == {
        f"{BASE}/data/deals.json", f"{BASE}/data/deals.csv", f"{BASE}/data/deliveries.csv"}


def test_json_ld_cannot_close_its_script_element(content):
    brief = content / "deals" / "2001-norway-chile-fixture-sam.md"
    text = brief.read_text().replace('"[Fixture] Norway sells Fixture SAM to Chile"', '"</script><script>alert(1)</script>"')
    brief.write_text(text)
    page = render_in_memory(content)[f"{BRIEF}index.html"].decode()
    assert page.count("</script>") == 1  # only the JSON-LD block's own end tag
    assert json_ld(page)["headline"] == "</script><script>alert(1)</script>"


def test_each_brief_offers_a_citation_as_text_bibtex_and_ris(fixture_files):
    page = fixture_files[f"{BRIEF}index.html"].decode()
    assert f"Fixture Archive. “[Fixture] Norway sells Fixture SAM to Chile.” Last updated 3 February 2024. {BASE}/{BRIEF}" in page
    bib = fixture_files[f"{BRIEF}cite.bib"].decode()
    assert bib.startswith("@misc{2001-norway-chile-fixture-sam,\n")
    assert "  author = {{Fixture Archive}},\n" in bib and "  year = {2024},\n  month = {2},\n" in bib
    assert f"  url = {{{BASE}/{BRIEF}}}\n}}\n" in bib
    ris = fixture_files[f"{BRIEF}cite.ris"].decode().split("\r\n")
    assert ris[:2] == ["TY  - ELEC", "TI  - [Fixture] Norway sells Fixture SAM to Chile"]
    assert "DA  - 2024/02/03" in ris and f"UR  - {BASE}/{BRIEF}" in ris and ris[-2] == "ER  - "


def test_charts_are_accessible_svg_with_their_numbers_beside_them(fixture_files):
    page = fixture_files["countries/norway/index.html"].decode()
    chart = re.search(r'<figure class="chart-figure" id="chart-imports">(.*?)</figure>', page, re.S).group(1)
    assert '<svg class="chart" viewBox="0 0 480 200" role="img" aria-labelledby="chart-imports-title chart-imports-desc">' in chart
    assert '<title id="chart-imports-title">Norway as recipient: briefs by year of order</title>' in chart
    assert "<tr><th scope=\"row\">2010</th><td class=\"num\">1</td></tr>" in chart
    assert chart.count('<rect class="bar"') == 1  # one year of orders: 2010
    system = fixture_files["systems/fixture-sam/index.html"].decode()
    deliveries = re.search(r'id="chart-deliveries">(.*?)</figure>', system, re.S).group(1)
    assert '<tr><th scope="row">2002</th><td class="num">6</td></tr><tr><th scope="row">2003</th><td class="num">6</td></tr>' in deliveries
    home = fixture_files["index.html"].decode()
    assert 'id="chart-archive"' in home and home.count('<rect class="bar"') == 10  # 2001 to 2010, gaps as 0


def test_long_listings_are_split_into_pages(content, monkeypatch):
    monkeypatch.setattr(generator.pages, "PER_PAGE", 2)
    files = render_in_memory(content)
    first, second = files["deals/index.html"].decode(), files["deals/page/2/index.html"].decode()
    assert first.count('<td data-label="Brief">') == 2 and second.count('<td data-label="Brief">') == 1
    assert '<a href="/deals/page/2/">2</a>' in first and '<span aria-current="page">2</span>' in second
    assert 'rel="prev"' not in first and re.search(r'<a href="/deals/page/2/" rel="next">Next', first)
    assert re.search(r'<a href="/deals/" rel="prev"><span aria-hidden="true">‹ </span>Previous', second)
    # Only the first page counts the briefs; each says which orders it holds, by month (or year).
    assert "<p>3 briefs, newest order first;" in first and "On this page, orders placed from 2010 back to March 2001. Download" in first
    assert "<p>Newest order first;" in second and "On this page, the briefs whose order date is not known. Download every brief" in second
    norway = files["countries/norway/index.html"].decode()
    assert '<a href="/countries/norway/imports/">All 2 briefs with Norway as recipient</a>' not in norway  # 2 fit
    monkeypatch.setattr(generator.pages, "PER_PAGE", 1)
    files = render_in_memory(content)
    norway = files["countries/norway/index.html"].decode()
    assert '<a href="/countries/norway/imports/">All 2 briefs with Norway as recipient</a>' in norway
    assert "countries/norway/imports/page/2/index.html" in files
    # A page of one year's orders, and a page of dated orders then briefs with no known date.
    tank = content / "deals/2010-xfix-norway-fixture-tank.md"
    (content / "deals/2010-xfix-norway-fixture-tank-again.md").write_text(tank.read_text().replace("[Fixture]", "[Fixture, again]"))
    monkeypatch.setattr(generator.pages, "PER_PAGE", 2)
    monkeypatch.setattr(generator.pages, "MOST_PER_PAGE", 2)
    files = render_in_memory(content)
    assert "On this page, orders placed in 2010. Download" in files["deals/index.html"].decode()
    assert ("On this page, orders placed from March 2001 back, then briefs whose order date is not known. Download"
            in files["deals/page/2/index.html"].decode())


def test_every_page_but_the_home_page_has_breadcrumbs(fixture_files):
    for path, data in fixture_files.items():
        if path.endswith(".html") and path != "index.html":
            page = data.decode()
            assert '<nav class="crumbs" aria-label="Breadcrumb"' in page and '<li><a href="/">Home</a></li>' in page, path
    brief = fixture_files[f"{BRIEF}index.html"].decode()
    assert re.search(r'<li><a href="/deals/">Briefs</a></li>\s*<li><span aria-current="page">\[Fixture\] Norway sells', brief)


def test_similar_briefs_are_suggested_beside_the_hand_picked_ones(fixture_files):
    undated = fixture_files["deals/undated-chile-norway-fixture-tank/index.html"].decode()
    similar = re.search(r'<section aria-labelledby="similar".*?</section>', undated, re.S).group(0)
    assert '<a href="/deals/2010-xfix-norway-fixture-tank/">' in similar  # same system
    sam = fixture_files[f"{BRIEF}index.html"].decode()
    assert 'aria-labelledby="similar"' not in sam  # no other brief shares its parties or its system
