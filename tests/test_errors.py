"""Bad input: every problem names file, line and field, all are reported at once, nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.build import build, load_archive
from generator.errors import ContentErrors
from tests.conftest import edit, names_once_settled, write_tree

BRIEF = "content/deals/2001-norway-chile-fixture-sam.md"
SYSTEM = "content/systems/fixture-sam.yaml"
TANK = "content/deals/2010-xfix-norway-fixture-tank.md"


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def problems(content: Path, tmp_path: Path):
    """Build the valid fixture once; then the returned function builds again (after the test's
    edits), asserts that the build failed and left that site untouched, and returns the messages."""
    out = tmp_path / "site"
    build(content, out, index=False)
    before = snapshot(out)

    def failed_build() -> list[str]:
        with pytest.raises(ContentErrors) as caught:
            build(content, out, index=False)
        assert snapshot(out) == before, "a failed build changed the output folder"
        # The staging folder is moved aside at once and deleted in the background, as a replaced site is.
        assert not list(tmp_path.glob(".site.staging-*")), "staging left in place"
        assert names_once_settled(tmp_path, 4) == [".site.archive-cache.sqlite", ".site.archive-lock", "content", "site"], "staging left behind"
        return [str(error) for error in caught.value.errors]

    return failed_build


# (file, text to replace, replacement, the exact message expected)
CASES = {
    "unknown field with suggestion": (BRIEF, "summary:", "summry:",
        [f"{BRIEF}:2: summary: required field is missing (expected text)",
         f'{BRIEF}:3: summry: unknown field; did you mean "summary"?']),
    "NO read as false": (BRIEF, "recipient: CHL", "recipient: NO",
        [f'{BRIEF}:5: recipient: expected text, got "NO", which YAML reads as true or false; put it in quotes']),
    "number where text is expected": (BRIEF, 'title: "[Fixture] Norway sells Fixture SAM to Chile"', "title: 1984",
        [f'{BRIEF}:2: title: expected text, got "1984", which YAML reads as a number; put it in quotes']),
    "sexagesimal number": (BRIEF, "quantity: 12", "quantity: 1:20",
        [f'{BRIEF}:10: ordered.quantity: expected a whole number of at least 0, written as digits, got "1:20", which YAML reads as a number']),
    "negative quantity": (BRIEF, "quantity: 12", "quantity: -3",
        [f"{BRIEF}:10: ordered.quantity: expected a whole number of at least 0, got -3"]),
    "bad enum": (BRIEF, "status: delivered", "status: deliverd",
        [f'{BRIEF}:7: status: expected one of reported, negotiating, ordered, delivering, delivered, cancelled, got "deliverd"; did you mean "delivered"?']),
    "unknown party code": (BRIEF, "supplier: NOR", "supplier: NRO",
        [f'{BRIEF}:4: supplier: no party with code "NRO" in ISO 3166 or content/countries/; did you mean "NOR"?']),
    "malformed party code": (BRIEF, "supplier: NOR", "supplier: Norway",
        [f'{BRIEF}:4: supplier: expected a party code: ISO 3166 alpha-3 such as RUS, or X… for a non-state party, got "Norway"']),
    "missing system": (BRIEF, "system: fixture-sam", "system: fixture-sams",
        [f'{BRIEF}:6: system: no system named "fixture-sams" (add content/systems/fixture-sams.yaml); did you mean "fixture-sam"?']),
    "missing source reference": (BRIEF, "  sources: [wire]\n  alternatives:", "  sources: [wier]\n  alternatives:",
        [f'{BRIEF}:12: ordered.sources[0]: no source with id "wier" in this file; did you mean "wire"?']),
    "missing related brief": (BRIEF, "related: [2010-xfix-norway-fixture-tank]", "related: [2010-xfix-norway-fixture-tanks]",
        [f'{BRIEF}:70: related[0]: no brief named "2010-xfix-norway-fixture-tanks"; did you mean "2010-xfix-norway-fixture-tank"?']),
    "malformed date": (BRIEF, "date: 2001-03-15\n  sources", "date: March 2001\n  sources",
        [f'{BRIEF}:11: ordered.date: expected a date like 2007, 2007-01 or 2007-01-16, got "March 2001"']),
    "impossible date": (BRIEF, "published: 2024-01-02", "published: 2023-02-29",
        [f"{BRIEF}:71: published: there is no day 29 in February 2023"]),
    "duplicate key": (BRIEF, "status: delivered", "status: delivered\nstatus: ordered",
        [f"{BRIEF}:8: status: duplicate key; it is already set on line 7"]),
    "duplicate source id": (BRIEF, "    title: Fixture paper\n", "    title: Fixture paper\n  - id: wire\n    title: Again\n",
        [f'{BRIEF}:69: sources[2].id: "wire" is already the id of the source on line 57']),
    "money without currency": (BRIEF, "  currency: EUR\n", "",
        [f"{BRIEF}:28: value.currency: required field is missing (expected an ISO 4217 currency code such as USD, EUR or RUB)"]),
    "unknown currency": (BRIEF, "currency: EUR", "currency: EURO",
        [f'{BRIEF}:29: value.currency: expected an ISO 4217 currency code such as USD, EUR or RUB, got "EURO"; did you mean "EUR"?']),
    "zero amount": (BRIEF, "amount: 250000000", "amount: 0",
        [f"{BRIEF}:28: value.amount: expected a number greater than 0, written as digits (700000000 or 1.4e9), got 0"]),
    "delivery before order": (BRIEF, "date: 2002\n", "date: 2000\n",
        [f"{BRIEF}:21: deliveries[0].date: delivery dated 2000 comes before the order (15 March 2001)"]),
    "YAML anchor and alias": (BRIEF, "tags: [fixture]", "tags: &t [fixture]\nkeywords: *t",
        [f"{BRIEF}:69: tags: YAML anchors (&t) are not allowed; write the value out",
         f"{BRIEF}:70: keywords: YAML aliases (*t) are not allowed; write the value out"]),
    "unknown field without a close match": (BRIEF, "tags: [fixture]", "tags: [fixture]\nkeywords: [x]",
        [f'{BRIEF}:70: keywords: unknown field; known fields: title, summary, supplier, recipient, system, status, status_as_of, ordered, deliveries, value, condition, deal_type, sipri_id, timeline, quotes, sources, tags, related, published, updated, corrections']),
    "YAML tag": (BRIEF, "tags: [fixture]", "tags: !!set {fixture}",
        [f"{BRIEF}:69: tags: YAML tags (tag:yaml.org,2002:set) are not allowed"]),
    "invalid YAML": (BRIEF, "status: delivered", "status: [delivered",
        [f"{BRIEF}:8: invalid YAML: did not find expected ',' or ']'"]),
    "bad category in a system": (SYSTEM, "category: air-defence", "category: air defence",
        [f'{SYSTEM}:3: category: expected one of aircraft, air-defence, anti-submarine, armoured-vehicles, artillery, engines, missiles, naval-weapons, satellites, sensors, ships, other, got "air defence"; did you mean "air-defence"?']),
    "duplicate key in a nested mapping": (BRIEF, "  quantity: 12\n", "  quantity: 12\n  quantity: 13\n",
        [f"{BRIEF}:11: ordered.quantity: duplicate key; it is already set on line 10"]),
    "duplicate key in a list item": (BRIEF, "    title: Fixture paper\n", "    title: Fixture paper\n    title: Again\n",
        [f"{BRIEF}:69: sources[1].title: duplicate key; it is already set on line 68"]),
    "amount out of range": (BRIEF, "amount: 250000000", "amount: 1e16",
        [f"{BRIEF}:28: value.amount: expected a number greater than 0, written as digits (700000000 or 1.4e9), got 1e16"]),
    "amount written as text": (BRIEF, "amount: 250000000", 'amount: "250 million"',
        [f'{BRIEF}:28: value.amount: expected a number greater than 0, written as digits (700000000 or 1.4e9), got "250 million"']),
    "SIPRI id out of range": (BRIEF, "sipri_id: 99999", "sipri_id: 0",
        [f"{BRIEF}:38: sipri_id: expected a whole number of at least 1, got 0"]),
    "list where a mapping is expected": (BRIEF, "value:\n", "value:\n  - x\nvalue_old:\n",
        [f"{BRIEF}:28: value: expected a contract value (a mapping of fields), got a list",
         f'{BRIEF}:29: value_old: unknown field; did you mean "value"?']),
    "no sources at all": (TANK, "sources:\n  - id: only\n    title: The only fixture source\n", "sources: []\n",
        [f'{TANK}:10: ordered.sources[0]: no source with id "only" in this file',
         f"{TANK}:11: sources: expected at least 1 item(s)"]),
    "several YAML documents": (SYSTEM, "name: Fixture SAM\n", "name: Fixture SAM\n---\nname: Again\n",
        [f"{SYSTEM}:2: only one YAML document is allowed here; remove the extra '---'"]),
    "unquoted date in a text field": (BRIEF, "    event: Contract signed.", "    event: 2001-03-15",
        [f'{BRIEF}:44: timeline[1].event: expected text, got "2001-03-15", which YAML reads as a date; put it in quotes']),
    "zero-width space in text": (BRIEF, "speaker: Ana Example", "speaker: Ana\u200bExample",
        [f"{BRIEF}:48: quotes[0].speaker: contains an invisible or control character (ZERO WIDTH SPACE); remove it"]),
    "control character in text": (BRIEF, "A synthetic brief with every", "A synthetic \u202ebrief with every",
        [f"{BRIEF}:3: summary: contains an invisible or control character (RIGHT-TO-LEFT OVERRIDE); remove it"]),
    "not a URL": (BRIEF, "url: https://news.example/fixture-wire", "url: javascript:alert(1)",
        [f'{BRIEF}:64: sources[0].url: expected a web address starting with https:// or http://, got "javascript:alert(1)"']),
    "URL with a bracket in its host": (BRIEF, "url: https://news.example/fixture-wire", "url: https://news.exa](javascript:x)mple/fixture-wire",
        [f'{BRIEF}:64: sources[0].url: expected a web address starting with https:// or http://, got "https://news.exa](javascript:x)mple/fixture-wire", which is malformed (Invalid IPv6 URL)']),
    "URL with a port that is not a number": (BRIEF, "url: https://news.example/fixture-wire", "url: https://news.example:80a/fixture-wire",
        [f"{BRIEF}:64: sources[0].url: expected a web address starting with https:// or http://, got \"https://news.example:80a/fixture-wire\", which is malformed (Port could not be cast to integer value as '80a')"]),
    "link with a bracket in its host in the body": (BRIEF, "See [the sources](#sources).", "See [the wire](https://news.exa]mple/).",
        [f'{BRIEF}:77: body: link "https://news.exa]mple/" is not a valid address (Invalid IPv6 URL)']),
    "javascript: link in the body": (BRIEF, "See [the sources](#sources).", "See [the sources](javascript:alert(1)).",
        [f'{BRIEF}:77: body: link "javascript:alert(1)" uses the scheme "javascript:"; only http, https, mailto and links within the site are allowed']),
    "javascript: autolink in the body": (BRIEF, "See [the sources](#sources).", "See <javascript:alert(1)> too.",
        [f'{BRIEF}:77: body: link "javascript:alert(1)" uses the scheme "javascript:"; only http, https, mailto and links within the site are allowed']),
    "data: link in a reference definition": (BRIEF, "## Background", "[x]: data:text/html;base64,PHNjcmlwdD4=\n\n## Background",
        [f'{BRIEF}:79: body: link "data:text/html;base64,PHNjcmlwdD4=" uses the scheme "data:"; only http, https, mailto and links within the site are allowed']),
    "image in the body": (BRIEF, "See [the sources](#sources).", "![chart](https://img.example/c.png)",
        [f'{BRIEF}:77: body: images are not supported in briefs ("https://img.example/c.png"); link to the image instead']),
    "reference image in the body": (BRIEF, "See [the sources](#sources).", "See ![the chart][Chart].\n\n[chart]: https://img.example/c.png",
        [f'{BRIEF}:77: body: images are not supported in briefs ("![the chart][Chart]"); link to the image instead']),
    "unsafe link in a system description": (SYSTEM, "A **fictional**", "A [bad](vbscript:x) **fictional**",
        [f'{SYSTEM}:6: description: link "vbscript:x" uses the scheme "vbscript:"; only http, https, mailto and links within the site are allowed']),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_reported_with_file_line_and_field(case, content, problems):
    relative, old, new, expected = CASES[case]
    edit(content.parent / relative, old, new)
    assert problems() == expected


def test_every_problem_in_every_file_is_reported_in_one_run(content, problems):
    edit(content.parent / BRIEF, "status: delivered", "status: deliverd")
    edit(content.parent / BRIEF, "supplier: NOR", "supplier: NRO")
    edit(content.parent / SYSTEM, "category: air-defence", "category: tanks")
    found = problems()
    assert [line.split(": ")[0] for line in found] == [f"{BRIEF}:4", f"{BRIEF}:7", f"{SYSTEM}:3"]


def test_the_report_ends_with_a_count(content, problems):
    edit(content.parent / BRIEF, "status: delivered", "status: deliverd")
    edit(content.parent / SYSTEM, "category: air-defence", "category: tanks")
    with pytest.raises(ContentErrors) as caught:
        load_archive(content)
    assert caught.value.report().splitlines()[-1] == "Found 2 problems in 2 files."
    assert len(problems()) == 2


@pytest.mark.parametrize("name, text, expected", [
    ("x.md~", "", "not a deal file: expected a name of lowercase letters, digits and single hyphens, ending in .md"),
    (".DS_Store", "", "not a deal file: expected a name of lowercase letters, digits and single hyphens, ending in .md"),
    ("X.MD", "", "not a deal file: expected a name of lowercase letters, digits and single hyphens, ending in .md"),
    ("Bad_Slug.md", "---\n---\n", "not a deal file: expected a name of lowercase letters, digits and single hyphens, ending in .md"),
    ("empty.md", "", "file is empty; a brief starts with '---' and its front matter"),
    ("no-front-matter.md", "title: x\n", "expected front matter: the file must start with a line '---'"),
    ("unclosed.md", "---\ntitle: x\n", "front matter is not closed: add a line '---' after it"),
    ("list.md", "---\n- a\n- b\n---\n", "expected a mapping of fields (name: value) at the top level"),
    ("empty-front-matter.md", "---\n---\nbody\n", "front matter is empty"),
    ("tabs.md", "---\ntitle: x\n\tsummary: y\n---\n", "invalid YAML: found a tab character that violates indentation"),
    ("control.md", "---\ntitle: a\x1fb\n---\n", "contains a control character (U+001F) that YAML does not allow; remove it"),
    ("café.md", "", "not a deal file: expected a name of lowercase letters, digits and single hyphens, ending in .md"),
    ("tor-m1\u200b.md", "", "not a deal file: expected a name of lowercase letters, digits and single hyphens, ending in .md"),
    ("tor.m1.md", "", "not a deal file: expected a name of lowercase letters, digits and single hyphens, ending in .md"),
    ("2005-Russia-iran.md", "", "not a deal file: expected a name of lowercase letters, digits and single hyphens, ending in .md"),
    ("double--hyphen.md", "", "not a deal file: expected a name of lowercase letters, digits and single hyphens, ending in .md"),
])
def test_malformed_brief_files(content, name, text, expected, problems):
    (content / "deals" / name).write_text(text, encoding="utf-8")
    found = problems()
    assert len(found) == 1 and found[0].endswith(": " + expected), found
    assert found[0].startswith(f"content/deals/{name}:")


def test_byte_order_mark_and_bad_utf8(content, problems):
    (content / "deals" / "bom.md").write_bytes(b"\xef\xbb\xbf---\ntitle: x\n---\n")
    (content / "deals" / "latin.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    assert problems() == [
        "content/deals/bom.md:1: file starts with a byte-order mark (BOM); save it as UTF-8 without BOM",
        "content/deals/latin.md:2: not valid UTF-8 (byte 0xe9); save the file as UTF-8",
    ]


def test_names_that_differ_only_by_case_cannot_collide(content, problems):
    # Slugs are lowercase ASCII only, so no two valid names differ by case or Unicode normalisation.
    write_tree(content, {"systems/Fixture-SAM.yaml": "name: x\ncategory: other\n"})
    assert problems() == ["content/systems/Fixture-SAM.yaml: not a system file: expected a name of lowercase letters, digits and single hyphens, ending in .yaml"]


def test_folders_and_stray_files_in_content_folders(content, problems):
    (content / "deals" / "drafts").mkdir()
    (content / "systems" / "notes.txt").write_text("x")
    assert problems() == [
        "content/deals/drafts: unexpected folder in content/deals/",
        "content/systems/notes.txt: not a system file: expected a name of lowercase letters, digits and single hyphens, ending in .yaml",
    ]


@pytest.mark.parametrize("line_end", [b"\r\n", b"\r"], ids=["windows", "lone carriage return"])
def test_other_line_endings_keep_line_numbers(content, problems, line_end):
    brief = content.parent / BRIEF
    edit(brief, "status: delivered", "status: deliverd")
    brief.write_bytes(brief.read_bytes().replace(b"\n", line_end))
    assert problems()[0].startswith(f"{BRIEF}:7: status:")


def test_an_x_code_party_needs_a_name_and_kind(content, problems):
    write_tree(content, {"countries/XBAD.yaml": "note: nothing else\n"})
    assert problems() == [
        "content/countries/XBAD.yaml:1: name: a party with an X code needs `name` and `kind: non-state` or `kind: organisation`"
    ]
