"""The content-format reference and the editors' JSON Schemas come from the validator's own
definitions, and fail this test when they drift from it."""

from __future__ import annotations

import datetime
import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import yaml

from generator.reference import FILES, TABLES, json_schema, with_tables, write_schemas
from generator.validate import DEAL_FIELDS

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "content-format.md").read_text(encoding="utf-8")


def test_the_field_tables_in_the_docs_are_generated_from_the_definitions():
    assert with_tables(DOC) == DOC, "docs/content-format.md is stale: run `archive schema --docs docs/content-format.md`"
    for name in TABLES:
        assert f"<!-- fields: {name} -->" in DOC, f"no table for {name}"


def test_the_committed_schemas_are_the_generated_ones(tmp_path):
    write_schemas(tmp_path)
    for name, _, _ in FILES.values():
        committed = ROOT / "schemas" / name
        assert committed.read_text(encoding="utf-8") == (tmp_path / name).read_text(encoding="utf-8"), \
            f"schemas/{name} is stale: run `archive schema`"


def test_a_table_changes_when_a_definition_does(monkeypatch):
    monkeypatch.setitem(DEAL_FIELDS.fields, "title", replace(DEAL_FIELDS.fields["title"], help="changed"))
    assert "| `title` | text | yes | changed |" in with_tables(DOC)


def as_editor_reads(data):
    """YAML as a YAML 1.2 editor reads it: dates stay strings."""
    if isinstance(data, dict):
        return {key: as_editor_reads(value) for key, value in data.items()}
    if isinstance(data, list):
        return [as_editor_reads(value) for value in data]
    return data.isoformat() if isinstance(data, datetime.date) else data


def front_matter(path: Path) -> dict:
    return as_editor_reads(yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1]))


REAL_FILES = [("deal", path) for path in sorted((ROOT / "content" / "deals").glob("*.md"))] + \
             [("system", path) for path in sorted((ROOT / "content" / "systems").glob("*.yaml"))] + \
             [("site", ROOT / "content" / "site.yaml")]


@pytest.mark.parametrize(("kind", "path"), REAL_FILES, ids=lambda value: getattr(value, "name", value))
def test_the_real_content_passes_its_schema(kind, path):
    data = front_matter(path) if kind == "deal" else as_editor_reads(yaml.safe_load(path.read_text(encoding="utf-8")))
    jsonschema.validate(data, json_schema(kind))


def test_the_schema_catches_what_an_editor_gets_wrong():
    brief = front_matter(ROOT / "content" / "deals" / "2005-russia-iran-tor-m1.md")
    validator = jsonschema.Draft202012Validator(json_schema("deal"))
    wrong = {**brief, "staus": "delivered", "status": "done", "supplier": "Russia"}
    del wrong["title"]
    problems = sorted(error.message for error in validator.iter_errors(wrong))
    assert any("'title' is a required property" in p for p in problems)
    assert any("'staus' was unexpected" in p for p in problems)
    assert any("'done' is not one of" in p for p in problems)
    assert any("'Russia' does not match" in p for p in problems)
    assert json.loads(json.dumps(json_schema("deal")))["properties"]["title"]["description"] == "the headline"


def test_the_schema_flags_the_placeholders_archive_new_writes():
    from generator.scaffold import system_text
    validator = jsonschema.Draft202012Validator(json_schema("system"))
    text = system_text("Test Radar", "sensors")
    flagged = sorted(error.path[0] for error in validator.iter_errors(yaml.safe_load(text)))
    assert flagged == ["description", "sources"]
    filled = text.replace('"TODO: https://…"', '"https://example.invalid/"').replace('"TODO: ', '"Filled: ')
    assert list(validator.iter_errors(yaml.safe_load(filled))) == []
