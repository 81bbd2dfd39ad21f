"""Rendering text that organizers write."""

from markdown_it import MarkdownIt
from markupsafe import Markup

# CommonMark with raw HTML off: organizers write Markdown, never markup that could run.
# markdown-it also refuses javascript: and similar links by default.
_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def markdown(source: str) -> Markup:
    html = _renderer.render(source or "")
    return Markup(html)  # noqa: S704 - html is disabled above  # nosec B704
