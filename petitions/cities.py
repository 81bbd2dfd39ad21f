"""Turning what a supporter typed into one city row."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import case, select, text

from .extensions import db
from .models import City
from .sql import insert_ignoring_duplicates

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


def resolve(typed: str, region: str, country: str) -> int:
    """The id of the city a signer means; an unmatched spelling gets (or reuses) a row of its own."""
    key = city_key(typed)
    region_key = city_key(region)
    canonical = db.session.execute(
        select(City.id)
        .where(City.key == key, City.country == country, City.geonameid.is_not(None))
        .order_by(case((City.region == region.strip().upper(), 0), else_=1), City.population.desc())
        .limit(1)
    ).scalar()
    if canonical is not None:
        return canonical
    spelling = {"name": clean_spelling(typed), "key": key, "country": country, "region": region_key}
    # Two signers typing the same new spelling at once must end up with one row.
    db.session.execute(
        insert_ignoring_duplicates(City, spelling, ("country", "region", "key"), where=text("geonameid IS NULL"))
    )
    return db.session.execute(
        select(City.id).where(
            City.key == key, City.country == country, City.region == region_key, City.geonameid.is_(None)
        )
    ).scalar_one()
