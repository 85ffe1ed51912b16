"""The README's two opening commands are the ones CI runs, so they keep working."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```sh\n(.+?)\n```", text)[:2]


def test_readme_opens_with_install_and_test_commands():
    install, test = readme_commands()
    assert "pip install ." in install and "geoscrub" in install and "samples/" in install
    assert "'.[test,look]'" in test and "pytest" in test  # CI runs the --look tests with the real detectors


def test_ci_runs_the_readme_commands_verbatim():
    ci = (ROOT / ".ci" / "run").read_text()
    for command in readme_commands():
        assert command in ci.splitlines()
    assert "../shared/tools/leakcheck ../shared/corpus" in ci
