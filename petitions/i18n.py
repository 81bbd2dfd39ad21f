"""Which language a page is in, and the language switcher."""

from __future__ import annotations

from functools import lru_cache

from babel import numbers
from flask import current_app, g, has_request_context, request, url_for
from flask_babel import get_locale

from . import sharing

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def supported() -> tuple[str, ...]:
    return current_app.config["LANGUAGES"]


def uses_cookie() -> bool:
    """Whether this response may read and remember the visitor's choice of language.

    Not the API and the embeds: a partner's widget asking for ``lang=es`` must not switch the
    language of our own pages for that visitor, and answers cached for everyone must not depend
    on one visitor's cookie, nor set one.
    """
    return not sharing.is_shared()


def select_locale() -> str:
    """The ``lang`` parameter, else the remembered choice, else the browser's, else the petition's."""
    languages = supported()
    if not has_request_context():  # a command: messages in the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    choices = (request.args.get("lang"), request.cookies.get(COOKIE) if uses_cookie() else None)
    for choice in choices:
        if choice in languages:
            return choice
    g.language_from_browser = True
    browser = request.accept_languages.best_match(languages)
    if browser:
        return browser
    return g.get("petition_locale") or current_app.config["BABEL_DEFAULT_LOCALE"]


def remember_choice(response):
    """after_request: keep a language chosen through ``?lang=`` for the next pages.

    A response whose language came from the browser's Accept-Language says so (Vary), so that
    caches keep one copy per language.
    """
    if g.get("language_from_browser"):
        response.vary.add("Accept-Language")
    if not uses_cookie():
        return response
    choice = request.args.get("lang")
    if choice in supported() and request.cookies.get(COOKIE) != choice:
        response.set_cookie(COOKIE, choice, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    return response


def current_locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def translated(item, field: str) -> str:
    """Template filter: a petition's or demand's text in the page's language, where it exists."""
    return item.text(field, current_locale())


def translated_lang(item, field: str) -> str:
    """Template filter: the language that ``translated`` gives the text in, for ``lang`` attributes."""
    return item.text_locale(field, current_locale())


def switch_url(language: str) -> str:
    """This page in another language; pages answering a POST switch on their GET page."""
    target = g.get("switch_target")
    if target is None and request.method == "GET" and request.endpoint:
        args = {**request.view_args, **request.args.to_dict()}
        target = (request.endpoint, args)
    if target is None:
        target = ("public.index", {})
    endpoint, args = target
    return url_for(endpoint, **{**args, "lang": language})


@lru_cache(maxsize=65_536)
def _number(value: int | float, locale: str) -> str:
    return numbers.format_decimal(value, locale=locale)


def number(value: int | float) -> str:
    """Template filter: a number in the page's language ("12,345", "12.345"). Remembered, since a
    page of cities formats hundreds of them and Babel's formatting is slow."""
    return _number(value, str(get_locale()))
