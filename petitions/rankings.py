"""Support by city: the cities of a petition ranked by signatures or by support for one demand.

Read from the tallies (stored figures plus the few signatures not folded yet, see tallies.py),
never from the signatures themselves, so a page costs the same at ten signatures or a million.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from flask import current_app
from sqlalchemy import func, select

from . import tallies
from .extensions import db
from .forms import clean_line
from .gazetteer import region_code
from .microcache import RecentAnswers
from .models import City
from .tallies import city_counts_subquery

TOTAL = "total"
PAGE_SIZE = 50  # cities a page
MAX_PAGE = 10_000


@dataclass(frozen=True)
class CitySupport:
    """One city's confirmed signatures and its support for each demand (by demand id)."""

    city: City
    signature_count: int
    demands: dict[int, int] = field(default_factory=dict)

    def value(self, sort: str | int) -> int:
        """Its signatures (``TOTAL``) or its support for the demand with this id."""
        return self.signature_count if sort == TOTAL else self.demands.get(int(sort), 0)


@dataclass(frozen=True)
class CityPage:
    rows: list[CitySupport]
    total: int  # cities that match the filter, over every page
    offset: int = 0

    @property
    def pages(self) -> int:
        return max(-(-self.total // PAGE_SIZE), 1)


def city_filter(country: str | None, region: str | None) -> list:
    """Conditions on City for a country (ISO code) and a region (its code, or a US state's name)."""
    where = []
    if country:
        where.append(City.country == country.upper())
        if region:
            where.append(func.upper(City.region) == region_code(region, country.upper()).upper())
    elif region:
        where.append(func.upper(City.region) == region.strip().upper())
    return where


def city_page(
    petition_id: int,
    *,
    sort: str | int = TOTAL,
    country: str | None = None,
    region: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> CityPage:
    """A page of the petition's cities with signatures, most first by ``sort``: ``TOTAL`` or a demand id."""
    where = city_filter(country, region)
    found = tallies.ranked_cities(
        petition_id, demand_id=None if sort == TOTAL else int(sort), where=where, limit=limit, offset=offset
    )
    by_city: dict[int, dict[int, int]] = {}
    support = tallies.demand_city_counts(petition_id, [city.id for city, _, _ in found])
    for (demand_id, city_id), count in support.items():
        by_city.setdefault(city_id, {})[demand_id] = count
    rows = [CitySupport(city, n, by_city.get(city.id, {})) for city, n, _ in found]
    return CityPage(rows, tallies.cities_with_signatures(petition_id, where), offset)


def top_cities(petition_id: int, n: int = 5) -> list[CitySupport]:
    return city_page(petition_id, limit=n).rows


def _places(petition_id: int, column, *where) -> list[str]:
    """Distinct values of a City column among the petition's cities, most signatures first."""
    counts = city_counts_subquery(petition_id)
    rows = db.session.execute(
        select(column)
        .join(counts, counts.c.city_id == City.id)
        .where(*where)
        .group_by(column)
        .order_by(func.sum(counts.c.n).desc(), column)
    )
    return list(rows.scalars())


def countries(petition_id: int) -> list[str]:
    """The countries the petition's signers live in, most signatures first: the page's filter."""
    return _places(petition_id, City.country)


def regions(petition_id: int, country: str) -> list[str]:
    """The regions (GeoNames codes) of one country among the petition's cities, most signatures first."""
    return _places(petition_id, City.region, City.country == country.upper(), City.region != "")


# The filter's choices read every city of a petition; each server process reuses them for a minute
# (a country whose first signer just signed appears in the list a minute later, and is counted at once).
FILTER_SECONDS = 60


def filter_choices(petition_id: int, country: str | None) -> tuple[list[str], list[str]]:
    """The countries, and the regions of ``country``, to offer in the cities page's filter."""
    kept = current_app.extensions.setdefault("city_filters", RecentAnswers(FILTER_SECONDS))
    found = kept.get(f"{petition_id}", lambda: countries(petition_id))
    within = kept.get(f"{petition_id}:{country}", lambda: regions(petition_id, country)) if country else []
    return found, within


@dataclass(frozen=True)
class CityQuery:
    """What the cities page was asked for, read leniently from its query string: a value that makes
    no sense (a demand of another petition, a country code of three letters) is left out."""

    sort: str | int = TOTAL
    country: str | None = None
    region: str | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args, demand_ids: set[int]) -> CityQuery:
        raw_sort = args.get("sort", "")
        number = raw_sort.removeprefix("demand-")
        sort: str | int = TOTAL
        if raw_sort.startswith("demand-") and number.isascii() and number.isdigit() and int(number) in demand_ids:
            sort = int(number)
        country = args.get("country", "").strip().upper()
        country = country if len(country) == 2 and country.isascii() and country.isalpha() else None
        region = clean_line(args.get("region", ""))[:100] if country else ""
        page = args.get("page", "")
        page = int(page) if page.isascii() and page.isdigit() and len(page) <= 5 else 1
        return cls(sort, country, region or None, min(max(page, 1), MAX_PAGE))

    @property
    def sort_key(self) -> str:
        return TOTAL if self.sort == TOTAL else f"demand-{self.sort}"

    def args(self, **changes) -> dict[str, str | int]:
        """The query string of this view with some values changed, without the defaults."""
        values = {"sort": self.sort_key, "country": self.country, "region": self.region, "page": self.page, **changes}
        return {
            key: value
            for key, value in values.items()
            if value and not (key == "sort" and value == TOTAL) and not (key == "page" and value == 1)
        }

    def among(self, regions: list[str]) -> CityQuery:
        """This query without a region that is not one of ``regions`` (those of its country): the
        region a reader left chosen in the form when changing the country would match nothing,
        while the form, which lists only the new country's regions, showed "All regions"."""
        if not self.region or not self.country:
            return self
        code = region_code(self.region, self.country).upper()
        return self if any(region.upper() == code for region in regions) else replace(self, region=None)

    @property
    def page_arguments(self) -> dict:
        """city_page()'s arguments for this view."""
        return {
            "sort": self.sort,
            "country": self.country,
            "region": self.region,
            "limit": PAGE_SIZE,
            "offset": (self.page - 1) * PAGE_SIZE,
        }
