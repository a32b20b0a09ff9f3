"""serve.py — `archive serve`: build, serve on 127.0.0.1, rebuild on every change, reload the page.

The site is built into the output folder as `archive build` would (incrementally, atomically),
so what is previewed is what will be published. HTML is served with one script added, which
listens for rebuilds (server-sent events) and reloads the page, or shows content problems over
it until they are fixed. Rebuilds skip Pagefind, to stay fast; once the editor pauses, the search
index is brought up to date.
"""

from __future__ import annotations

import functools
import http.server
import json
import sys
import threading
import time
import traceback
from pathlib import Path

import watchfiles

from generator.build import build, open_cache
from generator.pages import Planner
from generator.errors import BuildError, ContentError, ContentErrors
from generator.progress import Display, silent

LIVE = Path(__file__).resolve().parent / "live"
LIVE_SCRIPT = b'<script src="/__archive/reload.js" defer></script>'
QUIET_MS = 2000  # after this long without changes, a stale search index is rebuilt
KEEPALIVE_SECONDS = 15
EXCERPT_LINES = 2  # lines shown before and after a problem's line


class LiveState:
    """What every open page listens to: the site's version, and the problems of the last build."""

    def __init__(self) -> None:
        self.version = 0
        self.problems: list[dict] = []
        self.closed = False
        self.changed = threading.Condition()

    def publish(self, problems: list[dict], reload: bool) -> None:
        with self.changed:
            self.version += reload
            self.problems = problems
            self.changed.notify_all()

    def close(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def message(self) -> str:
        return json.dumps({"version": self.version, "problems": self.problems})

    def next_message(self, seen: str | None) -> str | None:
        """The state once it differs from `seen` (None after a quiet while, to keep the line open)."""
        with self.changed:
            self.changed.wait_for(lambda: self.closed or self.message() != seen, timeout=KEEPALIVE_SECONDS)
            current = self.message()
            return None if current == seen or self.closed else current


class LiveHandler(http.server.SimpleHTTPRequestHandler):
    """The built site, with the live-reload script in every HTML page, and the events it listens to."""

    state: LiveState

    def do_GET(self) -> None:
        route = self.path.split("?", 1)[0]
        if route == "/__archive/events":
            return self.send_events()
        if route.startswith("/__archive/"):
            return self.send_live_file(route.removeprefix("/__archive/"))
        file = Path(self.translate_path(route))
        if file.is_dir():
            if not route.endswith("/"):
                self.send_response(301)
                self.send_header("Location", route + "/")
                self.end_headers()
                return
            file = file / "index.html"
        if file.suffix == ".html" and file.is_file():
            return self.send_html(file.read_bytes(), 200)
        if not file.exists():
            missing = Path(self.directory) / "404.html"
            page = missing.read_bytes() if missing.is_file() else b"<!doctype html><html lang=en><head><meta charset=utf-8>" \
                b"<title>Not built yet</title></head><body><main><h1>The site has not been built yet</h1></main></body></html>"
            return self.send_html(page, 404)
        return super().do_GET()

    def send_html(self, page: bytes, status: int) -> None:
        page = page.replace(b"</head>", LIVE_SCRIPT + b"</head>", 1)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(page)

    def send_live_file(self, name: str) -> None:
        file = LIVE / name
        if name not in ("reload.js", "overlay.css") or not file.is_file():
            self.send_error(404)
            return
        data = file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript" if name.endswith(".js") else "text/css")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = None
        try:
            while not self.state.closed:
                message = self.state.next_message(seen)
                if message is None:
                    self.wfile.write(b": still here\n\n")
                else:
                    self.wfile.write(f"event: state\ndata: {message}\n\n".encode())
                    seen = message
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed or reloaded

    def log_message(self, *args) -> None:
        pass  # requests are not news; rebuilds and problems are


def excerpt(root: Path, error: ContentError) -> list[dict]:
    """The lines around a problem, numbered, the problem's own line marked."""
    if error.line < 1:
        return []
    try:
        lines = (root / error.path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    first = max(1, error.line - EXCERPT_LINES)
    return [{"number": n, "text": lines[n - 1], "here": n == error.line}
            for n in range(first, min(len(lines), error.line + EXCERPT_LINES) + 1)]


def described(problems: ContentErrors | BuildError, root: Path) -> list[dict]:
    if isinstance(problems, BuildError):
        return [{"where": "build", "message": str(problems), "excerpt": []}]
    return [{"where": f"{e.path}:{e.line}: {e.field}" if e.field else f"{e.path}:{e.line}", "message": e.message,
             "excerpt": excerpt(root, e)} for e in problems.errors]


def terminal_report(problems: list[dict]) -> str:
    """The problems as in the overlay: compiler-style lines, each with its excerpt."""
    lines = []
    for problem in problems:
        lines.append(f"{problem['where']}: {problem['message']}")
        lines += [f"  {'>' if row['here'] else ' '} {row['number']:4} | {row['text']}" for row in problem["excerpt"]]
    lines.append(f"Found {len(problems)} problem{'s' if len(problems) != 1 else ''}; the page shows "
                 f"{'them' if len(problems) != 1 else 'it'} until fixed.")
    return "\n".join(lines)


class Rebuilder:
    """Runs a build, tells the open pages, and says on the terminal what happened."""

    def __init__(self, content_dir: Path, out_dir: Path, templates: Path, jobs: int | None, use_cache: bool,
                 state: LiveState, quiet: bool, verbose: bool):
        # One cache for every rebuild, kept in memory: not read from disk, nor unpickled, again.
        # The same for the page plan: a rebuild plans afresh only the pages a change could touch.
        self.arguments = dict(content_dir=content_dir, out_dir=out_dir, templates=templates, jobs=jobs,
                              cache=open_cache(out_dir, use_cache), planner=Planner())
        self.root, self.state, self.quiet, self.verbose = content_dir.resolve().parent, state, quiet, verbose
        self.progress = silent if quiet else Display()

    def __call__(self, index: bool) -> bool:
        started = time.perf_counter()
        try:
            result = build(index=index, progress=self.progress, **self.arguments)
        except (ContentErrors, BuildError) as problems:
            found = described(problems, self.root)
            print(terminal_report(found), file=sys.stderr, flush=True)
            self.state.publish(found, reload=False)
            return False
        except Exception as exc:  # a bug of ours: say so, and keep serving the last good site
            traceback.print_exc()
            self.state.publish([{"where": "build", "message": f"unexpected error (a bug in the generator, please "
                                 f"report it with the traceback in the terminal): {exc!r}", "excerpt": []}], reload=False)
            return False
        had_problems = bool(self.state.problems)
        self.state.publish([], reload=result.rendered > 0 or had_problems)
        if not self.quiet:
            what = (("search index updated" if result.indexed is not None else "search index already up to date")
                    if index and not result.rendered else f"{result.rendered} files rendered")
            print(f"Rebuilt in {time.perf_counter() - started:.2f} s: {what}.", flush=True)
            if self.verbose:
                print("  " + " · ".join(f"{stage} {seconds:.2f} s" for stage, seconds in result.stages.items()), flush=True)
        return True


SOURCE_SUFFIXES = (".md", ".yaml", ".html", ".css", ".js", ".xml", ".txt")


def changed_names(changes: set[tuple[object, str]]) -> list[str]:
    """The names of the changed files, without editors' temporary files, which come and go
    between two events (they are rebuilt for all the same: an unchanged build is quick)."""
    return sorted({Path(path).name for _, path in changes if Path(path).exists() or Path(path).suffix in SOURCE_SUFFIXES})


def serve(content_dir: Path, out_dir: Path, templates: Path, port: int, jobs: int | None = None,
          quiet: bool = False, verbose: bool = False, use_cache: bool = True) -> int:
    """Serve the site until interrupted, rebuilding and reloading on every change."""
    state = LiveState()
    handler = type("Handler", (LiveHandler,), {"state": state})
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(out_dir)))
    except OSError as exc:
        raise BuildError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror}") from exc
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"Serving {out_dir}/ at http://127.0.0.1:{server.server_address[1]}/ "
          f"(watching {content_dir}/ and the templates; Ctrl-C stops).", flush=True)
    rebuild = Rebuilder(content_dir, out_dir, templates, jobs, use_cache, state, quiet, verbose)
    try:
        index_stale = not rebuild(index=True)
        for changes in watchfiles.watch(content_dir, templates, rust_timeout=QUIET_MS, yield_on_timeout=True,
                                        raise_interrupt=False):
            if changes:
                if not quiet and (names := changed_names(changes)):
                    print(f"Changed: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}", flush=True)
                index_stale = rebuild(index=False) or index_stale
            elif index_stale:  # the editor has paused: bring search up to date
                index_stale = not rebuild(index=True)
    except KeyboardInterrupt:  # Ctrl-C during a build: the build has undone itself; stop quietly
        pass
    finally:
        state.close()
        server.shutdown()
    return 0
