"""Pages for supporters and the public."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from . import catalog, charts, figures, notifications, rankings, signing, tallies, tokens
from .addresses import client_ip_hash
from .extensions import csrf, db, limiter
from .forms import ButtonForm, SignForm
from .i18n import current_locale
from .links import absolute_url, embed_snippets, share_links
from .models import Petition, Signature

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


@bp.get("/privacy", endpoint="privacy")
def privacy_page():
    return render_template("public/privacy.html")


@bp.get("/petitions/<slug>")
def petition(slug: str):
    petition = public_petition(slug)
    return render_petition(petition, SignForm(petition, source=request.args.get("source")))


# The sign form checks its own CSRF token (FlaskForm), so that a stale or missing token gives the
# form back with everything typed instead of a bare error page.
@bp.post("/petitions/<slug>/sign")
@csrf.exempt
@limiter.limit(lambda: current_app.config["SIGN_RATE_LIMIT"])
def sign(slug: str):
    petition = public_petition(slug)
    g.switch_target = ("public.petition", {"slug": slug})
    form = SignForm(petition)
    if not petition.accepts_signatures:
        return render_petition(petition, form, status=409)
    if not form.validate_on_submit():
        return render_petition(petition, form, status=400 if form.only_the_token_failed else 422)
    signing.sign(
        petition,
        form.signature_data(current_locale()),
        ip_hash=client_ip_hash(),
        bot_trap=form.bot_trap(current_app.config["SIGN_FORM_MIN_SECONDS"]),
    )
    # The same answer whether or not the address had signed, or a bot trap caught the attempt.
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
        confirming=signing.confirming_by_email(),
    )


@bp.get("/petitions/<slug>/cities")
def cities(slug: str):
    petition = public_petition(slug)
    query = rankings.CityQuery.from_args(request.args, {demand.id for demand in petition.demands})
    countries, regions = rankings.filter_choices(petition.id, query.country)
    query = query.among(regions)
    page = figures.city_page(petition.id, **query.page_arguments)
    daily = figures.daily_counts(petition.id)
    return render_template(
        "public/cities.html",
        petition=petition,
        query=query,
        page=page,
        countries=countries,
        regions=regions,
        chart=charts.bar_chart([(row.city.name, row.value(query.sort)) for row in page.rows[:10]]),
        daily=daily,
        line=charts.line_chart(daily),
    )


def render_petition(petition: Petition, form: SignForm, status: int = 200):
    shown = figures.petition_figures(petition.id)
    return (
        render_template(
            "public/petition.html",
            petition=petition,
            form=form,
            count=shown.signature_count,
            support=shown.demand_support,
            top_cities=shown.top_cities,
            embed=embed_snippets(petition.slug, petition.text("title", current_locale())),
            public_signers=shown.public_signers,
        ),
        status,
    )


# --- The links in signers' emails ---------------------------------------------------------------
# Mail systems open links before people do, so opening one never withdraws or unsubscribes:
# those take a button (a POST). Confirming on opening is safe: it happens once, however often.


def signer_or_404(petition: Petition, token: str, purpose: str) -> Signature | None:
    """The signature a link names (None if it is gone); 404 for a link we never made."""
    try:
        return signing.signer(petition, token, purpose)
    except tokens.BadLink:
        abort(404)


@bp.get("/petitions/<slug>/confirm/<token>")
def confirm(slug: str, token: str):
    petition = public_petition(slug)
    try:
        days = current_app.config["CONFIRMATION_LINK_DAYS"]
        signature = signing.signer(petition, token, tokens.CONFIRM, max_age=days * 24 * 3600)
    except tokens.ExpiredLink:
        return render_template("public/confirm.html", petition=petition, outcome="expired"), 410
    except tokens.BadLink:
        abort(404)
    outcome = signing.confirm(signature)
    status = 404 if outcome is signing.Confirmation.GONE else 200
    count = tallies.signature_count(petition.id)
    return render_template("public/confirm.html", petition=petition, outcome=outcome.value, count=count), status


@bp.route("/petitions/<slug>/withdraw/<token>", methods=["GET", "POST"])
def withdraw(slug: str, token: str):
    petition = public_petition(slug)
    signature = signer_or_404(petition, token, tokens.WITHDRAW)
    form = ButtonForm()
    if signature is not None and form.validate_on_submit():
        signing.remove(petition.id, [signature.id])
        db.session.commit()
        return redirect(url_for("public.withdrawn", slug=slug), code=303)
    status = 200 if signature is not None else 404
    return render_template("public/withdraw.html", petition=petition, signature=signature, form=form), status


@bp.get("/petitions/<slug>/withdrawn")
def withdrawn(slug: str):
    return render_template("public/withdrawn.html", petition=public_petition(slug))


# RFC 8058: mail programs unsubscribe with a POST that carries no CSRF token; the signed link
# is the authority here, and nobody else holds it.
@bp.route("/petitions/<slug>/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(slug: str, token: str):
    petition = public_petition(slug)
    signature = signer_or_404(petition, token, tokens.UNSUBSCRIBE)
    if signature is not None and request.method == "POST":
        notifications.unsubscribe(signature)
        db.session.commit()
    status = 200 if signature is not None else 404
    done = signature is not None and request.method == "POST"
    return render_template("public/unsubscribe.html", petition=petition, signature=signature, done=done), status
