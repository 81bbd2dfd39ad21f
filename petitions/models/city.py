from __future__ import annotations

from sqlalchemy import Float, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class City(db.Model):
    """A place signers live in: a GeoNames city, or a spelling the gazetteer lacks.

    Unmatched spellings get a row too (``geonameid`` is NULL), so that every signature
    points at a city and every tally is keyed the same way.
    """

    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    geonameid: Mapped[int | None] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), index=True)  # see cities.city_key()
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(100), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        # One row per unmatched spelling, however many signers type it at once.
        Index(
            "uq_cities_unmatched",
            "country",
            "region",
            "key",
            unique=True,
            sqlite_where=text("geonameid IS NULL"),
            postgresql_where=text("geonameid IS NULL"),
        ),
    )

    @property
    def is_canonical(self) -> bool:
        return self.geonameid is not None

    def __repr__(self) -> str:
        return f"<City {self.name}, {self.region} {self.country}>"
