"""The systemd unit in deploy/ installs the way the README does, is locked down, and runs a valid command."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoscrub.watch.command import watch as watch_command

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "geoscrub-watch.service"


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """Sections of a systemd unit: every value of every key, continuation lines joined."""
    sections: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    section = ""
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        pending = ""
        if not line or line.startswith(("#", ";")):
            continue
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        sections[section][key.strip()].append(value.strip())
    return sections


@pytest.fixture(scope="module")
def unit_text() -> str:
    return UNIT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def service(unit_text: str) -> dict[str, list[str]]:
    return parse_unit(unit_text)["Service"]


def one(service: dict[str, list[str]], key: str) -> str:
    assert key in service, f"{key}= is missing"
    return service[key][-1]


def exec_start(service: dict[str, list[str]]) -> list[str]:
    return shlex.split(one(service, "ExecStart"))


@pytest.mark.parametrize(("key", "value"), [
    ("PrivateNetwork", "yes"), ("IPAddressDeny", "any"), ("RestrictAddressFamilies", "AF_UNIX"),
    ("CapabilityBoundingSet", ""), ("AmbientCapabilities", ""), ("NoNewPrivileges", "yes"),
    ("SystemCallArchitectures", "native"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"),
    ("PrivateDevices", "yes"), ("DevicePolicy", "closed"), ("PrivateTmp", "yes"),
    ("ProtectKernelTunables", "yes"), ("ProtectKernelModules", "yes"), ("ProtectKernelLogs", "yes"),
    ("ProtectControlGroups", "yes"), ("ProtectClock", "yes"), ("ProtectHostname", "yes"),
    ("RestrictNamespaces", "yes"), ("LockPersonality", "yes"), ("MemoryDenyWriteExecute", "yes"),
    ("RestrictRealtime", "yes"), ("RestrictSUIDSGID", "yes"),
])
def test_unit_is_locked_down(service, key, value):
    assert one(service, key) == value


def test_unit_filters_system_calls_to_what_a_service_needs(service):
    assert "@system-service" in service["SystemCallFilter"]


def test_unit_makes_nothing_world_readable(service):
    assert int(one(service, "UMask"), 8) & 0o007 == 0o007


def test_unit_can_write_only_the_three_folders_it_is_given(service):
    args = exec_start(service)
    folders = {args[args.index("watch") + 1], args[args.index("--output") + 1], args[args.index("--quarantine") + 1]}
    if "--archive" in args:
        folders.add(args[args.index("--archive") + 1])
    writable = {path for value in service["ReadWritePaths"] for path in value.split()}
    assert writable == folders


def test_unit_runs_a_command_line_geoscrub_accepts(service):
    args = exec_start(service)
    assert Path(args[0]).name == "geoscrub" and args[1] == "watch"
    ctx = watch_command.make_context("watch", args[2:])  # raises on an unknown option or a bad value
    assert ctx.params["settle"] >= 0


def test_unit_installs_from_the_checkout_into_the_venv_it_runs(unit_text, service):
    venv = Path(exec_start(service)[0]).parent.parent
    assert f"python3 -m venv {venv}" in unit_text
    assert re.search(rf"^#\s+{re.escape(str(venv))}/bin/pip install \S+", unit_text, re.M)
    assert "pip install geoscrub" not in unit_text, "geoscrub is not published on PyPI"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python3 -m venv" in readme and "pip install ." in readme  # the README installs the same way


#: The system's own Python: the service user can run it, and ProtectHome=yes does not hide it.
SYSTEM_PYTHON = "/usr/bin/python3"


def venv_commands(text: str) -> list[str]:
    """Every ``... -m venv DIR`` command in ``text``, from its Python on."""
    return re.findall(r"([^\s`]*python3[^\s`]*) -m venv ([^\s`]+)", text)


def deploy_section(readme: str) -> str:
    start = readme.index("## Watch a shared upload folder")
    return readme[start:readme.index("<!-- watch:end -->", start)]


def test_the_venv_is_built_from_the_system_python_and_the_steps_say_why(unit_text, service):
    venv = str(Path(exec_start(service)[0]).parent.parent)
    readme = deploy_section((ROOT / "README.md").read_text(encoding="utf-8"))
    for where, text in (("the unit", unit_text), ("the README", readme)):
        commands = [c for c in venv_commands(text) if c[1] == venv]
        assert commands, f"{where} does not build {venv}"
        assert all(python == SYSTEM_PYTHON for python, _ in commands), (
            f"{where} builds the service's venv from {commands}: a pyenv python3 first on the PATH lives in a "
            "home folder the service user cannot run (and ProtectHome=yes hides)")
        assert "pyenv" in text and "ProtectHome=yes" in text, f"{where} does not say why"
    assert one(service, "ProtectHome") == "yes"


def test_unit_documents_uploads_from_other_users(unit_text, service):
    group = one(service, "SupplementaryGroups")
    assert group and f"-g {group}" in unit_text, "the inbox should belong to the uploaders' group"
    inbox_line = next(line for line in unit_text.splitlines() if "install -d" in line and "inbox" in line)
    mode = int(re.search(r"-m (\d+)", inbox_line).group(1), 8)
    assert mode & 0o2000, "the inbox should be setgid so every upload belongs to the group"
    assert "umask" in unit_text.lower() and "create mask" in unit_text


def test_a_command_line_mistake_is_not_restarted_forever(service):
    assert one(service, "Restart") == "on-failure"
    assert "2" in one(service, "RestartPreventExitStatus").split()
    result = CliRunner().invoke(watch_command, ["/", "--outptu", "x"])
    assert result.exit_code == 2  # what the unit refuses to restart


def test_a_missing_inbox_at_start_is_tried_again_not_a_command_line_mistake(tmp_path):
    result = CliRunner().invoke(watch_command, [str(tmp_path / "not-mounted"), "--output", str(tmp_path / "out"),
                                                "--quarantine", str(tmp_path / "q")])
    assert result.exit_code not in (0, 2)  # Restart=on-failure tries again once the share is mounted
    assert "mounted" in result.output


def test_unit_states_no_file_size_of_its_own(unit_text):
    assert not re.search(r"\d+\s*[MG]i?B", unit_text), "the size limit lives in geoscrub/limits.py and the README"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_rates_the_unit_exposure_at_most_2_5():
    done = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager", str(UNIT)],
                          capture_output=True, text=True, check=False, timeout=60)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout)
    assert found, done.stdout + done.stderr
    assert float(found.group(1)) <= 2.5
