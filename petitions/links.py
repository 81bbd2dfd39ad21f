"""Absolute links, and the share links of the thank-you page."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask import current_app, url_for
from flask_babel import gettext as _


def absolute_url(endpoint: str, **values) -> str:
    """A full URL built from BASE_URL, right behind proxies and from the command line alike."""
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


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
