from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class City(db.Model):
    """A place signers live in: a GeoNames city, or a spelling the gazetteer lacks.

    Unmatched spellings get a row too (``geonameid`` is NULL), so that every signature
    points at a city and every tally is keyed the same way.
    """

    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    geonameid: Mapped[int | None] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), index=True)  # see gazetteer.city_key()
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
    def region_label(self) -> str:
        """The region as people read it: a US state's code, not GeoNames' numeric codes elsewhere."""
        return self.region if self.region.isalpha() else ""

    @property
    def is_canonical(self) -> bool:
        return self.geonameid is not None

    def __repr__(self) -> str:
        return f"<City {self.name}, {self.region} {self.country}>"


class CityName(db.Model):
    """A name a canonical city is known by, folded for matching (see gazetteer.city_key()).

    Every GeoNames city has its own name here (``alias`` false); big cities have their other
    names too ("NYC", "New York" for New York City).
    """

    __tablename__ = "city_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    country: Mapped[str] = mapped_column(String(2))
    key: Mapped[str] = mapped_column(String(200))
    alias: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_city_names_country_key", "country", "key"),)


class CityMapping(db.Model):
    """An organizer's decision that an unmatched spelling means a canonical city, for their coalition.

    Signatures already given move to the canonical city when it is made, and later signers who
    type the same spelling on the coalition's petitions go straight there.
    """

    __tablename__ = "city_mappings"

    coalition_id: Mapped[int] = mapped_column(ForeignKey("coalitions.id", ondelete="CASCADE"), primary_key=True)
    unmatched_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("organizers.id", ondelete="SET NULL"))
    signatures_moved: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
