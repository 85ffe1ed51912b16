"""GIF: comments, plain text, XMP, foreign extensions and trailers go; frames and timing stay."""
from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from geoscrub import GeoscrubError, MalformedFile, Policy, clean_bytes, scan_bytes
from geoscrub.errors import TruncatedFile, UnsafeToClean, UnsupportedFormat
from geoscrub.formats import gif
from tests.builders import core
from tests.builders import gif as gb

from .conftest import pixels


def kinds(data: bytes) -> list[str]:
    return [b.kind for b in gif.parse(data).blocks]


def animation(data: bytes) -> tuple[object, list[object]]:
    """(loop count, per-frame durations) as a viewer sees them."""
    with Image.open(io.BytesIO(data)) as im:
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info.get("duration"))
        return im.info.get("loop"), durations


def test_dirty_gif_reports_each_carrier():
    found = scan_bytes(gb.dirty_gif())[1]
    keys = {f.key for f in found.findings}
    assert {"Comment", "PlainText", "C2PA_GIF1.0", "Trailer", "dc:creator", "mwg-rs:Name"} <= keys
    assert found.location is not None  # the XMP position


def test_comment_extension_is_detected_and_removed():
    dirty = gb.gif(head=[gb.comment_ext("Alex lives on Example Street")])
    assert any(f.key == "Comment" and "Example Street" in f.value for f in scan_bytes(dirty)[1].findings)
    cleaned = clean_bytes(dirty)[2]
    assert "comment" not in kinds(cleaned) and b"Example Street" not in cleaned


def test_plain_text_extension_is_detected_and_removed():
    dirty = gb.gif(tail=[gb.plain_text_ext("Alex Example, 4th grade")])
    assert "PlainText" in {f.key for f in scan_bytes(dirty)[1].findings}
    assert b"4th grade" not in clean_bytes(dirty)[2]


def test_xmp_application_extension_is_read_and_removed():
    dirty = gb.gif(head=[gb.xmp_ext()])
    found = scan_bytes(dirty)[1]
    assert "dc:creator" in {f.key for f in found.findings}
    cleaned = clean_bytes(dirty)[2]
    assert "xmp" not in kinds(cleaned) and b"XMP DataXMP" not in cleaned and core.OWNER.encode() not in cleaned


def test_xmp_without_anything_identifying_is_still_reported():
    packet = b'<?xpacket begin="" id="x"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/><?xpacket end="w"?>'
    found = scan_bytes(gb.gif(head=[gb.xmp_ext(packet)]))[1]
    assert found.findings


def test_other_application_extensions_are_removed():
    dirty = gb.gif(tail=[gb.app_ext(b"C2PA_GIF1.0", b"creator=Alex"), gb.app_ext(b"MGK8BIM0000", b"8BIM....")])
    cleaned = clean_bytes(dirty)[2]
    assert "app" not in kinds(cleaned) and b"C2PA" not in cleaned and b"8BIM" not in cleaned


def test_unknown_extension_label_is_removed():
    dirty = gb.gif(tail=[b"\x21\x99" + gb.sub_blocks(b"who knows")])
    assert "ext" in kinds(dirty)
    assert b"who knows" not in clean_bytes(dirty)[2]


def test_bytes_after_the_trailer_are_removed():
    dirty = gb.gif(after_trailer=b"secret tail" * 10)
    assert "Trailer" in {f.key for f in scan_bytes(dirty)[1].findings}
    cleaned = clean_bytes(dirty)[2]
    assert cleaned.endswith(b"\x3b") and b"secret" not in cleaned


def test_frames_timing_and_loop_are_identical_after_cleaning():
    dirty = gb.dirty_gif()
    cleaned = clean_bytes(dirty)[2]
    assert pixels(cleaned) == pixels(dirty) and len(pixels(cleaned)) == 3
    assert animation(cleaned) == animation(dirty)
    assert kinds(cleaned) == ["loop", "gce", "image", "gce", "image", "gce", "image"]
    assert scan_bytes(cleaned)[1].findings == ()


def test_image_blocks_are_copied_byte_for_byte():
    dirty = gb.dirty_gif()
    cleaned = clean_bytes(dirty)[2]
    blocks = [dirty[b.start : b.end] for b in gif.parse(dirty).blocks if b.kind in ("image", "gce")]
    assert blocks == [cleaned[b.start : b.end] for b in gif.parse(cleaned).blocks if b.kind in ("image", "gce")]
    assert cleaned[:13] == dirty[:13]


@pytest.mark.parametrize("ident", [b"NETSCAPE2.0", b"ANIMEXTS1.0"])
def test_loop_extension_is_kept_with_only_its_loop_count(ident):
    data = gb.encode(3, loop=None)
    at = gb.screen_end(data)
    dirty = data[:at] + gb.loop_ext(5, ident, extra=b"\x05\x02hide") + data[at:]
    cleaned = clean_bytes(dirty)[2]
    assert gb.loop_ext(5, ident) in cleaned and b"hide" not in cleaned
    assert animation(cleaned) == animation(dirty)
    assert gif.parse(cleaned).blocks[0].loops == 5


def test_single_frame_gif_without_loop_is_unchanged_in_structure():
    plain = gb.gif(count=1, loop=None)
    assert clean_bytes(plain)[2] == plain


def test_colour_profile_extension_is_kept_by_policy():
    profile = core.icc_profile()
    dirty = gb.gif(head=[gb.icc_ext(profile)])
    assert scan_bytes(dirty)[1].findings == ()
    assert "icc" in kinds(clean_bytes(dirty)[2])
    assert "icc" not in kinds(clean_bytes(dirty, Policy(keep_color_profile=False))[2])


def test_cleaning_is_idempotent():
    once = clean_bytes(gb.dirty_gif())[2]
    assert gif.FORMAT.strip(once, Policy()) == once


def test_truncated_gif_at_every_length_raises_only_geoscrub_errors():
    whole = gb.dirty_gif()
    end = gif.parse(whole).trailer_end
    for cut in range(end):  # every cut before the trailer loses it: refused, never accepted
        with pytest.raises(GeoscrubError):
            clean_bytes(whole[:cut])


def test_missing_trailer_is_refused_as_truncated():
    data = gb.gif()
    with pytest.raises(TruncatedFile, match="trailer"):
        gif.parse(data[:-1])


def test_unknown_block_type_is_refused():
    data = gb.gif()
    with pytest.raises(MalformedFile, match="unknown block"):
        gif.parse(data[:-1] + b"\x42\x3b")


def test_not_a_gif_is_unsupported():
    with pytest.raises(UnsupportedFormat):
        gif.parse(b"GIF90a" + b"\x00" * 20)


def test_huge_logical_screen_costs_nothing_as_gif_pixels_are_never_made():
    # only the LZW code widths are followed, so the work is the file's bytes, not its declared size
    data = bytearray(gb.gif())
    data[6:10] = b"\xff\xff\xff\xff"
    gif.parse(bytes(data))


def test_random_damage_never_escapes_as_another_exception():
    rng = random.Random(9)
    original = gb.dirty_gif()
    for _ in range(400):
        data = bytearray(original)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            clean_bytes(bytes(data))
        except GeoscrubError:
            pass


def test_registry_sends_gif_to_the_gif_module():
    assert scan_bytes(gb.gif())[0] is gif.FORMAT


# --- bytes after the picture's LZW end code -----------------------------------------------------

def test_data_after_the_lzw_end_code_is_refused():
    dirty = gb.data_after_end_code(b"Sam Example lives at 12 Elm Road")
    with pytest.raises(UnsafeToClean, match="after its end marker"):
        clean_bytes(dirty)


def test_picture_data_without_an_end_code_is_refused():
    data = gb.encode(1)
    start, end = gb.image_blocks(data)[0]
    packed = data[start + 9]
    lzw_at = start + 10 + (3 * (2 << (packed & 7)) if packed & 0x80 else 0)
    size = data[lzw_at]  # codes start size+1 bits wide; the clear code is 1 << size
    clears = sum((1 << size) << ((size + 1) * i) for i in range(8)).to_bytes(size + 1, "little")
    dirty = data[: lzw_at + 1] + bytes([len(clears)]) + clears + b"\x00" + data[end:]
    with pytest.raises(UnsafeToClean, match="no end marker"):
        gif.parse(dirty)


def test_every_frame_of_real_animations_passes_the_end_code_check():
    for data in (gb.encode(3), gb.dirty_gif(), gb.encode(1)):
        assert clean_bytes(data)[2]


# --- colour profiles must be real ICC profiles --------------------------------------------------

def test_a_colour_profile_extension_holding_text_is_dropped_and_reported():
    dirty = gb.gif(count=1, head=[gb.icc_ext(b"Sam Example lives at 12 Elm Road")])
    assert "ICCRGBG1012" in {f.key for f in scan_bytes(dirty)[1].findings}
    cleaned = clean_bytes(dirty)[2]
    assert b"Elm Road" not in cleaned and "icc" not in kinds(cleaned)


def test_a_profile_with_text_appended_is_dropped():
    profile = core.icc_profile() + b"Sam Example"
    cleaned = clean_bytes(gb.gif(count=1, head=[gb.icc_ext(profile)]))[2]
    assert b"Sam Example" not in cleaned


def test_only_the_first_colour_profile_is_kept():
    profile = core.icc_profile()
    dirty = gb.gif(count=1, head=[gb.icc_ext(profile), gb.icc_ext(profile)])
    assert kinds(clean_bytes(dirty)[2]).count("icc") == 1


# --- a control block that belongs to a dropped text block ---------------------------------------

def test_a_control_block_for_a_dropped_text_block_is_dropped_too():
    dirty = gb.text_with_control("Sam Example", delay=500)
    cleaned = clean_bytes(dirty)[2]
    assert b"\x21\xf9\x04\x00\xf4\x01" not in cleaned  # the 5 s delay meant for the text
    assert kinds(cleaned).count("gce") == 1 and kinds(cleaned).count("image") == 2
    assert pixels(cleaned) == pixels(dirty)


def _noisy_frames_gif(count: int) -> bytes:
    import io

    from PIL import Image

    frames = [Image.effect_noise((160, 120), 60 + 10 * i).convert("P") for i in range(count)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def test_verifying_the_copy_does_not_follow_the_same_frames_codes_again(monkeypatch):
    from geoscrub.api import clean_bytes
    from geoscrub.formats import gif as gif_format

    calls = []
    real = gif_format._check_lzw_end
    monkeypatch.setattr(gif_format, "_check_lzw_end", lambda data, at, end: (calls.append(end - at), real(data, at, end)))
    data = _noisy_frames_gif(3)
    clean_bytes(data)
    assert len(calls) == 3 and all(n >= gif_format._FRAME_WORTH_REMEMBERING for n in calls)


def test_a_frame_that_differs_from_a_checked_one_is_checked_itself():
    from geoscrub.errors import GeoscrubError
    from geoscrub.formats import gif as gif_format
    from geoscrub.formats.base import forget_recent_parses

    data = _noisy_frames_gif(1)
    layout = gif_format.parse(data)
    image = next(b for b in layout.blocks if b.kind == "image")
    gif_format.parse(data)  # the frame passed and is remembered
    hidden = bytearray(data)
    hidden[image.end - 2] ^= 0x5A  # inside the last sub-block: bytes after the end code, or a broken code
    try:
        with pytest.raises(GeoscrubError):
            gif_format.parse(bytes(hidden))
    finally:
        forget_recent_parses()
