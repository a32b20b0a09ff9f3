"""cli.py — `archive build | check | serve | new | schema`: arguments in, messages and exit code out.

With progress.py and serve.py, the only modules that print. Exit status: 0 success, 1 content or
build problems, 2 usage errors. Content problems are listed without a traceback; `--debug` shows
one for build errors.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

from generator import __version__
from generator.archive import slugify
from generator.build import TEMPLATES, BuildResult, build, check
from generator.errors import BuildError, ContentErrors
from generator.progress import Display, silent
from generator.reference import SCHEMA_FOLDER, with_tables, write_schemas
from generator.scaffold import Invalid, Known, category, deal_text, new_file, party_code, system_slug, system_text, title


class Usage(Exception):
    """A command given without what it needs: exit status 2."""


def command(commands, name: str, text: str) -> argparse.ArgumentParser:
    """A subcommand whose one-line help is also its description in `--help`."""
    return commands.add_parser(name, help=text, description=text)


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog="archive", description="Build the arms-transfer briefing archive.")
    main_parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = main_parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build_parser = command(commands, "build", "validate, render and index the site into the output folder")
    check_parser = command(commands, "check", "validate the content and check every page's links; write nothing")
    serve_parser = command(commands, "serve", "build, serve on 127.0.0.1 and rebuild and reload on every change")
    for sub in (build_parser, check_parser, serve_parser):
        sub.add_argument("--content", type=Path, default=Path("content"), help="content folder (default: content)")
        sub.add_argument("--templates", type=Path, default=TEMPLATES, help="templates folder (default: the project's)")
        sub.add_argument("--jobs", type=int, default=None, metavar="N",
                         help="worker processes for loading and rendering (default: one per core)")
        sub.add_argument("--debug", action="store_true", help="show a traceback for build errors")
        loudness = sub.add_mutually_exclusive_group()
        loudness.add_argument("--quiet", "-q", action="store_true", help="print nothing but problems")
        loudness.add_argument("--verbose", "-v", action="store_true", help="also print each stage's time and every note")
    for sub in (build_parser, serve_parser):
        sub.add_argument("--out", type=Path, default=Path("site"), help="output folder (default: site)")
        sub.add_argument("--no-cache", action="store_true", help="ignore and do not write the build cache (a cold build)")
    check_parser.add_argument("--out", type=Path, default=Path("site"),
                              help="the built site whose cache spares re-checking what is unchanged (default: site)")
    check_parser.add_argument("--no-cache", action="store_true", help="check everything afresh, ignoring the build cache")
    build_parser.add_argument("--no-index", action="store_true",
                              help="skip the Pagefind search index (faster previews; the previous index is kept)")
    serve_parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000; 0 picks a free one)")

    new_parser = command(commands, "new", "start a new brief or system with every required field")
    kinds = new_parser.add_subparsers(dest="what", required=True, metavar="WHAT", help="deal or system")
    new_deal = command(kinds, "deal", "a new brief in content/deals/ (asks for what is not given)")
    new_deal.add_argument("--supplier", help="supplier: a party code such as RUS, or a country's name")
    new_deal.add_argument("--recipient", help="recipient: a party code such as IRN, or a country's name")
    new_deal.add_argument("--system", help="the system's slug or name (content/systems/)")
    new_deal.add_argument("--title", help="the brief's headline")
    new_system = command(kinds, "system", "a new weapon system in content/systems/ (asks for what is not given)")
    new_system.add_argument("--name", help="the system's name")
    new_system.add_argument("--category", help="one of SIPRI's categories, such as air-defence")
    for sub in (new_deal, new_system):
        sub.add_argument("--content", type=Path, default=Path("content"), help="content folder (default: content)")
        sub.add_argument("slug", nargs="?", help="the file name, without its suffix (default: made from the values given)")

    schema_parser = command(commands, "schema", "write the content format as JSON Schemas for editors")
    schema_parser.add_argument("--out", type=Path, default=Path(SCHEMA_FOLDER),
                               help=f"folder for the schema files (default: {SCHEMA_FOLDER})")
    schema_parser.add_argument("--docs", type=Path, metavar="FILE",
                               help="also regenerate the field tables of this Markdown reference")
    return main_parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)  # exits with status 2 on a usage error
    try:
        if args.command in ("build", "check", "serve", "new") and not args.content.is_dir():
            raise Usage(f"no content folder at {args.content}")
        if args.command == "new":
            return new(args)
        if args.command == "schema":
            return schema(args)
        if args.command == "serve":
            from generator.serve import serve  # only `serve` needs the file watcher
            return serve(args.content, args.out, args.templates, args.port, args.jobs, quiet=args.quiet,
                         verbose=args.verbose, use_cache=not args.no_cache)
        return build_or_check(args)
    except Usage as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    except ContentErrors as problems:
        print(problems.report(), file=sys.stderr)
        if args.command == "build":
            print(f"Nothing was written; {args.out}/ is unchanged.", file=sys.stderr)
        return 1
    except BuildError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        if exc.__cause__ is not None:
            print(f"Reason: {exc.__cause__}", file=sys.stderr)
        return 1


def build_or_check(args: argparse.Namespace) -> int:
    progress = silent if args.quiet else Display()
    if args.command == "build":
        result = build(args.content, args.out, args.templates, index=not args.no_index, jobs=args.jobs,
                       use_cache=not args.no_cache, progress=progress)
    else:
        result = check(args.content, args.templates, jobs=args.jobs, progress=progress,
                       site_dir=None if args.no_cache else args.out)
    if not args.quiet:
        print(summary(result, args.command, args.out, args.verbose))
    return 0


def summary(result: BuildResult, command: str, out: Path, verbose: bool) -> str:
    """What a build made, how long it took, and every warning, for the end of its output."""
    if command == "check":
        lines = [f"Checked {result.files} files ({result.pages} pages): no problems found ({result.seconds:.2f} s)."]
        if result.rendered < result.files:
            lines.append(f"{result.files - result.rendered} files unchanged since the last build of {out}/ "
                         f"were checked from its cache.")
    else:
        indexed = "search index unchanged" if result.indexed is None else f"{result.indexed} indexed for search"
        lines = [f"Built {result.files} files ({result.pages} pages; {result.rendered} rendered, "
                 f"{result.files - result.rendered} unchanged; {indexed}) into {out}/ in {result.seconds:.2f} s."]
    lines += [f"Warning: {note}." for note in result.notes if note != "nothing changed"]
    if verbose:
        lines += [f"  {stage:<8} {seconds:6.2f} s" for stage, seconds in result.stages.items()]
        lines += [f"Note: {note}." for note in result.notes if note == "nothing changed"]
    return "\n".join(lines)


def ask(label: str, given: str | None, convert):
    """A value from its flag, or asked for on stdin; checked by `convert`, asked again on a terminal."""
    interactive = sys.stdin.isatty()
    value = given
    while True:
        if value is None:
            print(f"{label}: ", end="", file=sys.stderr, flush=True)
            value = sys.stdin.readline()
            if not value:
                raise Usage(f"no {label.lower()} given (give it as a flag, or answer when asked)")
        try:
            return convert(value.strip())
        except Invalid as problem:
            if not interactive:
                raise
            print(f"  {problem}", file=sys.stderr)
            value = None


def new(args: argparse.Namespace) -> int:
    known = Known.read(args.content)
    try:
        if args.what == "deal":
            supplier = ask("Supplier", args.supplier, lambda v: party_code(v, known))
            recipient = ask("Recipient", args.recipient, lambda v: party_code(v, known))
            system = ask("System", args.system, lambda v: system_slug(v, known))
            headline = ask("Title", args.title, title)
            slug = args.slug or slugify(f"{known.parties[supplier]} {known.parties[recipient]} {system}")
            path = new_file(args.content / "deals", slug, ".md")
            text = deal_text(headline, supplier, recipient, system, datetime.date.today())
        else:
            name = ask("Name", args.name, title)
            kind = ask("Category", args.category, category)
            path = new_file(args.content / "systems", args.slug or slugify(name), ".yaml")
            text = system_text(name, kind)
    except Invalid as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    path.write_text(text, encoding="utf-8")
    print(f"Wrote {path}. Replace every TODO in it, then run: archive check")
    return 0


def schema(args: argparse.Namespace) -> int:
    for path in write_schemas(args.out):
        print(f"Wrote {path}")
    if args.docs:
        try:
            document = args.docs.read_text(encoding="utf-8")
        except OSError as exc:
            raise Usage(f"cannot read {args.docs}: {exc.strerror}") from exc
        args.docs.write_text(with_tables(document), encoding="utf-8")
        print(f"Regenerated the field tables of {args.docs}")
    return 0
