"""Turning what a supporter typed into one city row."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator

from sqlalchemy import select, text

from .extensions import db
from .models import City
from .sql import insert

_NOT_WORD = re.compile(r"[^\w]+")
_SPACES = re.compile(r"\s+")


def city_key(name: str) -> str:
    """Fold a name for matching: accents, letter case, punctuation and extra spaces do not count."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", bare.casefold()).replace("_", " ").strip()


def clean_spelling(name: str) -> str:
    """How an unmatched city is shown: trimmed, single-spaced, capitalized when typed all in one case."""
    name = _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()
    if name.islower() or name.isupper():
        name = name.title()
    return name


Spelling = tuple[str, str, str]  # (city as typed, region as typed, country code)


def resolve(typed: str, region: str, country: str) -> int:
    """The id of the city a signer means; an unmatched spelling gets (or reuses) a row of its own."""
    spelling = (typed, region, country)
    return resolve_all([spelling])[spelling]


def resolve_all(spellings: Collection[Spelling]) -> dict[Spelling, int]:
    """resolve() for many spellings at once, in a few statements whatever their number."""
    keys = {
        spelling: (city_key(spelling[0]), city_key(spelling[1]), spelling[1].strip().upper()) for spelling in spellings
    }
    found: dict[Spelling, int] = {}
    candidates: dict[tuple[str, str], list[City]] = {}
    for chunk in _chunks(sorted({key for key, _, _ in keys.values()})):
        for city in db.session.execute(select(City).where(City.key.in_(chunk), City.geonameid.is_not(None))).scalars():
            candidates.setdefault((city.key, city.country), []).append(city)
    for spelling, (key, _, region) in keys.items():
        cities = candidates.get((key, spelling[2]))
        if cities:
            found[spelling] = min(cities, key=lambda city: (city.region != region, -city.population, city.id)).id
    unmatched = {
        (spelling[2], region_key, key): clean_spelling(spelling[0])
        for spelling, (key, region_key, _) in keys.items()
        if spelling not in found
    }
    if unmatched:
        # One row per new spelling, even when signers type it at the same moment: the partial
        # unique index decides. Sorted, so that two writers never wait on each other in a cycle.
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
        for chunk in _chunks(sorted({key for _, _, key in unmatched})):
            for city_id, country, region, key in db.session.execute(
                select(City.id, City.country, City.region, City.key).where(
                    City.key.in_(chunk), City.geonameid.is_(None)
                )
            ):
                ids[country, region, key] = city_id
        for spelling, (key, region_key, _) in keys.items():
            if spelling not in found:
                found[spelling] = ids[spelling[2], region_key, key]
    return found


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
