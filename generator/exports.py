"""exports.py — the archive as open data: JSON (with its JSON Schema), CSV, BibTeX and RIS; and the sitemap.

Field names are part of the published contract (`/data/deals.schema.json`): add, never rename.
Dates keep their precision ("2005", "2005-12", "2005-12-05"); a value that is not known is null
in JSON and empty in CSV, never 0. Reported alternatives stay beside the principal value.
"""

from __future__ import annotations

import csv
import io
import json
import re
from array import array
from pathlib import Path
from typing import NamedTuple

from markupsafe import escape

from generator.dates import PartialDate
from generator.model import Deal, Fact, Source
from generator.pages import deal_url

SCHEMA_FILE = Path(__file__).with_name("deals.schema.json")
DEAL_COLUMNS = ["slug", "url", "title", "supplier_code", "supplier", "recipient_code", "recipient", "system",
                "system_category", "status", "status_as_of", "ordered_quantity", "ordered_date", "delivered_total",
                "value_amount", "value_currency", "value_scope", "other_reported_values", "deal_type", "condition",
                "sipri_id", "sources", "published", "updated"]
DELIVERY_COLUMNS = ["slug", "url", "supplier_code", "supplier", "recipient_code", "recipient", "system",
                    "delivery_date", "quantity", "estimate", "note", "sources"]


def iso(date: PartialDate | None) -> str | None:
    return date.iso() if date else None


def fact_data(fact: Fact) -> dict:
    data = {"quantity": fact.quantity, "date": iso(fact.date), "circa": bool(fact.date and fact.date.circa),
            "amount": fact.amount, "currency": fact.currency, "scope": fact.scope, "label": fact.label,
            "value": fact.value, "estimate": fact.estimate, "note": fact.note, "sources": list(fact.sources)}
    data["alternatives"] = [fact_data(alternative) for alternative in fact.alternatives]
    return data


def source_data(source: Source) -> dict:
    return {"id": source.id, "title": source.title, "kind": source.kind, "publisher": source.publisher,
            "via": source.via, "published": iso(source.published), "page_updated": iso(source.page_updated),
            "url": source.url, "archived_url": source.archived_url, "accessed": iso(source.accessed),
            "language": source.language, "note": source.note}


def deal_data(deal: Deal, names: dict) -> dict:
    """One brief as JSON-ready data, with every fact, alternative, source and quote."""
    system = names["systems"][deal.system]
    party = lambda code: {"code": code, "name": names["parties"][code].name}
    return {
        "slug": deal.slug, "url": absolute(names, deal_url(deal)), "title": deal.title, "summary": deal.summary,
        "supplier": party(deal.supplier), "recipient": party(deal.recipient),
        "system": {"slug": system.slug, "name": system.name, "category": system.category},
        "status": deal.status, "status_as_of": iso(deal.status_as_of),
        "ordered": fact_data(deal.ordered) if deal.ordered else None,
        "deliveries": [fact_data(delivery) for delivery in deal.deliveries],
        "value": fact_data(deal.value) if deal.value else None,
        "condition": deal.condition, "deal_type": deal.deal_type, "sipri_id": deal.sipri_id,
        "timeline": [{"date": iso(e.date), "circa": e.date.circa, "event": e.event, "sources": list(e.sources)}
                     for e in deal.timeline],
        "quotes": [{"text": q.text, "speaker": q.speaker, "role": q.role, "date": iso(q.date), "context": q.context,
                    "language": q.language, "sources": list(q.sources)} for q in deal.quotes],
        "sources": [source_data(source) for source in deal.sources],
        "tags": list(deal.tags), "related": list(deal.related),
        "published": iso(deal.published), "updated": iso(deal.updated),
        "corrections": [{"date": iso(c.date), "text": c.text} for c in deal.corrections],
    }


def absolute(names: dict, url: str) -> str:
    return names["site"].base_url.rstrip("/") + url


class LastExport(NamedTuple):
    """A whole-archive export as the last build wrote it, mapped into memory (BuildCache.last_exports),
    and where each brief's share lies in it: the share at `position` is data[starts[position]:ends[position]]."""

    data: memoryview
    positions: dict[str, int]  # a share's fragment key (see build.encode_fragments) -> its position
    starts: array
    ends: array
    names: str = ""  # the digest of the site-wide names its shares were encoded with (Renderer.names_digest)


# A brief's share of an export, as Layout takes it: encoded (bytes), or where it stands unchanged,
# its position in the last build's export of the same field (LastExport).
Share = bytes | int


class Layout(NamedTuple):
    """A whole-archive export: a head, then each listed brief's share (one field of its
    Fragments) with a separator between them, then a tail. Written in pieces, never joined."""

    head: bytes
    separator: bytes
    field: str  # json, deal_row or delivery_rows
    tail: bytes

    def pieces(self, shares: list[Share], last: LastExport | None = None) -> list[bytes | memoryview]:
        """The file's pieces, in order. Shares that stood one after another in `last` are one
        piece, separators included: after an edit at 10,000 briefs, the runs before and after
        the edited share, not 20,000 pieces (a view of each share, and a separator)."""
        pieces = [self.head]
        for index, segment in enumerate(_segments(shares)):
            if index:
                pieces.append(self.separator)
            pieces.append(last.data[last.starts[segment[0]]:last.ends[segment[1]]] if type(segment) is tuple else segment)
        pieces.append(self.tail)
        return pieces

    def spans(self, shares: list[Share], last: LastExport | None = None) -> list[tuple[int, int]]:
        """Where each share lies in the file `pieces` makes: (start, end) in bytes."""
        spans, offset = [], len(self.head) - len(self.separator)
        for segment in _segments(shares):
            offset += len(self.separator)
            if type(segment) is tuple:  # where the run's shares were, moved by as much as the run
                first, final = segment
                shift = offset - last.starts[first]
                spans += zip([start + shift for start in last.starts[first:final + 1]],
                             [end + shift for end in last.ends[first:final + 1]])
                offset = last.ends[final] + shift
            else:
                spans.append((offset, offset + len(segment)))
                offset += len(segment)
        return spans


def _segments(shares: list[Share]):
    """The shares as Layout writes them: each encoded one, and each run of positions that follow
    one another in the last export, as (first, last)."""
    run = None
    for share in shares:
        if type(share) is int:
            if run is not None and share == run[1] + 1:
                run = (run[0], share)
                continue
            if run is not None:
                yield run
            run = (share, share)
        else:
            if run is not None:
                yield run
                run = None
            yield share
    if run is not None:
        yield run


def deals_json(names: dict) -> Layout:
    """The whole archive as one JSON document."""
    head = json.dumps({"title": names["site"].title, "schema": absolute(names, "/data/deals.schema.json")},
                      ensure_ascii=False, separators=(",", ":"))
    return Layout(head[:-1].encode("utf-8") + b',"deals":[', b",", "json", b"]}\n")


def _csv(columns: list[str], rows: list[dict], header: bool = True) -> str:
    # csv.writer writes None as an empty field. Rows as lists: a DictWriter checks each row's keys
    # in Python, and took 77 microseconds a brief for its two fragments, against 47.
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow(columns)
    writer.writerows([row[column] for column in columns] for row in rows)
    return buffer.getvalue()


def deal_row(deal: Deal, names: dict) -> dict:
    """One spreadsheet row: the principal values; `other_reported_values` counts the alternatives."""
    system = names["systems"][deal.system]
    ordered, value = deal.ordered, deal.value
    alternatives = sum(len(f.alternatives) for f in (ordered, value, *deal.deliveries) if f)
    return {
        "slug": deal.slug, "url": absolute(names, deal_url(deal)), "title": deal.title,
        "supplier_code": deal.supplier, "supplier": names["parties"][deal.supplier].name,
        "recipient_code": deal.recipient, "recipient": names["parties"][deal.recipient].name,
        "system": system.name, "system_category": system.category, "status": deal.status,
        "status_as_of": iso(deal.status_as_of),
        "ordered_quantity": ordered.quantity if ordered else None, "ordered_date": iso(ordered.date) if ordered else None,
        "delivered_total": deal.delivered, "value_amount": value.amount if value else None,
        "value_currency": value.currency if value else None, "value_scope": value.scope if value else None,
        "other_reported_values": alternatives, "deal_type": deal.deal_type, "condition": deal.condition,
        "sipri_id": deal.sipri_id, "sources": "; ".join(source.title for source in deal.sources),
        "published": iso(deal.published), "updated": iso(deal.updated),
    }


def deals_csv(names: dict) -> Layout:
    return Layout(_csv(DEAL_COLUMNS, []).encode("utf-8"), b"", "deal_row", b"")


def deliveries_csv(names: dict) -> Layout:
    """One row per reported delivery, principal and alternative, like SIPRI's trade register."""
    return Layout(_csv(DELIVERY_COLUMNS, []).encode("utf-8"), b"", "delivery_rows", b"")


def delivery_rows(deal: Deal, names: dict) -> list[dict]:
    titles = {source.id: source.title for source in deal.sources}
    return [{
        "slug": deal.slug, "url": absolute(names, deal_url(deal)),
        "supplier_code": deal.supplier, "supplier": names["parties"][deal.supplier].name,
        "recipient_code": deal.recipient, "recipient": names["parties"][deal.recipient].name,
        "system": names["systems"][deal.system].name, "delivery_date": iso(report.date),
        "quantity": report.quantity, "estimate": "yes" if report.estimate else "no", "note": report.note,
        "sources": "; ".join(titles[i] for i in report.sources),
    } for delivery in deal.deliveries for report in delivery.reports]


class Fragments(NamedTuple):
    """One brief's share of each whole-archive export, encoded (UTF-8). Keyed by the brief's file
    and the site-wide names, so a rebuild encodes only the briefs that changed, and takes the
    others' from the last build's exports (LastExport)."""
    json: bytes
    deal_row: bytes
    delivery_rows: bytes


def fragments_of(deal: Deal, names: dict) -> Fragments:
    # No indent: only then does json use its C encoder (ten times faster on a large archive).
    return Fragments(json.dumps(deal_data(deal, names), ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                     _csv(DEAL_COLUMNS, [deal_row(deal, names)], header=False).encode("utf-8"),
                     _csv(DELIVERY_COLUMNS, delivery_rows(deal, names), header=False).encode("utf-8"))


def bibtex(names: dict, deal: Deal) -> bytes:
    """A BibTeX @misc entry for citing the brief in a reference manager."""
    def braced(text: str) -> str:
        return "{" + text.replace("\\", "\\textbackslash{}").replace("{", "\\{").replace("}", "\\}") + "}"
    updated = deal.last_updated
    url = absolute(names, deal_url(deal))
    fields = [("title", braced(deal.title)),
              ("author", "{" + braced(names["site"].title) + "}"),  # double braces: an organisation, not a person
              ("howpublished", braced(url)), ("year", braced(str(updated.year)))]
    if updated.month:
        fields.append(("month", braced(str(updated.month))))
    fields += [("note", braced(f"Last updated {updated.display()}")), ("url", braced(url))]
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@misc{{{deal.slug},\n{body}\n}}\n".encode("utf-8")


def ris(names: dict, deal: Deal) -> bytes:
    """An RIS record (type ELEC) for reference managers such as Zotero or EndNote."""
    updated = deal.last_updated
    lines = [("TY", "ELEC"), ("TI", deal.title), ("AU", names["site"].title), ("PY", str(updated.year)),
             ("DA", updated.iso().replace("-", "/")), ("UR", absolute(names, deal_url(deal))),
             ("AB", deal.summary), ("PB", names["site"].title), ("ER", "")]
    return "".join(f"{tag}  - {value}\r\n" for tag, value in lines).encode("utf-8")


def schema(names: dict) -> bytes:
    return SCHEMA_FILE.read_bytes()


XML_SPECIAL = re.compile(r"[&<>\"']")


def _xml(text: str) -> str:
    """Text escaped for XML (and HTML), as the templates escape it; most text has nothing to escape."""
    return str(escape(text)) if XML_SPECIAL.search(text) else text


def sitemap(names: dict, urls: list[str], lastmod: dict[str, str]) -> bytes:
    """The sitemap (sitemaps.org): every page, with the date each brief was last updated. A data
    file like the others, made here rather than through a template: at 10,000 briefs a template's
    loop took 40 ms, and every addition or deletion changes the sitemap."""
    lines = [f"  <url><loc>{_xml(absolute(names, url))}</loc><lastmod>{_xml(lastmod[url])}</lastmod></url>\n"
             if url in lastmod else f"  <url><loc>{_xml(absolute(names, url))}</loc></url>\n" for url in urls]
    return "".join(['<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n',
                    *lines, "</urlset>\n"]).encode("utf-8")


# What a Page with `export` set is rendered by. LAYOUTS take the site-wide names, and the page's
# context lists the briefs whose Fragments fill the layout; EXPORTS take the names and the context.
LAYOUTS = {"deals_json": deals_json, "deals_csv": deals_csv, "deliveries_csv": deliveries_csv}
EXPORTS = {"bibtex": bibtex, "ris": ris, "schema": schema, "sitemap": sitemap}
