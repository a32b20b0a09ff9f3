"""The content-format reference names every field the validator accepts."""

from pathlib import Path

import pytest

from generator.validate import COUNTRY_FIELDS, DEAL_FIELDS, SITE_FIELDS, SOURCE, SYSTEM_FIELDS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "content-format.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("record", [DEAL_FIELDS, SYSTEM_FIELDS, COUNTRY_FIELDS, SITE_FIELDS, SOURCE],
                         ids=lambda r: r.expected)
def test_every_field_is_documented(record):
    missing = [name for name in record.fields if f"`{name}`" not in DOC]
    assert missing == []
