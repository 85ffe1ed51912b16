"""XMP packets: parsed safely for the report (no DTD, no entities, no network).

Cleaning drops XMP blocks whole without parsing them, so a packet that cannot
be parsed is still reported (as unreadable) and still removed.
"""
from __future__ import annotations

import re

from .. import limits
from ..model import Category, Finding, Location, ScanResult
from . import budget

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PREFIXES = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "Iptc4xmpExt",
    "http://www.metadataworkinggroup.com/schemas/regions/": "mwg-rs",
    "http://ns.microsoft.com/photo/1.2/": "MP",
    "http://ns.microsoft.com/photo/1.2/t/RegionInfo#": "MPRI",
    "http://ns.microsoft.com/photo/1.2/t/Region#": "MPReg",
    "http://ns.google.com/photos/1.0/camera/": "GCamera",
    "http://ns.google.com/photos/1.0/container/": "Container",
    "http://ns.google.com/photos/1.0/container/item/": "Item",
    "http://ns.google.com/photos/dd/1.0/device/": "Device",
    "http://ns.google.com/photos/1.0/depthmap/": "GDepth",
    "http://ns.google.com/photos/1.0/image/": "GImage",
    "http://ns.google.com/photos/1.0/panorama/": "GPano",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://ns.adobe.com/xmp/note/": "xmpNote",
    "http://ns.useplus.org/ldf/xmp/1.0/": "plus",
    "http://ns.adobe.com/lightroom/1.0/": "lr",
    "http://rs.tdwg.org/dwc/index.htm": "dwc",
    "http://www.dji.com/drone-dji/1.0/": "drone-dji",
    "http://ns.adobe.com/camera-raw-settings/1.0/": "crs",
    "http://ns.apple.com/faceinfo/1.0/": "apple-fi",
    "http://www.digikam.org/ns/1.0/": "digiKam",
    "http://ns.acdsee.com/iptc/1.0/": "acdsee",
    "http://ns.adobe.com/hdr-gain-map/1.0/": "hdrgm",
}

_PLACE_NAMES = {
    "city", "state", "country", "countrycode", "location", "sublocation", "provincestate",
    "countryname", "worldregion", "locationname", "locationcreated", "locationshown",
    "gpslatitude", "gpslongitude", "gpslongtitude", "gpsaltitude", "absolutealtitude",
    "relativealtitude", "gpsareainformation", "gpsdestlatitude", "gpsdestlongitude",
}
_PERSON_NAMES = {
    "creator", "rights", "artist", "owner", "ownername", "cameraownername", "by-line",
    "credit", "authorsposition", "captionwriter", "personinimage", "persondisplayname",
    "contributor", "publisher", "ciemailwork", "ciadrextadr", "ciadrcity", "ciurlwork",
    "citelwork", "ciadrpcode", "ciadrctry", "ciadrregion", "author", "copyright",
    "usageterms", "webstatement", "copyrightowner", "imagecreator", "licensor",
    "creatorcontactinfo", "source", "personinimagewdetails", "lastkeywordxmp",
}
_DEVICE_NAMES = {
    "serialnumber", "internalserialnumber", "lensserialnumber", "cameraserialnumber",
    "make", "model", "lens", "lensmodel", "lensid", "lensinfo", "creatortool",
    "imageuniqueid", "software", "hdrplusmakernote", "burstid", "cameraid", "ownerid",
    "uniquecameramodel", "manufacturer",
}
_TIME_NAMES = {
    "createdate", "modifydate", "metadatadate", "datecreated", "datetimeoriginal",
    "datetimedigitized", "datetime", "when", "gpstimestamp", "gpsdatestamp", "digitizeddate",
}
_HIDDEN_NAMES = {
    "motionphoto", "microvideo", "microvideooffset", "motionphotopresentationtimestampus",
    "microvideopresentationtimestampus", "data", "hasextendedxmp", "semantic",
}
_HISTORY_NAMES = {"documentid", "instanceid", "originaldocumentid", "history", "derivedfrom",
                  "preservedfilename", "rawfilename", "ingredients", "pantry", "manifest"}
_TEXT_NAMES = {"description", "title", "subject", "keywords", "headline", "instructions",
               "usercomment", "caption", "label", "hierarchicalsubject", "tagslist", "name",
               "transmissionreference", "specialinstructions", "comment", "notes"}
#: Properties that describe the picture's rendering and identify nobody.
_HARMLESS_NAMES = {
    "orientation", "colorspace", "pixelxdimension", "pixelydimension", "xresolution",
    "yresolution", "resolutionunit", "imagewidth", "imagelength", "bitspersample", "format",
    "colormode", "iccprofile", "exifversion", "flashpixversion", "compression",
    "photometricinterpretation", "samplesperpixel", "ycbcrpositioning", "ycbcrsubsampling",
    "rating", "version", "gainmapmin", "gainmapmax", "gamma", "offsetsdr", "offsethdr",
    "hdrcapacitymin", "hdrcapacitymax", "basecolorspace", "alternatecolorspace", "basrenditionishdr",
    "baserenditionishdr", "mime", "length", "padding", "exposuretime", "fnumber", "exposureprogram",
    "isospeedratings", "focallength", "flash", "meteringmode", "whitebalance", "exposurebiasvalue",
    "maxaperturevalue", "aperturevalue", "shutterspeedvalue", "brightnessvalue", "focallengthin35mmfilm",
    "scenecapturetype", "sensingmethod", "filesource", "scenetype", "contrast", "saturation",
    "sharpness", "digitalzoomratio", "exposuremode", "lightsource", "gaincontrol",
    "subjectdistancerange", "customrendered", "componentsconfiguration", "fired", "return",
    "mode", "function", "redeyemode", "hasalphachannel", "isprimary", "profile", "type",
    "itemlength", "itemmime", "itemsemantic", "directory", "legacyiptcdigest",
    "alreadyapplied", "hascrop", "hassettings", "processversion", "gpsversionid",
}

_HIDDEN_EXPLAIN = "Hides another image or a video inside the photo"
_EXPLAIN = {
    Category.PLACE: "Shows where the photo was taken",
    Category.PERSON: "Names a person",
    Category.DEVICE: "Identifies the camera, phone or software",
    Category.TIME: "Tells when the photo was taken or edited",
}


def _category(prefix: str, local: str, under: str) -> tuple[Category, str] | None:
    """(category, explanation) of one XMP property, or None when harmless."""
    name = local.lower()
    if prefix == "dwc":
        return Category.PLACE, _EXPLAIN[Category.PLACE]
    if under in ("regioninfo", "regions", "regionlist", "personinimagewdetails") or prefix in ("MPRI", "MPReg"):
        if name in ("name", "persondisplayname", "description"):
            return Category.PERSON, "Names a person shown in the photo (face tag)"
        return None
    if prefix == "apple-fi":
        return Category.PERSON, "Marks faces in the photo"
    if name.startswith("gps") and name != "gpsversionid":
        if name in ("gpstimestamp", "gpsdatestamp"):
            return Category.TIME, _EXPLAIN[Category.TIME]
        return Category.PLACE, _EXPLAIN[Category.PLACE]
    if name in _PLACE_NAMES or name.startswith(("locationcreated", "locationshown")):
        return Category.PLACE, _EXPLAIN[Category.PLACE]
    if name in _DEVICE_NAMES or "serial" in name:
        return Category.DEVICE, _EXPLAIN[Category.DEVICE]
    if name in _PERSON_NAMES or name.startswith(("creator", "licensor", "copyrightowner", "imagecreator")):
        return Category.PERSON, _EXPLAIN[Category.PERSON]
    if name in _TIME_NAMES or name.endswith("date"):
        return Category.TIME, _EXPLAIN[Category.TIME]
    if name in _HIDDEN_NAMES and (prefix in ("GCamera", "GImage", "GDepth", "Item", "Container", "xmpNote")):
        if name in ("semantic",):
            return None
        return Category.HIDDEN_IMAGE, _HIDDEN_EXPLAIN
    if name in _HISTORY_NAMES:
        return Category.OTHER, "Records the editing history of the file"
    if name in _TEXT_NAMES:
        return Category.OTHER, "Has text someone typed, which may name people or places"
    if name in _HARMLESS_NAMES or prefix in ("crs", "hdrgm", "GPano"):
        return None
    return Category.OTHER, "Other extra data that geoscrub does not need to keep"


_XMP_COORD = re.compile(r"^\s*(\d{1,3})(?:,(\d{1,2}(?:\.\d+)?))?(?:,(\d{1,2}(?:\.\d+)?))?\s*([NSEW])\s*$")


def parse_xmp_coordinate(text: str) -> float | None:
    """XMP 'DDD,MM,SSk' or 'DDD,MM.mmk' to signed decimal degrees."""
    m = _XMP_COORD.match(text)
    if not m:
        try:
            return float(text)
        except ValueError:
            return None
    deg = float(m.group(1)) + float(m.group(2) or 0) / 60 + float(m.group(3) or 0) / 3600
    return -deg if m.group(4) in "SW" else deg


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return PREFIXES.get(uri, uri.rstrip("/#").rsplit("/", 1)[-1] or "ns"), local
    return "", tag


def scan_xmp(packet: bytes, source: str = "XMP") -> ScanResult:
    """Findings of one XMP packet.  Unsafe or unreadable XML is reported, not parsed."""
    if len(packet) > limits.MAX_XMP_PARSE_BYTES:
        return ScanResult((Finding.make(Category.OTHER, "XMP", f"{len(packet)} bytes",
                                        "Has a very large XMP block; it may hide anything", source),))
    if not budget.spend(len(packet)):
        return budget.unread("XMP", len(packet), source)
    try:
        root = _parse(packet)
    except _Unreadable as err:
        return ScanResult((Finding.make(Category.OTHER, "XMP", str(err),
                                        "Has an XMP block that could not be read safely; it may hide anything",
                                        source),))
    findings: list[Finding] = []
    coords: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()

    def add(prefix: str, local: str, value: str, under: str) -> None:
        if local.lower() in ("gpslatitude", "gpslongitude", "gpslongtitude"):  # DJI writes "Longtitude"
            coords[local.lower().replace("longtitude", "longitude")] = value
        verdict = _category(prefix, local, under)
        if verdict is None:
            return
        key = f"{prefix}:{local}" if prefix else local
        if (key, value) in seen:
            return
        seen.add((key, value))
        findings.append(Finding.make(verdict[0], key, value or "(present)", verdict[1], source))

    # iterative walk: (element, nearest non-RDF property name, its prefix, enclosing struct name, depth)
    stack = [(root, "", "", "", 0)]
    while stack:
        el, prop, pprefix, under, depth = stack.pop()
        if depth > limits.MAX_XML_DEPTH:
            findings.append(Finding.make(Category.OTHER, "XMP", "nested too deeply",
                                         "Has an XMP block that could not be read fully", source))
            break
        prefix, local = _split(el.tag) if isinstance(el.tag, str) else ("", "")
        is_rdf = el.tag.startswith("{" + RDF) if isinstance(el.tag, str) else True
        is_meta = local in ("xmpmeta", "xapmeta")
        if not is_rdf and not is_meta:
            under, prop, pprefix = (prop.lower() or under), local, prefix
        for name, value in el.attrib.items():
            aprefix, alocal = _split(name)
            if name.startswith("{" + RDF) or aprefix in ("xml", "x") or name.startswith("{http://www.w3.org/XML"):
                continue
            if "adobe:ns:meta" in name:
                continue
            add(aprefix, alocal, value, prop.lower() or under)
        text = (el.text or "").strip()
        if text and prop:
            add(pprefix, prop, text, under)
        for child in list(el):
            stack.append((child, prop, pprefix, under, depth + 1))

    location = None
    if "gpslatitude" in coords and "gpslongitude" in coords:
        lat, lon = parse_xmp_coordinate(coords["gpslatitude"]), parse_xmp_coordinate(coords["gpslongitude"])
        if lat is not None and lon is not None and (lat, lon) != (0, 0) and abs(lat) <= 90 and abs(lon) <= 180:
            location = Location(round(lat, 7), round(lon, 7), None)
    findings.sort(key=lambda f: f.category.severity)
    return ScanResult(tuple(findings), location)


class _Unreadable(Exception):
    pass


def _parse(packet: bytes):  # type: ignore[no-untyped-def]
    # imported here: XML support is only paid for by files that carry XMP
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    data = packet.strip(b"\x00 \t\r\n")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data:
        raise _Unreadable("empty")
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as err:
        raise _Unreadable(f"refused unsafe XML ({type(err).__name__})") from None
    except (ParseError, ValueError, UnicodeError) as err:
        raise _Unreadable(f"not well-formed XML ({str(err)[:60]})") from None
