"""pages.py — stage 4: which pages exist, at which URL, with which template and context.

The single owner of URLs: every other module and every template asks here. Each page's context
is assembled in one place, in one order (site-wide values < the page's own objects), so
templates only read what they are given and never go looking for data.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from generator.archive import Archive
from generator.errors import BuildError
from generator.model import Deal, Party, System

LATEST_ON_HOME = 10
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
    return path if "." in path.rsplit("/", 1)[-1] else f"{path.rstrip('/')}/index.html".lstrip("/")


URL_FUNCTIONS = {"deal_url": deal_url, "party_url": party_url, "system_url": system_url, "year_url": year_url}


@dataclass(frozen=True)
class Page:
    url: str
    template: str
    context: dict = field(default_factory=dict)
    indexed: bool = False  # whether Pagefind indexes it for search

    @property
    def path(self) -> str:
        return output_path(self.url)


def partners(deals: tuple[Deal, ...], side: str) -> list[tuple[str, int]]:
    """The parties on the other `side` of these deals, most deals first, then by code."""
    counts = Counter(getattr(deal, side) for deal in deals)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def party_pages(archive: Archive) -> list[Page]:
    pages = []
    for code, party in archive.parties.items():
        exports, imports = archive.exports.get(code, ()), archive.imports.get(code, ())
        systems = sorted({deal.system for deal in exports + imports})
        pages.append(Page(party_url(party), "party.html", {
            "party": party, "exports": exports, "imports": imports,
            "customers": partners(exports, "recipient"), "suppliers": partners(imports, "supplier"),
            "party_systems": [archive.systems[slug] for slug in systems],
        }, indexed=True))
    return pages


def deal_pages(archive: Archive) -> list[Page]:
    backlinks: dict[str, list[Deal]] = defaultdict(list)
    for deal in archive.deals:
        for slug in deal.related:
            backlinks[slug].append(deal)
    pages = []
    for deal in archive.deals:
        related = [archive.deal_by_slug[slug] for slug in deal.related]
        related += [other for other in backlinks[deal.slug] if other.slug not in deal.related]
        pages.append(Page(deal_url(deal), "deal.html", {
            "deal": deal, "system": archive.systems[deal.system],
            "source_numbers": {source.id: number for number, source in enumerate(deal.sources, 1)},
            "related_deals": related,
            # Shown in date order whatever order the editor wrote; equal dates keep theirs.
            "timeline": sorted(deal.timeline, key=lambda event: event.date.sort_key()),
        }, indexed=True))
    return pages


def system_pages(archive: Archive) -> list[Page]:
    return [Page(system_url(system), "system.html", {
        "system": system, "system_deals": archive.deals_by_system.get(slug, ()),
        "source_numbers": {source.id: number for number, source in enumerate(system.sources, 1)},
    }, indexed=True) for slug, system in archive.systems.items()]


def listing_pages(archive: Archive) -> list[Page]:
    by_category = {category: [s for s in archive.systems.values() if s.category == category]
                   for category in archive.categories}
    latest = sorted(archive.deals, key=lambda d: (d.last_updated.sort_key(), d.slug), reverse=True)
    years = sorted(archive.deals_by_year, reverse=True)
    pages = [
        Page("/", "home.html", {"latest": latest[:LATEST_ON_HOME], "years": years}),
        Page("/deals/", "deals.html", {"listed": archive.deals}),
        Page("/countries/", "countries.html", {}),
        Page("/systems/", "systems.html", {"by_category": by_category}),
        Page("/years/", "years.html", {"years": years,
                                       "undated": [d for d in archive.deals if d.order_year is None]}),
        Page("/search/", "search.html", {}),
        Page("/about/", "about.html", {}),
        Page("/404.html", "404.html", {}),
    ]
    pages += [Page(year_url(year), "year.html", {"year": year, "listed": deals})
              for year, deals in archive.deals_by_year.items()]
    return pages


def plan_pages(archive: Archive) -> list[Page]:
    """Every page of the site, in URL order; raise BuildError if two would write one file."""
    pages = listing_pages(archive) + deal_pages(archive) + party_pages(archive) + system_pages(archive)
    seen: dict[str, Page] = {}
    for page in pages:
        if page.path.lower() in seen:
            raise BuildError(f"two pages would be written to {page.path}: {seen[page.path.lower()].url} and {page.url}")
        seen[page.path.lower()] = page
    return sorted(pages, key=lambda page: page.url)


def site_context(archive: Archive) -> dict:
    """What every template may read: the site settings and the archive's lookup tables."""
    return {
        "site": archive.site, "parties": archive.parties, "systems": archive.systems,
        "deals": archive.deals, "exports": archive.exports, "imports": archive.imports,
        "deals_by_system": archive.deals_by_system, "deals_by_year": archive.deals_by_year,
        "status_labels": STATUS_LABELS, "category_labels": CATEGORY_LABELS,
    }
