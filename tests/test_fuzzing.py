"""Whatever anyone sends, no answer is a 5xx, and a refused sign form stores nothing (hypothesis)."""

from __future__ import annotations

import itertools
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func

from petitions.extensions import db
from petitions.models import Signature
from tests.conftest import csrf_token, form_fields, token_in

# Each test builds its app once; every example reuses its client and database.
FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Anything a browser or a script can put in a form or a URL: every code point but surrogates
# (UTF-8 cannot carry them), with the awkward ones often.
ODD = ["\x00", "\x01", "\x1b", "\x7f", "\r\n", "\t", "\u2028", "\ufeff", "\u202e", "%", "%00", "%zz", "../", "'", '"']
SCALARS = st.one_of(
    st.sampled_from(ODD),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.lists(st.sampled_from(ODD), max_size=8).map("".join),
    st.sampled_from(["", " ", "0", "-1", "1e9", "99999999999999999999", "true", "null", "[]", "https://example.org"]),
    # Huge: past every field's limit, some past MAX_CONTENT_LENGTH (413).
    st.builds(lambda piece, times: piece * times, st.sampled_from(["a", "é", "\x00", "<b>"]), st.integers(201, 70_000)),
)
# A scalar, a list where a scalar belongs (the same name repeated), or None: the field is left out.
VALUES = st.one_of(SCALARS, st.lists(SCALARS, min_size=2, max_size=3), st.none())


def changed(form: dict, overrides: dict) -> dict:
    """The form with each override applied; None removes the field."""
    result = dict(form)
    for name, value in overrides.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def signature_rows() -> int:
    db.session.rollback()  # a fresh snapshot: the requests commit in their own sessions
    return db.session.execute(db.select(func.count()).select_from(Signature)).scalar_one()


def assert_answered(response) -> None:
    assert response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:2000])


# --- The sign form ----------------------------------------------------------------------------------

SIGN_FIELDS = [
    "name", "email", "city", "region", "postal_code", "country", "demands", "comment",
    "public_name", "updates_opt_in", "source", "website", "shown", "csrf_token",
]  # fmt: skip


def test_the_sign_form_takes_anything_and_stores_only_what_it_accepts(client, make_petition):
    petition = make_petition()
    token = csrf_token(client, petition.slug)
    valid = {**form_fields(petition), "csrf_token": token}
    emails = itertools.count()

    @FUZZ
    @given(overrides=st.dictionaries(st.sampled_from(SIGN_FIELDS), VALUES, max_size=5))
    def sign(overrides):
        form = changed({**valid, "email": f"fuzz{next(emails)}@example.org"}, overrides)
        before = signature_rows()
        response = client.post(f"/petitions/{petition.slug}/sign", data=form)
        assert_answered(response)
        after = signature_rows()
        if response.status_code == 303:
            assert after - before in (0, 1)  # 0: the address had signed
        else:
            assert 400 <= response.status_code < 500
            assert after == before

    sign()


# --- The organizer forms ------------------------------------------------------------------------------


def test_the_login_form_takes_anything(client, make_organizer):
    make_organizer()
    token = token_in(client.get("/organize/login").get_data(as_text=True))

    @FUZZ
    @given(overrides=st.dictionaries(st.sampled_from(["email", "password", "csrf_token", "remember"]), VALUES))
    def log_in(overrides):
        form = changed({"email": "olga@example.org", "password": "not the password", "csrf_token": token}, overrides)
        assert_answered(client.post("/organize/login", data=form))
        assert_answered(client.get("/organize/login", query_string={"next": overrides.get("email") or ""}))

    log_in()


PETITION_FIELDS = [
    "title", "slug", "summary", "body", "goal", "default_country", "default_locale",
    "translated_title", "translated_summary", "translated_body", "preview", "csrf_token",
]  # fmt: skip
DEMAND_FIELDS = ["title", "explanation", "translated_title", "translated_explanation", "csrf_token"]
UPDATE_FIELDS = ["status", "happened_on", "text", "link", "notify", "csrf_token"]


def test_the_organizer_forms_take_anything(client, make_organizer, make_petition, log_in):
    organizer = make_organizer()
    petition = make_petition()
    demand_id = petition.demands[0].id
    coalition = petition.coalition.slug
    log_in(organizer)
    token = token_in(client.get("/organize/").get_data(as_text=True))
    slugs = itertools.count()
    forms = {
        f"/organize/coalitions/{coalition}/petitions/new": (
            PETITION_FIELDS,
            {"title": "A new petition", "summary": "Short.", "body": "Long.", "goal": "100",
             "default_country": "US", "default_locale": "en"},
        ),
        f"/organize/petitions/{petition.slug}/edit": (
            PETITION_FIELDS,
            {"title": "Fund our schools", "slug": petition.slug, "goal": "1000", "default_country": "US",
             "default_locale": "en"},
        ),
        f"/organize/petitions/{petition.slug}/demands/new": (DEMAND_FIELDS, {"title": "One more demand"}),
        f"/organize/petitions/{petition.slug}/demands/{demand_id}": (DEMAND_FIELDS, {"title": "Demand number 1"}),
        f"/organize/petitions/{petition.slug}/demands/{demand_id}/updates": (
            UPDATE_FIELDS,
            {"status": "won", "happened_on": "2026-11-22", "text": "The board agreed.", "link": ""},
        ),
    }  # fmt: skip

    @FUZZ
    @given(
        path=st.sampled_from(sorted(forms)),
        data=st.data(),
    )
    def post(path, data):
        fields, valid = forms[path]
        overrides = data.draw(st.dictionaries(st.sampled_from(fields), VALUES, max_size=4))
        valid = {**valid, "csrf_token": token}
        if path.endswith("/new") and "petitions" in path:
            valid["slug"] = f"fuzzed-{next(slugs)}"
        assert_answered(client.post(path, data=changed(valid, overrides)))

    post()


# --- The API and what partner sites embed ------------------------------------------------------------------

SLUGS = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30),
    st.lists(st.sampled_from([*ODD, "a", "-", "é", "😀"]), min_size=1, max_size=10).map("".join),
)
QUERY = st.dictionaries(
    st.sampled_from(["limit", "offset", "lang", "theme", "compact", "url", "format", "maxwidth", "maxheight",
                     "source", "q", "country"]),
    st.one_of(SCALARS.filter(lambda value: len(value) < 5000), st.lists(st.text(max_size=10), min_size=2, max_size=3)),
    max_size=5,
)  # fmt: skip
PATHS = [
    "/", "/api/v1/petitions", "/api/v1/petitions/{slug}", "/api/v1/petitions/{slug}/count",
    "/api/v1/openapi.json", "/petitions/{slug}", "/petitions/{slug}/embed", "/petitions/{slug}/badge.svg",
    "/petitions/{slug}/thanks", "/petitions/{slug}/confirm/{slug}", "/petitions/{slug}/withdraw/{slug}",
    "/petitions/{slug}/unsubscribe/{slug}", "/embed.js", "/oembed", "/privacy", "/static/{slug}",
]  # fmt: skip


def test_the_api_and_the_embeds_take_any_slug_and_parameters(client, make_petition):
    real = make_petition(slug="fund-our-schools").slug

    @FUZZ
    @given(
        template=st.sampled_from(PATHS),
        slug=st.one_of(SLUGS, st.just(real)),
        raw=st.booleans(),
        query=QUERY,
    )
    def get(template, slug, raw, query):
        # Percent-encoded, or as typed (a "%zz" stays malformed, "%00" becomes NUL).
        segment = slug.replace("/", "%2F") if raw else quote(slug, safe="")
        if "url" in query and isinstance(query["url"], str) and raw:
            query = {**query, "url": f"http://127.0.0.1:5000/petitions/{query['url']}"}
        response = client.get(template.format(slug=segment), query_string=query)
        if template == "/oembed" and query.get("format", "json") != "json":
            # The one 5xx on purpose: oEmbed's answer to a format it does not offer (oembed.com, 2.3.4).
            assert response.status_code == 501
            return
        assert_answered(response)
        if template.startswith("/api/") and not 300 <= response.status_code < 400:  # "//" merged by a redirect
            assert response.mimetype == "application/json"

    get()


@pytest.mark.parametrize(
    "path",
    [
        "/petitions/fund%00schools",
        "/petitions/%00",
        "/api/v1/petitions/fund%00schools",
        "/api/v1/petitions/fund%00schools/count",
        "/petitions/fund%00schools/embed",
        "/petitions/fund%00schools/badge.svg",
        "/petitions/fund-our-schools/confirm/to%00ken",
        "/oembed?url=http://127.0.0.1:5000/petitions/fund%2500schools",
        "/oembed?url=http://127.0.0.1:5000/petitions/fund%00schools",
    ],
)
def test_a_url_segment_with_nul_is_a_404(client, make_petition, path):
    make_petition(slug="fund-our-schools")
    assert client.get(path).status_code == 404


def test_nul_in_a_search_or_a_login_is_ignored(client, make_organizer, make_petition, sign, log_in):
    organizer = make_organizer()
    petition = make_petition()
    sign(petition, "ana@example.org", name="Ana Pérez")
    token = token_in(client.get("/organize/login").get_data(as_text=True))
    refused = client.post("/organize/login", data={"email": "\x00", "password": "x", "csrf_token": token})
    assert refused.status_code in (401, 422)
    log_in(organizer)
    page = client.get(f"/organize/petitions/{petition.slug}/signatures", query_string={"q": "A\x00na"})
    assert page.status_code == 200
    assert "ana@example.org" in page.get_data(as_text=True)


FILTERS = ["q", "state", "city", "city_match", "region", "country", "demand", "signed_from", "signed_to",
           "opted_in", "page", "bom"]  # fmt: skip


def test_the_signature_filters_take_anything(client, make_organizer, make_petition, log_in, sign):
    organizer = make_organizer()
    petition = make_petition()
    sign(petition, "ana@example.org")
    log_in(organizer)
    pages = [f"/organize/petitions/{petition.slug}/{page}" for page in ("signatures", "signatures.csv", "delivery")]

    @FUZZ
    @given(path=st.sampled_from(pages), query=st.dictionaries(st.sampled_from(FILTERS), SCALARS, max_size=4))
    def look(path, query):
        response = client.get(path, query_string={name: value[:300] for name, value in query.items()})
        assert_answered(response)
        response.close()  # the CSV streams

    look()
