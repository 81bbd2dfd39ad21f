"""Spellings the gazetteer lacks, and mapping them to canonical cities for the coalition."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import cities
from ..extensions import db
from ..models import City, Permission
from . import bp, coalition_for
from .forms import CityMapForm


@bp.get("/coalitions/<slug>/cities")
def unmatched_cities(slug: str):
    coalition = coalition_for(slug, Permission.VIEW)
    return render_unmatched(coalition)


@bp.post("/coalitions/<slug>/cities/<int:city_id>/map")
def map_city(slug: str, city_id: int):
    coalition = coalition_for(slug, Permission.EDIT)
    spelling = db.get_or_404(City, city_id)
    form = map_form(city_id)
    target = cities.find_canonical(form.city.data or "", spelling.country) if form.validate_on_submit() else None
    if target is None:
        if not form.city.errors:
            form.city.errors = [_("No city of the gazetteer in this country is called that. Try “Chicago, IL”.")]
        return render_unmatched(coalition, failed=(city_id, form)), 422
    moved = cities.map_unmatched(coalition.id, spelling.id, target.id, organizer_id=current_user.id)
    db.session.commit()
    flash(
        ngettext(
            "%(num)s signature of “%(spelling)s” now counts for %(city)s.",
            "%(num)s signatures of “%(spelling)s” now count for %(city)s.",
            moved,
            spelling=spelling.name,
            city=f"{target.name}, {target.region_label or target.country}",
        )
    )
    return redirect(url_for("organize.unmatched_cities", slug=slug), code=303)


def map_form(city_id: int, **kwargs) -> CityMapForm:
    # One form per spelling on the page: the prefix keeps their fields' names and ids apart.
    return CityMapForm(prefix=f"spelling-{city_id}", **kwargs)


def render_unmatched(coalition, failed: tuple[int, CityMapForm] | None = None):
    spellings = cities.unmatched(coalition.id)
    forms = {spelling.city.id: map_form(spelling.city.id, formdata=None) for spelling in spellings}
    if failed:
        forms[failed[0]] = failed[1]
    return render_template("organize/cities.html", coalition=coalition, spellings=spellings, forms=forms)
