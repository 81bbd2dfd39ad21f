"""What the public sees of a petition's support, read once a moment per server process.

The petition page, its cities page, the embed and the API show figures that each signature moves
by one; nobody can tell a figure a second old from a fresh one, and a viral petition's readers
would otherwise repeat the same dozen statements hundreds of times a second (microcache.py).
Organizers' pages read the tallies afresh: they moderate and want to see what they just did.

Kept answers hold cities detached from the session that read them, so that any later request, on
any thread, reads their loaded columns and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from . import privacy, rankings, tallies
from .extensions import db
from .microcache import recent_answers
from .privacy import PublicSigner
from .rankings import TOTAL, CityPage, CitySupport

TOP_CITIES = 5


@dataclass(frozen=True)
class PetitionFigures:
    signature_count: int
    demand_support: dict[int, int]  # confirmed signatures endorsing each demand, by demand id
    top_cities: list[CitySupport]
    public_signers: list[PublicSigner]


def petition_figures(petition_id: int) -> PetitionFigures:
    """The count, each demand's support, the top cities and the latest public signers."""
    return recent_answers("petition figures").get(str(petition_id), lambda: _read_petition_figures(petition_id))


def _read_petition_figures(petition_id: int) -> PetitionFigures:
    return PetitionFigures(
        signature_count=tallies.signature_count(petition_id),
        demand_support=tallies.demand_support(petition_id),
        top_cities=_detached(rankings.top_cities(petition_id, TOP_CITIES)),
        public_signers=privacy.public_signers(petition_id),
    )


def city_page(
    petition_id: int,
    *,
    sort: str | int = TOTAL,
    country: str | None = None,
    region: str | None = None,
    limit: int = rankings.PAGE_SIZE,
    offset: int = 0,
) -> CityPage:
    """rankings.city_page(), kept per petition and question."""
    key = f"{petition_id}|{sort}|{country}|{region}|{limit}|{offset}"

    def read() -> CityPage:
        page = rankings.city_page(petition_id, sort=sort, country=country, region=region, limit=limit, offset=offset)
        _detached(page.rows)
        return page

    return recent_answers("city pages").get(key, read)


def daily_counts(petition_id: int) -> list[tuple[date, int]]:
    return recent_answers("daily counts").get(str(petition_id), lambda: tallies.daily_counts(petition_id))


def _detached(rows: list[CitySupport]) -> list[CitySupport]:
    for row in rows:
        if row.city in db.session:
            db.session.expunge(row.city)
    return rows
