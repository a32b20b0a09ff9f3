"""scaffold.py — `archive new`: a new brief or system file with every required field.

Values the editor gives (parties, system, title) are checked as they are given, with close
matches suggested; everything else is written as a `TODO: …` placeholder that `check` rejects
until it is replaced, so a half-written brief can never be published by accident.
"""

from __future__ import annotations

import datetime
import difflib
from dataclasses import dataclass
from pathlib import Path

import pycountry
import yaml

from generator.archive import iso_name, slugify
from generator.loader import DEAL_SLUG, PARTY_CODE
from generator.validate import CATEGORIES, STATUSES


class Invalid(ValueError):
    """A value given to `archive new` that cannot be used; the message says why and suggests."""


@dataclass(frozen=True)
class Known:
    """The parties and systems a new brief may name: ISO codes, countries/ files, systems/ files."""

    parties: dict[str, str]  # code -> readable name
    systems: dict[str, str]  # slug -> name

    @classmethod
    def read(cls, content_dir: Path) -> Known:
        parties = {country.alpha_3: iso_name(country.alpha_3) for country in pycountry.countries}
        for file in sorted((content_dir / "countries").glob("*.yaml")):
            parties[file.stem] = _name_in(file) or parties.get(file.stem) or file.stem
        systems = {file.stem: _name_in(file) or file.stem for file in sorted((content_dir / "systems").glob("*.yaml"))}
        return cls(parties, systems)


def _name_in(file: Path) -> str | None:
    try:
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None  # a broken file is `check`'s to report; here it only lacks a name
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def _suggest(given: str, names: dict[str, str], by_key: bool) -> str:
    """'; did you mean RUS (Russia)?' from close keys (codes, slugs) or close names, or nothing."""
    by_name = {name.lower(): key for key, name in names.items()}
    close = difflib.get_close_matches(given, list(names), n=3, cutoff=0.6) if by_key else []
    close += [by_name[n] for n in difflib.get_close_matches(given.lower(), list(by_name), n=3, cutoff=0.7)]
    close = list(dict.fromkeys(close))[:3]
    return "; did you mean " + " or ".join(f"{key} ({names[key]})" for key in close) + "?" if close else ""


def party_code(given: str, known: Known) -> str:
    """A party code from a code or a name ('rus', 'Russia' -> 'RUS'); Invalid if there is none."""
    text = given.strip()
    if text.upper() in known.parties:
        return text.upper()
    for code, name in known.parties.items():
        if name.lower() == text.lower():
            return code
    looks_like_code = bool(PARTY_CODE.fullmatch(text.upper()))
    hint = _suggest(text.upper() if looks_like_code else text, known.parties, by_key=looks_like_code)
    raise Invalid(f'no party "{text}"' + (hint or " (expected an ISO 3166 alpha-3 code such as RUS, or a country's "
                                                 "name; a party without an ISO code needs a file in content/countries/)"))


def system_slug(given: str, known: Known) -> str:
    """A system's slug from its slug or name; Invalid (with close matches) if there is none."""
    text = given.strip()
    if text in known.systems:
        return text
    for slug, name in known.systems.items():
        if name.lower() == text.lower() or slug == slugify(text):
            return slug
    hint = _suggest(text, known.systems, by_key=True)
    raise Invalid(f'no system "{text}" in content/systems/{hint}; to add one: archive new system')


def category(given: str) -> str:
    text = given.strip().lower()
    if text in CATEGORIES:
        return text
    close = difflib.get_close_matches(text, CATEGORIES, n=1, cutoff=0.5)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    raise Invalid(f'no category "{given}": expected one of {", ".join(CATEGORIES)}{hint}')


def title(given: str) -> str:
    text = " ".join(given.split())
    if not text:
        raise Invalid("a title is needed")
    return text


def new_file(folder: Path, slug: str, suffix: str) -> Path:
    """Where a new file goes; Invalid if the slug is malformed or the file exists."""
    if not DEAL_SLUG.fullmatch(slug):
        raise Invalid(f'"{slug}" is not a slug: lowercase letters, digits and single hyphens')
    path = folder / f"{slug}{suffix}"
    if path.exists():
        raise Invalid(f"{path} already exists; give `archive new` another file name (SLUG)")
    return path


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def deal_text(title_: str, supplier: str, recipient: str, system: str, today: datetime.date) -> str:
    """A brief with every required field; TODO placeholders where only the editor can know."""
    return f"""---
# Written by `archive new deal`. Replace every TODO with what a source says, cite that source,
# then run `archive check`: it names every TODO left. Optional fields are commented out; see
# docs/content-format.md for all of them.
title: {_quoted(title_)}
summary: "TODO: one or two sentences: who transfers what to whom, and where it stands"
supplier: {supplier}
recipient: {recipient}
system: {system}
status: "TODO: one of {', '.join(STATUSES)}"
# status_as_of: 2007-01
# ordered:
#   quantity: 29
#   date: 2005-12
#   sources: [first-source]
# deliveries:
#   - quantity: 29
#     date: 2007
#     sources: [first-source]
# value:
#   amount: 700000000
#   currency: USD
#   sources: [first-source]
# quotes:
#   - text: "…"
#     speaker: "…"
#     role: "…"
#     date: 2007-01-16
#     sources: [first-source]
sources:
  - id: first-source
    title: "TODO: the headline or document title, as published"
    publisher: "TODO: who published it"
    url: "TODO: https://…"
    # published: 2007-01-16
published: {today.isoformat()}
---
TODO: the context, in Markdown. Every fact above needs a source; where a source is vague
("Russian media reported"), say so.
"""


def system_text(name: str, category_: str) -> str:
    return f"""# Written by `archive new system`. Replace every TODO, then run `archive check`.
name: {_quoted(name)}
category: {category_}
# aliases: ["…"]
# origin: RUS
# manufacturer: "…"
description: "TODO: one paragraph on what the system is, from the sources below"
# specs:
#   - label: Range
#     value: 12 km
#     sources: [first-source]
sources:
  - id: first-source
    title: "TODO: the headline or document title, as published"
    url: "TODO: https://…"
"""
