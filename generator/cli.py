"""cli.py — `archive build | check`: parses arguments, runs the pipeline, prints, sets the exit code.

The only module that prints. Exit status: 0 success, 1 content or build problems, 2 usage errors.
Content problems are listed without a traceback; `--debug` shows one for build errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator import __version__
from generator.build import TEMPLATES, build, check
from generator.errors import BuildError, ContentErrors


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog="archive", description="Build the arms-transfer briefing archive.")
    main_parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = main_parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build_parser = commands.add_parser("build", help="validate, render and index the site into the output folder")
    build_parser.add_argument("--content", type=Path, default=Path("content"), help="content folder (default: content)")
    build_parser.add_argument("--out", type=Path, default=Path("site"), help="output folder (default: site)")
    build_parser.add_argument("--no-index", action="store_true",
                              help="skip the Pagefind search index (faster previews; the previous index is kept)")
    build_parser.add_argument("--no-cache", action="store_true",
                              help="ignore and do not write the build cache (a cold build)")

    check_parser = commands.add_parser("check", help="validate the content and check every page's links; write nothing")
    check_parser.add_argument("--content", type=Path, default=Path("content"), help="content folder (default: content)")

    for sub in (build_parser, check_parser):
        sub.add_argument("--templates", type=Path, default=TEMPLATES, help="templates folder (default: the project's)")
        sub.add_argument("--debug", action="store_true", help="show a traceback for build errors")
        sub.add_argument("--jobs", type=int, default=None, metavar="N",
                         help="worker processes for loading and rendering (default: one per core)")
    return main_parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)  # exits with status 2 on a usage error
    if not args.content.is_dir():
        print(f"error: no content folder at {args.content}", file=sys.stderr)
        return 2
    try:
        if args.command == "build":
            result = build(args.content, args.out, args.templates, index=not args.no_index, jobs=args.jobs,
                           use_cache=not args.no_cache)
            indexed = "search index unchanged" if result.indexed is None else f"{result.indexed} indexed for search"
            print(f"Built {result.files} files ({result.pages} pages; {result.rendered} rendered, "
                  f"{result.files - result.rendered} unchanged; {indexed}) into {args.out}/ in {result.seconds:.2f} s.")
            for note in result.notes:
                print(f"Note: {note}.")
        else:
            result = check(args.content, args.templates, jobs=args.jobs)
            print(f"Checked {result.files} files ({result.pages} pages): no problems found ({result.seconds:.2f} s).")
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
    return 0
