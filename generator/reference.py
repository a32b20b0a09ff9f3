"""reference.py — the content format, written out from the definitions the validator walks.

`archive schema` writes one JSON Schema per kind of content file (for VS Code's YAML extension
and any yaml-language-server), and the field tables of docs/content-format.md are generated
from the same definitions, between marker comments, so neither can drift from the validator.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from generator.schema import ListOf, Record
from generator.validate import (COUNTRY_FIELDS, CORRECTION, DEAL_FIELDS, DELIVERY, EVENT, ORDER, QUOTE,
                                SITE_FIELDS, SOURCE, SPEC, SYSTEM_FIELDS, VALUE)

# The kinds of content file: their schema file, the files it applies to, and their fields.
FILES = {
    "deal": ("deal.schema.json", "content/deals/*.md (front matter)", DEAL_FIELDS),
    "system": ("system.schema.json", "content/systems/*.yaml", SYSTEM_FIELDS),
    "country": ("country.schema.json", "content/countries/*.yaml", COUNTRY_FIELDS),
    "site": ("site.schema.json", "content/site.yaml", SITE_FIELDS),
}
# Every table of docs/content-format.md: its marker name and the record it lists.
TABLES = {
    "deal": DEAL_FIELDS, "order": ORDER, "delivery": DELIVERY, "value": VALUE, "event": EVENT,
    "quote": QUOTE, "correction": CORRECTION, "source": SOURCE, "system": SYSTEM_FIELDS, "spec": SPEC,
    "country": COUNTRY_FIELDS, "site": SITE_FIELDS,
}
SCHEMA_FOLDER = "schemas"
MARKERS = re.compile(r"(<!-- fields: (\w+) -->\n).*?(<!-- end fields -->)", re.DOTALL)


def json_schema(kind: str) -> dict:
    name, applies_to, record = FILES[kind]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": name,
            "title": f"Archive content: {record.expected} ({applies_to})", **record.json_schema()}


def write_schemas(folder: Path) -> list[Path]:
    """Write every JSON Schema into `folder`; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, (name, _, _) in FILES.items():
        text = json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


def field_table(record: Record) -> str:
    """A Markdown table of a record's fields: name, type, required, meaning."""
    rows = ["| field | type | required | meaning |", "|---|---|---|---|"]
    for name, field in record.fields.items():
        kind = field.kind
        shown = kind.shown
        record = kind.item if isinstance(kind, ListOf) else kind
        if any(record is table for table in TABLES.values()):
            shown += " (see its table)"
        rows.append(f"| `{name}` | {shown} | {'yes' if field.required else ''} | {field.help} |")
    return "\n".join(rows) + "\n"


def with_tables(document: str) -> str:
    """The document with every `<!-- fields: NAME -->` section regenerated."""
    def table(match: re.Match) -> str:
        if match.group(2) not in TABLES:
            raise ValueError(f"no record named {match.group(2)} for a fields table")
        return match.group(1) + field_table(TABLES[match.group(2)]) + match.group(3)
    return MARKERS.sub(table, document)
