"""oEmbed (https://oembed.com) for petition pages: paste a petition's URL into WordPress and the widget appears."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import RequestRedirect

from .links import WIDGET_HEIGHT, WIDGET_WIDTH, widget_iframe
from .models import Petition

# The widget's height in compact form; links.py has its full size.
COMPACT_HEIGHT = 150
MIN_SIZE = 100
# Consumers may keep the HTML for a day: the count inside the frame keeps itself fresh.
CACHE_AGE = 24 * 3600


def petition_slug(url: str) -> str | None:
    """The slug of the petition page at ``url`` on this site, else None."""
    base, given = urlsplit(current_app.config["BASE_URL"]), urlsplit(url.strip())
    if given.scheme not in ("http", "https") or given.netloc.lower() != base.netloc.lower():
        return None
    if not given.path.startswith(base.path):
        return None
    path = given.path[len(base.path) :].rstrip("/") or "/"
    try:
        endpoint, values = current_app.url_map.bind(base.netloc).match(path, method="GET")
    except (HTTPException, RequestRedirect):
        return None
    return values["slug"] if endpoint == "public.petition" else None


def size_limit(value: str | None, name: str) -> int | None:
    """The consumer's maxwidth or maxheight, if given: 400 unless a whole number of pixels."""
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 5:
        raise BadRequest(description=_("%(name)s must be a whole number of pixels.", name=name))
    return max(int(value), MIN_SIZE)


def answer(petition: Petition, *, maxwidth: str | None = None, maxheight: str | None = None) -> dict:
    """The rich oEmbed answer: the widget in an iframe, as large as the consumer allows."""
    max_width, max_height = size_limit(maxwidth, "maxwidth"), size_limit(maxheight, "maxheight")
    width = min(WIDGET_WIDTH, max_width or WIDGET_WIDTH)
    compact = max_height is not None and max_height < WIDGET_HEIGHT
    height = min(COMPACT_HEIGHT, max_height) if compact else WIDGET_HEIGHT
    title = petition.text("title", petition.default_locale)
    options = {"compact": "1"} if compact else {}
    return {
        "version": "1.0",
        "type": "rich",
        "title": title,
        "author_name": petition.coalition.name,
        "provider_name": "Groundswell",
        "provider_url": current_app.config["BASE_URL"] + url_for("public.index"),
        "cache_age": CACHE_AGE,
        "html": widget_iframe(petition.slug, title, width=width, height=height, **options),
        "width": width,
        "height": height,
    }
