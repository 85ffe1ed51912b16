"""What a line of words in a picture looks like: a school's name, an address, a postcode, a number plate.

ONE table, ``RULES``, holds every rule.  Each rule names the countries it is
for, the kind it finds and a regular expression matched against the line in
capitals with its spaces squeezed.  To teach geoscrub another country, add rows
to ``RULES`` (and, for a new kind, a row to ``KINDS``); nothing else changes.

Pure Python (only ``re``), so the web page's Pyodide worker uses it too.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

#: Every kind, worst first (the order the report names them in): key -> (one, several).
#: Worst = the most direct way to find a child: where they are every day, where they live.
KINDS: dict[str, tuple[str, str]] = {
    "school": ("a school's name", "school names"),
    "address": ("an address (a house number and street)", "addresses"),
    "street": ("a street name", "street names"),
    "postcode": ("a postcode", "postcodes"),
    "plate": ("a number plate", "number plates"),
}

#: Kind names used in JSON and in the web page: key -> short name.
KIND_NAMES: dict[str, str] = {
    "school": "school's name",
    "address": "address",
    "street": "street name",
    "postcode": "postcode",
    "plate": "number plate",
}


@dataclass(frozen=True)
class Rule:
    """One row of the table: ``pattern`` (searched in the line, in capitals) means ``kind`` in ``countries``."""

    countries: tuple[str, ...]  # ISO 3166 codes; "*" = common to many countries
    kind: str
    pattern: re.Pattern[str]


def _rule(countries: str, kind: str, pattern: str) -> Rule:
    return Rule(tuple(countries.split()), kind, re.compile(pattern))


# Street words.  Full words count anywhere after another word ("HIGH STREET NORTH");
# short or everyday ones ("ST" is also "Saint", "WAY" is also "WAY OUT") only at the end of the line.
_STREET_WORDS = (r"STREET|ROAD|AVENUE|LANE|DRIVE|CRESCENT|GARDENS|GROVE|TERRACE|BOULEVARD|MEWS|"
                 r"SQUARE|PARADE|QUAY")
_STREET_ENDINGS = r"ST|RD|AVE|AV|LN|DR|CL|CLOSE|CRES|GDNS|GR|TCE|SQ|PL|PLACE|WAY|HILL|COURT|CT|WALK|ROW|PARK|GREEN|VIEW|RISE"
_STREET = rf"(?:[A-Z'’\-]+ )+(?:(?:{_STREET_WORDS})\b|(?:{_STREET_ENDINGS})\.?$)"
_FOREIGN_STREET = (r"\b(?:RUE|AVENUE|BOULEVARD|CALLE|AVENIDA|PLAZA|VIA|VIALE|PIAZZA|RUA|PRAÇA|PRACA)\b [A-Z'’\-]+"
                   r"|[A-Z]+(?:STRASSE|STRAßE|STR\.|GASSE|WEG|PLATZ|STRAAT|GRACHT|PLEIN|LAAN|VÄG|VEJ|GATA|GADE)\b"
                   r"|\b(?:STRASSE|STRAAT)\b")

#: The table.  The first row that matches wins, so "12 SCHOOL LANE" is an address, not a school.
RULES: tuple[Rule, ...] = (
    # --- a house number with a street: a home address
    _rule("GB IE *", "address", rf"(?:^|\b)\d{{1,4}}[A-Z]?,? {_STREET}"),
    _rule("FR BE ES IT PT", "address", r"^\d{1,4}(?: BIS| TER)?,? (?:RUE|AVENUE|BOULEVARD|CALLE|AVENIDA|VIA|RUA)\b"),
    _rule("DE AT CH NL", "address", r"[A-Z]+(?:STRASSE|STRAßE|STR\.|GASSE|WEG|PLATZ|STRAAT|LAAN|PLEIN) \d{1,4}[A-Z]?\b"),
    # --- schools (UK/IE and common international words)
    _rule("GB IE *", "school", r"\b(?:SCHOOL|ACADEMY|COLLEGE|PRIMARY|NURSERY|INFANTS?|GRAMMAR|PRESCHOOL|PRE-SCHOOL|"
                               r"KINDERGARTEN|MONTESSORI|SIXTH FORM)\b"),
    _rule("IE", "school", r"\b(?:SCOIL|GAELSCOIL|GAELCHOLÁISTE|GAELCHOLAISTE|COLÁISTE|COLAISTE|NAÍSCOIL|NAISCOIL)\b"),
    _rule("FR BE CH", "school", r"\b(?:ÉCOLE|ECOLE|LYCÉE|LYCEE|COLLÈGE)\b"),
    _rule("DE AT CH", "school", r"[A-Z]*SCHULE\b|\bGYMNASIUM\b|\bKITA\b"),
    _rule("ES IT PT", "school", r"\b(?:ESCUELA|COLEGIO|INSTITUTO|SCUOLA|LICEO|ESCOLA)\b"),
    _rule("NL", "school", r"\b(?:BASISSCHOOL|SCHOOL)\b|[A-Z]*SCHOOL\b"),
    # --- streets
    _rule("GB IE *", "street", _STREET),
    _rule("FR DE NL ES IT PT SE DK NO", "street", _FOREIGN_STREET),
    # --- postcodes
    _rule("GB", "postcode", r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2})\b"),
    _rule("IE", "postcode", r"\b(?:[AC-FHKNPRTV-Y][0-9]{2}|D6W) ?[0-9AC-FHKNPRTV-Y]{4}\b"),
    # --- number plates
    _rule("GB", "plate", r"^(?:[A-Z]{2}[0-9]{2} ?[A-Z]{3}|[A-Z][0-9]{1,3} ?[A-Z]{3}|[A-Z]{3} ?[0-9]{1,3}[A-Z])$"),
    _rule("IE", "plate", r"^[0-9]{2,3} ?-? ?(?:[CDGLTW]|CE|CN|CW|DL|KE|KK|KY|LD|LH|LK|LM|LS|MH|MN|MO|OY|RN|SO|TN|TS|"
                         r"WD|WH|WX|WW) ?-? ?[0-9]{1,6}$"),
    _rule("FR IT", "plate", r"^[A-Z]{2} ?-? ?[0-9]{3} ?-? ?[A-Z]{2}$"),
    _rule("DE", "plate", r"^[A-ZÄÖÜ]{1,3} ?[- ] ?[A-Z]{1,2} ?[0-9]{1,4}[EH]?$"),
    _rule("ES", "plate", r"^[0-9]{4} ?-? ?[B-DF-HJ-NP-TV-Z]{3}$"),
    _rule("NL", "plate", r"^(?:[A-Z0-9]{2}-){2}[A-Z0-9]{2}$|^[0-9]{2}-[A-Z]{3}-[0-9]$|^[A-Z]{2}-[0-9]{3}-[A-Z]$"),
)

assert all(rule.kind in KINDS for rule in RULES), "every rule's kind is in KINDS"

def normal(text: str) -> str:
    """The line as the rules see it: capitals, ``’`` as ``'``, spaces squeezed."""
    text = unicodedata.normalize("NFC", text).upper().replace("’", "'").replace("‘", "'")
    return " ".join(text.split())


def kind_key(text: str, countries: Iterable[str] | None = None) -> str | None:
    """The KINDS key of the worst kind this line looks like, or None."""
    wanted = None if countries is None else set(countries) | {"*"}
    line = normal(text)
    for rule in RULES:
        if wanted is not None and not wanted & set(rule.countries):
            continue
        if rule.pattern.search(line):
            return rule.kind
    return None


def kind_of(text: str, countries: Iterable[str] | None = None) -> str | None:
    """What this line looks like, as a short name ("school's name", "number plate", ...), or None."""
    key = kind_key(text, countries)
    return None if key is None else KIND_NAMES[key]


def kinds_in(texts: Iterable[str], countries: Iterable[str] | None = None) -> dict[str, int]:
    """How many lines of each kind (KINDS keys), worst kind first; kinds not seen are left out."""
    counts: dict[str, int] = {}
    for text in texts:
        key = kind_key(text, countries)
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    return {kind: counts[kind] for kind in KINDS if kind in counts}
