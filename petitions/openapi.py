"""The OpenAPI 3.1 description of the public API, served at /api/v1/openapi.json.

The one source of truth for what the API answers: the test suite validates this document and
validates real answers of every API endpoint against the schemas it declares.
"""

from __future__ import annotations

import copy

from .paging import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET
from .sharing import CACHE_CONTROL


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _integer(description: str, minimum: int = 0) -> dict:
    return {"type": "integer", "minimum": minimum, "description": description}


def _string(description: str, **extra) -> dict:
    return {"type": "string", "description": description, **extra}


def _object(properties: dict, *, optional: tuple[str, ...] = (), description: str | None = None) -> dict:
    # Closed: an answer with a field the document does not describe fails the suite.
    schema = {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


TRANSLATIONS = {
    "type": "object",
    "description": "The organizer's own translations, by language code (ISO 639-1); each field falls back to "
    "the original where a translation leaves it empty.",
    "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
}

PAGE_LINKS = _object(
    {
        "self": _string("This page.", format="uri"),
        "next": {"type": ["string", "null"], "format": "uri", "description": "The next page; null on the last."},
        "prev": {"type": ["string", "null"], "format": "uri", "description": "The previous page; null on the first."},
    }
)

CITY = {
    "id": _integer("The city's identifier (the city filter of the organizer pages takes it).", minimum=1),
    "name": _string("The city's name (canonical, from GeoNames, where the gazetteer knows it)."),
    "region": _string("State, province or region; may be empty."),
    "country": _string("ISO 3166 alpha-2 code.", pattern="^[A-Z]{2}$"),
    "latitude": {"type": ["number", "null"], "description": "Null for a place the gazetteer lacks."},
    "longitude": {"type": ["number", "null"], "description": "Null for a place the gazetteer lacks."},
    "canonical": {
        "type": "boolean",
        "description": "True for a GeoNames city; false for a spelling the gazetteer lacks, counted as typed.",
    },
}

SCHEMAS = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": _string(
                        "What went wrong, for programs: not_found, bad_request, ...", examples=["not_found"]
                    ),
                    "message": _string("What went wrong, for people, in the language of the request."),
                }
            )
        }
    ),
    "PetitionSummary": _object(
        {
            "slug": _string("The petition's identifier in every URL.", pattern="^[A-Za-z0-9_-]+$"),
            "title": _string("As written, in the petition's language."),
            "summary": _string("One or two sentences."),
            "language": _string("The language the petition is written in.", examples=["en"]),
            "translations": TRANSLATIONS,
            "url": _string("The petition's page, where people sign.", format="uri"),
            "state": _string("Only open petitions are listed.", enum=["open", "closed", "archived"]),
            "goal": _integer("The number of signatures the campaign aims for."),
            "signature_count": _integer("Confirmed signatures."),
            "opened_at": {"type": ["string", "null"], "format": "date-time", "description": "When it opened (UTC)."},
        }
    ),
    "PetitionList": _object(
        {
            "petitions": {"type": "array", "items": _ref("PetitionSummary")},
            "total": _integer("Open petitions in all."),
            "limit": _integer("Petitions per page, as asked.", minimum=1),
            "offset": _integer("Petitions skipped before this page, as asked."),
            "links": PAGE_LINKS,
        }
    ),
    "Demand": _object(
        {
            "id": _integer("The demand's identifier.", minimum=1),
            "position": _integer("Its place in the petition's list, from 1.", minimum=1),
            "title": _string("As written, in the petition's language."),
            "explanation": _string("Why the coalition asks for it."),
            "status": _string("Where the demand stands.", enum=["open", "in_progress", "won", "lost"]),
            "support_count": _integer("Confirmed signatures endorsing this demand."),
            "latest_update": {
                "oneOf": [_ref("DemandUpdate"), {"type": "null"}],
                "description": "The newest step of its timeline; null before the first.",
            },
            "updates": {
                "type": "array",
                "items": _ref("DemandUpdate"),
                "description": "The demand's timeline, written by the organizers, newest first.",
            },
            "translations": TRANSLATIONS,
        }
    ),
    "DemandUpdate": _object(
        {
            "date": _string("The day it happened.", format="date"),
            "status": _string("Where the demand stood from then on.", enum=["open", "in_progress", "won", "lost"]),
            "text": _string("What happened, in the petition's language: plain text, not HTML."),
            "link": {"type": ["string", "null"], "format": "uri", "description": "A news story, minutes..."},
        }
    ),
    "Petition": _object(
        {
            "slug": _string("The petition's identifier in every URL."),
            "title": _string("As written, in the petition's language."),
            "summary": _string("One or two sentences."),
            "body": _string("The campaign text, in Markdown."),
            "language": _string("The language the petition is written in.", examples=["en"]),
            "translations": TRANSLATIONS,
            "url": _string("The petition's page, where people sign.", format="uri"),
            "state": _string("Drafts are never shown.", enum=["open", "closed", "archived"]),
            "goal": _integer("The number of signatures the campaign aims for."),
            "signature_count": _integer("Confirmed signatures."),
            "default_country": _string("ISO 3166 alpha-2 code preselected in the sign form.", pattern="^[A-Z]{2}$"),
            "demands": {"type": "array", "items": _ref("Demand"), "description": "In the petition's order."},
            "top_cities": {
                "type": "array",
                "items": _ref("CityCount"),
                "description": "The cities with the most signatures, most first.",
            },
            "recent_signers": {
                "type": "array",
                "items": _ref("PublicSigner"),
                "description": "The latest confirmed signers who chose to be shown, newest first.",
            },
        },
        optional=("top_cities",),
    ),
    "PublicSigner": _object(
        {
            "first_name": _string("The first word of the name the signer gave."),
            "city": _string("The city they signed from (canonical, where the gazetteer knows it)."),
            "signed_at": _string("When they signed (UTC, to the second).", format="date-time"),
        },
        description="A signer who ticked public_name when signing. Nothing else about a signer is ever published, "
        "and never an email address.",
    ),
    "Count": _object(
        {
            "signature_count": _integer("Confirmed signatures."),
            "goal": _integer("The number of signatures the campaign aims for."),
            "updated_at": _string("When the count last changed (UTC, to the second).", format="date-time"),
        },
        description="The smallest answer, for widgets that poll.",
    ),
    "City": _object({**CITY, "population": _integer("People living there, according to GeoNames.")}),
    "CityCount": _object(
        {
            **CITY,
            "signature_count": _integer("Confirmed signatures from this city."),
            "demands": {
                "type": "array",
                "description": "Support for each demand from this city.",
                "items": _object(
                    {
                        "id": _integer("The demand's identifier.", minimum=1),
                        "support_count": _integer("Confirmed signatures from this city endorsing it."),
                    }
                ),
            },
        },
        optional=("demands",),
    ),
    "CityCountList": _object(
        {
            "cities": {"type": "array", "items": _ref("CityCount"), "description": "Most signatures first."},
            "total": _integer("Cities with signatures in all."),
            "limit": _integer("Cities per page, as asked.", minimum=1),
            "offset": _integer("Cities skipped before this page, as asked."),
            "links": PAGE_LINKS,
        },
        optional=("total", "links"),
    ),
    "CityList": _object({"cities": {"type": "array", "items": _ref("City")}}),
}

SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "The petition's slug, as in its URL.",
    "schema": {"type": "string"},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of an answer you hold: 304 without a body if it is still current.",
    "schema": {"type": "string"},
}


def _limit(default: int, maximum: int, what: str) -> dict:
    return {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"How many {what} per page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
    }


def _offset(what: str) -> dict:
    return {
        "name": "offset",
        "in": "query",
        "required": False,
        "description": f"How many {what} to skip: the next page starts at offset + limit.",
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
    }


SHARED_HEADERS = {
    "ETag": {"description": "A tag of this answer, for If-None-Match.", "schema": {"type": "string"}},
    "Cache-Control": {"description": "How long caches may keep the answer.", "schema": {"const": CACHE_CONTROL}},
    "Access-Control-Allow-Origin": {"description": "Any site may read the API.", "schema": {"const": "*"}},
}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


TOO_MANY = {
    **_error("Too many requests from this address in a short time (the API's rate limit)."),
    "headers": {
        "Retry-After": {"description": "Seconds to wait before asking again.", "schema": {"type": "integer"}},
        "Access-Control-Allow-Origin": SHARED_HEADERS["Access-Control-Allow-Origin"],
    },
}

UNAVAILABLE = {
    **_error("The database cannot be reached for a moment; nothing changed. Ask again after Retry-After."),
    "headers": {
        "Retry-After": {"description": "Seconds to wait before asking again.", "schema": {"type": "integer"}},
        "Access-Control-Allow-Origin": SHARED_HEADERS["Access-Control-Allow-Origin"],
    },
}


def _get(summary: str, description: str, schema: str, parameters: list, errors: dict) -> dict:
    return {
        "get": {
            "summary": summary,
            "description": description,
            "parameters": [*parameters, IF_NONE_MATCH],
            "responses": {
                "200": {
                    "description": "OK",
                    "headers": SHARED_HEADERS,
                    "content": {"application/json": {"schema": _ref(schema)}},
                },
                "304": {
                    "description": "Not modified: the answer held (If-None-Match) is current.",
                    "headers": SHARED_HEADERS,
                },
                **{status: _error(text) for status, text in errors.items()},
                "429": TOO_MANY,
                "503": UNAVAILABLE,
            },
        }
    }


COUNTRY = {
    "name": "country",
    "in": "query",
    "required": False,
    "description": "ISO 3166 alpha-2 code: only cities of this country.",
    "schema": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
}
NOT_FOUND = {"404": "No petition has this slug (drafts are never shown)."}
BAD_PAGE = {"400": "limit or offset is not a whole number in range."}

PATHS = {
    "/petitions": _get(
        "Open petitions",
        "The petitions taking signatures, the most recently opened first, a page at a time. "
        "Follow links.next until it is null.",
        "PetitionList",
        [_limit(DEFAULT_LIMIT, MAX_LIMIT, "petitions"), _offset("petitions")],
        BAD_PAGE,
    ),
    "/petitions/{slug}": _get(
        "A petition",
        "The petition with its demands, their status and support, in its language and every translation.",
        "Petition",
        [SLUG],
        NOT_FOUND,
    ),
    "/petitions/{slug}/count": _get(
        "A petition's count",
        "Confirmed signatures, the goal and when the count last changed: the cheapest answer, for widgets "
        "that poll (once a minute is plenty; send If-None-Match).",
        "Count",
        [SLUG],
        NOT_FOUND,
    ),
    "/petitions/{slug}/cities": _get(
        "Support by city",
        "Each city's confirmed signatures and support per demand, most signatures first, a page at a time.",
        "CityCountList",
        [
            SLUG,
            _limit(DEFAULT_LIMIT, MAX_LIMIT, "cities"),
            _offset("cities"),
            COUNTRY,
            {
                "name": "region",
                "in": "query",
                "required": False,
                "description": "With country: only cities of this state or region (its GeoNames code, or a US "
                "state's name).",
                "schema": {"type": "string"},
            },
        ],
        {**NOT_FOUND, "400": "limit or offset is not a whole number in range, or country is not a country code."},
    ),
    "/cities": _get(
        "Find a city",
        "Canonical cities whose name starts like q, for suggestions while a supporter types.",
        "CityList",
        [
            {
                "name": "q",
                "in": "query",
                "required": True,
                "description": "The beginning of a city's name, as typed.",
                "schema": {"type": "string"},
            },
            COUNTRY,
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": "How many cities at most.",
                "schema": {"type": "integer", "minimum": 1, "maximum": 20, "default": 8},
            },
        ],
        {"400": "q is missing, country is not a country code, or limit is out of range."},
    ),
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "parameters": [IF_NONE_MATCH],
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 description of the API.",
                    "headers": SHARED_HEADERS,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "304": {"description": "Not modified.", "headers": SHARED_HEADERS},
                "429": TOO_MANY,
            },
        }
    },
}

DOCUMENT = {
    "openapi": "3.1.0",
    "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
    "info": {
        "title": "Groundswell public API",
        "version": "1.0.0",
        "summary": "Petitions, their demands and their live counts, for partner sites.",
        "description": "Read-only and open: no key, CORS open to every origin. Every successful GET carries an "
        "ETag and Cache-Control; send If-None-Match to get a 304 without a body. Errors are JSON: "
        '{"error": {"code": ..., "message": ...}}. Each client address has a rate limit; over it the answer '
        "is a 429 whose Retry-After header says how many seconds to wait.",
        "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
    },
    "paths": PATHS,
    "components": {"schemas": SCHEMAS},
}


def document(server: str) -> dict:
    """The document, with the API's absolute address as its server."""
    described = copy.deepcopy(DOCUMENT)
    described["servers"] = [{"url": server}]
    return described
