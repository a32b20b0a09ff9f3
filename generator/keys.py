"""keys.py — each output file's cache key: a digest of exactly what decides its bytes.

A page's bytes depend on its template (and the templates that one extends, imports or
includes), the site-wide names every template may read, and the page's own context. The key
digests all three. Briefs and systems inside a context are stood for by the digest of their
source file, so a listing of 10,000 briefs is keyed without walking 10,000 briefs.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Iterable

import jinja2
from jinja2 import meta

from generator.errors import BuildError
from generator.pages import Page

SCALARS = (str, int, float, bool, type(None))
SEPARATOR = "\x1f"  # between the tokens of a digested value (digest_of)
_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass's field names, looked up once per class


def _fields(kind: type) -> tuple[str, ...] | None:
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(kind):
        names = _FIELDS[kind] = tuple(field.name for field in dataclasses.fields(kind))
    return names


def _feed(value, known: dict[int, str], out: list[str]) -> None:
    # Called about a million times for 10,000 briefs: the common cases come first.
    ident = known.get(id(value))
    if ident is not None:
        out.append(ident)
        return
    kind = type(value)
    if kind is str:
        out.append("str:" + repr(value))
    elif kind in SCALARS:
        out.append(f"{kind.__name__}:{value!r}")
    elif kind is tuple or kind is list:
        out.append("[")
        idents = [known.get(id(item)) for item in value]
        if None not in idents:  # a listing of briefs or systems: their digests stand for them
            out.extend(idents)
        elif all(type(item) is str for item in value):  # the sitemap's 10,000 URLs, in one pass
            out.extend(["str:" + repr(item) for item in value])
        else:
            for item in value:
                _feed(item, known, out)
        out.append("]")
    elif kind is dict:
        out.append("{")
        if all(type(key) is str and type(item) is str for key, item in value.items()):
            # The sitemap's dates, in one pass: the two tokens of each pair, joined as digest_of joins them.
            out.extend([f"str:{key!r}{SEPARATOR}str:{item!r}" for key, item in value.items()])
        else:
            for key, item in value.items():
                _feed(key, known, out)
                _feed(item, known, out)
        out.append("}")
    elif (names := _fields(kind)) is not None:
        out.append(kind.__name__ + "(")
        for name in names:
            _feed(getattr(value, name), known, out)
        out.append(")")
    else:
        raise TypeError(f"cannot key a {kind.__name__} in a page context")


def digest_of(value, known: dict[int, str]) -> str:
    """A SHA-256 of a value built from scalars, tuples, lists, dicts and dataclasses."""
    out: list[str] = []
    _feed(value, known, out)
    return hashlib.sha256(SEPARATOR.join(out).encode("utf-8")).hexdigest()


def parsed(env: jinja2.Environment, name: str, source: str):
    """A template's syntax tree; a syntax error is a BuildError naming the template and line."""
    try:
        return env.parse(source, name)
    except jinja2.TemplateSyntaxError as exc:
        raise BuildError(f"template {name}, line {exc.lineno}: {exc.message}") from None


# name -> (SHA-1 of the source, the templates it uses), for the version last read. Kept by the
# build cache with the compiled templates (render.CompiledTemplates): parsing every template took
# 0.03 s of each rebuild. One version a name, so that what is saved is the version in use.
USES: dict[str, tuple[str, tuple[str, ...]]] = {}


def referenced(env: jinja2.Environment, name: str, source: str) -> tuple[str, ...]:
    """The templates a template extends, imports or includes; parsed once for each version of
    its source (serve asks again on every rebuild; a new process, of the cache)."""
    checksum = hashlib.sha1(source.encode("utf-8")).hexdigest()
    found = USES.get(name)
    if found is None or found[0] != checksum:
        found = USES[name] = checksum, tuple(sorted(set(meta.find_referenced_templates(parsed(env, name, source))) - {None}))
    return found[1]


def with_used(names: Iterable[str]) -> set[str]:
    """These templates and every template they use, transitively, as last read (see USES)."""
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(USES[name][1] if name in USES else ())
    return found


def template_digests(env: jinja2.Environment) -> dict[str, str]:
    """For every template, a digest of its source and of every template it uses, transitively."""
    sources = {name: env.loader.get_source(env, name)[0] for name in env.list_templates()
               if not name.startswith("static/")}
    for name, source in sources.items():
        referenced(env, name, source)  # USES, for with_used
    return {name: hashlib.sha256("".join(sources[n] for n in sorted(with_used([name]))).encode()).hexdigest()
            for name in sources}


def page_key(page: Page, known: dict[int, str], names: str, templates: dict[str, str], contexts: dict[int, str]) -> str:
    """The cache key of one page: its template digest, the site-wide names, and its context.
    `contexts` keeps the digest of each context by its identity, for pages that share one (the
    three whole-archive exports: 8-12 ms each at 10,000 briefs); only while they all live."""
    head = f"{page.url}|{page.template}|{page.export}|{page.indexed}|{templates.get(page.template, '')}|{names}"
    if (context := contexts.get(id(page.context))) is None:
        context = contexts[id(page.context)] = digest_of(page.context, known)
    return hashlib.sha256((head + context).encode()).hexdigest()
