"""Signatures: the filtered list, strike out and restore, exports, the delivery document, paper imports."""

from __future__ import annotations

from functools import cache
from itertools import groupby

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_template,
    stream_with_context,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from .. import exports, imports, moderation, tallies
from ..extensions import csrf, db
from ..filters import CityMatch, FilterError, SignatureFilter
from ..forms import country_choices
from ..i18n import current_locale
from ..models import City, ExportKind, Permission, Petition, Signature, SignatureState
from ..models.types import utcnow
from . import bp, membership_in, petition_for
from .forms import BulkStrikeForm, ImportForm, ModerateForm, RemoveForm

CITY_CHOICES = 200  # the filter offers the cities with most signatures; any city is one click away in the list


def state_labels() -> dict[SignatureState, str]:
    return {
        SignatureState.PENDING: _("Pending: waiting for email confirmation"),
        SignatureState.CONFIRMED: _("Confirmed: counted"),
        SignatureState.SUSPICIOUS: _("Suspicious: held back, not counted"),
        SignatureState.STRUCK: _("Struck out: not counted"),
    }


def _filter_or_errors(args) -> tuple[SignatureFilter | None, dict[str, str]]:
    try:
        return SignatureFilter.from_query(args), {}
    except FilterError as error:
        return None, error.errors


@bp.get("/petitions/<slug>/signatures")
def signatures(slug: str):
    petition = petition_for(slug, Permission.VIEW)
    signature_filter, errors = _filter_or_errors(request.args)
    return render_signatures(petition, signature_filter, errors)


def render_signatures(petition: Petition, signature_filter: SignatureFilter | None, errors: dict[str, str]):
    page = None
    if signature_filter is not None:
        page = moderation.signature_page(petition, signature_filter, request.args.get("page", 1, type=int) or 1)
    return (
        render_template(
            "organize/signatures.html",
            petition=petition,
            signature_filter=signature_filter or SignatureFilter(),
            values=request.args,
            errors=errors,
            page=page,
            count=tallies.signature_count(petition.id),
            city_choices=_city_choices(petition, signature_filter),
            countries=country_choices(current_locale()),
            states=state_labels(),
            city_matches={CityMatch.CANONICAL: _("In the gazetteer"), CityMatch.UNMATCHED: _("Not matched yet")},
            actions=moderation.recent_actions(petition),
            query=signature_filter.to_query() if signature_filter else {},
        ),
        422 if errors else 200,
    )


def _city_choices(petition: Petition, signature_filter: SignatureFilter | None) -> list[tuple[int, str]]:
    """The cities with most confirmed signatures, and the one chosen if it is not among them."""
    choices = [(city.id, _city_label(city, n)) for city, n in tallies.city_counts(petition.id, limit=CITY_CHOICES)]
    chosen = signature_filter.city_id if signature_filter else None
    if chosen is not None and chosen not in dict(choices):
        city = db.session.get(City, chosen)
        choices.insert(0, (chosen, city.name if city else f"#{chosen}"))
    return choices


def _city_label(city: City, n: int) -> str:
    place = ", ".join(part for part in (city.name, city.region, city.country) if part)
    return f"{place} ({n})"


def signature_of(petition: Petition, signature_id: int) -> Signature:
    return db.first_or_404(
        db.select(Signature).where(Signature.id == signature_id, Signature.petition_id == petition.id)
    )


@bp.route("/petitions/<slug>/signatures/<int:signature_id>", methods=["GET", "POST"])
def signature(slug: str, signature_id: int):
    """One signature, with strike out or restore and the reason."""
    petition = petition_for(slug, Permission.VIEW)
    signature = signature_of(petition, signature_id)
    form = ModerateForm(back=request.args.get("back", ""))
    if request.method == "POST":
        membership_in(petition.coalition_id, Permission.MODERATE)
    if form.validate_on_submit():
        if form.action.data == "strike":
            moved = moderation.strike(petition, signature, form.reason.data, current_user._get_current_object())
            message = _("The signature is struck out and no longer counted.")
        else:
            moved = moderation.restore(petition, signature, form.reason.data, current_user._get_current_object())
            message = _("The signature is restored and counted again.")
        db.session.commit()
        flash(message if moved else _("Nothing changed: the signature was already in that state."))
        return redirect(_back_to_list(petition, form.back.data), code=303)
    return render_signature(petition, signature, form, RemoveForm(formdata=None, back=form.back.data))


def render_signature(petition: Petition, signature: Signature, form: ModerateForm, remove_form: RemoveForm):
    endorsed = {d.demand_id for d in signature.endorsements}
    return (
        render_template(
            "organize/signature.html",
            petition=petition,
            signature=signature,
            endorsed=endorsed,
            form=form,
            remove_form=remove_form,
            states=state_labels(),
            strikable=signature.state in moderation.STRIKABLE,
            restorable=signature.state in moderation.RESTORABLE,
            back_url=_back_to_list(petition, form.back.data),
        ),
        422 if form.errors or remove_form.errors else 200,
    )


@bp.post("/petitions/<slug>/signatures/<int:signature_id>/remove")
def remove_signature(slug: str, signature_id: int):
    """Delete a signature with its personal data because its signer asked; every tally stays exact."""
    petition = petition_for(slug, Permission.MODERATE)
    signature = signature_of(petition, signature_id)
    remove_form = RemoveForm()
    if not remove_form.validate_on_submit():
        form = ModerateForm(formdata=None, back=remove_form.back.data)
        return render_signature(petition, signature, form, remove_form)
    moderation.remove_on_request(petition, signature, current_user._get_current_object())
    db.session.commit()
    flash(_("The signature is deleted with its signer's personal data, as they asked. The counts leave it out."))
    return redirect(_back_to_list(petition, remove_form.back.data), code=303)


def _back_to_list(petition: Petition, back: str) -> str:
    signature_filter, _errors = _filter_or_errors(back or "")
    query = signature_filter.to_query() if signature_filter else {}
    return url_for("organize.signatures", slug=petition.slug, **query)


@bp.route("/petitions/<slug>/signatures/strike", methods=["GET", "POST"])
def bulk_strike(slug: str):
    """Strike out every signature of a filtered set, after a confirmation page that says how many."""
    petition = petition_for(slug, Permission.MODERATE)
    signature_filter, errors = _filter_or_errors(request.args if request.method == "GET" else request.form)
    if errors:
        return render_signatures(petition, None, errors)
    if signature_filter.is_empty():
        flash(_("Choose a filter first: bulk strike-out works on a filtered set of signatures."))
        return redirect(url_for("organize.signatures", slug=slug), code=303)
    form = BulkStrikeForm(up_to=moderation.newest_id(petition))
    if form.validate_on_submit():
        moved = moderation.bulk_strike(
            petition, signature_filter, form.up_to.data, form.reason.data, current_user._get_current_object()
        )
        db.session.commit()
        flash(_("%(count)s signatures are struck out.", count=f"{moved:,}"))
        return redirect(url_for("organize.signatures", slug=slug, **signature_filter.to_query()), code=303)
    return (
        render_template(
            "organize/bulk_strike.html",
            petition=petition,
            form=form,
            query=signature_filter.to_query(),
            count=moderation.strikable_count(petition, signature_filter, form.up_to.data),
        ),
        422 if form.errors else 200,
    )


# --- Exports ----------------------------------------------------------------------------------


def csv_response(chunks, filename: str) -> Response:
    response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Personal data: never kept by a cache; streamed as it is written (no proxy buffering).
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _filename(petition: Petition, what: str) -> str:
    return f"{petition.slug}-{what}-{utcnow():%Y-%m-%d}.csv"


# A streamed response runs after its view has returned and its database session has closed: the
# generators below take ids and load what they need in the session of the stream.


@bp.get("/petitions/<slug>/signatures.csv")
def export_signatures(slug: str):
    petition = petition_for(slug, Permission.EXPORT)
    signature_filter, errors = _filter_or_errors(request.args)
    if errors:
        return render_signatures(petition, None, errors)
    header, filename = exports.signature_header(petition), _filename(petition, "signatures")
    export = exports.start(petition, ExportKind.SIGNATURES, current_user, signature_filter)
    lines = exports.recorded(export.id, exports.signature_lines(export.petition_id, signature_filter), batches=True)
    chunks = exports.line_chunks(header, lines, bom=request.args.get("bom") == "1")
    return csv_response(stream_with_context(chunks), filename)


@bp.get("/petitions/<slug>/delivery")
def delivery(slug: str):
    """The printable document for a school board: petition, demands, counts by city, signers; no emails."""
    petition = petition_for(slug, Permission.EXPORT)
    export = exports.start(petition, ExportKind.DELIVERY, current_user)
    page = delivery_page(export.petition_id, export.id)
    response = Response(stream_with_context(exports.batched_text(page)), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def delivery_page(petition_id: int, export_id: int):
    petition = db.session.get(Petition, petition_id)
    db.session.add(current_user._get_current_object())  # the page header shows who is logged in
    cities = tallies.city_counts(petition_id)
    signers = exports.recorded(export_id, exports.delivery_signers(petition_id))
    yield from stream_template(
        "organize/delivery.html",
        petition=petition,
        count=tallies.signature_count(petition_id),
        cities=cities,
        city_counts={city.id: n for city, n in cities},
        support=tallies.demand_support(petition_id),
        groups=groupby(signers, key=lambda signer: signer.city_id),
        day=cache(lambda day: format_date(day, "medium")),
        today=utcnow().date(),
    )


@bp.get("/petitions/<slug>/delivery.csv")
def delivery_csv(slug: str):
    petition = petition_for(slug, Permission.EXPORT)
    filename = _filename(petition, "delivery")
    export = exports.start(petition, ExportKind.DELIVERY_CSV, current_user)
    rows = exports.recorded(export.id, exports.delivery_rows(exports.delivery_signers(export.petition_id)))
    chunks = exports.csv_chunks(exports.DELIVERY_COLUMNS, rows, bom=request.args.get("bom") == "1")
    return csv_response(stream_with_context(chunks), filename)


# --- Paper signatures -------------------------------------------------------------------------


# The form checks its own CSRF token: CSRFProtect would read the upload before this view raises the
# size limit for it.
@bp.route("/petitions/<slug>/import", methods=["GET", "POST"])
@csrf.exempt
def import_signatures(slug: str):
    petition = petition_for(slug, Permission.IMPORT)
    request.max_content_length = current_app.config["IMPORT_MAX_CONTENT_LENGTH"]
    form = ImportForm()
    report, problem, status = None, None, 200
    if request.method == "POST" and not petition.accepts_signatures:
        problem, status = _("Signatures can be imported only while the petition is open."), 409
    elif form.validate_on_submit():
        try:
            report = imports.import_signatures(
                petition, form.file.data.read(), dry_run=form.dry_run.data, skip_bad=form.skip_bad.data
            )
        except imports.ImportFileError as error:
            problem = str(error)
        status = 422 if problem or report.refused else 200
    elif form.errors:
        status = 422 if set(form.errors) != {"csrf_token"} else 400
    return (
        render_template(
            "organize/import.html",
            petition=petition,
            form=form,
            report=report,
            problem=problem,
            columns=exports.signature_header(petition),
            max_megabytes=current_app.config["IMPORT_MAX_CONTENT_LENGTH"] // (1024 * 1024),
        ),
        status,
    )
