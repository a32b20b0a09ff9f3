"""pages.py — stage 4: which pages exist, at which URL, with which template and context.

The single owner of URLs: every other module and every template asks here. Each page's context
is assembled in one place, in one order (site-wide values < the page's own objects), so
templates only read what they are given and never go looking for data.
"""

from __future__ import annotations

import bisect
import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from operator import attrgetter, is_
from typing import TYPE_CHECKING, Collection, Iterable, NamedTuple

from generator.archive import Archive, deal_sort_key
from generator.dates import PartialDate
from generator.errors import BuildError
from generator.model import Deal, Party, System

if TYPE_CHECKING:
    from generator.build import Output

LATEST_ON_HOME = 10
FEED_ENTRIES = 50
STATUS_LABELS = {
    "reported": "Reported (unconfirmed)", "negotiating": "Negotiating", "ordered": "Ordered",
    "delivering": "Delivering", "delivered": "Delivered", "cancelled": "Cancelled",
}
CATEGORY_LABELS = {
    "aircraft": "Aircraft", "air-defence": "Air-defence systems", "anti-submarine": "Anti-submarine warfare",
    "armoured-vehicles": "Armoured vehicles", "artillery": "Artillery", "engines": "Engines",
    "missiles": "Missiles", "naval-weapons": "Naval weapons", "satellites": "Satellites",
    "sensors": "Sensors", "ships": "Ships", "other": "Other",
}


def deal_url(deal: Deal | str) -> str:
    return f"/deals/{deal if isinstance(deal, str) else deal.slug}/"


def party_url(party: Party) -> str:
    return f"/countries/{party.slug}/"


def system_url(system: System | str) -> str:
    return f"/systems/{system if isinstance(system, str) else system.slug}/"


def year_url(year: int) -> str:
    return f"/years/{year}/"


def output_path(url: str) -> str:
    """Where a URL's file lies in the site folder: '/deals/x/' -> 'deals/x/index.html'."""
    path = url.lstrip("/")
    if not path or path[-1] == "/":  # most URLs: asked for 31,000 times a rebuild
        return path + "index.html"
    return path if "." in path.rsplit("/", 1)[-1] else f"{path.rstrip('/')}/index.html".lstrip("/")


URL_FUNCTIONS = {"deal_url": deal_url, "party_url": party_url, "system_url": system_url, "year_url": year_url}


@dataclass(frozen=True)
class Page:
    url: str
    template: str
    context: dict = field(default_factory=dict)
    indexed: bool = False  # whether Pagefind indexes it for search
    export: str = ""  # a data file made by exports.EXPORTS[export] instead of a template
    path: str = field(init=False)  # where its file lies in the site folder

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", output_path(self.url))  # asked for several times per page


PER_PAGE = 200  # a listing longer than this is split into numbered pages of at least this many rows
MOST_PER_PAGE = 300  # a listing page ends at a month's end (page_starts), but holds no more than this
PAGER_REACH = 2  # a listing's pager links the pages this close to the current one, and the ends
SIMILAR_SHOWN = 5


def partners(deals: tuple[Deal, ...], side: str) -> list[tuple[str, int]]:
    """The parties on the other `side` of these deals, most deals first, then by code."""
    counts = Counter(getattr(deal, side) for deal in deals)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def main_partners(archive: Archive, exports: tuple[Deal, ...], imports: tuple[Deal, ...]) -> list[tuple[str, int]]:
    """(partner's name, briefs with it either way), most first: a party's main partners."""
    counts = Counter(deal.recipient for deal in exports) + Counter(deal.supplier for deal in imports)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(archive.parties[code].name, count) for code, count in ranked]


def count_by_year(deals: tuple[Deal, ...]) -> list[tuple[int, int]]:
    """(year of order, number of briefs) for every year from the first to the last, gaps as 0."""
    return year_span(Counter(deal.order_year for deal in deals if deal.order_year))


def year_span(counts: dict[int, int]) -> list[tuple[int, int]]:
    """(year, count) for every year from the first counted to the last, gaps as 0."""
    return [(year, counts.get(year, 0)) for year in range(min(counts), max(counts) + 1)] if counts else []


def delivered_by_year(deals: tuple[Deal, ...]) -> list[tuple[int, int]]:
    """(year, units delivered by the principal reports) for every year in the span, gaps as 0."""
    units: Counter = Counter()
    for deal in deals:
        for delivery in deal.deliveries:
            if delivery.date and delivery.quantity is not None:
                units[delivery.date.year] += delivery.quantity
    return year_span(units)


def order_month(deal: Deal) -> tuple:
    """The month of a brief's order as it sorts (its year alone if that is all that is known); a
    brief with no known order date stands alone."""
    undated, order, slug = deal.sort_key
    return (slug,) if undated else order[:2]


def page_starts(deals: tuple[Deal, ...]) -> list[int]:
    """Where each page of a listing (in the archive's order) starts. A page holds PER_PAGE rows
    and the rest of its last row's month, up to MOST_PER_PAGE: so a brief added or removed
    changes the rows of its own page only, and the pages after it stay as they were, unless it
    moves where its page ends (when it falls on the first row of a month there). With pages of
    a fixed size, every page after it would shift by a row."""
    starts = [0]
    while (start := starts[-1]) + PER_PAGE < len(deals):
        end, limit = start + PER_PAGE, min(start + MOST_PER_PAGE, len(deals))
        month = order_month(deals[end - 1])
        while end < limit and order_month(deals[end]) == month:
            end += 1
        if end == len(deals):
            break
        starts.append(end)
    return starts


def order_span(listed: tuple[Deal, ...]) -> tuple[str, str]:
    """The months (or years) of the first and last orders of a listing page, as a reader reads
    them; "" for a brief with no known order date."""
    def month(deal: Deal) -> str:
        undated, order, _ = deal.sort_key
        return "" if undated else PartialDate(-order[0], -order[1] or None).display()
    return month(listed[0]), month(listed[-1])


def paginate(base: str, deals: tuple[Deal, ...], template: str, context: dict, crumbs: list) -> list[Page]:
    """A listing split into pages (page_starts): `base`, then `base`page/2/, … Only the first
    page says how many briefs the listing holds: the others change only when their rows do."""
    starts = page_starts(deals)
    chunks = [deals[start:end] for start, end in zip(starts, [*starts[1:], len(deals)])]
    urls = [base] + [f"{base}page/{number}/" for number in range(2, len(chunks) + 1)]
    return [Page(url, template, {**context, "listed": chunk, "crumbs": crumbs, **({"total": len(deals)} if number == 1 else {}),
                                 "orders": order_span(chunk) if chunk else ("", ""),
                                 "pagination": {"number": number, "urls": urls, "shown": pager_numbers(number, len(urls))}})
            for number, (url, chunk) in enumerate(zip(urls, chunks), start=1)]


def pager_numbers(number: int, count: int) -> list[int | None]:
    """The page numbers a pager shows on page `number` of `count`: the first and the last, and
    those within PAGER_REACH of the current one; None stands for a gap of two or more pages (a
    gap of one shows its page: a number is as short as the ellipsis). All 50 numbers of a 10,000
    brief listing took seven lines on a phone, above and below the table."""
    near = range(max(1, number - PAGER_REACH), min(count, number + PAGER_REACH) + 1)
    shown: list[int | None] = []
    for page in sorted({1, count, *near}):
        if shown and page - shown[-1] == 2:
            shown.append(page - 1)
        elif shown and page - shown[-1] > 2:
            shown.append(None)
        shown.append(page)
    return shown


def most_recent(deals: Iterable[Deal], count: int) -> list[Deal]:
    """The `count` briefs last updated most recently, most recent first."""
    return heapq.nlargest(count, deals, key=attrgetter("update_order"))


def feed_page(url: str, title: str, html_url: str, deals: tuple[Deal, ...]) -> Page:
    entries = most_recent(deals, FEED_ENTRIES)
    return Page(url, "feed.xml", {"feed_title": title, "html_url": html_url, "entries": entries})


def party_page_set(archive: Archive, code: str) -> list[Page]:
    """A party's page, its feed, its CSV and, for long lists, its numbered listings."""
    party = archive.parties[code]
    exports, imports = archive.exports.get(code, ()), archive.imports.get(code, ())
    url, crumbs = party_url(party), [("Countries", "/countries/")]
    systems = sorted({deal.system for deal in exports + imports})
    pages = [Page(url, "party.html", {
        # Only what the page shows: the first PER_PAGE of each list, and the counts.
        "party": party, "exports": exports[:PER_PAGE], "imports": imports[:PER_PAGE], "crumbs": crumbs,
        "export_count": len(exports), "import_count": len(imports),
        "customers": partners(exports, "recipient"), "suppliers": partners(imports, "supplier"),
        "party_systems": [archive.systems[slug] for slug in systems],
        "exports_by_year": count_by_year(exports), "imports_by_year": count_by_year(imports),
        "main_partners": main_partners(archive, exports, imports),
        "feed_url": f"{url}feed.xml", "csv_url": f"{url}deals.csv",
    }, indexed=True)]
    both = sorted({deal.slug: deal for deal in exports + imports}.values(), key=deal_sort_key)
    pages.append(feed_page(f"{url}feed.xml", f"{party.name}: arms transfer briefs", url, tuple(both)))
    pages.append(Page(f"{url}deals.csv", "", {"deals": tuple(both)}, export="deals_csv"))
    for side, deals in (("exports", exports), ("imports", imports)):
        if len(deals) > PER_PAGE:
            title = f"{party.name} as {'supplier' if side == 'exports' else 'recipient'}"
            pages += paginate(f"{url}{side}/", deals, "deal_list.html", {"heading": title},
                              crumbs + [(party.name, url)])
    return pages


def similar_deals(deal: Deal, index: DealIndex) -> list[Deal]:
    """Briefs on the same pair of parties or the same system, the same pair first, nearest order date next.

    Runs for every brief, so candidates are ranked as plain tuples (year distance, slug), which
    compare in C, and the system's briefs are looked at only when the pair has too few."""
    year = deal.order_year or 0
    excluded = {deal.slug, *deal.related}
    pair = [d for d in index.by_pair[(deal.supplier, deal.recipient)] if d.slug not in excluded]
    ranked = sorted((abs((d.order_year or 0) - year), d.slug, d) for d in pair)[:SIMILAR_SHOWN]
    if len(ranked) < SIMILAR_SHOWN:
        excluded.update(d.slug for d in pair)
        ranked += nearest(index.by_system[deal.system], year, SIMILAR_SHOWN - len(ranked), excluded)
    return [d for _, _, d in ranked]


def nearest(entries: list[tuple[int, str, Deal]], year: int, count: int, excluded: set[str]) -> list[tuple[int, str, Deal]]:
    """The `count` briefs of `entries` ((year, slug, brief), sorted) nearest to `year`, then by slug,
    leaving out `excluded` slugs, as (distance, slug, brief). It walks outwards from `year`: ranking
    all of a system's briefs for each of them grew as the square of their number (a system with
    1,000 briefs: a million comparisons)."""
    below = bisect.bisect_left(entries, (year,)) - 1
    above = below + 1
    found: list[tuple[int, str, Deal]] = []
    while below >= 0 or above < len(entries):
        if above == len(entries) or (below >= 0 and year - entries[below][0] <= entries[above][0] - year):
            (other_year, slug, deal), below = entries[below], below - 1
        else:
            (other_year, slug, deal), above = entries[above], above + 1
        distance = abs(other_year - year)
        if len(found) >= count and distance > found[count - 1][0]:
            break  # found in order of distance: no brief further out can be nearer
        if slug not in excluded:
            found.append((distance, slug, deal))
    return sorted(found)[:count]  # the same distance: by slug


class _ByPair(dict):
    """Briefs by (supplier, recipient), in the archive's order, grouped one supplier at a time
    when first asked: a rebuild after one edit asks about a few pairs, not all of them."""

    def __init__(self, exports: dict[str, tuple[Deal, ...]]):
        super().__init__()
        self.exports, self.grouped = exports, set()

    def __missing__(self, pair: tuple[str, str]) -> list[Deal]:
        supplier = pair[0]
        if supplier not in self.grouped:
            self.grouped.add(supplier)
            for deal in self.exports.get(supplier, ()):
                self.setdefault((supplier, deal.recipient), []).append(deal)
        return self.setdefault(pair, [])


class _BySystem(dict):
    """A system's briefs as (order year, slug, brief), by year and slug (see `nearest`), made when first asked."""

    def __init__(self, deals_by_system: dict[str, tuple[Deal, ...]]):
        super().__init__()
        self.deals_by_system = deals_by_system

    def __missing__(self, system: str) -> list[tuple[int, str, Deal]]:
        found = self[system] = sorted((d.order_year or 0, d.slug, d) for d in self.deals_by_system.get(system, ()))
        return found


class DealIndex:
    """What a brief's page needs to know about the others: briefs by pair of parties and by
    system, and the briefs that name each as related."""

    def __init__(self, archive: Archive):
        self.backlinks: dict[str, list[Deal]] = defaultdict(list)
        for deal in archive.deals:
            for slug in deal.related:
                self.backlinks[slug].append(deal)
        self.by_pair = _ByPair(archive.exports)
        self.by_system = _BySystem(archive.deals_by_system)

    def neighbours(self, deal: Deal, changed: Collection[str]) -> set[str]:
        """Every brief whose page could show `deal`, or change when it changes, in an archive that
        differs from this one only in the `changed` briefs: those of its pair of parties, those
        it names as related or that name it, and those of its system among whose similar briefs
        it could rank (at 10,000 briefs a system may have a thousand, and few of them show it)."""
        return ({d.slug for d in self.by_pair[(deal.supplier, deal.recipient)]}
                | {slug for _, slug, other in self.by_system[deal.system] if self.could_suggest(other, deal, changed)}
                | {d.slug for d in self.backlinks[deal.slug]} | set(deal.related))

    def could_suggest(self, viewer: Deal, deal: Deal, changed: Collection[str]) -> bool:
        """Whether `deal`, of `viewer`'s system, could be among `viewer`'s similar briefs: whether it
        would rank among the nearest by year (see similar_deals) in the room `viewer`'s own pair of
        parties leaves, against the briefs that are not `changed`. Leaving out the changed briefs
        can only widen the room and the reach, never hide a brief that could show."""
        excluded = {viewer.slug, *viewer.related, *changed}
        pair = [d.slug for d in self.by_pair[(viewer.supplier, viewer.recipient)] if d.slug not in excluded]
        room = SIMILAR_SHOWN - len(pair)
        if room <= 0:
            return False
        year = viewer.order_year or 0
        rivals = nearest(self.by_system[viewer.system], year, room, excluded.union(pair))
        return len(rivals) < room or (abs((deal.order_year or 0) - year), deal.slug) < rivals[-1][:2]


def deal_page_set(archive: Archive, index: DealIndex, deal: Deal) -> list[Page]:
    """A brief's page and its BibTeX and RIS files."""
    related = [archive.deal_by_slug[slug] for slug in deal.related]
    related += [other for other in index.backlinks[deal.slug] if other.slug not in deal.related]
    backlinked = {other.slug for other in index.backlinks[deal.slug]}
    similar = similar_deals(deal, index)
    url = deal_url(deal)
    return [
        Page(url, "deal.html", {
            "deal": deal, "system": archive.systems[deal.system], "crumbs": [("Briefs", "/deals/")],
            "related_deals": related, "similar_deals": [d for d in similar if d.slug not in backlinked],
            "cite_bib": f"{url}cite.bib", "cite_ris": f"{url}cite.ris",
        }, indexed=True),
        Page(f"{url}cite.bib", "", {"deal": deal}, export="bibtex"),
        Page(f"{url}cite.ris", "", {"deal": deal}, export="ris"),
    ]


def system_page_set(archive: Archive, slug: str) -> list[Page]:
    """A system's page, its feed and, for long lists, its numbered listings."""
    system = archive.systems[slug]
    deals, url = archive.deals_by_system.get(slug, ()), system_url(system)
    crumbs = [("Systems", "/systems/")]
    pages = [Page(url, "system.html", {
        "system": system, "system_deals": deals[:PER_PAGE], "deal_count": len(deals), "crumbs": crumbs,
        "delivered_by_year": delivered_by_year(deals),
        "recipients_named": [(archive.parties[code].name, n) for code, n in partners(deals, "recipient")],
        "feed_url": f"{url}feed.xml",
    }, indexed=True)]
    pages.append(feed_page(f"{url}feed.xml", f"{system.name}: arms transfer briefs", url, deals))
    if len(deals) > PER_PAGE:
        pages += paginate(f"{url}deals/", deals, "deal_list.html", {"heading": f"Transfers of {system.name}"},
                          crumbs + [(system.name, url)])
    return pages


def listing_pages(archive: Archive) -> list[Page]:
    by_category = {category: [(s, len(archive.deals_by_system.get(s.slug, ()))) for s in archive.systems.values()
                              if s.category == category] for category in archive.categories}
    party_rows = sorted(((p, len(archive.exports.get(c, ())), len(archive.imports.get(c, ())))
                         for c, p in archive.parties.items()), key=lambda row: (row[0].name, row[0].code))
    latest = most_recent(archive.deals, max(LATEST_ON_HOME, FEED_ENTRIES))
    years = sorted(archive.deals_by_year, reverse=True)
    chart = year_span({year: len(deals) for year, deals in archive.deals_by_year.items()})
    whole = {"deals": archive.deals}  # one context for the three exports: keyed once (keys.page_key)
    pages = [
        Page("/", "home.html", {"latest": latest[:LATEST_ON_HOME], "years": years, "crumbs": [],
                                "deal_count": len(archive.deals), "deals_by_year_chart": chart}),
        Page("/countries/", "countries.html", {"party_rows": party_rows, "crumbs": []}),
        Page("/systems/", "systems.html", {"by_category": by_category, "crumbs": []}),
        Page("/years/", "years.html", {"year_counts": [(y, len(archive.deals_by_year[y])) for y in years], "crumbs": [],
                                       "undated": [d for d in archive.deals if d.order_year is None]}),
        Page("/search/", "search.html", {"crumbs": []}),
        Page("/about/", "about.html", {"crumbs": []}),
        Page("/data/", "data.html", {"crumbs": []}),
        Page("/404.html", "404.html", {"crumbs": []}),
        Page("/feed.xml", "feed.xml", {"feed_title": archive.site.title, "html_url": "/",
                                       "entries": latest[:FEED_ENTRIES]}),
        Page("/robots.txt", "robots.txt", {}),
        Page("/data/deals.json", "", whole, export="deals_json"),
        Page("/data/deals.schema.json", "", {}, export="schema"),
        Page("/data/deals.csv", "", whole, export="deals_csv"),
        Page("/data/deliveries.csv", "", whole, export="deliveries_csv"),
    ]
    pages += paginate("/deals/", archive.deals, "deal_list.html", {"heading": "All briefs"}, [])
    for year, deals in archive.deals_by_year.items():
        pages += paginate(year_url(year), deals, "deal_list.html", {"heading": f"Briefs on orders placed in {year}"},
                          [("Years", "/years/")])
    return pages


class StandIn(NamedTuple):
    """A page of the last build that no change since has touched, as the build cache recorded it:
    where it goes, whether it is indexed, and its key, but not its context. Its file is kept from
    the last build; were it to need rendering, the build plans again in full (build.py).

    It is also its own output (build.Output: the path and key, and itself as the page): a
    command-line rebuild keeps 31,000 of them, and making an Output of each took 0.05-0.07 s."""

    url: str
    path: str
    indexed: bool
    key: str

    @property
    def page(self) -> StandIn:
        return self


@dataclass(frozen=True)
class LastPlan:
    """The last build's plan as the build cache recorded it, for a planner without one of its own
    (a command-line build): every page set as stand-ins, what their keys were computed from
    (Renderer.key_basis), and each brief changed since, with its versions before and after."""

    key_basis: str
    sets: dict[tuple[str, str], list[StandIn]]
    changed: dict[str, list[Deal]]
    records: dict[tuple[str, str], str]  # each set as recorded, to be recorded again as it is while kept


class Planner:
    """Plans every page of the site. Asked again after a change (as `archive serve` does), it
    plans afresh only the pages of the briefs, parties and systems the change could touch, and
    keeps the others, which are then exactly as a fresh plan would make them (tested). Given the
    last build's plan from the cache instead, it does the same with stand-ins for the pages kept.

    A brief or system counts as unchanged only if the archive holds the very object it held
    last time, as the build cache gives back for a file it did not read again; so every page
    kept refers only to objects of the current archive."""

    def __init__(self) -> None:
        self.archive: Archive | None = None
        self.index: DealIndex | None = None
        self.sets: dict[tuple[str, str], list[Page | StandIn]] = {}  # ("deal" | "party" | "system", name) -> its pages
        self.records: dict[tuple[str, str], str] = {}  # the record of each set, once made or read (see record)
        # The output the build made of each page, with its cache key (by the page's id; the output
        # holds the page, so a new page that happens to get a dead one's id is never mistaken for
        # it), and what those keys were computed from (Renderer.key_basis).
        self.outputs: dict[int, Output] = {}
        self.key_basis = ""
        self.listings: dict[str, Page] = {}  # the pages of the whole archive (home, lists, sitemap), by URL
        self.planned = 0  # how many page sets (a brief's, a party's, a system's) the last plan made afresh

    def plan(self, archive: Archive, key_basis: str = "", last: LastPlan | None = None) -> list[Page | StandIn]:
        """Every page of the site, in URL order; raise BuildError if two would write one file.
        `key_basis` is what the pages will be keyed from: stand-ins are kept only for the same."""
        index = DealIndex(archive)
        rekeyed = key_basis != self.key_basis
        if rekeyed:  # keys hold only for the basis they were made with
            self.outputs = {}
        if self.archive is not None and same_frame(self.archive, archive):
            todo = touched(changed_between(self.archive, archive), index)
            if rekeyed:
                todo |= {name for name, pages in self.sets.items() if type(pages[0]) is StandIn}
        elif self.archive is None and last is not None and last.key_basis == key_basis:
            self.sets, self.records = dict(last.sets), dict(last.records)
            todo = touched(last.changed, index) | (set_names(archive) ^ self.sets.keys())
        else:
            self.sets, self.records, todo = {}, {}, set_names(archive)
        self.planned, self.key_basis = len(todo), key_basis
        for kind, name in todo:
            self.sets.pop((kind, name), None)
            self.records.pop((kind, name), None)
            if kind == "deal" and name in archive.deal_by_slug:
                self.sets[(kind, name)] = deal_page_set(archive, index, archive.deal_by_slug[name])
            elif kind == "party" and name in archive.parties:
                self.sets[(kind, name)] = party_page_set(archive, name)
            elif kind == "system" and name in archive.systems:
                self.sets[(kind, name)] = system_page_set(archive, name)
        self.archive, self.index = archive, index
        pages = [self._kept(page) for page in listing_pages(archive)]
        for kind, names in (("deal", [d.slug for d in archive.deals]), ("party", archive.parties), ("system", archive.systems)):
            for name in names:
                pages += self.sets[(kind, name)]
        check_paths(pages)
        pages.append(self._kept(sitemap_page(pages, archive)))
        return sorted(pages, key=attrgetter("url"))

    def forget(self) -> None:
        """Plan the next time in full, as a new planner would without the cache's plan."""
        self.archive, self.sets, self.records, self.outputs = None, {}, {}, {}

    def record(self) -> dict[str, str]:
        """Each page set as the build cache records it for the next build, by "kind:name": a line
        per page, its URL after 1 if it is indexed, 0 if not (read back by `recorded_sets`). A set
        is formatted once, when first recorded, and its record kept until it is planned again (a
        set of stand-ins comes with the record it was read from): serve's rebuilds formatted all
        31,000 lines each time, 30-50 ms at 10,000 briefs."""
        records = self.records
        for name, pages in self.sets.items():
            if name not in records:
                records[name] = "\n".join(f"{page.indexed:d}{page.url}" for page in pages)
        return {f"{kind}:{name}": records[(kind, name)] for kind, name in self.sets}

    def _kept(self, page: Page) -> Page:
        """A page listing the whole archive is made afresh on every plan; where it holds the very
        objects last time's did, last time's is kept instead, and with it the key the build gave it."""
        last = self.listings.get(page.url)
        if last is not None and (last.template, last.export, last.indexed) == (page.template, page.export, page.indexed) \
                and identical(last.context, page.context):
            page = last
        self.listings[page.url] = page
        return page


def identical(a, b) -> bool:
    """Whether two page contexts hold the very same objects: containers alike, scalars equal, and
    every other object (a brief, a party, a system) the same one."""
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is str or kind is int or kind is float or kind is bool:
        return a == b
    if kind is list or kind is tuple:  # most often a listing of the very same briefs: compared in C first
        return len(a) == len(b) and (all(map(is_, a, b)) or all(identical(x, y) for x, y in zip(a, b)))
    if kind is dict:
        return a.keys() == b.keys() and all(identical(value, b[key]) for key, value in a.items())
    return False


def recorded_sets(records: dict[tuple[str, str], str], keys: dict) -> dict[tuple[str, str], list[StandIn]] | None:
    """The page sets of a plan's record (Planner.record), by (kind, name), as stand-ins keyed as
    the files in `keys` (the last build's entries, by file); None if a file has no entry there."""
    try:
        return {name: [StandIn(line[1:], path := output_path(line[1:]), line[0] == "1", keys[path].key)
                       for line in text.split("\n")] for name, text in records.items()}
    except KeyError:
        return None


def same_frame(last: Archive, now: Archive) -> bool:
    """Whether two archives differ at most in their briefs: the same site settings, parties,
    categories and system objects."""
    return ((last.site, last.parties, last.categories) == (now.site, now.parties, now.categories)
            and last.systems.keys() == now.systems.keys()
            and all(last.systems[slug] is system for slug, system in now.systems.items()))


def set_names(archive: Archive) -> set[tuple[str, str]]:
    """Every page set of the archive: a brief's, a party's, a system's."""
    return ({("deal", slug) for slug in archive.deal_by_slug} | {("party", code) for code in archive.parties}
            | {("system", slug) for slug in archive.systems})


def changed_between(last: Archive, now: Archive) -> dict[str, list[Deal]]:
    """Each brief that is not the very same object in both archives, with its versions in each."""
    return {slug: [deal for deal in (last.deal_by_slug.get(slug), now.deal_by_slug.get(slug)) if deal is not None]
            for slug in last.deal_by_slug.keys() | now.deal_by_slug.keys()
            if last.deal_by_slug.get(slug) is not now.deal_by_slug.get(slug)}


def touched(changed: dict[str, list[Deal]], index: DealIndex) -> set[tuple[str, str]]:
    """The briefs, parties and systems whose pages may differ between two archives that differ
    only in the `changed` briefs (each with its versions, before and after): each changed brief,
    its parties and system, and every brief whose page could show it, before or after.

    `index` is of the archive after; asked about a brief's version before, it can differ from the
    archive before only in changed briefs, which are all included anyway."""
    todo = {("deal", slug) for slug in changed}
    for versions in changed.values():
        for deal in versions:
            todo |= {("party", deal.supplier), ("party", deal.recipient), ("system", deal.system)}
            todo |= {("deal", other) for other in index.neighbours(deal, changed)}
    return todo


def plan_pages(archive: Archive) -> list[Page]:
    """Every page of the site, in URL order; raise BuildError if two would write one file."""
    return Planner().plan(archive)


def check_paths(pages: list[Page]) -> None:
    """Raise BuildError if two pages would write one file."""
    lowered = [page.path.lower() for page in pages]
    if len(set(lowered)) == len(lowered):  # the usual case, told apart in C: a third faster at 31,000
        return
    seen: dict[str, Page] = {}
    for page in pages:
        path = page.path.lower()
        if path in seen:
            raise BuildError(f"two pages would be written to {page.path}: {seen[path].url} and {page.url}")
        seen[path] = page


def sitemap_page(pages: list[Page], archive: Archive) -> Page:
    html_pages = [page.url for page in pages if page.path.endswith(".html") and page.url != "/404.html"]
    # The dates as strings, not the briefs: an edit that leaves a brief's date alone leaves the
    # sitemap's key alone, and the 10,000-line file is not rendered again.
    return Page("/sitemap.xml", "", {"urls": sorted(html_pages), "lastmod": {
        deal_url(deal): deal.last_updated_iso for deal in archive.deals}}, export="sitemap")


@dataclass(frozen=True)
class SystemName:
    """What any page may show of any system: its name and category, and where its page is."""

    slug: str
    name: str
    category: str


def site_context(archive: Archive) -> dict:
    """What every template may read besides its page's own context: the site settings and the
    names of every party and system. Kept this small on purpose: a page's output depends only on
    these and its context, which is what lets the build cache pages safely."""
    return {
        "site": archive.site, "parties": archive.parties,
        "systems": {slug: SystemName(slug, s.name, s.category) for slug, s in archive.systems.items()},
        "status_labels": STATUS_LABELS, "category_labels": CATEGORY_LABELS,
    }
