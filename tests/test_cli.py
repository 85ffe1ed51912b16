"""The geoscrub command's contract: exit codes, options, JSON fields and manners (issue 5)."""
from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageCms

import geoscrub
from geoscrub import cli, places
from geoscrub.cli import main
from geoscrub.fsio import TEMP_PREFIX
from tests.builders import cli as build
from tests.builders.cli import listing, write

ANSI = re.compile(r"\x1b\[")


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def findings_in(path: Path) -> list[str]:
    _, found = geoscrub.scan_bytes(path.read_bytes())
    return [f.key for f in found.findings]


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """A folder with one identifying JPEG, one clean PNG and one named-author PNG."""
    folder = tmp_path / "photos"
    write(folder / "IMG_20250614_160311.jpg", build.identifying_jpeg())
    write(folder / "cat.png", build.png())
    write(folder / "trip" / "beach.png", build.png(author=build.OWNER))
    return folder


# ---------------------------------------------------------------- check: exit codes

def test_check_exits_0_when_nothing_identifying(tmp_path):
    photo = write(tmp_path / "cat.png", build.png())
    result = run("check", str(photo))
    assert result.exit_code == 0
    assert "nothing found that gives you away" in result.stdout


def test_check_exits_1_and_explains_in_plain_words(tmp_path):
    photo = write(tmp_path / "IMG_1.jpg", build.identifying_jpeg())
    result = run("check", str(photo))
    assert result.exit_code == 1
    out = result.stdout
    assert "gives away where it was taken" in out
    assert "Shows where it was taken: near City of Westminster, England, United Kingdom (to about 5 m)" in out
    assert "Names the photographer: Alex Example" in out
    assert "serial number C39XK2J8N7" in out
    assert "Tells when the photo was taken or edited: 14 June 2025 at 16:03:11" in out


def test_check_exits_3_when_a_file_is_unreadable_and_nothing_identifying_was_found(tmp_path):
    write(tmp_path / "cat.png", build.png())
    write(tmp_path / "broken.jpg", build.unreadable_jpeg())
    result = run("check", str(tmp_path))
    assert result.exit_code == 3
    assert "broken.jpg (JPEG)" not in result.stdout  # no format claimed for a file not understood
    assert "could not be checked" in result.stdout


def test_check_exits_1_for_identifying_photos_beside_a_file_it_cannot_read(tmp_path):
    """A leak is never hidden by a lesser status: a script testing ``-eq 1`` must see these GPS photos."""
    for i in range(13):
        write(tmp_path / f"IMG_{i}.jpg", build.identifying_jpeg())
    write(tmp_path / "notes.txt", b"shopping list\n")
    write(tmp_path / "broken.jpg", build.unreadable_jpeg())
    result = run("check", str(tmp_path))
    assert result.exit_code == 1
    assert "could not be checked" in result.stdout  # the unreadable files are still reported
    assert run("check", "--json", str(tmp_path)).exit_code == 1


def test_check_help_and_readme_give_the_exit_codes_and_which_wins():
    help_text = " ".join(run("check", "--help").stdout.split())
    assert "1 wins over 3" in help_text
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = " ".join(readme[readme.index("<!-- cli:start -->"):readme.index("<!-- cli:end -->")].split())
    assert "1 wins over 3" in section and "3 wins over 1" not in section


def test_check_reports_a_missing_path_as_unreadable(tmp_path):
    result = run("check", "--json", str(tmp_path / "nope.jpg"))
    assert result.exit_code == 3
    [obj] = json.loads(result.stdout)
    assert obj["status"] == "error"
    assert "does not exist" in obj["error"]


def test_usage_errors_exit_2(tmp_path):
    assert run("check").exit_code == 2
    assert run("check", "--no-such-option", str(tmp_path)).exit_code == 2
    assert run("clean").exit_code == 2
    assert run("frobnicate").exit_code == 2
    both = run("clean", "--output", str(tmp_path / "out"), "--in-place", str(tmp_path))
    assert both.exit_code == 2
    assert "not both" in both.output


# ---------------------------------------------------------------- check: the report

def test_human_report_lists_worst_file_first_then_a_summary(photos):
    write(photos / "zz-broken.jpg", build.unreadable_jpeg())
    out = run("check", str(photos)).stdout
    order = [out.index(name) for name in ("zz-broken.jpg", "IMG_20250614_160311.jpg", "beach.png", "cat.png")]
    assert order == sorted(order)
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("Checked 4 files.")
    assert "1 shows where it was taken" in summary
    assert "2 name a person" in summary
    assert "1 identifies a camera or phone" in summary
    assert "1 tells when it was taken" in summary
    assert "1 has nothing identifying" in summary
    assert "1 could not be checked" in summary


def test_json_has_every_field_of_the_contract(photos):
    write(photos / "broken.jpg", build.unreadable_jpeg())
    write(photos / "damaged.jpg", build.truncated_jpeg())
    result = run("check", "--json", str(photos))
    assert result.exit_code == 1  # identifying photos, beside ones that cannot be read: identifying wins
    objects = {Path(o["path"]).name: o for o in json.loads(result.stdout)}
    assert set(objects) == {"IMG_20250614_160311.jpg", "cat.png", "beach.png", "broken.jpg", "damaged.jpg"}

    damaged = objects["damaged.jpg"]  # read up to the damage: what it gives away, and why it cannot be cleaned
    assert (damaged["status"], damaged["format"]) == ("identifying_unreadable", "JPEG")
    assert "GPSPosition" in {f["key"] for f in damaged["findings"]} and "cut short" in damaged["error"]

    dirty = objects["IMG_20250614_160311.jpg"]
    assert dirty["format"] == "JPEG"
    assert dirty["status"] == "identifying"
    assert {"category", "key", "value", "explanation"} <= set(dirty["findings"][0])
    categories = {f["category"] for f in dirty["findings"]}
    assert {"place", "person", "device", "time"} <= categories
    assert categories <= {"place", "person", "device", "time", "hidden_image", "other"}
    assert dirty["location"]["latitude"] == pytest.approx(51.4995, abs=1e-4)
    assert dirty["location"]["longitude"] == pytest.approx(-0.1248, abs=1e-4)
    assert dirty["location"]["accuracy_m"] == pytest.approx(5)
    assert dirty["location"]["place"] == "near City of Westminster, England, United Kingdom"
    assert "error" not in dirty

    clean = objects["cat.png"]
    assert (clean["status"], clean["format"], clean["findings"]) == ("clean", "PNG", [])
    assert "location" not in clean

    broken = objects["broken.jpg"]
    assert broken["status"] == "error"
    assert broken["format"] is None
    assert "past the end" in broken["error"] or "cut short" in broken["error"]


def test_json_values_are_shortened_and_escaped(tmp_path):
    photo = write(tmp_path / "a.jpg", build.identifying_jpeg(artist="Evil\x1b[2J" + "x" * 200))
    obj = json.loads(run("check", "--json", str(photo)).stdout)[0]
    artist = next(f for f in obj["findings"] if f["key"] == "Artist")["value"]
    assert "\x1b" not in artist and "\\x1b" in artist
    assert len(artist) <= 80


def test_check_never_decodes_pixels(tmp_path, monkeypatch):
    photo = write(tmp_path / "a.jpg", build.identifying_jpeg())

    def no_decoding(*_a, **_k):
        raise AssertionError("check must not decode pixels")

    monkeypatch.setattr(Image, "open", no_decoding)
    assert run("check", str(photo)).exit_code == 1


# ---------------------------------------------------------------- paths

def test_folders_are_walked_and_hidden_files_skipped(photos):
    write(photos / ".hidden.jpg", build.identifying_jpeg())
    write(photos / ".git" / "inside.jpg", build.identifying_jpeg())
    names = [Path(o["path"]).name for o in json.loads(run("check", "--json", str(photos)).stdout)]
    assert sorted(names) == ["IMG_20250614_160311.jpg", "beach.png", "cat.png"]


def test_symlinks_inside_a_folder_are_not_followed(tmp_path):
    private = write(tmp_path / "private" / "secret.jpg", build.identifying_jpeg())
    inbox = tmp_path / "inbox"
    write(inbox / "cat.png", build.png())
    (inbox / "link.jpg").symlink_to(private)
    (inbox / "linkdir").symlink_to(private.parent, target_is_directory=True)
    out = tmp_path / "out"
    result = run("clean", "--output", str(out), str(inbox))
    assert result.exit_code == 0
    assert sorted(listing(out)) == ["cat.png"]
    assert "Skipped 2 links or special files" in result.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_are_never_opened(tmp_path):
    folder = tmp_path / "in"
    write(folder / "cat.png", build.png())
    os.mkfifo(folder / "pipe.jpg")
    assert run("check", str(folder)).exit_code == 0  # skipped inside a folder
    named = run("check", "--json", str(folder / "pipe.jpg"))  # named directly: refused, never blocks
    assert named.exit_code == 3
    assert "FIFO" in json.loads(named.stdout)[0]["error"]


def test_double_dash_makes_later_arguments_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "--json", build.identifying_jpeg())
    result = run("check", "--", "--json")
    assert result.exit_code == 1
    assert "--json (JPEG): gives away" in result.stdout


def test_control_characters_in_names_are_printed_escaped(tmp_path):
    evil = write(tmp_path / "evil\x1b[31mred\nfake.jpg", build.identifying_jpeg())
    for args in (("check", str(evil)), ("clean", "--dry-run", str(evil))):
        out = run(*args).stdout
        assert "\x1b" not in out
        assert "evil\\x1b[31mred\\nfake.jpg" in out
    obj = json.loads(run("check", "--json", str(evil)).stdout)[0]
    assert obj["path"] == str(evil)  # JSON keeps the exact name; its encoding escapes control characters


# ---------------------------------------------------------------- clean

def test_clean_writes_name_clean_ext_beside_the_original(photos):
    original = listing(photos)
    result = run("clean", str(photos))
    assert result.exit_code == 0
    after = listing(photos)
    for name, data in original.items():
        assert after[name] == data  # originals untouched
    copy = photos / "IMG_20250614_160311.clean.jpg"
    assert findings_in(copy) == []
    assert (photos / "trip" / "beach.clean.png").exists()
    assert "Cleaned 2, already clean 1, refused 0." in result.stdout


def test_clean_never_overwrites_an_existing_copy(tmp_path):
    photo = write(tmp_path / "a.jpg", build.identifying_jpeg())
    existing = write(tmp_path / "a.clean.jpg", b"mine, do not touch")
    result = run("clean", str(photo))
    assert result.exit_code == 3
    assert existing.read_bytes() == b"mine, do not touch"
    assert "already exists" in result.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_cleaning_a_folder_twice_leaves_earlier_copies_alone(photos):
    run("clean", str(photos))
    before = listing(photos)
    second = json.loads(run("clean", "--dry-run", "--json", str(photos)).stdout)
    assert not any(".clean.clean" in (o["output"] or "") for o in second)
    assert not any(".clean." in o["path"] for o in second)  # earlier copies are not inputs
    assert [o["action"] for o in second] == ["already_cleaned"] * 3
    third = run("clean", str(photos))
    assert third.exit_code == 0
    assert listing(photos) == before


def test_clean_output_mirrors_the_folder_layout(photos, tmp_path):
    out = tmp_path / "out"
    result = run("clean", "--output", str(out), str(photos))
    assert result.exit_code == 0
    assert sorted(listing(out)) == ["IMG_20250614_160311.jpg", "cat.png", "trip/beach.png"]
    assert all(findings_in(out / name) == [] for name in listing(out))


def test_clean_output_puts_a_single_file_in_the_folder(photos, tmp_path):
    out = tmp_path / "out"
    assert run("clean", "-o", str(out), str(photos / "trip" / "beach.png")).exit_code == 0
    assert sorted(listing(out)) == ["beach.png"]


def test_clean_output_never_replaces_the_original(photos):
    before = listing(photos)
    result = run("clean", "--output", str(photos), str(photos))
    assert result.exit_code == 3
    assert listing(photos) == before
    assert "--in-place" in result.stdout


def test_clean_in_place_replaces_atomically_leaving_nothing_behind(photos):
    photo = photos / "IMG_20250614_160311.jpg"
    mode = photo.stat().st_mode
    result = run("clean", "--in-place", str(photos))
    assert result.exit_code == 0
    assert findings_in(photo) == []
    assert photo.stat().st_mode == mode
    assert sorted(listing(photos)) == ["IMG_20250614_160311.jpg", "cat.png", "trip/beach.png"]


def test_dry_run_writes_nothing_and_says_what_would_go(photos, tmp_path):
    before = listing(photos)
    for extra in ((), ("--in-place",), ("--output", str(tmp_path / "out"))):
        result = run("clean", "--dry-run", *extra, str(photos))
        assert result.exit_code == 0
        assert listing(photos) == before
        assert "would remove: Shows where it was taken: near City of Westminster" in result.stdout
        assert "Dry run, nothing was written: 2 would be cleaned, 1 already clean, 0 would be refused." in result.stdout
    assert not (tmp_path / "out").exists()


def test_clean_exits_3_and_names_the_reason_when_a_file_is_refused(photos):
    broken = write(photos / "broken.jpg", build.truncated_jpeg())
    before = broken.read_bytes()
    result = run("clean", str(photos))
    assert result.exit_code == 3
    assert broken.read_bytes() == before
    assert not (photos / "broken.clean.jpg").exists()
    summary = result.stdout[result.stdout.index("Cleaned 2"):]
    assert "refused 1" in summary and "broken.jpg: " in summary


def test_clean_json_says_what_happened_to_each_file(photos, tmp_path):
    write(photos / "broken.jpg", build.truncated_jpeg())
    out = tmp_path / "out"
    result = run("clean", "--json", "--output", str(out), str(photos))
    objects = {Path(o["path"]).name: o for o in json.loads(result.stdout)}
    assert objects["IMG_20250614_160311.jpg"]["action"] == "cleaned"
    assert objects["IMG_20250614_160311.jpg"]["output"] == str(out / "IMG_20250614_160311.jpg")
    assert objects["IMG_20250614_160311.jpg"]["location"]["place"].startswith("near City of Westminster")
    assert objects["cat.png"]["action"] == "already_clean"
    assert objects["broken.jpg"]["action"] == "refused"
    assert objects["broken.jpg"]["output"] is None
    assert objects["broken.jpg"]["status"] == "error"


def test_rename_gives_neutral_random_names(photos, tmp_path):
    out = tmp_path / "out"
    assert run("clean", "--rename", "--output", str(out), str(photos)).exit_code == 0
    names = sorted(listing(out))
    assert len(names) == 3
    assert all(re.fullmatch(r"(trip/)?photo-[0-9a-f]{12}\.(jpg|png)", n) for n in names), names
    assert run("clean", "--rename", str(photos / "cat.png")).exit_code == 0
    assert len(list(photos.glob("photo-*.png"))) == 1


def test_rename_in_place_leaves_only_the_neutral_name(tmp_path):
    photo = write(tmp_path / "IMG_20250614_160311.jpg", build.identifying_jpeg())
    assert run("clean", "--in-place", "--rename", str(photo)).exit_code == 0
    [left] = list(tmp_path.iterdir())
    assert re.fullmatch(r"photo-[0-9a-f]{12}\.jpg", left.name)
    assert findings_in(left) == []


def _with_orientation_and_profile() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buf = io.BytesIO()
    Image.new("RGB", (16, 8), "red").save(buf, "JPEG", icc_profile=profile, exif=build.exif_bytes(orientation=6))
    return buf.getvalue()


@pytest.mark.parametrize(
    ("options", "keeps_orientation", "keeps_profile"),
    [
        ((), True, True),
        (("--drop-orientation",), False, True),
        (("--drop-colour-profile",), True, False),
        (("--drop-color-profile", "--drop-orientation"), False, False),
    ],
)
def test_orientation_and_colour_profile_are_kept_unless_dropped(tmp_path, options, keeps_orientation, keeps_profile):
    photo = write(tmp_path / "a.jpg", _with_orientation_and_profile())
    assert run("clean", *options, str(photo)).exit_code == 0
    with Image.open(tmp_path / "a.clean.jpg") as im:
        assert (im.getexif().get(0x0112) == 6) is keeps_orientation
        assert bool(im.info.get("icc_profile")) is keeps_profile


def test_spoofed_extension_is_corrected_only_beside_the_original(tmp_path):
    fake = write(tmp_path / "in" / "holiday.jpg", build.png(author=build.OWNER))
    result = run("clean", str(fake))
    assert result.exit_code == 0
    assert (tmp_path / "in" / "holiday.clean.png").exists()
    assert "really a PNG" in result.stdout
    out = tmp_path / "out"
    assert run("clean", "--output", str(out), str(tmp_path / "in")).exit_code == 0
    assert sorted(listing(out)) == ["holiday.clean.png", "holiday.jpg"]


# ---------------------------------------------------------------- manners

def test_top_level_help_lists_every_command_with_one_line_each():
    out = run("--help").stdout
    commands = out[out.index("Commands:"):].splitlines()[1:]
    assert sorted(line.split()[0] for line in commands if line.strip()) == sorted(main.commands) == [
        "check", "clean", "watch", "web"]
    for name in main.commands:
        assert re.search(rf"^ +geoscrub {name} \S+.* {{2,}}[a-z]", out, re.M), name  # the usage list up top
        [line] = [line for line in commands if line.split()[:1] == [name]]
        assert len(line.split()) > 3 and not line.endswith("..."), line  # its one line, whole


def test_version_and_python_dash_m():
    assert run("--version").stdout.strip() == f"geoscrub, version {geoscrub.__version__}"
    proc = subprocess.run([sys.executable, "-m", "geoscrub", "--version"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert geoscrub.__version__ in proc.stdout


def test_shell_completion_works():
    runner = CliRunner()
    script = runner.invoke(main, [], prog_name="geoscrub", env={"_GEOSCRUB_COMPLETE": "bash_source"})
    assert "_geoscrub_completion" in script.stdout
    words = runner.invoke(
        main, [], prog_name="geoscrub",
        env={"_GEOSCRUB_COMPLETE": "bash_complete", "COMP_WORDS": "geoscrub cl", "COMP_CWORD": "1"},
    )
    assert "clean" in words.stdout and "check" not in words.stdout
    options = runner.invoke(
        main, [], prog_name="geoscrub",
        env={"_GEOSCRUB_COMPLETE": "bash_complete", "COMP_WORDS": "geoscrub clean --dr", "COMP_CWORD": "2"},
    )
    assert "--dry-run" in options.stdout


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli.use_colour(FakeTerminal()) is True
    assert cli.use_colour(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.use_colour(FakeTerminal()) is False


def test_no_escape_codes_when_output_is_not_a_terminal(photos):
    assert not ANSI.search(run("check", str(photos)).stdout)
    assert not ANSI.search(run("clean", "--dry-run", str(photos)).stdout)


def test_progress_bar_only_on_a_terminal_and_only_for_batches(photos):
    assert cli.use_progress(FakeTerminal(), 3) is True
    assert cli.use_progress(FakeTerminal(), 1) is False
    assert cli.use_progress(io.StringIO(), 3) is False
    result = run("check", str(photos))
    assert "Checking" not in result.stderr  # CliRunner's stderr is not a terminal


def test_place_names_are_looked_up_without_the_network(monkeypatch):
    def no_network(*_a, **_k):
        raise AssertionError("geoscrub must never use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    places.place_name.cache_clear()
    places._index.cache_clear()
    assert places.place_name(*build.WESTMINSTER) == "near City of Westminster, England, United Kingdom"
    assert places.place_name(0.5, -30.0).startswith("about ")  # mid-Atlantic: far from any town
    assert not {"numpy", "scipy", "reverse_geocode"} & set(sys.modules)  # the index needs neither


def test_place_data_is_loaded_only_when_a_photo_has_gps(tmp_path):
    photo = write(tmp_path / "a.jpg", build.identifying_jpeg(gps=None))
    code = (
        "import sys; from click.testing import CliRunner; from geoscrub.cli import main; "
        f"r = CliRunner().invoke(main, ['check', {str(photo)!r}]); "
        "from geoscrub import places; print(r.exit_code, places._index.cache_info().currsize)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["1", "0"]


def test_an_output_folder_inside_the_input_is_not_cleaned_again(photos):
    out = photos / "shared"
    assert run("clean", "--output", str(out), str(photos)).exit_code == 0
    assert run("clean", "--output", str(out), str(photos)).exit_code == 0
    assert not (out / "shared").exists()


def test_in_place_on_a_named_link_cleans_the_file_it_points_to(tmp_path):
    real = write(tmp_path / "real" / "a.jpg", build.identifying_jpeg())
    link = tmp_path / "link.jpg"
    link.symlink_to(real)
    assert run("clean", "--in-place", str(link)).exit_code == 0
    assert link.is_symlink()
    assert findings_in(real) == []


@pytest.mark.parametrize(
    ("name", "fmt", "ext", "expected"),
    [
        ("a.JPEG", "JPEG", ".jpg", ".JPEG"),
        ("a.jpg", "PNG", ".png", ".png"),
        ("IMG.dng", "TIFF", ".tif", ".dng"),
        ("noext", "JPEG", ".jpg", ".jpg"),
    ],
)
def test_a_copy_beside_the_original_keeps_an_extension_only_when_it_is_true(name, fmt, ext, expected):
    from geoscrub.paths import default_output, extension_for

    extension = extension_for(Path(name), fmt, ext)
    assert extension == expected
    assert default_output(Path("x") / name, extension).name.endswith(f".clean{expected}")


@pytest.mark.parametrize("command", ["check", "clean"])
def test_a_bug_in_a_format_module_costs_one_file_not_the_batch(photos, monkeypatch, command):
    from geoscrub.formats import png

    def broken(*_args, **_kwargs):
        raise ValueError("simulated bug")

    monkeypatch.setattr(png.FORMAT, "scan", broken)
    result = run(command, str(photos))
    assert result.exit_code == (1 if command == "check" else 3)  # check: the identifying JPEG wins
    assert "Traceback" not in result.output
    assert "unexpected ValueError: simulated bug" in result.output
    assert "IMG_20250614_160311.jpg" in result.output  # the JPEG was still handled


def test_in_place_refuses_a_file_with_other_names(tmp_path):
    photo = write(tmp_path / "a.jpg", build.identifying_jpeg())
    os.link(photo, tmp_path / "other-name.jpg")
    result = run("clean", "--in-place", str(photo))
    assert result.exit_code == 3 and "hard links" in result.output
    assert findings_in(tmp_path / "other-name.jpg")  # nothing was half-done


def test_dry_run_says_when_the_copy_could_not_be_written(tmp_path):
    photo = write(tmp_path / "a.jpg", build.identifying_jpeg())
    write(tmp_path / "a.clean.jpg", b"an earlier copy")
    result = run("clean", "--dry-run", str(photo))
    assert result.exit_code == 3 and "already exists" in result.output
