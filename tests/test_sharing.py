"""What partner sites rely on in every answer: CORS, ETags and 304s, caching, and who may frame what."""

from __future__ import annotations

import re

import pytest

from petitions.models import PetitionState

CACHE_CONTROL = re.compile(r"^public, max-age=(\d+), stale-while-revalidate=(\d+)")


@pytest.fixture
def petition(make_petition, sign):
    petition = make_petition(slug="fund-schools", goal=500)
    sign(petition)
    return petition


# Every GET resource that other sites use; both blueprints' future endpoints get the same rules.
SHARED_URLS = [
    "/api/v1/petitions",
    "/api/v1/petitions/fund-schools",
    "/api/v1/petitions/fund-schools/count",
    "/api/v1/openapi.json",
    "/petitions/fund-schools/embed",
    "/petitions/fund-schools/embed?theme=dark&compact=1&lang=es",
    "/petitions/fund-schools/badge.svg",
    "/embed.js",
    "/oembed?url=http://127.0.0.1:5000/petitions/fund-schools&format=json",
]


@pytest.mark.parametrize("url", SHARED_URLS)
def test_shared_resources_are_open_cached_and_conditional(client, petition, url):
    response = client.get(url)

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    max_age, stale = map(int, CACHE_CONTROL.match(response.headers["Cache-Control"]).groups())
    assert 0 < max_age <= stale or url == "/embed.js"
    assert "Set-Cookie" not in response.headers
    etag = response.headers["ETag"]
    assert etag

    again = client.get(url, headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    assert again.headers["Cache-Control"] == response.headers["Cache-Control"]
    # A stale tag gets the whole answer.
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_a_widget_polling_every_minute_revalidates_each_time(client, petition):
    max_age, _ = map(
        int, CACHE_CONTROL.match(client.get("/api/v1/petitions/fund-schools/count").headers["Cache-Control"]).groups()
    )
    assert max_age < 60


def test_the_etag_changes_when_the_count_does(client, petition, sign):
    before = client.get("/api/v1/petitions/fund-schools/count")
    sign(petition)
    after = client.get("/api/v1/petitions/fund-schools/count", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.json["signature_count"] == before.json["signature_count"] + 1
    assert after.headers["ETag"] != before.headers["ETag"]


def test_head_answers_like_get_without_a_body(client, petition):
    response = client.head("/api/v1/petitions/fund-schools/count")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["ETag"] == client.get("/api/v1/petitions/fund-schools/count").headers["ETag"]


@pytest.mark.parametrize("url", ["/api/v1/petitions/fund-schools/count", "/api/v1/petitions", "/embed.js"])
def test_preflight_requests_are_answered(client, petition, url):
    response = client.options(
        url,
        headers={
            "Origin": "https://partner.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "if-none-match" in response.headers["Access-Control-Allow-Headers"].lower()
    assert int(response.headers["Access-Control-Max-Age"]) > 0


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/petitions/nope", 404, "not_found"),
        ("/api/v1/petitions/nope/count", 404, "not_found"),
        ("/api/v1/no-such-thing", 404, "not_found"),
        ("/api/v1/petitions?limit=1000", 400, "bad_request"),
        ("/api/v1/petitions?offset=-1", 400, "bad_request"),
        ("/api/v1/petitions?limit=ten", 400, "bad_request"),
        ("/oembed?url=http://127.0.0.1:5000/petitions/nope", 404, "not_found"),
        ("/oembed?url=http://127.0.0.1:5000/petitions/fund-schools&format=xml", 501, "not_implemented"),
    ],
)
def test_errors_are_json_that_other_sites_can_read(client, petition, url, status, code):
    response = client.get(url)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    # Errors are not kept by shared caches.
    assert "public" not in response.headers.get("Cache-Control", "")


def test_other_methods_get_a_json_405(client, petition):
    response = client.post("/api/v1/petitions/fund-schools/count")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_drafts_stay_hidden_everywhere(client, make_petition):
    draft = make_petition(state=PetitionState.DRAFT)
    for url in (
        f"/api/v1/petitions/{draft.slug}",
        f"/api/v1/petitions/{draft.slug}/count",
        f"/petitions/{draft.slug}/embed",
        f"/petitions/{draft.slug}/badge.svg",
        f"/oembed?url=http://127.0.0.1:5000/petitions/{draft.slug}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/petitions").json["total"] == 0


def test_our_own_pages_are_not_opened_to_other_sites(client, petition):
    for url in ("/", "/petitions/fund-schools", "/petitions/fund-schools/thanks"):
        headers = client.get(url).headers
        assert "Access-Control-Allow-Origin" not in headers, url
        assert "public" not in headers.get("Cache-Control", ""), url


# --- Language: a partner's choice never touches the visitor's own ------------------------------


def test_a_widget_language_does_not_change_the_visitors_language_on_our_site(client, petition):
    client.get("/?lang=en")  # the visitor chose English on our site

    widget = client.get("/petitions/fund-schools/embed?lang=es")

    assert '<html lang="es"' in widget.get_data(as_text=True)
    assert "Set-Cookie" not in widget.headers
    assert '<html lang="en">' in client.get("/petitions/fund-schools").get_data(as_text=True)


def test_the_widget_follows_the_browser_not_our_cookie(client, petition):
    client.get("/?lang=es")  # a cookie from an earlier visit to our site

    widget = client.get("/petitions/fund-schools/embed", headers={"Accept-Language": "en-US,en;q=0.9"})

    assert '<html lang="en"' in widget.get_data(as_text=True)
    # Caches keep one copy per browser language.
    assert "Accept-Language" in widget.headers["Vary"]
    assert "Accept-Language" not in client.get("/petitions/fund-schools/embed?lang=es").headers.get("Vary", "")


# --- Framing -----------------------------------------------------------------------------------

FRAMABLE = {"embed.widget"}


def every_get_url(app, slug: str) -> list[tuple[str, str]]:
    """One URL for every GET route of the app, whatever blueprint added it."""
    values = {"slug": slug, "filename": "css/site.css"}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = re.sub(rf"<(?:[^:>]+:)?{argument}>", str(values.get(argument, "1")), path)
        urls.append((rule.endpoint, path))
    return urls


def test_only_the_widget_may_be_framed(app, client, petition):
    urls = every_get_url(app, petition.slug)
    assert {"public.petition", "embed.widget", "embed.badge", "api.count", "static"} <= {e for e, _ in urls}

    for endpoint, url in [*urls, ("missing", "/no/such/page")]:
        headers = client.get(url).headers
        policy = headers["Content-Security-Policy"]
        if endpoint in FRAMABLE:
            assert "frame-ancestors *" in policy, url
            assert "X-Frame-Options" not in headers, url
        else:
            assert "frame-ancestors 'none'" in policy, url
            assert headers["X-Frame-Options"] == "DENY", url


def test_a_widget_for_a_missing_petition_still_frames_its_message(client, app):
    response = client.get("/petitions/nope/embed?theme=dark")
    assert response.status_code == 404
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert "This campaign is not available." in response.get_data(as_text=True)
