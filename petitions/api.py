"""The public JSON API, version 1."""

from __future__ import annotations

from flask import Blueprint, jsonify

from . import tallies
from .extensions import db
from .links import absolute_url
from .models import Petition, PetitionState

bp = Blueprint("api", __name__, url_prefix="/api/v1")


TRANSLATED_PETITION = ("title", "summary", "body")
TRANSLATED_DEMAND = ("title", "explanation")


def translations(item, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Every translation of a petition or demand, by language; empty fields fall back to the original."""
    return {locale: {field: item.text(field, locale) for field in fields} for locale in sorted(item.translations)}


def petition_document(petition: Petition) -> dict:
    support = tallies.demand_support(petition.id)
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
        "signature_count": tallies.signature_count(petition.id),
        "default_country": petition.default_country,
        "demands": [
            {
                "id": demand.id,
                "position": demand.position,
                "title": demand.title,
                "explanation": demand.explanation,
                "status": demand.status.value,
                "support_count": support.get(demand.id, 0),
                "translations": translations(demand, TRANSLATED_DEMAND),
            }
            for demand in petition.demands
        ],
    }


@bp.get("/petitions/<slug>")
def petition(slug: str):
    petition = db.one_or_404(db.select(Petition).where(Petition.slug == slug, Petition.state != PetitionState.DRAFT))
    return jsonify(petition_document(petition))
