"""The public JSON API, version 1."""

from __future__ import annotations

from flask import Blueprint, jsonify

from . import tallies
from .extensions import db
from .links import absolute_url
from .models import Petition, PetitionState

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def petition_document(petition: Petition) -> dict:
    support = tallies.demand_support(petition.id)
    return {
        "slug": petition.slug,
        "title": petition.title,
        "summary": petition.summary,
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
            }
            for demand in petition.demands
        ],
    }


@bp.get("/petitions/<slug>")
def petition(slug: str):
    petition = db.one_or_404(db.select(Petition).where(Petition.slug == slug, Petition.state != PetitionState.DRAFT))
    return jsonify(petition_document(petition))
