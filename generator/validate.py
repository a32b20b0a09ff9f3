"""validate.py — stage 2: each content file → its model object, checked field by field.

The content format (docs/content-format.md) is declared here once, as data. Every problem in a
file is collected (never only the first); a file with any problem yields no model object, and
the archive stage raises them all together. References to other files (parties, systems,
briefs) are returned for the archive stage to resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from generator.body import check_body, check_placeholders
from generator.dates import PartialDate
from generator.errors import ContentError
from generator.loader import DEAL_SLUG, PARTY_CODE, SYSTEM_SLUG, Listed, RawRecord, YMap, YScalar, YSeq, read_record
from generator.model import Correction, Deal, Event, Party, Quote, Site, Source, System, dated, Fact
from generator.prose import to_html
from generator.schema import (Amount, Boolean, Choice, Context, Currency, Date, Field, Integer, ListOf,
                              Record, Ref, Reference, SourceIds, Text, Url)

STATUSES = ("reported", "negotiating", "ordered", "delivering", "delivered", "cancelled")
CATEGORIES = ("aircraft", "air-defence", "anti-submarine", "armoured-vehicles", "artillery", "engines",
              "missiles", "naval-weapons", "satellites", "sensors", "ships", "other")

PARTY = Ref("party", PARTY_CODE, "a party code: ISO 3166 alpha-3 such as RUS, or X… for a non-state party", "party code")
SYSTEM = Ref("system", SYSTEM_SLUG, "a system slug: the name of a file in content/systems/", "system slug")
DEAL = Ref("deal", DEAL_SLUG, "a brief's slug: the name of a file in content/deals/", "brief slug")
LANGUAGE = Text()  # a language tag or name as the source gives it


def required(kind, help: str = "") -> Field:
    return Field(kind, required=True, help=help)


def optional(kind, help: str = "") -> Field:
    return Field(kind, help=help)


# The content format, declared once: the validator walks it, `archive schema` turns it into a
# JSON Schema for editors, and docs/content-format.md's tables are generated from it.
SOURCE = Record("a source", {
    "id": required(Text(), "unique in the file; facts, events and quotes cite it"),
    "title": required(Text(), "the headline or document title, as published"),
    "kind": optional(Choice("news", "official", "database", "report", "other")),
    "publisher": optional(Text(), "who published it"),
    "via": optional(Text(), "a wire service the publisher carried"),
    "published": optional(Date(), "when it was published"),
    "page_updated": optional(Date(), "a later date the page shows"),
    "url": optional(Url()), "archived_url": optional(Url(), "an archived copy"),
    "accessed": optional(Date(), "when the editor read it"),
    "language": optional(LANGUAGE), "note": optional(Text(), "what the editor should know about it"),
}, Source)


def fact_record(expected: str, own: dict[str, Field]) -> Record:
    """A fact of one shape; its alternatives are facts of the same shape, each with its sources."""
    common = {"sources": required(SourceIds(), "the ids of the sources that report this value"),
              "estimate": optional(Boolean(), "true where the source gives an estimate"),
              "note": optional(Text(), "shown beside the value"),
              "circa": optional(Boolean(), "true where the date is approximate")}
    alternative = Record(f"an alternative {expected.split(' ', 1)[1]}", {**own, **common}, dated(Fact))
    alternative.shown = "values of this same shape, without `alternatives`"
    return Record(expected, {**own, **common, "alternatives": optional(
        ListOf(alternative), "other values other sources report, each with its own sources")}, dated(Fact))


ORDER = fact_record("an order", {"quantity": optional(Integer(0), "units ordered"),
                                 "date": optional(Date(), "when the order was placed")})
DELIVERY = fact_record("a delivery", {"quantity": optional(Integer(0), "units delivered"),
                                      "date": optional(Date(), "when they were delivered")})
VALUE = fact_record("a contract value", {"amount": required(Amount()), "currency": required(Currency()),
                                         "scope": optional(Text(), "what the money covers")})
SPEC = fact_record("a specification", {"label": required(Text(), "such as Range"),
                                       "value": required(Text(), "such as 12 km")})
EVENT = Record("an event", {"date": required(Date()), "event": required(Text(), "what happened"),
                            "sources": required(SourceIds()),
                            "circa": optional(Boolean(), "true where the date is approximate")}, dated(Event))
QUOTE = Record("a quote", {
    "text": required(Text(), "the words, as the source reports them"), "speaker": required(Text()),
    "role": optional(Text(), "the speaker's office when speaking"), "date": optional(Date(), "when it was said"),
    "context": optional(Text(), "where, or in answer to what"),
    "language": optional(LANGUAGE, "the language it was said in, if not the source's"),
    "sources": required(SourceIds())}, Quote)
CORRECTION = Record("a correction", {"date": required(Date()), "text": required(Text(), "what was corrected")},
                    Correction)

DEAL_FIELDS = Record("a brief", {
    "title": required(Text(), "the headline"),
    "summary": required(Text(), "one or two sentences, for listings and the meta description"),
    "supplier": required(PARTY, "the exporting party"), "recipient": required(PARTY, "the importing party"),
    "system": required(SYSTEM, "the name of a file in content/systems/, without .yaml"),
    "status": required(Choice(*STATUSES), "where the transfer stands, as the latest source reports"),
    "status_as_of": optional(Date(), "when the status was last known true"),
    "ordered": optional(ORDER, "the order"),
    "deliveries": optional(ListOf(DELIVERY), "one per shipment or year; none may be dated before the order"),
    "value": optional(VALUE, "what the deal is worth"),
    "condition": optional(Choice("new", "second-hand", "second-hand-modernised")),
    "deal_type": optional(Choice("sale", "aid", "licence", "lease", "unknown")),
    "sipri_id": optional(Integer(1), "the SIPRI Arms Transfers Database deal id"),
    "timeline": optional(ListOf(EVENT), "shown in date order"),
    "quotes": optional(ListOf(QUOTE), "what the people involved said"),
    "sources": required(ListOf(SOURCE, minimum=1), "every source the brief cites"),
    "tags": optional(ListOf(Text()), "keywords"),
    "related": optional(ListOf(DEAL), "each must exist; the link is shown on both briefs"),
    "published": required(Date(), "when the brief first appeared in the archive"),
    "updated": optional(Date(), "the last substantive update"),
    "corrections": optional(ListOf(CORRECTION), "published corrections"),
}, dict)

SYSTEM_FIELDS = Record("a weapon system", {
    "name": required(Text()), "aliases": optional(ListOf(Text()), "other designations"),
    "category": required(Choice(*CATEGORIES), "SIPRI's categories"),
    "origin": optional(PARTY, "the country of origin"), "manufacturer": optional(Text()),
    "description": optional(Text(), "Markdown"), "specs": optional(ListOf(SPEC), "specifications, each with its sources"),
    "sources": optional(ListOf(SOURCE), "cited by the specs"),
}, dict)

COUNTRY_FIELDS = Record("a party", {
    "name": optional(Text(), "the display name, overriding ISO's"),
    "kind": optional(Choice("state", "non-state", "organisation"),
                     "required with `name` for a code starting with X (a party with no ISO code)"),
    "note": optional(Text(), "shown on the party's page"),
}, dict)

SITE_FIELDS = Record("the site settings", {
    "title": required(Text()), "description": required(Text()),
    "base_url": required(Url(), "where the site is published"), "language": optional(Text(), "default en"),
}, Site)


@dataclass(frozen=True)
class Validated:
    """Every file's model object, and the cross-file references the archive must resolve."""

    site: Site
    deals: tuple[Deal, ...]
    systems: tuple[System, ...]
    parties: tuple[tuple[Party, str, int], ...]  # a party file's override, its path and line
    references: tuple[tuple[str, tuple[Reference, ...]], ...]  # each file's path and its references
    present: frozenset[tuple[str, str]]  # (kind, name) of every file, valid or not
    errors: tuple[ContentError, ...]  # reported with the archive's own, so one run shows them all


def source_ids(data: YMap, ctx: Context) -> frozenset[str]:
    """The ids of a file's sources, read before anything that cites them; duplicates are errors."""
    seen: dict[str, int] = {}
    sources = data.items.get("sources", (0, None))[1]
    for index, node in enumerate(sources.items if isinstance(sources, YSeq) else []):
        id_node = node.items.get("id", (0, None))[1] if isinstance(node, YMap) else None
        if isinstance(id_node, YScalar):
            if id_node.text in seen:
                ctx.error(id_node, f"sources[{index}].id", f'"{id_node.text}" is already the id of the source on line {seen[id_node.text]}')
            seen.setdefault(id_node.text, id_node.line)
    return frozenset(seen)


def check_dates(deal: Deal, data: YMap, ctx: Context) -> None:
    """A delivery cannot come before its order (compared at the coarser of the two precisions)."""
    if not (deal.ordered and deal.ordered.date):
        return
    order = deal.ordered.date
    for index, delivery in enumerate(deal.deliveries):
        if delivery.date and _before(delivery.date, order):
            date_node = data.items["deliveries"][1].items[index].items["date"][1]
            ctx.error(date_node, f"deliveries[{index}].date",
                      f"delivery dated {delivery.date.display()} comes before the order ({order.display()})")


def _before(first: PartialDate, second: PartialDate) -> bool:
    depth = min(_depth(first), _depth(second))
    return first.sort_key()[:depth] < second.sort_key()[:depth]


def _depth(date: PartialDate) -> int:
    return {"year": 1, "month": 2, "day": 3}[date.precision]


class Checked(NamedTuple):  # a tuple: a rebuild makes one for each of 10,000 briefs from the cache
    """One file, read and checked: its model object (None if it has problems), the problems,
    and the references to other files that the archive stage must resolve."""

    kind: str
    slug: str
    path: str
    model: object | None  # Deal, System, Site, or for a countries/ file (Party, line)
    errors: tuple[ContentError, ...]
    references: tuple[Reference, ...]  # for a brief from the cache, plain tuples of the same fields


def validate_record(record: RawRecord, load_errors: list[ContentError] = ()) -> Checked:
    """Check one record against the content format; collect every problem."""
    ctx = Context(record.path, errors=list(load_errors))
    model = None
    data = record.data
    if data is None:
        pass  # unreadable: the loader has said why
    elif record.kind == "deal":
        ctx.source_ids = source_ids(data, ctx)
        values = DEAL_FIELDS.check(data, ctx, "")
        if values is not None:
            model = Deal(slug=record.slug, path=record.path, body=record.body, body_html=to_html(record.body), **values)
            check_dates(model, data, ctx)
        ctx.errors.extend(check_body(record.body, record.path, record.body_line))
        ctx.errors.extend(check_placeholders(record.body, record.path, record.body_line))
    elif record.kind == "system":
        ctx.source_ids = source_ids(data, ctx)
        values = SYSTEM_FIELDS.check(data, ctx, "")
        if values is not None:
            model = System(slug=record.slug, path=record.path, **values)
        line, node = data.items.get("description", (0, None))
        if isinstance(node, YScalar):
            ctx.errors.extend(check_body(node.text, record.path, node.line, "description"))
    elif record.kind == "country":
        values = COUNTRY_FIELDS.check(data, ctx, "")
        if values is not None:
            model = (Party(code=record.slug, name=values.get("name", ""), kind=values.get("kind", "state"),
                           note=values.get("note")), data.line)
    else:
        model = SITE_FIELDS.check(data, ctx, "")
    # A record with any problem yields no model: the build fails anyway, and nothing half-checked
    # may reach the pages.
    return Checked(record.kind, record.slug, record.path, None if ctx.errors else model,
                   tuple(ctx.errors), tuple(ctx.references))


def check_file(listed: Listed, data: bytes | None = None) -> Checked:
    """Read and check one content file (or its bytes, `data`, as already read): the unit of work
    that runs in parallel and is cached."""
    record, errors = read_record(listed.kind, listed.slug, listed.file, listed.path, data)
    return validate_record(record, errors)


def combine(checked: list[Checked], listing_errors: list[ContentError] = ()) -> Validated:
    """Gather every file's result into one Validated, with every problem of every file.

    Files with problems give no model object, but their references are still returned, so the
    archive stage can report a dangling reference in the same run as a malformed field."""
    errors = list(listing_errors)
    site, deals, systems, parties, references = None, [], [], [], []
    for result in checked:
        errors.extend(result.errors)
        if result.references:
            references.append((result.path, result.references))
        if result.model is None:
            continue
        if result.kind == "deal":
            deals.append(result.model)
        elif result.kind == "system":
            systems.append(result.model)
        elif result.kind == "country":
            party, line = result.model
            parties.append((party, result.path, line))
        else:
            site = result.model
    # A reference to a file that exists but has its own problems is not reported a second time.
    present = frozenset(("party" if r.kind == "country" else r.kind, r.slug) for r in checked)
    return Validated(site, tuple(deals), tuple(systems), tuple(parties), tuple(references), present, tuple(errors))
