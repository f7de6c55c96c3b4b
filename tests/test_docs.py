"""Docs that cannot drift: the README's command table against the real parser (as sqlite-utils
checks its docs against --help), and every environment variable the package reads against the
README and `--help`. Adding a command, an option or a variable without documenting it fails here;
so does a name in conftest's SLOW_TESTS that is no longer a test.
"""
from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from conftest import SLOW_TESTS
from interview_miner import cli

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
# Taken by every command and documented once under the table.
EVERY_COMMAND = {"-h", "--help", "--db", "--offline", "--no-offline", "-q", "--quiet", "-v", "--verbose"}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[str]:
    """Each option once, by its long name (the short one when it has no long name)."""
    names = []
    for action in parser._actions:
        flags = [f for f in action.option_strings if f not in EVERY_COMMAND]
        if flags:
            names.append(next((f for f in flags if f.startswith("--")), flags[0]))
    return names


def _command_table() -> dict[str, str]:
    """README's command table as {command: text of every row that documents it}."""
    section = README[README.index("### Commands"):]
    rows: dict[str, str] = {}
    for line in section.splitlines()[2:]:
        if not line.startswith("|"):
            break
        first_cell = line.split(" | ")[0]
        for code in re.findall(r"`([^`]+)`", first_cell):
            rows[code.split()[0]] = rows.get(code.split()[0], "") + line
    rows.pop("---", None)
    return rows


PARSER = cli.build_parser()
COMMANDS = _subcommands(PARSER)


def test_the_table_parser_reads_the_readme():
    table = _command_table()
    assert {"add", "transcribe", "app", "eval"} <= set(table), table.keys()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_and_option_is_in_the_readme_table(command):
    table = _command_table()
    assert command in table, f"`{command}` is missing from the README command table"
    row = table[command]
    missing = [o for o in _options(COMMANDS[command]) if not re.search(rf"{re.escape(o)}\b", row)]
    assert not missing, f"README row of `{command}` does not mention {missing}"
    for action, sub in _subcommands(COMMANDS[command]).items():
        assert re.search(rf"\b{action}\b", row), f"README row of `{command}` does not mention `{action}`"
        missing = [o for o in _options(sub) if not re.search(rf"{re.escape(o)}\b", row)]
        assert not missing, f"README row of `{command} {action}` does not mention {missing}"


def test_the_readme_lists_no_command_the_cli_lacks():
    assert set(_command_table()) <= set(COMMANDS), set(_command_table()) - set(COMMANDS)


def test_options_every_command_takes_are_documented_under_the_table():
    for flag in ("--db", "-q", "-v", "--version", "--json"):
        assert re.search(rf"`[^`]*{re.escape(flag)}\b", README), flag


def test_every_environment_variable_the_package_reads_is_documented():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "interview_miner").rglob("*.py"))
    read = set(re.findall(r"""environ(?:\.get|\.setdefault)?[(\[]\s*["'](INTERVIEW_MINER_\w+)""", sources))
    assert "INTERVIEW_MINER_DB" in read  # the pattern finds them
    help_text = PARSER.format_help()
    for name in sorted(read):
        assert f"`{name}`" in README, f"{name} is read by the package but not in the README"
        assert name in help_text, f"{name} is read by the package but not in `interview-miner --help`"


@pytest.mark.parametrize("file_name", sorted(SLOW_TESTS))
def test_every_test_marked_slow_in_conftest_exists(file_name):
    tree = ast.parse((REPO / "tests" / file_name).read_text(encoding="utf-8"))
    defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert SLOW_TESTS[file_name] <= defined, f"{file_name} has no {sorted(SLOW_TESTS[file_name] - defined)}"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_lock_pins_every_dependency_within_pyproject_ranges():
    """constraints.txt (scripts/setup.sh installs with it) pins every package pyproject.toml asks
    for, core and the extras `make test` installs, to one version inside pyproject's range, and
    that is the version installed here. A dependency added or a range moved without re-locking
    (scripts/lock.sh) fails here, rather than installing whatever the index has that day."""
    tomllib = pytest.importorskip("tomllib")
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["dev"],
                                       *project["optional-dependencies"]["cluster"]]]
    pins = dict(line.split("==", 1) for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#"))
    pins = {_normalized(name): pinned.strip() for name, pinned in pins.items()}
    assert len(pins) > 100  # the whole tree, not only the direct dependencies
    for req in wanted:
        pinned = pins.get(_normalized(req.name))
        assert pinned is not None, f"{req.name} is not in constraints.txt: run scripts/lock.sh"
        assert req.specifier.contains(pinned, prereleases=True), f"{req.name}=={pinned} is outside pyproject's {req}"
        try:
            installed = version(req.name)
        except PackageNotFoundError:
            continue
        assert installed == pinned, f"{req.name} {installed} installed, {pinned} locked: run scripts/setup.sh"
