"""Absolute links, the share links of the thank-you page, and the snippets that embed a petition."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from markupsafe import Markup


def absolute_url(endpoint: str, **values) -> str:
    """A full URL built from BASE_URL, right behind proxies and from the command line alike."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        # No request to build from (send-mail): the routes alone give the path.
        path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return current_app.config["BASE_URL"] + path


@dataclass(frozen=True)
class ShareLink:
    network: str
    href: str


def share_links(url: str, title: str) -> list[ShareLink]:
    """Plain share URLs: no third-party scripts, nothing loaded until the person clicks."""
    message = _("I signed “%(title)s”. Will you sign too?", title=title)
    return [
        ShareLink(
            _("Email"), "mailto:?" + urlencode({"subject": title, "body": f"{message}\n\n{url}"}, quote_via=quote)
        ),
        ShareLink("WhatsApp", "https://wa.me/?" + urlencode({"text": f"{message} {url}"})),
        ShareLink("Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
        ShareLink("Bluesky", "https://bsky.app/intent/compose?" + urlencode({"text": f"{message} {url}"})),
        ShareLink("X", "https://x.com/intent/post?" + urlencode({"text": message, "url": url})),
        ShareLink("Telegram", "https://t.me/share/url?" + urlencode({"url": url, "text": message})),
        ShareLink("LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})),
    ]


# The widget's size where a page frames it without embed.js (the iframe snippet, oEmbed).
WIDGET_WIDTH = 400
WIDGET_HEIGHT = 250


def widget_iframe(slug: str, title: str, *, width: int = WIDGET_WIDTH, height: int = WIDGET_HEIGHT, **options) -> str:
    """An iframe of the widget, for pages without embed.js: it cannot resize itself."""
    src = absolute_url("embed.widget", slug=slug, **options)
    return str(
        Markup(
            '<iframe src="{src}" width="{width}" height="{height}" title="{title}" '
            'style="border:0;max-width:100%" loading="lazy"></iframe>'
        ).format(src=src, width=width, height=height, title=title)
    )


@dataclass(frozen=True)
class EmbedSnippets:
    """What a partner pastes into a page: the script (resizes itself), a plain iframe, the badge."""

    script: str
    iframe: str
    badge: str
    oembed: str  # the oEmbed address of the petition page, for <link rel="alternate">


def embed_snippets(slug: str, title: str) -> EmbedSnippets:
    url = absolute_url("public.petition", slug=slug)
    # The link inside the div stays where embed.js cannot run or our server cannot be reached.
    script = Markup(
        '<div data-petition="{slug}"><a href="{url}">{title}</a></div>\n<script src="{src}" async></script>'
    )
    badge = Markup('<a href="{url}"><img src="{src}" alt="{alt}" height="20"></a>')
    alt = _("Signatures: %(title)s", title=title)
    return EmbedSnippets(
        script=str(script.format(slug=slug, url=url, title=title, src=absolute_url("embed.script"))),
        iframe=widget_iframe(slug, title),
        badge=str(badge.format(url=url, src=absolute_url("embed.badge", slug=slug), alt=alt)),
        oembed=absolute_url("embed.oembed_answer", url=url, format="json"),
    )
