"""Security headers on every response."""

from flask import current_app

# No inline scripts or styles, nothing from other origins, and no framing: only the embed
# widget may be framed, and its view sends a policy of its own.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def set_headers(response):
    headers = response.headers
    policy = headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if "frame-ancestors 'none'" in policy:
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["PREFERRED_URL_SCHEME"] == "https":
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    return response
