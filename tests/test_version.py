"""One version, everywhere (issue 25): the JSON report, the watch log, the page's footer, --version.

The version is written once, in geoscrub/_version.py; everything else reads it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

import geoscrub
from geoscrub import _version
from geoscrub.cli import main
from geoscrub.web import site

from .test_watch import Dirs, running
from .test_web_site import fake_runtime  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_written_in_one_place():
    assert geoscrub.__version__ == _version.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", geoscrub.__version__)
    written = [p for p in (ROOT / "geoscrub").rglob("*.py")
               if re.search(r"""__version__\s*=\s*["']""", p.read_text(encoding="utf-8"))]
    assert written == [ROOT / "geoscrub" / "_version.py"]
    assert 'version = "' not in (ROOT / "pyproject.toml").read_text().split("[project.optional-dependencies]")[0]


def test_the_changelog_has_a_section_for_this_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(geoscrub.__version__)}\] - \d{{4}}-\d\d-\d\d$", changelog, re.M)
    assert "## [Unreleased]" in changelog


def test_every_json_object_names_the_version(tmp_path: Path):
    photo = next((ROOT / "samples" / "jpeg").glob("*.jpg"))
    result = CliRunner().invoke(main, ["check", "--json", str(photo)])
    objects = json.loads(result.output)
    assert objects and all(o["geoscrub_version"] == geoscrub.__version__ for o in objects)
    result = CliRunner().invoke(main, ["clean", "--json", "--dry-run", str(photo)])
    assert all(o["geoscrub_version"] == geoscrub.__version__ for o in json.loads(result.output))


def test_the_watch_service_names_its_version_when_it_starts(tmp_path: Path):
    with running(Dirs(tmp_path), poll=True) as (_, stream):
        pass
    first = stream.getvalue().splitlines()[0]
    assert f"start: geoscrub {geoscrub.__version__} watching" in first


def test_the_page_footer_shows_the_version(fake_runtime):  # noqa: F811
    files = site.site_files()
    index = files["index.html"].decode()
    assert f'<p id="geoscrub-version" class="version">geoscrub {geoscrub.__version__}</p>' in index
    assert "__GEOSCRUB_VERSION__" not in index
    assert json.loads(files[site.MARKER])["geoscrub_version"] == geoscrub.__version__
