"""What partner sites put on their pages: the widget, the script that places it, the badge, oEmbed.

Every response here also gets open CORS, an ETag and shared caching (sharing.py). The widget is
the only page that other sites may frame: it sends its own Content-Security-Policy, which
security.py leaves alone (and so sends no X-Frame-Options).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, make_response, render_template, request
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.exceptions import BadRequest, HTTPException, NotFound
from werkzeug.exceptions import NotImplemented as FormatNotImplemented

from . import badges, figures, oembed, tallies
from .errors import json_error
from .links import absolute_url
from .public import public_petition
from .sources import embed_source

bp = Blueprint("embed", __name__)

ASSETS = Path(__file__).resolve().parent.parent / "static" / "embed"
THEMES = ("light", "dark")
# The embed.js file changes only with a release: caches may keep it an hour, and use a stale
# copy for a day while they fetch the new one.
SCRIPT_CACHE_CONTROL = "public, max-age=3600, stale-while-revalidate=86400, stale-if-error=604800"
FALSE_WORDS = ("0", "false", "no", "off")


@dataclass(frozen=True)
class WidgetAssets:
    """The widget's inline style and script, and a Content-Security-Policy that allows exactly them."""

    css: Markup
    js: Markup
    policy: str


def _inline(path: Path, closing_tag: str) -> tuple[Markup, str]:
    text = path.read_text(encoding="utf-8")
    if closing_tag in text.lower():
        raise ValueError(f"{path.name} must not contain {closing_tag}")
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return Markup(text), f"'sha256-{digest}'"  # noqa: S704 - our own file, checked above  # nosec B704


@cache
def widget_assets(base_url: str) -> WidgetAssets:
    """Read once per process: hashes, not nonces, so that the page (and its ETag) stays the same."""
    css, style_hash = _inline(ASSETS / "widget.css", "</style")
    js, script_hash = _inline(ASSETS / "widget.js", "</script")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
    policy = (
        f"default-src 'none'; style-src {style_hash}; script-src {script_hash}; connect-src 'self' {origin}; "
        "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors *"
    )
    return WidgetAssets(css, js, policy)


def assets() -> WidgetAssets:
    return widget_assets(current_app.config["BASE_URL"])


@dataclass(frozen=True)
class Widget:
    """How a partner asked for the widget (query string), and where its links go."""

    theme: str
    compact: bool
    petition_url: str
    sign_url: str

    @classmethod
    def for_request(cls, slug: str) -> Widget:
        compact = request.args.get("compact")
        return cls(
            theme=theme_asked(),
            compact=compact is not None and compact.lower() not in FALSE_WORDS,
            petition_url=absolute_url("public.petition", slug=slug),
            # widget.js names the host site (embed:<host>) when the browser tells it.
            sign_url=absolute_url("public.petition", slug=slug, source=embed_source("")),
        )


def theme_asked() -> str:
    theme = request.args.get("theme")
    return theme if theme in THEMES else THEMES[0]


def framable(response, policy: str):
    response.headers["Content-Security-Policy"] = policy
    return response


@bp.get("/petitions/<slug>/embed")
def widget(slug: str):
    petition = public_petition(slug)
    shown = figures.petition_figures(petition.id)
    page = render_template(
        "embed/widget.html",
        petition=petition,
        widget=Widget.for_request(slug),
        assets=assets(),
        count=shown.signature_count,
        cities=shown.top_cities[:3],
    )
    return framable(make_response(page), assets().policy)


@bp.get("/embed.js")
def script():
    response = current_app.response_class((ASSETS / "embed.js").read_bytes(), mimetype="text/javascript")
    response.headers["Cache-Control"] = SCRIPT_CACHE_CONTROL
    return response


@bp.get("/petitions/<slug>/badge.svg")
def badge(slug: str):
    petition = public_petition(slug)
    count = tallies.signature_count(petition.id)
    svg = badges.render(
        label=ngettext("signature", "signatures", count),
        value=format_decimal(count),
        title=ngettext("%(count)s signature", "%(count)s signatures", count, count=format_decimal(count)),
    )
    return current_app.response_class(svg, mimetype="image/svg+xml")


@bp.get("/oembed")
def oembed_answer():
    if request.args.get("format", "json") != "json":
        raise FormatNotImplemented(description=_("Only format=json is available."))
    url = request.args.get("url", "")
    if not url:
        raise BadRequest(description=_("Give the address of a petition page in the url parameter."))
    slug = oembed.petition_slug(url)
    if slug is None:
        raise NotFound()
    petition = public_petition(slug)
    return jsonify(
        oembed.answer(petition, maxwidth=request.args.get("maxwidth"), maxheight=request.args.get("maxheight"))
    )


@bp.errorhandler(HTTPException)
def error(error: HTTPException):
    """Errors in the shape each resource's users can take in: a frame, an image, JSON."""
    code = error.code or 500
    title = _("Temporarily unavailable") if code == 503 else _("Campaign not found")  # 503: see errors.py
    if request.endpoint == "embed.widget":
        page = render_template("embed/missing.html", assets=assets(), theme=theme_asked(), title=title)
        return framable(make_response(page, code), assets().policy)
    if request.endpoint == "embed.badge":
        svg = badges.render(label=ngettext("signature", "signatures", 2), value="?", title=title)
        return current_app.response_class(svg, status=code, mimetype="image/svg+xml")
    return json_error(error)
