"""Turning what a supporter typed into one city row, and organizers' mappings of the rest.

Matching, in order:

* The city field is read as "city[, region[, anything]]": "new york, ny", "Chicago, IL, USA".
  Without a comma, a trailing US state is recognized: "chicago illinois".
* Names are compared folded (gazetteer.city_key()): accents, letter case, punctuation, extra
  spaces and St./Saint do not count. A city's own names and, for big cities, its other names
  ("NYC", "New York") are looked up within the country given.
* Among namesakes (Springfield, Portland) the region decides, then the city's own name before
  another name, then population.
* A spelling the gazetteer lacks gets a city row of its own (``geonameid`` NULL), one per
  (country, region, spelling), so it is counted like any other; an organizer can later map it
  to a canonical city for their coalition (map_unmatched()).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from sqlalchemy import func, select, text, tuple_, update

from . import tallies
from .extensions import db
from .gazetteer import city_key, region_code, us_states
from .models import City, CityMapping, CityName, CityTally, Petition, Signature
from .sql import insert

__all__ = [
    "city_key",
    "clean_spelling",
    "find_canonical",
    "map_unmatched",
    "resolve",
    "resolve_all",
    "suggestions",
    "unmatched",
]

_SPACES = re.compile(r"\s+")

Spelling = tuple[str, str, str]  # (city as typed, region as typed, country code)


def clean_spelling(name: str) -> str:
    """How an unmatched city is shown: trimmed, single-spaced, capitalized when typed all in one case."""
    name = _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip(" ,")
    if name.islower() or name.isupper():
        name = name.title()
    return name[:200]


@dataclass(frozen=True)
class Reading:
    """One way of reading a spelling: the city's key and the region code it names ("" for none)."""

    key: str
    region: str


def readings(typed: str, region: str, country: str) -> tuple[str, list[Reading]]:
    """The city part of what was typed, and the ways of reading it, most likely first."""
    city, *rest = typed.split(",")
    hint = region.strip() or (rest[0].strip() if rest else "")
    code = region_code(hint, country) if hint else ""
    key = city_key(city)
    found = [Reading(key, code)]
    if not rest and not hint and country == "US":
        # "chicago illinois", "portland or": a state written after the city.
        words = key.split()
        for n in (2, 1):
            state = us_states().get(" ".join(words[-n:]))
            if len(words) > n and state:
                found.append(Reading(" ".join(words[:-n]), state))
    return city, found


def resolve(typed: str, region: str, country: str, *, coalition_id: int | None = None) -> int:
    """The id of the city a signer means; an unmatched spelling gets (or reuses) a row of its own."""
    spelling = (typed, region, country)
    return resolve_all([spelling], coalition_id=coalition_id)[spelling]


def resolve_all(spellings: Collection[Spelling], *, coalition_id: int | None = None) -> dict[Spelling, int]:
    """resolve() for many spellings at once, in a few statements whatever their number.

    With a coalition, its organizers' mappings of unmatched spellings apply.
    """
    parsed = {spelling: readings(*spelling) for spelling in spellings}
    candidates = _candidates(parsed)
    found: dict[Spelling, int] = {}
    unmatched: dict[tuple[str, str, str], str] = {}
    for spelling, (city_part, options) in parsed.items():
        city = _best(candidates, spelling[2], options)
        if city is not None:
            found[spelling] = city.id
        else:
            first = options[0]
            unmatched[spelling[2], first.region, first.key[:200]] = clean_spelling(city_part) or "?"
    if unmatched:
        ids = _unmatched_rows(unmatched)
        if coalition_id is not None:
            ids = _mapped(coalition_id, ids)
        for spelling, (_, options) in parsed.items():
            if spelling not in found:
                found[spelling] = ids[spelling[2], options[0].region, options[0].key[:200]]
    return found


def _candidates(parsed: dict[Spelling, tuple[str, list[Reading]]]) -> dict[tuple[str, str], list[tuple[City, bool]]]:
    """Gazetteer cities (with whether the name is another name) by (country, key), for every reading."""
    wanted = sorted({(spelling[2], reading.key) for spelling, (_, found) in parsed.items() for reading in found})
    candidates: dict[tuple[str, str], list[tuple[City, bool]]] = {}
    for chunk in _chunks(wanted):
        rows = db.session.execute(
            select(City, CityName.country, CityName.key, CityName.alias)
            .join(CityName, CityName.city_id == City.id)
            .where(tuple_(CityName.country, CityName.key).in_(chunk))
        )
        for city, country, key, alias in rows:
            candidates.setdefault((country, key), []).append((city, alias))
    return candidates


def find_canonical(typed: str, country: str) -> City | None:
    """The gazetteer city that a spelling means ("Chicago, IL"), or None: nothing is stored."""
    spelling = (typed, "", country)
    parsed = {spelling: readings(*spelling)}
    return _best(_candidates(parsed), country, parsed[spelling][1])


def _best(candidates, country: str, options: list[Reading]) -> City | None:
    """The first reading that names a gazetteer city decides; among namesakes the region, then the
    city's own name before another name, then population."""
    for reading in options:
        matches = candidates.get((country, reading.key))
        if matches:
            return min(
                matches,
                key=lambda match: (bool(reading.region) and match[0].region != reading.region, match[1],
                                   -match[0].population, match[0].id),
            )[0]  # fmt: skip
    return None


def _unmatched_rows(unmatched: dict[tuple[str, str, str], str]) -> dict[tuple[str, str, str], int]:
    # One row per new spelling, even when signers type it at the same moment: the partial unique
    # index decides. Sorted, so that two writers never wait on each other in a cycle.
    rows = [
        {"country": country, "region": region, "key": key, "name": name}
        for (country, region, key), name in sorted(unmatched.items())
    ]
    db.session.execute(
        insert(City.__table__).on_conflict_do_nothing(
            index_elements=["country", "region", "key"], index_where=text("geonameid IS NULL")
        ),
        rows,
    )
    ids = {}
    for chunk in _chunks(sorted(unmatched)):
        for city_id, country, region, key in db.session.execute(
            select(City.id, City.country, City.region, City.key).where(
                tuple_(City.country, City.region, City.key).in_(chunk), City.geonameid.is_(None)
            )
        ):
            ids[country, region, key] = city_id
    return ids


def _mapped(coalition_id: int, ids: dict[tuple[str, str, str], int]) -> dict[tuple[str, str, str], int]:
    mapping = dict(
        db.session.execute(
            select(CityMapping.unmatched_id, CityMapping.city_id).where(
                CityMapping.coalition_id == coalition_id, CityMapping.unmatched_id.in_(set(ids.values()))
            )
        ).all()
    )
    return {spelling: mapping.get(city_id, city_id) for spelling, city_id in ids.items()}


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- Suggestions while typing ----------------------------------------------------------------


def suggestions(query: str, country: str | None = None, *, limit: int = 8) -> list[City]:
    """Canonical cities whose names start with what was typed, biggest first."""
    key = city_key(query)
    if len(key) < 2:
        return []
    # A range on the key, not LIKE: it uses the index on both databases.
    where = [City.key >= key, City.key < key + "\uffff", City.geonameid.is_not(None)]
    if country:
        where.append(City.country == country.upper())
    return list(
        db.session.execute(select(City).where(*where).order_by(City.population.desc(), City.id).limit(limit)).scalars()
    )


# --- Unmatched spellings and organizers' mappings --------------------------------------------


@dataclass(frozen=True)
class Unmatched:
    city: City
    signatures: int  # confirmed, on the coalition's petitions


def unmatched(coalition_id: int, *, limit: int = 100) -> list[Unmatched]:
    """Spellings the gazetteer lacks that the coalition's confirmed signers typed, most signed first."""
    counts = (
        select(CityTally.city_id, func.sum(CityTally.count).label("n"))
        .join(Petition, Petition.id == CityTally.petition_id)
        .where(Petition.coalition_id == coalition_id)
        .group_by(CityTally.city_id)
        .subquery()
    )
    rows = db.session.execute(
        select(City, counts.c.n)
        .join(counts, counts.c.city_id == City.id)
        .where(City.geonameid.is_(None), counts.c.n > 0)
        .order_by(counts.c.n.desc(), City.name, City.id)
        .limit(limit)
    )
    return [Unmatched(city, n) for city, n in rows]


class MappingError(ValueError):
    """A mapping that cannot be made: the first city is not unmatched, or the second not canonical."""


def map_unmatched(coalition_id: int, unmatched_id: int, city_id: int, *, organizer_id: int | None = None) -> int:
    """Map an unmatched spelling to a canonical city for a coalition; return the signatures moved.

    Every signature of the coalition's petitions that points at the spelling moves to the city,
    and every tally with it, petition by petition under its tally lock, in the caller's
    transaction. Later signers who type the spelling go straight to the city.
    """
    source, target = db.session.get(City, unmatched_id), db.session.get(City, city_id)
    if source is None or source.is_canonical:
        raise MappingError("only a spelling the gazetteer lacks can be mapped")
    if target is None or not target.is_canonical:
        raise MappingError("a spelling can only be mapped to a city of the gazetteer")
    moved = 0
    petition_ids = db.session.execute(
        select(Petition.id).where(Petition.coalition_id == coalition_id).order_by(Petition.id)
    ).scalars()
    for petition_id in list(petition_ids):
        tallies.lock(petition_id)
        moved += db.session.execute(
            update(Signature)
            .where(Signature.petition_id == petition_id, Signature.city_id == unmatched_id)
            .values(city_id=city_id)
            .execution_options(synchronize_session=False)
        ).rowcount
        tallies.move_city(petition_id, unmatched_id, city_id)
    mapping = db.session.get(CityMapping, (coalition_id, unmatched_id))
    if mapping is None:
        db.session.add(
            CityMapping(
                coalition_id=coalition_id,
                unmatched_id=unmatched_id,
                city_id=city_id,
                organizer_id=organizer_id,
                signatures_moved=moved,
            )
        )
    else:
        mapping.city_id, mapping.organizer_id = city_id, organizer_id
        mapping.signatures_moved += moved
    return moved
