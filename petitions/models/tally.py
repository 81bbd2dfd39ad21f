"""Stored tallies of confirmed signatures. tallies.py keeps them and explains how."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class CityTally(db.Model):
    __tablename__ = "city_tallies"

    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_city_tallies_petition_id_count", "petition_id", "count"),)


class DemandCityTally(db.Model):
    __tablename__ = "demand_city_tallies"

    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id", ondelete="CASCADE"), primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_demand_city_tallies_petition_id_city_id", "petition_id", "city_id"),
        # The cities with most support for a demand, read in order (tallies.ranked_cities()).
        Index("ix_demand_city_tallies_demand_id_count", "demand_id", "count"),
    )


class DailyTally(db.Model):
    __tablename__ = "daily_tallies"

    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # in UTC
    count: Mapped[int] = mapped_column(Integer, default=0)
