"""Pages of a list in the API: ``limit`` and ``offset`` in the query string, links in the answer."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

from .links import absolute_url

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Far beyond any list we have, and within every database's OFFSET.
MAX_OFFSET = 1_000_000_000


def whole_number(name: str, default: int, *, minimum: int, maximum: int) -> int:
    """A query parameter that must be a whole number in range: 400 with the reason otherwise."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= len(str(maximum)) else None
    if value is None or not minimum <= value <= maximum:
        raise BadRequest(
            description=_(
                "%(name)s must be a whole number from %(minimum)s to %(maximum)s.",
                name=name,
                minimum=minimum,
                maximum=maximum,
            )
        )
    return value


def limit_and_offset(default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT) -> tuple[int, int]:
    """The page asked for: ``limit`` items after skipping ``offset``."""
    limit = whole_number("limit", default_limit, minimum=1, maximum=max_limit)
    offset = whole_number("offset", 0, minimum=0, maximum=MAX_OFFSET)
    return limit, offset


def links(endpoint: str, *, limit: int, offset: int, total: int, **values) -> dict[str, str | None]:
    """Absolute links to this page and its neighbours (None at either end)."""

    def link(at: int) -> str:
        return absolute_url(endpoint, **values, limit=limit, offset=at)

    return {
        "self": link(offset),
        "next": link(offset + limit) if offset + limit < total else None,
        "prev": link(max(offset - limit, 0)) if offset > 0 else None,
    }
