from generator.dates import PartialDate
from generator.loader import parse_yaml
from generator.schema import Context
from generator.validate import DEAL_FIELDS, ORDER, VALUE


def check(record, text, source_ids=("a", "b")):
    root, errors = parse_yaml(text, "f.md")
    assert errors == []
    ctx = Context("f.md", source_ids=frozenset(source_ids))
    return record.check(root, ctx, "ordered"), [str(e) for e in ctx.errors]


def test_a_fact_keeps_its_alternatives_beside_it():
    fact, errors = check(ORDER, "quantity: 29\ndate: 2005-12\nsources: a\nalternatives:\n  - quantity: 30\n    sources: [b]\n")
    assert errors == []
    assert fact.quantity == 29 and fact.date == PartialDate(2005, 12) and fact.sources == ("a",)
    assert [(alt.quantity, alt.sources) for alt in fact.alternatives] == [(30, ("b",))]
    assert [report.quantity for report in fact.reports] == [29, 30]


def test_null_means_not_known_and_is_not_zero():
    fact, errors = check(ORDER, "quantity: null\ndate: ~\nsources: a\n")
    assert errors == [] and fact.quantity is None and fact.date is None


def test_circa_marks_the_date_as_an_estimate():
    fact, _ = check(ORDER, "date: 2005\ncirca: true\nsources: a\n")
    assert fact.date.circa and fact.date.display() == "c. 2005"


def test_a_fact_must_name_a_source():
    _, errors = check(ORDER, "quantity: 3\n")
    assert errors == ["f.md:1: ordered.sources: required field is missing (expected a source id or a list of source ids from this file's sources)"]


def test_amounts_keep_their_exact_value():
    fact, errors = check(VALUE, "amount: 1.4e9\ncurrency: USD\nsources: a\n")
    assert errors == [] and fact.amount == 1_400_000_000


def test_yes_and_no_are_not_booleans():
    _, errors = check(ORDER, "estimate: yes\nsources: a\n")
    assert errors == ['f.md:1: ordered.estimate: expected true or false, got "yes", which YAML reads as true or false']


def test_a_brief_lists_its_required_fields_when_they_are_missing():
    root, _ = parse_yaml("title: x\n", "f.md")
    ctx = Context("f.md")
    assert DEAL_FIELDS.check(root, ctx, "") is None
    missing = [e.field for e in ctx.errors]
    assert missing == ["summary", "supplier", "recipient", "system", "status", "sources", "published"]
