"""The README documents every command and flag, and every command has help text."""

from __future__ import annotations

import argparse
from pathlib import Path

from generator.cli import parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def subcommands(main: argparse.ArgumentParser | None = None, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every command, nested ones included ("new deal"), by its full name."""
    found = {}
    for action in (main or parser())._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[prefix + name] = sub
                found.update(subcommands(sub, f"{prefix}{name} "))
    return found


def test_every_command_and_flag_is_documented_in_the_readme():
    for name, sub in subcommands().items():
        assert f"archive {name}" in README, f"README does not document `archive {name}`"
        for action in sub._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help":
                    assert flag in README, f"README does not document {flag} of `archive {name}`"


def test_every_command_and_flag_has_help():
    for name, sub in subcommands().items():
        assert sub.description or parser().format_help().count(name), name
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings} has no help text"


def test_readme_gives_the_two_fresh_machine_commands():
    assert "bash scripts/install-and-build" in README
    assert "bash scripts/test" in README
