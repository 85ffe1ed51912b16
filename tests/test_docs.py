"""The README shows every command and option, and the pre-commit hook runs `check` (issue 5)."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from geoscrub.cli import main
from tests.builders import cli as build

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[tuple[str, click.Command]]:
    return sorted(main.commands.items())


def _options() -> list[tuple[str, str]]:
    found = []
    for name, command in [("", main), *_commands()]:
        for param in command.params:
            if isinstance(param, click.Option) and "--help" not in param.opts:
                found.extend((name, opt) for opt in param.opts + param.secondary_opts if opt.startswith("--"))
    return found


@pytest.fixture(scope="module")
def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "command"), _commands())
def test_every_command_has_help_and_is_in_the_readme(readme, name, command):
    assert command.help, f"{name} has no help text"
    assert f"geoscrub {name}" in readme


@pytest.mark.parametrize(("command", "option"), _options())
def test_every_option_is_in_the_readme(readme, command, option):
    assert re.search(rf"{re.escape(option)}\b", readme), f"{option} of {command or 'geoscrub'} is not in README.md"


def test_pre_commit_hook_runs_check_and_fails_on_identifying_photos(tmp_path, monkeypatch):
    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "- id: geoscrub-check" in text
    entry = re.search(r"^\s*entry:\s*(.+)$", text, re.M).group(1)
    pattern = re.search(r"^\s*files:\s*'(.+)'$", text, re.M).group(1)
    argv = shlex.split(entry)
    assert argv[:2] == ["geoscrub", "check"]
    monkeypatch.chdir(tmp_path)
    Path("IMG_1.JPG").write_bytes(build.identifying_jpeg())
    Path("cat.png").write_bytes(build.png())
    staged = [p for p in ("IMG_1.JPG", "cat.png", "notes.txt") if re.search(pattern, p)]
    assert staged == ["IMG_1.JPG", "cat.png"]
    runner = CliRunner()
    assert runner.invoke(main, argv[1:] + staged).exit_code == 1
    assert runner.invoke(main, argv[1:] + ["cat.png"]).exit_code == 0
