"""model.py — the archive's domain objects, as immutable dataclasses named as in the content format.

Nothing here reads files or renders HTML. A value that is not known is None (never 0), and a
fact's `alternatives` stay beside its principal value: sources that disagree are never merged.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import cached_property
from typing import Any, Callable

from markupsafe import Markup

from generator.dates import PartialDate


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    kind: str | None = None
    publisher: str | None = None
    via: str | None = None
    published: PartialDate | None = None
    page_updated: PartialDate | None = None
    url: str | None = None
    archived_url: str | None = None
    accessed: PartialDate | None = None
    language: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Fact:
    """A sourced value: an order, a delivery, a contract value or a specification."""

    sources: tuple[str, ...] = ()
    quantity: int | None = None
    date: PartialDate | None = None
    amount: int | float | None = None
    currency: str | None = None
    scope: str | None = None
    label: str | None = None
    value: str | None = None
    estimate: bool = False
    note: str | None = None
    alternatives: tuple[Fact, ...] = ()

    @property
    def reports(self) -> tuple[Fact, ...]:
        """Every reported value, the principal one first; kept side by side, never merged."""
        return (self, *self.alternatives)


@dataclass(frozen=True)
class Event:
    date: PartialDate
    event: str
    sources: tuple[str, ...]


def numbered(sources: tuple[Source, ...]) -> dict[str, int]:
    """Each source's number in its brief's (or system's) list: the [1] of a source mark."""
    return {source.id: number for number, source in enumerate(sources, 1)}


def dated(cls: type) -> Callable[..., Any]:
    """A builder for `cls` where `circa: true`, written beside `date`, marks that date an estimate."""

    def build(circa: bool = False, **values: Any) -> Any:
        made = cls(**values)
        if circa and made.date is not None:
            made = replace(made, date=replace(made.date, circa=True))
        return made

    return build


@dataclass(frozen=True)
class Quote:
    text: str
    speaker: str
    sources: tuple[str, ...]
    role: str | None = None
    date: PartialDate | None = None
    context: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Correction:
    date: PartialDate
    text: str


@dataclass(frozen=True)
class Deal:
    slug: str
    path: str
    title: str
    summary: str
    supplier: str
    recipient: str
    system: str
    status: str
    sources: tuple[Source, ...]
    published: PartialDate
    body: str = ""
    body_html: Markup = Markup("")  # the body rendered and sanitised (prose.py), cached with the file
    status_as_of: PartialDate | None = None
    ordered: Fact | None = None
    deliveries: tuple[Fact, ...] = ()
    value: Fact | None = None
    condition: str | None = None
    deal_type: str | None = None
    sipri_id: int | None = None
    timeline: tuple[Event, ...] = ()
    quotes: tuple[Quote, ...] = ()
    tags: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    updated: PartialDate | None = None
    corrections: tuple[Correction, ...] = ()

    @cached_property  # asked for tens of thousands of times per build; kept by serve's cache
    def order_year(self) -> int | None:
        return self.ordered.date.year if self.ordered and self.ordered.date else None

    @cached_property  # the archive's order, asked for on every build; kept by serve's cache
    def sort_key(self) -> tuple:
        """Newest order first; briefs with no known order date last; slug breaks ties."""
        order = self.ordered.date if self.ordered and self.ordered.date else None
        return (order is None, tuple(-n for n in order.sort_key()) if order else (), self.slug)

    @property
    def delivered(self) -> int | None:
        """Units delivered by the principal reports, or None when no delivery is recorded."""
        known = [d.quantity for d in self.deliveries if d.quantity is not None]
        return sum(known) if known else None

    @property
    def last_updated(self) -> PartialDate:
        return self.updated or self.published

    @cached_property  # the order of the feeds and the home page's latest briefs: most recent first
    def update_order(self) -> tuple:
        return (self.last_updated.sort_key(), self.slug)

    @cached_property  # the sitemap's date for every brief, asked for on every build
    def last_updated_iso(self) -> str:
        return self.last_updated.iso()

    @property
    def events_in_order(self) -> list[Event]:
        """The timeline in date order, whatever order the editor wrote; equal dates keep theirs."""
        return sorted(self.timeline, key=lambda event: event.date.sort_key())

    @property
    def source_numbers(self) -> dict[str, int]:
        return numbered(self.sources)


class StoredDeal(Deal):
    """A brief the build cache holds unchanged, not yet unpickled (cache.py). It has up front the
    values every plan asks of every brief (UP_FRONT), as plain attributes; asked for any other
    field, it loads the whole brief and becomes an ordinary Deal, the very object in place. So a
    rebuild after one edit unpickles the few briefs on the pages it renders, not all 10,000."""

    @classmethod
    def of(cls, up_front: dict[str, Any], load: Callable[[], Deal]) -> "StoredDeal":
        deal = object.__new__(cls)
        deal.__dict__.update(up_front, _load=load)
        return deal

    def _become_whole(self) -> None:
        values = self.__dict__
        load = values.pop("_load")
        values.clear()
        values.update(load().__dict__)
        object.__setattr__(self, "__class__", Deal)


# What a StoredDeal has up front: what planning asks of every brief (pages.py, archive.py).
UP_FRONT = ("slug", "path", "supplier", "recipient", "system", "related", "order_year", "sort_key",
            "update_order", "last_updated_iso")


def _loading(name: str) -> property:
    # A property of the class outranks the instance's own values, and the class defaults of
    # Deal's fields: asking for any field not up front loads the brief first.
    def get(deal: StoredDeal) -> Any:
        deal._become_whole()
        return getattr(deal, name)
    return property(get)


for _field in fields(Deal):
    if _field.name not in UP_FRONT:
        setattr(StoredDeal, _field.name, _loading(_field.name))
del _field


@dataclass(frozen=True)
class System:
    slug: str
    path: str
    name: str
    category: str
    aliases: tuple[str, ...] = ()
    origin: str | None = None
    manufacturer: str | None = None
    description: str = ""
    specs: tuple[Fact, ...] = ()
    sources: tuple[Source, ...] = ()

    @property
    def source_numbers(self) -> dict[str, int]:
        return numbered(self.sources)


@dataclass(frozen=True)
class Party:
    """A country, organisation or non-state group, with its readable name and page slug."""

    code: str
    name: str
    kind: str = "state"
    slug: str = ""
    note: str | None = None


@dataclass(frozen=True)
class Site:
    title: str
    description: str
    base_url: str
    language: str = "en"
