"""render.py — stage 5: pages → {output path: bytes}, through Jinja2 and Markdown.

Autoescape and StrictUndefined everywhere: a template that names a missing value fails the
build instead of printing nothing. Markdown is rendered with raw HTML switched off, then
sanitised with nh3 as a second layer (prose.py); a brief's context arrives already rendered,
with its checked file. Static assets are copied byte for byte.
"""

from __future__ import annotations

import json
import marshal
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Collection, Sequence

import jinja2
from markupsafe import Markup, escape

from generator.charts import bar_chart, column_chart
from generator.dates import PartialDate
from generator.errors import BuildError
from generator.exports import EXPORTS, LAYOUTS, Fragments, LastExport, Layout, Share
from generator.keys import USES, digest_of, template_digests, with_used
from generator.pages import URL_FUNCTIONS, Page, party_url
from generator.prose import to_html

if TYPE_CHECKING:
    from generator.cache import StoredCalls
    from generator.model import Deal

SCALE = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def format_date(value: PartialDate | None) -> str:
    return value.display() if value else "not known"


def format_number(value: int | float | None) -> str:
    return "not known" if value is None else f"{value:,}"


def format_money(amount: int | float | None, currency: str | None) -> str:
    """'USD 700 million', 'USD 1.4 billion', 'EUR 25,000': exact, readable, currency first."""
    if amount is None:
        return "not known"
    for size, word in SCALE:
        if amount >= size and (amount / size * 1000).is_integer():
            return f"{currency} {amount / size:,.3f}".rstrip("0").rstrip(".") + f" {word}"
    return f"{currency} {amount:,}"


def atom_date(value: PartialDate | None) -> str:
    """An Atom timestamp: Atom requires a full date-time, so a year or month gives its first day."""
    if value is None:
        return "1970-01-01T00:00:00Z"
    return f"{value.year:04d}-{value.month or 1:02d}-{value.day or 1:02d}T00:00:00Z"


def json_ld(data: dict) -> Markup:
    """JSON for a <script type="application/ld+json"> block, safe against closing the element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def source_marks(ids: tuple[str, ...], numbers: dict[str, int]) -> Markup:
    """[1][2]: links to the sources of a fact. A function, not a macro: briefs call it hundreds of times."""
    links = "".join(f'<a href="#source-{escape(i)}" aria-label="source {numbers[i]}">[{numbers[i]}]</a>' for i in ids)
    return Markup(f'<sup class="marks">{links}</sup>')


def party_linker(parties: dict) -> callable:
    def party_link(code: str) -> Markup:
        party = parties[code]
        return Markup(f'<a href="{escape(party_url(party))}">{escape(party.name)}</a>')
    return party_link


class CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled by an earlier build, of this process (serve) or kept in the build cache,
    by name and source: Jinja checks each template's source against the checksum it was compiled
    from. The cache keeps them marshalled; it is made by one Python version (cache.py)."""

    def __init__(self) -> None:
        self.compiled: dict[str, tuple[str, object]] = {}

    def load_bytecode(self, bucket) -> None:
        found = self.compiled.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = (bucket.checksum, bucket.code)

    def add_marshalled(self, stored: dict[str, tuple[str, bytes]]) -> None:
        """Take in templates compiled by an earlier build, where this process has none newer, and
        the templates each uses (keys.USES)."""
        for key, (checksum, code) in stored.items():
            try:
                if key.startswith(USES_KEY):
                    uses = marshal.loads(code)
                    if type(uses) is tuple and all(type(name) is str for name in uses):
                        USES.setdefault(key[len(USES_KEY):], (checksum, uses))
                elif key not in self.compiled:
                    self.compiled[key] = (checksum, marshal.loads(code))
            except (ValueError, EOFError, TypeError):  # damaged: compiled or parsed again
                pass

    def marshalled(self, env: jinja2.Environment) -> dict[str, tuple[str, bytes]]:
        """What the build cache keeps of `env`'s templates: each compiled, and the templates each
        uses. Not those of templates since removed, or of other folders this process built from."""
        files = {name: env.loader.get_source(env, name)[1] for name in env.list_templates()}
        keys = {self.get_cache_key(name, filename) for name, filename in files.items()}
        kept = {key: (checksum, marshal.dumps(code)) for key, (checksum, code) in self.compiled.items() if key in keys}
        kept |= {USES_KEY + name: (checksum, marshal.dumps(uses)) for name, (checksum, uses) in USES.items() if name in files}
        return kept


USES_KEY = "uses:"  # Jinja's own keys are hex digests


COMPILED = CompiledTemplates()


class MacroCalls:
    """Macro calls rendered once and kept, as Hugo's partialCached keeps partials: a row of a deal
    table is the same on each of the up to five listing pages of its brief, and across serve's
    rebuilds. A call is known by its macro and its arguments: strings, numbers, booleans and None
    by value, anything else by identity (an unchanged brief is the very same object in a later
    build of the same process), for one basis: the digests of the site-wide names and of the
    templates. Each kept call holds its arguments, so no other object can take their ids while it
    is kept. The build cache keeps them for later processes too, by the digests of their briefs'
    files (Renderer._call_name)."""

    def __init__(self) -> None:
        self._basis = ""
        self._calls: dict[tuple, tuple[tuple, Markup]] = {}
        self._by_argument: dict[int, list[tuple]] = {}  # id of an argument kept by identity -> its calls

    def for_basis(self, basis: str, current: Collection[int] = ()) -> dict[tuple, tuple[tuple, Markup]]:
        """The calls kept for this basis, but those of an argument that is not `current` (by id): an
        edited brief's last version, which its rows would otherwise keep in memory for as long as
        the process runs. Those of another basis are forgotten."""
        if basis != self._basis:
            self._basis, self._calls, self._by_argument = basis, {}, {}
        for gone in self._by_argument.keys() - current:
            for key in self._by_argument.pop(gone):
                self._calls.pop(key, None)
        return self._calls

    def keep(self, key: tuple, args: tuple, html: Markup) -> tuple[tuple, Markup]:
        """Keep a call rendered (`key` as Renderer.cached makes it) with its arguments."""
        self._calls[key] = kept = (args, html)
        for arg in args:
            if arg.__class__ not in BY_VALUE:
                self._by_argument.setdefault(id(arg), []).append(key)
        return kept


MACRO_CALLS = MacroCalls()
BY_VALUE = {str, int, float, bool, type(None)}  # macro arguments kept by value (True and 1 apart)


def make_environment(templates: Path, globals_: dict) -> jinja2.Environment:
    """A Jinja environment over `templates`, compiled once, with the archive's filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        auto_reload=False,  # a build compiles each template once; no need to stat it on every page
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=COMPILED,  # serve's rebuilds do not compile unchanged templates again
    )
    env.filters.update(date=format_date, number=format_number, money=format_money, markdown=to_html,
                       jsonld=json_ld)
    base_url = globals_["site"].base_url.rstrip("/")
    env.globals.update(URL_FUNCTIONS, absolute=lambda url: base_url + url, atom_date=atom_date,
                       marks=source_marks, party_link=party_linker(globals_["parties"]),
                       column_chart=column_chart, bar_chart=bar_chart, **globals_)
    return env


class Renderer:
    """Turns a Page into bytes: through its template, or through an export for data files.

    `names_digest` and `template_digests` are what every page's cache key starts from;
    `key_basis` is one digest of both."""

    def __init__(self, templates: Path, names: dict, known: dict[int, str] | None = None,
                 stored_calls: Callable[[str, set[str] | None], StoredCalls] | None = None):
        """`known` names briefs and systems by their file's digest (build.load_checked), so that
        `stored_calls(key_basis)`, the calls an earlier build kept in the build cache, can be
        looked up; it is asked once, on the first call not kept in memory, with `shown_files`
        if the build has set it. Without it (a build that keeps no cache) calls are kept in
        memory only: none is named for the cache."""
        self.env = make_environment(templates, names)
        self.names = names
        self.names_digest = digest_of(names, {})
        self.template_digests = template_digests(self.env)
        self.key_basis = digest_of((self.names_digest, self.template_digests), {})
        # Each brief's share of the whole-archive exports, given ahead of rendering (take_shares).
        self._all_deals: tuple = ()
        self._shares: dict[str, list[Share]] = {}  # by field: every brief's, in the archive's order
        self._by_deal: dict[str, dict[int, Share]] = {}  # the same by id(deal), made when first asked
        self.last_exports: dict[str, LastExport] = {}
        self.known = known or {}
        self._calls = MACRO_CALLS.for_basis(self.key_basis, self.known.keys())
        self._stored_calls = stored_calls
        self._stored: StoredCalls | None = None
        self.shown_files: set[str] | None = None  # the files (as `known` names them) of what the pages to render show
        self.new_calls: dict[str, tuple[str, str]] = {}  # rendered here, for the cache: name -> (owner, HTML)
        self.env.globals.update(cached=self.cached, cached_each=self.cached_each)

    def cached(self, macro: str, *args) -> Markup:
        """`{{ cached("deal_row", deal, ...) }}`: a macro of macros.html, rendered once per arguments.
        Called without the page's context, so the macro cannot depend on it."""
        key = (macro, *[(arg.__class__, arg) if arg.__class__ in BY_VALUE else id(arg) for arg in args])
        found = self._calls.get(key)
        if found is None:
            found = MACRO_CALLS.keep(key, args, self._stored_or_rendered(macro, args))
        return found[1]

    def cached_each(self, macro: str, items: Sequence, *args) -> Markup:
        """`{{ cached_each("deal_row", listed, ...) }}`: `cached(macro, item, ...)` for each item,
        one a line. A loop in the template paid Jinja's call and escaping on every row: 6-9 µs a
        row, 1.5-2 ms on a listing page of 200 to 300 rows."""
        return Markup("\n".join([self.cached(macro, item, *args) for item in items]))

    def _stored_or_rendered(self, macro: str, args: tuple) -> Markup:
        # Named only for the cache: at 10,000 briefs a cold build's workers would otherwise send
        # back 30,000 rows (HTML and names) that nothing keeps.
        name, owner = self._call_name(macro, args) if self._stored_calls else (None, "")
        if name is not None:
            if self._stored is None:
                self._stored = self._stored_calls(self.key_basis, self.shown_files)
            html = self._stored.get(name, owner)
            if html is not None:
                return Markup(html)
        call = getattr(self.env.get_template("macros.html").module, macro, None)
        if call is None:
            raise jinja2.TemplateRuntimeError(f'cached(): there is no macro "{macro}" in macros.html')
        html = call(*args)
        if name is not None:
            self.new_calls[name] = (owner, str(html))
        return html

    def _call_name(self, macro: str, args: tuple) -> tuple[str | None, str]:
        """How the build cache knows a call: by its macro and its arguments, a brief or system by
        its file's digest; and the first such digest, whose file's next version drops the call.
        (None, "") if an argument has no such name."""
        parts, owner = [macro], ""
        for arg in args:
            if arg.__class__ in BY_VALUE:
                parts.append(f"{arg.__class__.__name__}:{arg!r}")
            elif (ident := self.known.get(id(arg))) is not None:
                parts.append(ident)
                owner = owner or ident
            else:
                return None, ""
        return "\x1f".join(parts), owner

    def compile(self, templates: Collection[str]) -> None:
        """Compile these templates, and the templates they use, in this process: render workers
        forked afterwards inherit them, and the build cache keeps them for the next process.
        Compiled in a worker, they were lost with it (all 16 take 0.15 s)."""
        for name in sorted(with_used(templates)):
            try:
                self.env.get_template(name)
            except jinja2.TemplateError:
                pass  # a missing template: rendering says so, naming the page

    def take_shares(self, deals: tuple[Deal, ...], last: dict[str, LastExport], placed: dict[str, list[int | None]],
                    encoded: dict[int, Fragments]) -> None:
        """Set each brief's share of the whole-archive exports: its place in the `last` exports
        (`placed`, by field, in the order of `deals`, the archive's), or where it is not in all
        of them, its `encoded` fragments (by its index in `deals`)."""
        self._all_deals, self.last_exports, self._by_deal, self._shares = deals, last, {}, {}
        for field in Fragments._fields:
            shares = placed.get(field) or [None] * len(deals)
            for index, fragments in encoded.items():
                shares[index] = getattr(fragments, field)
            self._shares[field] = shares

    def shares(self, page: Page) -> tuple[Layout, list[Share]]:
        """An export made of its briefs' shares: its layout, and each brief's share of it."""
        layout = LAYOUTS[page.export](self.names)
        deals, shares = page.context["deals"], self._shares[layout.field]
        if deals is self._all_deals:
            return layout, shares
        by_deal = self._by_deal.get(layout.field)
        if by_deal is None:
            by_deal = self._by_deal[layout.field] = dict(zip(map(id, self._all_deals), shares))
        return layout, [by_deal[id(deal)] for deal in deals]

    def render(self, page: Page) -> bytes | list[bytes]:
        """The page's file: its bytes, or for a whole-archive export its pieces, in order."""
        if page.export in LAYOUTS:
            layout, shares = self.shares(page)
            return layout.pieces(shares, self.last_exports.get(layout.field))
        if page.export:
            return EXPORTS[page.export](self.names, **page.context)
        try:
            html = self.env.get_template(page.template).render(page=page, **page.context)
        except jinja2.TemplateError as exc:
            where = f"{exc.filename}:{exc.lineno}" if getattr(exc, "lineno", None) else page.template
            raise BuildError(f"rendering {page.url} failed in template {where}: {exc}") from exc
        return html.encode("utf-8")


def static_files(static_dir: Path) -> dict[str, bytes]:
    """The assets (CSS, the search script), copied as they are under assets/."""
    return {f"assets/{file.relative_to(static_dir).as_posix()}": file.read_bytes()
            for file in sorted(static_dir.rglob("*")) if file.is_file()}
