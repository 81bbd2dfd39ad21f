"""Which signatures an organizer is looking at.

One filter serves the signatures page, bulk strike-out, the CSV export and the export command:
the same parameters (``?state=confirmed&city=12``), parsed in one place, mean the same rows
everywhere, and the export log stores them as they were given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select

from . import sql
from .forms import clean_line
from .models import City, Endorsement, Signature, SignatureState

MAX_SEARCH = 200
YES = {"1", "y", "yes", "on", "true"}


class CityMatch(StrEnum):
    CANONICAL = "canonical"  # a city of the gazetteer
    UNMATCHED = "unmatched"  # a spelling the gazetteer lacks


class FilterError(ValueError):
    """Some parameters are malformed: ``errors`` maps each to a message for the organizer."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class SignatureFilter:
    search: str = ""  # part of the name or the email address
    state: SignatureState | None = None
    city_id: int | None = None
    city_match: CityMatch | None = None
    region: str = ""
    country: str = ""
    demand_id: int | None = None  # endorses this demand
    signed_from: date | None = None  # UTC days, both ends included
    signed_to: date | None = None
    opted_in: bool = False  # only signers who agreed to receive news
    ip_hash: str = ""  # signed from this address (its keyed hash: addresses.py)
    email_domain: str = ""  # the part of the email address after the "@"

    # URL parameter of each attribute.
    PARAMETERS: ClassVar[dict[str, str]] = {
        "search": "q",
        "state": "state",
        "city_id": "city",
        "city_match": "city_match",
        "region": "region",
        "country": "country",
        "demand_id": "demand",
        "signed_from": "signed_from",
        "signed_to": "signed_to",
        "opted_in": "opted_in",
        "ip_hash": "ip",
        "email_domain": "domain",
    }

    @classmethod
    def from_query(cls, args: Mapping[str, str] | str) -> SignatureFilter:
        """Parse URL parameters (a mapping or a query string); FilterError names every bad one."""
        if isinstance(args, str):
            args = dict(parse_qsl(args))
        values, errors = {}, {}
        for attribute, parameter in cls.PARAMETERS.items():
            raw = (args.get(parameter) or "").strip()
            if not raw:
                continue
            try:
                values[attribute] = _PARSERS[attribute](raw)
            except ValueError as error:
                errors[parameter] = str(error.args[0]) if error.args else str(_l("This value is not valid."))
        if "signed_from" in values and "signed_to" in values and values["signed_from"] > values["signed_to"]:
            errors["signed_to"] = str(_l("The end date is before the start date."))
        if errors:
            raise FilterError(errors)
        return cls(**values)

    def to_query(self) -> dict[str, str]:
        """The URL parameters of this filter, only those set."""
        query = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value in (None, "", False):
                continue
            query[self.PARAMETERS[item.name]] = "1" if value is True else str(value)
        return query

    def query_string(self) -> str:
        return urlencode(self.to_query())

    def is_empty(self) -> bool:
        return not self.to_query()

    def conditions(self, petition_id: int) -> list:
        """WHERE clauses on ``signatures`` selecting the petition's signatures that pass."""
        where = [Signature.petition_id == petition_id]
        if self.search:
            pattern = "%" + _escape_like(self.search.lower()) + "%"
            where.append(
                or_(
                    func.lower(Signature.name).like(pattern, escape="\\"),
                    Signature.email_key.like(pattern, escape="\\"),
                )
            )
        if self.state is not None:
            where.append(Signature.state == self.state)
        if self.city_id is not None:
            where.append(Signature.city_id == self.city_id)
        if self.city_match is not None:
            canonical = City.geonameid.is_not(None)
            kind = canonical if self.city_match is CityMatch.CANONICAL else ~canonical
            where.append(Signature.city_id.in_(select(City.id).where(kind)))
        if self.region:
            where.append(func.lower(Signature.region) == self.region.lower())
        if self.country:
            where.append(Signature.country == self.country)
        if self.demand_id is not None:
            where.append(
                exists().where(Endorsement.signature_id == Signature.id, Endorsement.demand_id == self.demand_id)
            )
        if self.signed_from is not None:
            where.append(Signature.signed_at >= _start_of(self.signed_from))
        if self.signed_to is not None:
            where.append(Signature.signed_at < _start_of(self.signed_to + timedelta(days=1)))
        if self.opted_in:
            where.append(Signature.updates_opt_in.is_(True))
        if self.ip_hash:
            where.append(Signature.ip_hash == self.ip_hash)
        if self.email_domain:
            where.append(sql.email_domain(Signature.email_key) == self.email_domain)
        return where


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _text(limit: int):
    def parse(raw: str) -> str:
        raw = clean_line(raw)  # as the forms do: no control characters (PostgreSQL refuses NUL)
        if len(raw) > limit:
            raise ValueError(_l("Use at most %(limit)s characters.", limit=limit))
        return raw

    return parse


def _identifier(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise ValueError(_l("Choose one of the options."))
    return int(raw)


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(_l("Give a date as YYYY-MM-DD, for example 2026-03-31.")) from None


def _choice(enum: type[StrEnum]):
    def parse(raw: str):
        try:
            return enum(raw)
        except ValueError:
            raise ValueError(_l("Choose one of the options.")) from None

    return parse


def _country(raw: str) -> str:
    if len(raw) != 2 or not raw.isalpha() or not raw.isascii():
        raise ValueError(_l("Choose a country."))
    return raw.upper()


def _flag(raw: str) -> bool:
    if raw.lower() not in YES:
        raise ValueError(_l("Choose one of the options."))
    return True


def _address_hash(raw: str) -> str:
    if len(raw) > 64 or any(c not in "0123456789abcdef" for c in raw.lower()):
        raise ValueError(_l("Choose an address from the list of sources."))
    return raw.lower()


def _domain(raw: str) -> str:
    if len(raw) > 255 or "@" in raw or any(c.isspace() for c in raw):
        raise ValueError(_l("Give an email domain, like example.org."))
    return raw.lower()


_PARSERS = {
    "search": _text(MAX_SEARCH),
    "state": _choice(SignatureState),
    "city_id": _identifier,
    "city_match": _choice(CityMatch),
    "region": _text(100),
    "country": _country,
    "demand_id": _identifier,
    "signed_from": _day,
    "signed_to": _day,
    "opted_in": _flag,
    "ip_hash": _address_hash,
    "email_domain": _domain,
}
