"""Photoshop image resources (8BIM) and IPTC-IIM records, read for the report.

Spec: Adobe Photoshop File Formats, "Image resource blocks"; IPTC-IIM 4.2.
"""
from __future__ import annotations

from .._binary import u16, u32
from ..errors import GeoscrubError
from ..model import Category, Finding, ScanResult

_IIM: dict[int, tuple[str, Category, str]] = {
    5: ("ObjectName", Category.OTHER, "Has a title someone typed"),
    25: ("Keywords", Category.OTHER, "Has keywords someone typed"),
    40: ("SpecialInstructions", Category.OTHER, "Has text someone typed"),
    55: ("DateCreated", Category.TIME, "Tells when the photo was taken"),
    60: ("TimeCreated", Category.TIME, "Tells when the photo was taken"),
    62: ("DigitalCreationDate", Category.TIME, "Tells when the photo was taken"),
    63: ("DigitalCreationTime", Category.TIME, "Tells when the photo was taken"),
    65: ("OriginatingProgram", Category.DEVICE, "Names the software used"),
    80: ("By-line", Category.PERSON, "Names the photographer"),
    85: ("By-lineTitle", Category.PERSON, "Names the photographer's job"),
    90: ("City", Category.PLACE, "Names the city where the photo was taken"),
    92: ("Sub-location", Category.PLACE, "Names the place where the photo was taken"),
    95: ("Province-State", Category.PLACE, "Names the region where the photo was taken"),
    100: ("Country-PrimaryLocationCode", Category.PLACE, "Names the country where the photo was taken"),
    101: ("Country-PrimaryLocationName", Category.PLACE, "Names the country where the photo was taken"),
    103: ("OriginalTransmissionReference", Category.OTHER, "Has a reference code"),
    105: ("Headline", Category.OTHER, "Has a headline someone typed"),
    110: ("Credit", Category.PERSON, "Names who took or owns the photo"),
    115: ("Source", Category.PERSON, "Names who owns the photo"),
    116: ("CopyrightNotice", Category.PERSON, "Names the owner of the photo"),
    118: ("Contact", Category.PERSON, "Gives contact details"),
    120: ("Caption-Abstract", Category.OTHER, "Has a caption someone typed"),
    122: ("Writer-Editor", Category.PERSON, "Names who wrote the caption"),
}


def scan_iim(data: bytes, source: str = "IPTC") -> list[Finding]:
    """Findings of IPTC-IIM datasets (0x1C record dataset length value)."""
    findings: list[Finding] = []
    pos, unknown = 0, 0
    while pos + 5 <= len(data):
        if data[pos] != 0x1C:
            break
        record, dataset = data[pos + 1], data[pos + 2]
        length = u16(data, pos + 3)
        pos += 5
        if length & 0x8000:  # extended length: not used by real files, stop safely
            findings.append(Finding.make(Category.OTHER, "IPTC", "extended dataset",
                                         "Has IPTC data that could not be read fully", source))
            break
        value = data[pos : pos + length]
        pos += length
        if record == 2 and dataset in _IIM:
            name, category, explanation = _IIM[dataset]
            findings.append(Finding.make(category, name, value, explanation, source))
        elif record == 2 and dataset == 0 or record == 1:
            continue
        else:
            unknown += 1
    if unknown:
        findings.append(Finding.make(Category.OTHER, "OtherIPTC", f"{unknown} entries",
                                     "Other IPTC data that geoscrub does not need to keep", source))
    return findings


def scan_photoshop(data: bytes, source: str = "Photoshop") -> ScanResult:
    """Findings of a sequence of 8BIM image resource blocks."""
    findings: list[Finding] = []
    pos = 0
    try:
        while pos + 12 <= len(data) and data[pos : pos + 4] in (b"8BIM", b"PHUT", b"DCSR", b"AgHg", b"MeSa"):
            rid = u16(data, pos + 4)
            name_len = data[pos + 6]
            pos += 6 + 1 + name_len
            pos += pos % 2
            size = u32(data, pos)
            pos += 4
            body = data[pos : pos + size]
            pos += size + (size & 1)
            if rid == 0x0404:
                findings.extend(scan_iim(body))
            elif rid in (0x0409, 0x040C):
                findings.append(Finding.make(Category.HIDDEN_IMAGE, "PhotoshopThumbnail", f"{size} bytes",
                                             "Hides a small copy of the picture that may show what was cropped out",
                                             source))
            elif rid == 0x0422:
                from .exif import scan_exif
                findings.extend(scan_exif(body, source).findings)
            elif rid == 0x0424:
                from .xmp import scan_xmp
                findings.extend(scan_xmp(body, source).findings)
            elif rid == 0x040F:
                continue  # ICC profile
            else:
                findings.append(Finding.make(Category.OTHER, f"Photoshop 0x{rid:04x}", f"{size} bytes",
                                             "Photoshop data that geoscrub does not need to keep", source))
    except GeoscrubError:
        findings.append(Finding.make(Category.OTHER, "Photoshop", "damaged",
                                     "Has Photoshop data that could not be read fully", source))
    if pos < len(data) and data[pos:].strip(b"\x00"):
        findings.append(Finding.make(Category.OTHER, "Photoshop", f"{len(data) - pos} bytes",
                                     "Has Photoshop data that could not be read fully", source))
    findings.sort(key=lambda f: f.category.severity)
    return ScanResult(tuple(findings))
