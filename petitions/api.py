"""The public JSON API, version 1: documented in openapi.py; CORS, ETags and caching in sharing.py."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.http import generate_etag

from . import catalog, cities, figures, openapi, paging, rankings, tallies
from .extensions import limiter
from .forms import clean_line
from .links import absolute_url
from .microcache import recent_answers
from .models import DemandUpdate, Petition

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# One limit per client for the whole API (API_RATE_LIMIT); over it, a JSON 429 with Retry-After.
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(bp)

TRANSLATED_PETITION = ("title", "summary", "body")
TRANSLATED_SUMMARY = ("title", "summary")
TRANSLATED_DEMAND = ("title", "explanation")


def translations(item, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Every translation of a petition or demand, by language; empty fields fall back to the original."""
    return {locale: {field: item.text(field, locale) for field in fields} for locale in sorted(item.translations)}


def timestamp(moment: datetime | None) -> str | None:
    """A moment as RFC 3339 in UTC, to the second: ``2026-11-22T15:04:05Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def petition_summary(petition: Petition, signature_count: int) -> dict:
    """A petition as the list shows it; the full document is one request away (its slug)."""
    return {
        "slug": petition.slug,
        "title": petition.title,
        "summary": petition.summary,
        "language": petition.default_locale,
        "translations": translations(petition, TRANSLATED_SUMMARY),
        "url": absolute_url("public.petition", slug=petition.slug),
        "state": petition.state.value,
        "goal": petition.goal,
        "signature_count": signature_count,
        "opened_at": timestamp(petition.opened_at),
    }


def update_document(update: DemandUpdate) -> dict:
    return {
        "date": update.happened_on.isoformat(),
        "status": update.status.value,
        "text": update.text,
        "link": update.link or None,
    }


def city_document(city) -> dict:
    return {
        "id": city.id,
        "name": city.name,
        "region": city.region,
        "country": city.country,
        "latitude": city.latitude,
        "longitude": city.longitude,
        "canonical": city.is_canonical,
    }


def city_support_document(row: rankings.CitySupport, petition: Petition) -> dict:
    return {
        **city_document(row.city),
        "signature_count": row.signature_count,
        "demands": [{"id": demand.id, "support_count": row.demands.get(demand.id, 0)} for demand in petition.demands],
    }


def country_code(name: str) -> str | None:
    """An optional ISO 3166 alpha-2 parameter: 400 when it is given and is not one."""
    value = request.args.get(name, "").strip().upper()
    if value and not (len(value) == 2 and value.isascii() and value.isalpha()):
        raise BadRequest(description=_("%(name)s must be a two-letter country code.", name=name))
    return value or None


def petition_document(petition: Petition) -> dict:
    shown = figures.petition_figures(petition.id)
    support = shown.demand_support
    return {
        "slug": petition.slug,
        "title": petition.title,
        "summary": petition.summary,
        "body": petition.body,
        "language": petition.default_locale,
        "translations": translations(petition, TRANSLATED_PETITION),
        "url": absolute_url("public.petition", slug=petition.slug),
        "state": petition.state.value,
        "goal": petition.goal,
        "signature_count": shown.signature_count,
        "default_country": petition.default_country,
        "demands": [
            {
                "id": demand.id,
                "position": demand.position,
                "title": demand.title,
                "explanation": demand.explanation,
                "status": demand.status.value,
                "latest_update": update_document(demand.latest_update) if demand.latest_update else None,
                "updates": [update_document(update) for update in demand.updates],
                "support_count": support.get(demand.id, 0),
                "translations": translations(demand, TRANSLATED_DEMAND),
            }
            for demand in petition.demands
        ],
        "top_cities": [city_support_document(row, petition) for row in shown.top_cities],
        # Only signers who chose to be shown, and only their first name and city.
        "recent_signers": [
            {"first_name": signer.first_name, "city": signer.city, "signed_at": timestamp(signer.signed_at)}
            for signer in shown.public_signers
        ],
    }


@bp.get("/petitions")
def petitions():
    limit, offset = paging.limit_and_offset()
    listed = catalog.open_petitions(limit=limit, offset=offset)
    counts = tallies.signature_counts([petition.id for petition in listed])
    total = catalog.count_open()
    return jsonify(
        petitions=[petition_summary(petition, counts.get(petition.id, 0)) for petition in listed],
        total=total,
        limit=limit,
        offset=offset,
        links=paging.links("api.petitions", limit=limit, offset=offset, total=total),
    )


@bp.get("/petitions/<slug>")
def petition(slug: str):
    return jsonify(petition_document(catalog.public_petition(slug)))


@bp.get("/petitions/<slug>/cities")
def petition_cities(slug: str):
    petition = catalog.public_petition(slug)
    limit, offset = paging.limit_and_offset()
    country = country_code("country")
    region = clean_line(request.args.get("region", ""))[:100] or None
    page = figures.city_page(petition.id, country=country, region=region, limit=limit, offset=offset)
    filters = {key: value for key, value in (("country", country), ("region", region)) if value}
    return jsonify(
        cities=[city_support_document(row, petition) for row in page.rows],
        total=page.total,
        limit=limit,
        offset=offset,
        links=paging.links("api.petition_cities", slug=slug, limit=limit, offset=offset, total=page.total, **filters),
    )


@bp.get("/cities")
def city_suggestions():
    """Gazetteer cities whose names start with ``q``: the sign form's suggestions."""
    if "q" not in request.args:
        raise BadRequest(description=_("q is required: the beginning of a city's name."))
    query = request.args["q"][:100]
    limit = paging.whole_number("limit", 8, minimum=1, maximum=20)
    found = cities.suggestions(query, country_code("country"), limit=limit)
    return jsonify(cities=[{**city_document(city), "population": city.population} for city in found])


def count_answer(slug: str) -> tuple[bytes, str]:
    """The count answer as JSON, and its ETag: two small statements, whatever the number of signatures."""
    petition_id, goal = catalog.public_petition_columns(slug, Petition.id, Petition.goal)
    live = tallies.live_count(petition_id)
    document = {"signature_count": live.signature_count, "goal": goal, "updated_at": timestamp(live.updated_at)}
    body = current_app.json.dumps(document).encode()
    return body, generate_etag(body)


# Widgets poll this one: each server process reads a petition's count at most once a second.
@bp.get("/petitions/<slug>/count")
def count(slug: str):
    body, etag = recent_answers("counts").get(slug, lambda: count_answer(slug))
    response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(etag)  # the same tag sharing.py would compute, kept with the answer
    return response


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document(server=absolute_url("api.openapi_document").removesuffix("/openapi.json")))
