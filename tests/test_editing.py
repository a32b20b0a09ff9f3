"""The editors' commands: `archive new`, placeholders that `check` rejects, `archive schema`,
and what a build prints (progress, --quiet, --verbose)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from generator.build import build
from generator.errors import ContentErrors
from generator.progress import Display
from tests.conftest import edit

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          input=stdin, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def problems(content: Path) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        build(content, content.parent / "site", index=False)
    return [f"{e.path}:{e.line}: {e.field}: {e.message}" for e in caught.value.errors]


def test_new_deal_writes_a_brief_that_check_rejects_until_every_todo_is_replaced(content):
    result = run("new", "deal", "--supplier", "nor", "--recipient", "Chile", "--system", "fixture-sam",
                 "--title", "Norway sells more fixture SAMs to Chile", cwd=content.parent)
    assert result.returncode == 0, result.stderr
    brief = content / "deals" / "norway-chile-fixture-sam.md"
    assert result.stdout == "Wrote content/deals/norway-chile-fixture-sam.md. Replace every TODO in it, then run: archive check\n"
    text = brief.read_text(encoding="utf-8")
    assert "supplier: NOR\nrecipient: CHL\nsystem: fixture-sam\n" in text
    found = problems(content)
    assert all(p.startswith("content/deals/norway-chile-fixture-sam.md:") for p in found), found
    fields = [p.split(": ")[1] for p in found]
    assert fields == ["summary", "status", "sources[0].title", "sources[0].publisher", "sources[0].url", "body"]
    assert 'still the placeholder written by "archive new" (TODO: one or two sentences' in found[0]
    assert found[1].endswith("replace it with one of reported, negotiating, ordered, delivering, delivered, cancelled")

    for placeholder, value in (('"TODO: one or two sentences: who transfers what to whom, and where it stands"', "A test brief."),
                               ('"TODO: one of reported, negotiating, ordered, delivering, delivered, cancelled"', "reported"),
                               ('"TODO: the headline or document title, as published"', "A synthetic test source"),
                               ('"TODO: who published it"', "Nobody"), ('"TODO: https://…"', "https://example.invalid/")):
        edit(brief, placeholder, value)
    edit(brief, 'TODO: the context, in Markdown.', 'The context.')
    assert build(content, content.parent / "site", index=False).pages > 0


def test_new_deal_suggests_close_matches_and_writes_nothing(content):
    result = run("new", "deal", "--supplier", "Norwya", "--recipient", "CHL", "--system", "fixture-sma",
                 "--title", "x", cwd=content.parent)
    assert result.returncode == 1
    assert result.stderr == 'error: no party "Norwya"; did you mean NOR (Norway)?\n'
    result = run("new", "deal", "--supplier", "NOR", "--recipient", "CHL", "--system", "fixture-sma",
                 "--title", "x", cwd=content.parent)
    assert result.stderr.startswith('error: no system "fixture-sma" in content/systems/; did you mean fixture-sam')
    assert result.stderr.rstrip().endswith("to add one: archive new system")
    assert sorted(p.name for p in (content / "deals").iterdir()) == sorted(p.name for p in (ROOT / "tests/fixtures/site/content/deals").iterdir())


def test_new_deal_asks_for_what_is_not_given(content):
    result = run("new", "deal", "asked-brief", cwd=content.parent, stdin="Norway\nCHL\nfixture-sam\nAsked for\n")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "Supplier: Recipient: System: Title: "
    assert 'title: "Asked for"\n' in (content / "deals" / "asked-brief.md").read_text(encoding="utf-8")
    unanswered = run("new", "deal", "other", cwd=content.parent, stdin="NOR\n")
    assert unanswered.returncode == 2 and "no recipient given" in unanswered.stderr


def test_new_refuses_to_overwrite_and_checks_the_slug(content):
    args = ("new", "system", "--name", "Fixture SAM", "--category", "air-defence")
    exists = run(*args, "fixture-sam", cwd=content.parent)
    assert exists.returncode == 1 and "already exists" in exists.stderr
    bad = run(*args, "Not A Slug", cwd=content.parent)
    assert bad.returncode == 1 and '"Not A Slug" is not a slug' in bad.stderr
    wrong = run("new", "system", "--name", "X", "--category", "air defense", cwd=content.parent)
    assert wrong.stderr.startswith('error: no category "air defense"') and 'did you mean "air-defence"' in wrong.stderr


def test_new_system_is_rejected_until_filled_in(content):
    result = run("new", "system", "--name", "Test Radar 2", "--category", "sensors", cwd=content.parent)
    assert result.returncode == 0, result.stderr
    found = problems(content)
    assert [p.split(": ")[:2] for p in found] == [["content/systems/test-radar-2.yaml:7", "description"],
                                                ["content/systems/test-radar-2.yaml:14", "sources[0].title"],
                                                ["content/systems/test-radar-2.yaml:15", "sources[0].url"]]


def test_schema_writes_the_editor_schemas_and_regenerates_the_docs_tables(tmp_path):
    docs = tmp_path / "format.md"
    docs.write_text("# Format\n\n<!-- fields: site -->\nold\n<!-- end fields -->\n", encoding="utf-8")
    result = run("schema", "--out", str(tmp_path / "schemas"), "--docs", str(docs), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "schemas").iterdir())
    assert names == ["country.schema.json", "deal.schema.json", "site.schema.json", "system.schema.json"]
    assert json.loads((tmp_path / "schemas" / "deal.schema.json").read_text())["required"][:3] == ["title", "summary", "supplier"]
    assert "| `base_url` | web address (http or https) | yes | where the site is published |" in docs.read_text()
    assert "old" not in docs.read_text()


def test_quiet_prints_nothing_and_verbose_prints_each_stage(content):
    quiet = run("build", "--no-index", "--quiet", cwd=content.parent)
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    edit(content / "deals" / "2001-norway-chile-fixture-sam.md", "status: delivered", "status: ordered")
    verbose = run("build", "--no-index", "--verbose", cwd=content.parent)
    lines = verbose.stdout.splitlines()
    assert lines[0].startswith("Built 42 files")
    assert [line.split()[0] for line in lines[1:]] == ["cache", "load", "plan", "link", "render", "links", "index", "save"]
    both = run("build", "--quiet", "--verbose", cwd=content.parent)
    assert both.returncode == 2


def test_a_warning_is_listed_in_the_summary(content):
    run("build", cwd=content.parent)
    edit(content / "deals" / "2001-norway-chile-fixture-sam.md", "status: delivered", "status: ordered")
    result = run("build", "--no-index", cwd=content.parent)
    assert result.stdout.splitlines()[1] == "Warning: search index not updated (--no-index); it reflects an earlier build."


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_in_a_log():
    log, terminal = io.StringIO(), io.StringIO()
    for display in (Display(log, terminal=False), Display(terminal, terminal=True)):
        display("rendering", 0, 1000)
        for done in range(100, 1001, 100):
            display("rendering", done, 1000)
        display("checking", 0, 10)  # too small to show
        display("checking", 10, 10)
    lines = log.getvalue().splitlines()
    assert lines[0] == "Rendering 1,000 files…"
    assert lines[1:4] == ["Rendering: 300 of 1,000", "Rendering: 500 of 1,000", "Rendering: 800 of 1,000"]
    assert lines[4].startswith("Rendering: done in ") and len(lines) == 5
    drawn = terminal.getvalue()
    assert drawn.startswith("\rrendering  ░░░░") and "\rrendering  " + "█" * 30 + " 1,000/1,000 " in drawn
    assert drawn.endswith(" s\n") and "checking" not in drawn


def test_serve_names_the_changed_files_but_not_editors_temporary_ones(tmp_path):
    from generator.serve import changed_names
    brief = tmp_path / "brief.md"
    brief.write_text("x")
    gone_brief = tmp_path / "old-brief.md"  # deleted: still named, it was content
    changes = {(2, str(brief)), (1, str(tmp_path / "sedX8k2a")), (3, str(tmp_path / "sedX8k2a")), (3, str(gone_brief))}
    assert changed_names(changes) == ["brief.md", "old-brief.md"]


def test_serve_refuses_a_port_in_use(content):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port), cwd=content.parent)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: cannot serve on 127.0.0.1:{port}: Address already in use")


def test_on_a_terminal_new_deal_asks_again_after_a_wrong_answer(content):
    import os
    import pty
    import select
    main, secondary = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "generator", "new", "deal", "asked-twice"],
                               cwd=content.parent, stdin=secondary, stdout=secondary, stderr=secondary,
                               env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    os.close(secondary)
    transcript = b""

    def read_until(marker: bytes) -> None:
        nonlocal transcript
        while marker not in transcript:
            ready, _, _ = select.select([main], [], [], 20)
            assert ready, f"no {marker!r} in {transcript!r}"
            transcript += os.read(main, 4096)

    for prompt, answer in ((b"Supplier: ", b"Norwya"), (b"did you mean NOR (Norway)?", b""), (b"Supplier: ", b"NOR"),
                           (b"Recipient: ", b"CHL"), (b"System: ", b"fixture-sam"), (b"Title: ", b"Asked twice")):
        read_until(prompt)
        transcript = transcript.split(prompt, 1)[1]
        if answer:
            os.write(main, answer + b"\n")
    assert process.wait(timeout=20) == 0
    os.close(main)
    assert "supplier: NOR\n" in (content / "deals" / "asked-twice.md").read_text(encoding="utf-8")


def test_serve_shows_an_unexpected_error_and_stops_quietly_on_ctrl_c(content, monkeypatch):
    import generator.serve as serve_module
    from generator.build import TEMPLATES

    def buggy_build(**arguments):
        raise RuntimeError("a bug")

    state = serve_module.LiveState()
    monkeypatch.setattr(serve_module, "build", buggy_build)
    rebuild = serve_module.Rebuilder(content, content.parent / "site", TEMPLATES, 1, True, state, True, False)
    assert rebuild(index=False) is False
    assert state.problems[0]["where"] == "build" and "RuntimeError('a bug')" in state.problems[0]["message"]

    def interrupted_build(**arguments):
        raise KeyboardInterrupt

    monkeypatch.setattr(serve_module, "build", interrupted_build)
    assert serve_module.serve(content, content.parent / "site", TEMPLATES, port=0, quiet=True) == 0


def test_a_cache_kept_in_memory_unpickles_each_file_once(content, tmp_path):
    from generator.build import build, open_cache
    out = tmp_path / "site"
    build(content, out, index=False)
    cache = open_cache(out)
    path, entry = next(iter(cache.files.items()))
    first = cache.checked(path, entry)
    assert first is not None and cache.checked(path, entry) is first
    assert cache.current(path, entry.size + 1, entry.mtime_ns, str(content.parent / path)) is None
