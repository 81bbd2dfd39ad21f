"""Security headers on every response, and the URL segments no page can have."""

from flask import current_app
from werkzeug.routing import UnicodeConverter

# No inline scripts or styles, nothing from other origins, and no framing: only the embed
# widget may be framed, and its view sends a policy of its own.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")


def set_headers(response):
    """after_request: each header unless the view set its own (the widget sets its own policy)."""
    headers = response.headers
    # One pass over what is there, then appends: this runs on every response, the busiest too.
    present = {name.lower() for name, _ in headers}
    missing = [(name, value) for name, value in HEADERS if name.lower() not in present]
    if current_app.config["PREFERRED_URL_SCHEME"] == "https" and "strict-transport-security" not in present:
        missing.append(HSTS)
    for name, value in missing:
        headers.add(name, value)
    if "x-frame-options" not in present and "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
        headers.add("X-Frame-Options", "DENY")
    return response


class Segment(UnicodeConverter):
    """The default URL converter (``<slug>``, ``<token>``), refusing NUL: no slug or token holds
    one and PostgreSQL cannot even compare text with it, so such a URL matches no route (404)
    instead of reaching a query. oEmbed matches petition URLs through the same map."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]", 1)
