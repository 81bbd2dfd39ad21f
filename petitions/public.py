"""Pages for supporters and the public."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from . import catalog, signing, tallies
from .extensions import csrf
from .forms import SignForm
from .i18n import current_locale
from .links import absolute_url, embed_snippets, share_links
from .models import Petition

bp = Blueprint("public", __name__)


def public_petition(slug: str) -> Petition:
    """The petition with this slug, unless it is a draft (404); its language is the pages' last resort."""
    petition = catalog.public_petition(slug)
    g.petition_locale = petition.default_locale
    return petition


@bp.get("/")
def index():
    petitions = catalog.open_petitions()
    counts = tallies.signature_counts([petition.id for petition in petitions])
    return render_template("public/index.html", petitions=petitions, counts=counts)


@bp.get("/petitions/<slug>")
def petition(slug: str):
    petition = public_petition(slug)
    return render_petition(petition, SignForm(petition, source=request.args.get("source")))


# The sign form checks its own CSRF token (FlaskForm), so that a stale or missing token gives the
# form back with everything typed instead of a bare error page.
@bp.post("/petitions/<slug>/sign")
@csrf.exempt
def sign(slug: str):
    petition = public_petition(slug)
    g.switch_target = ("public.petition", {"slug": slug})
    form = SignForm(petition)
    if not petition.accepts_signatures:
        return render_petition(petition, form, status=409)
    if not form.validate_on_submit():
        return render_petition(petition, form, status=400 if form.only_the_token_failed else 422)
    signing.sign(petition, form.signature_data(current_locale()))
    # The same answer whether or not the address had signed: nobody learns who has.
    return redirect(url_for("public.thanks", slug=slug), code=303)


@bp.get("/petitions/<slug>/thanks")
def thanks(slug: str):
    petition = public_petition(slug)
    url = absolute_url("public.petition", slug=slug)
    return render_template(
        "public/thanks.html",
        petition=petition,
        url=url,
        share_links=share_links(url, petition.text("title", current_locale())),
        count=tallies.signature_count(petition.id),
    )


def render_petition(petition: Petition, form: SignForm, status: int = 200):
    return (
        render_template(
            "public/petition.html",
            petition=petition,
            form=form,
            count=tallies.signature_count(petition.id),
            support=tallies.demand_support(petition.id),
            top_cities=tallies.city_counts(petition.id, limit=5),
            embed=embed_snippets(petition.slug, petition.text("title", current_locale())),
        ),
        status,
    )
