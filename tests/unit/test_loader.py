from pathlib import Path

import yaml
from hypothesis import given, strategies as st

from generator.loader import RESOLVER, YMap, YScalar, YSeq, load_content, parse_yaml, split_front_matter


def test_scalars_keep_their_text_line_and_what_yaml_would_make_of_them():
    root, errors = parse_yaml("a: 2007-01-16\nb: NO\nc: 'NO'\nd:\n  - 1:20\n", "f.yaml")
    assert errors == []
    assert isinstance(root, YMap)
    assert root.items["a"] == (1, YScalar("2007-01-16", 1, False))
    assert root.items["a"][1].tag == "timestamp"
    assert root.items["b"][1].tag == "bool" and root.items["c"][1].tag == "str"
    sequence = root.items["d"][1]
    assert isinstance(sequence, YSeq) and sequence.items[0] == YScalar("1:20", 5, False)
    assert sequence.items[0].tag == "int"


@given(st.one_of(st.text(max_size=12), st.from_regex(r"[-+.~0-9nNtTfFyYoO<=][0-9a-zA-Z:._ +-]{0,10}", fullmatch=True)))
def test_a_plain_scalars_type_is_what_the_yaml_resolver_says(text):
    """YScalar.tag skips the resolver for a first character no implicit type starts with."""
    assert YScalar(text, 1, False).tag == RESOLVER.resolve(yaml.ScalarNode, text, (True, False)).rsplit(":", 1)[-1]
    assert YScalar(text, 1, True).tag == "str"


def test_line_offset_counts_from_the_file_not_the_front_matter():
    root, _ = parse_yaml("title: x\nstatus: y\n", "f.md", line_offset=1)
    assert root.items["status"][0] == 3


def test_several_problems_in_one_file_are_all_returned():
    _, errors = parse_yaml("a: 1\na: 2\nb: &x 1\nc: *x\n<<: {z: 1}\n", "f.yaml")
    assert [(e.line, e.field, e.message.split(" (")[0].split(";")[0]) for e in errors] == [
        (2, "a", "duplicate key"), (3, "b", "YAML anchors"), (4, "c", "YAML aliases"),
        (5, "", "YAML merge keys"),
    ]


def test_a_problem_deep_in_the_tree_names_its_field_path():
    text = 'a:\n  - x: &k 1\n  - [1, !!str 2]\nb:\n  "[q]": *k\n'
    _, errors = parse_yaml(text, "f.yaml")
    assert [(e.line, e.field) for e in errors] == [(2, "a[0].x"), (3, "a[1][1]"), (5, "b.[q]")]


def test_several_documents_are_refused():
    _, errors = parse_yaml("a: 1\n---\nb: 2\n", "f.yaml")
    assert [str(e) for e in errors] == ["f.yaml:2: only one YAML document is allowed here; remove the extra '---'"]


def test_front_matter_is_split_and_the_body_keeps_its_line():
    yaml_text, body, body_line, errors = split_front_matter("---\na: 1\n---\nHello\n", "f.md")
    assert (yaml_text, body, body_line, errors) == ("a: 1", "Hello\n", 4, [])


def test_symlinks_are_refused(tmp_path: Path):
    content = tmp_path / "content"
    (content / "deals").mkdir(parents=True)
    (content / "site.yaml").write_text("title: t\n")
    target = tmp_path / "elsewhere.md"
    target.write_text("---\ntitle: x\n---\n")
    (content / "deals" / "linked.md").symlink_to(target)
    records, errors = load_content(content)
    assert [str(e) for e in errors] == ["content/deals/linked.md: symbolic links are not allowed in content/; copy the file instead"]
    assert [(r.kind, r.data is None) for r in records] == [("site", False), ("deal", True)]


def test_oversized_files_are_refused(tmp_path: Path):
    content = tmp_path / "content"
    (content / "deals").mkdir(parents=True)
    (content / "site.yaml").write_text("title: t\n")
    (content / "deals" / "big.md").write_text("---\ntitle: x\n---\n" + "x" * 1_000_001)
    _, errors = load_content(content)
    assert [str(e) for e in errors] == ["content/deals/big.md: file is 1,000,018 bytes; the limit is 1,000,000"]


def test_a_missing_site_yaml_is_reported(tmp_path: Path):
    (tmp_path / "content").mkdir()
    _, errors = load_content(tmp_path / "content")
    assert [str(e) for e in errors] == ["content/site.yaml: missing: every archive needs a site.yaml"]
