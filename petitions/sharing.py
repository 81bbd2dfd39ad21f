"""What other sites get from the API and the embeds: open CORS, ETags and shared caching.

One after_request hook for every response of the ``api`` and ``embed`` blueprints (and any
other path under /api/, so that even a mistyped API URL answers a partner's script in JSON it
may read). Endpoints added to those blueprints get the same behaviour without a line of their own.
"""

from __future__ import annotations

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

SHARED_BLUEPRINTS = frozenset({"api", "embed"})
API_PREFIX = "/api/"

# Widgets poll once a minute. With a max-age below that, every poll reaches a cache that may
# still answer for up to 30 s, then revalidates with the ETag (a 304 when nothing changed).
# stale-while-revalidate lets a cache answer at once with a count at most 90 s old while it
# fetches the new one; stale-if-error keeps widgets showing the last count while we are down.
CACHE_CONTROL = "public, max-age=30, stale-while-revalidate=60, stale-if-error=86400"
# How long a browser may remember a preflight answer.
PREFLIGHT_MAX_AGE = 24 * 3600
# Headers a partner's script may send with a GET (revalidation), and read in the answer.
ALLOWED_REQUEST_HEADERS = "If-None-Match"
EXPOSED_RESPONSE_HEADERS = "ETag, Retry-After"


def is_shared() -> bool:
    """Whether this request is for a resource other sites use (the API, the widget, the badge...)."""
    return request.blueprint in SHARED_BLUEPRINTS or request.path.startswith(API_PREFIX)


def set_headers(response: Response) -> Response:
    """after_request: CORS for everyone, and on successful GETs an ETag, caching and 304s."""
    if not is_shared():
        return response
    headers = response.headers
    headers.add("Access-Control-Allow-Origin", "*")
    if request.method == "OPTIONS":
        headers.add("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        headers.add("Access-Control-Allow-Headers", ALLOWED_REQUEST_HEADERS)
        headers.add("Access-Control-Max-Age", str(PREFLIGHT_MAX_AGE))
        return response
    headers.add("Access-Control-Expose-Headers", EXPOSED_RESPONSE_HEADERS)
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.is_streamed:
        return response
    # A view may choose its own lifetime (the script, which changes only with a release).
    if "Cache-Control" not in headers:
        headers.add("Cache-Control", CACHE_CONTROL)
    # The ETag is a hash of the body: whatever a view answers, an unchanged answer is a 304.
    # (Compared weakly, as RFC 9110 says for If-None-Match; werkzeug sends a 304 without its body.
    # make_conditional would also parse ranges and dates, which these answers never use, on the
    # path every polling widget takes.)
    response.add_etag()
    if request.if_none_match.contains_weak(response.get_etag()[0]):
        response.status_code = 304
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions for our own pages; none for the API, which answers every site alike.

    No cookie is read or written there, and no request pays for verifying one. (The session opens
    before the URL is matched to a blueprint, hence the path.)
    """

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if request.path.startswith(API_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)
