"""Every public page and API answer carries the security headers; only the widget may be framed."""

from __future__ import annotations

import pytest

from petitions.security import CONTENT_SECURITY_POLICY

SLUG = "fund-our-schools"
PAGES = {
    "home": ("/", 200),
    "petition": (f"/petitions/{SLUG}", 200),
    "thanks": (f"/petitions/{SLUG}/thanks", 200),
    "privacy": ("/privacy", 200),
    "confirm, bad token": (f"/petitions/{SLUG}/confirm/not-a-token", 404),
    "withdraw, bad token": (f"/petitions/{SLUG}/withdraw/not-a-token", 404),
    "unsubscribe, bad token": (f"/petitions/{SLUG}/unsubscribe/not-a-token", 404),
    "missing page": ("/petitions/no-such-campaign", 404),
    "badge": (f"/petitions/{SLUG}/badge.svg", 200),
    "embed.js": ("/embed.js", 200),
    "oembed": (f"/oembed?url=http://127.0.0.1:5000/petitions/{SLUG}", 200),
    "api list": ("/api/v1/petitions", 200),
    "api petition": (f"/api/v1/petitions/{SLUG}", 200),
    "api count": (f"/api/v1/petitions/{SLUG}/count", 200),
    "api missing": ("/api/v1/petitions/no-such-campaign", 404),
    "openapi": ("/api/v1/openapi.json", 200),
    "organizer login": ("/organize/login", 200),
    "organizer pages, logged out": ("/organize/", 302),
}
EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.fixture
def petition(make_petition):
    return make_petition(slug=SLUG)


@pytest.mark.parametrize(("path", "status"), PAGES.values(), ids=PAGES.keys())
def test_every_answer_has_the_security_headers_and_refuses_framing(client, petition, path, status):
    response = client.get(path)
    assert response.status_code == status
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, name
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain http: see the https test


def test_the_sign_form_answers_have_them_too(client, petition, post_signature):
    for response in (post_signature(petition), post_signature(petition, email="")):
        assert response.status_code in (303, 422)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", [f"/petitions/{SLUG}/embed", f"/petitions/{SLUG}/embed?theme=dark&compact=1",
                                  "/petitions/no-such-campaign/embed"])  # fmt: skip
def test_only_the_widget_may_be_framed_and_it_allows_nothing_else(client, petition, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy
    assert "X-Frame-Options" not in response.headers
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    # Nothing loads but its own inline style and script, allowed by their hashes.
    assert directives["default-src"] == "'none'"
    assert directives["script-src"].startswith("'sha256-")
    assert directives["style-src"].startswith("'sha256-")
    assert (directives["base-uri"], directives["form-action"]) == ("'none'", "'none'")
    assert "'unsafe-inline'" not in policy
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, name


@pytest.mark.parametrize("settings", [{"BASE_URL": "https://petitions.example.org"}])
def test_over_https_every_answer_asks_for_https_from_now_on(client, petition, settings):
    for path in ("/", f"/petitions/{SLUG}/embed", "/api/v1/petitions", "/organize/login"):
        response = client.get(path, base_url="https://petitions.example.org")
        assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains", path
