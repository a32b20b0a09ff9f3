"""The command line: `python -m generator build|check`, its messages and exit codes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import edit

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_build_succeeds_and_reports_pages_and_time(content):
    result = run("build", "--no-index", cwd=content.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built 42 files (19 pages; 42 rendered, 0 unchanged; search index unchanged) into site/ in ")
    assert (content.parent / "site" / "index.html").is_file()


def test_content_problems_exit_1_without_traceback_and_write_nothing(content):
    edit(content / "deals" / "2001-norway-chile-fixture-sam.md", "status: delivered", "status: deliverd")
    result = run("build", cwd=content.parent)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        'content/deals/2001-norway-chile-fixture-sam.md:7: status: expected one of reported, negotiating, ordered, '
        'delivering, delivered, cancelled, got "deliverd"; did you mean "delivered"?',
        "Found 1 problem in 1 file.",
        "Nothing was written; site/ is unchanged.",
    ]
    assert "Traceback" not in result.stderr
    assert not (content.parent / "site").exists()


def test_check_validates_and_writes_nothing(content):
    result = run("check", cwd=content.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Checked 42 files (19 pages): no problems found")
    assert sorted(p.name for p in content.parent.iterdir()) == ["content"]


def test_check_reports_problems_with_exit_1(content):
    edit(content / "systems" / "fixture-sam.yaml", "category: air-defence", "category: tanks")
    result = run("check", cwd=content.parent)
    assert result.returncode == 1
    assert result.stderr.startswith("content/systems/fixture-sam.yaml:3: category: expected one of")


def test_usage_errors_exit_2(content):
    assert run("publish", cwd=content.parent).returncode == 2
    assert run("build", "--colour", cwd=content.parent).returncode == 2
    missing = run("build", "--content", "nowhere", cwd=content.parent)
    assert missing.returncode == 2 and "no content folder at nowhere" in missing.stderr


def test_a_missing_template_is_a_build_error_not_a_traceback(content, tmp_path):
    templates = tmp_path / "templates"
    (templates / "static").mkdir(parents=True)
    (templates / "base.html").write_text("{{ nothing_here }}")
    result = run("build", "--templates", str(templates), cwd=content.parent)
    assert result.returncode == 1
    assert result.stderr.startswith("error: rendering / failed in template home.html: 'home.html' not found")
    assert "Traceback" not in result.stderr


def test_a_template_syntax_error_names_the_template_and_line(content, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    edit(templates / "base.html", '<footer class="colophon">', '<footer class="colophon">{{ broken( }}')
    result = run("build", "--templates", str(templates), cwd=content.parent)
    assert result.returncode == 1
    assert result.stderr == "error: template base.html, line 54: unexpected '}', expected ')'\n"
    assert not (content.parent / "site").exists()


def test_a_macro_that_reads_a_page_variable_fails_the_build(content, tmp_path):
    """Pages import macros.html without their context: a macro reads only its arguments and the
    site-wide names, so what a page shows never depends on a variable its macros read unseen."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    edit(templates / "macros.html", '<ol class="sources">', '<ol class="sources" title="{{ deal.title }}">')
    result = run("build", "--templates", str(templates), cwd=content.parent)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == ("error: rendering /deals/2001-norway-chile-fixture-sam/ failed in "
                                             "template deal.html: 'deal' is undefined")
    assert not (content.parent / "site").exists()


def test_check_after_a_build_checks_unchanged_files_from_its_cache(content):
    assert run("build", "--no-index", cwd=content.parent).returncode == 0
    edit(content / "deals" / "2001-norway-chile-fixture-sam.md", "status: delivered", "status: ordered")
    result = run("check", cwd=content.parent)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Checked 42 files (19 pages): no problems found")
    assert lines[1].endswith("files unchanged since the last build of site/ were checked from its cache.")
    assert run("check", "--no-cache", cwd=content.parent).stdout.count("\n") == 1


def test_a_build_does_not_load_pagefind_until_it_indexes():
    """pagefind_bin is imported when Pagefind runs: at start-up it cost every rebuild 4 ms."""
    code = "import sys, generator.cli, generator.build; print('pagefind_bin' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
