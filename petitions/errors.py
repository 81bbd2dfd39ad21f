"""Error answers: a page for people, JSON for the API. Never a bare 500."""

from __future__ import annotations

from contextlib import suppress

from flask import current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from .extensions import db

# What the database's driver raises when it cannot be reached (refused, dropped, restarting), as
# opposed to a query it refuses: the request may well succeed a moment later.
UNREACHABLE = (OperationalError, InterfaceError, DisconnectionError)
# Seconds a client should wait before asking again when the database cannot be reached.
RETRY_AFTER_SECONDS = 30

MESSAGES = {
    400: _l("Something in that request was not right. Please go back and try again."),
    403: _l("Your role in this coalition does not allow this. An owner of the coalition can change your role."),
    404: _l("We could not find that page. The campaign may have moved or never existed."),
    405: _l("That page cannot be used this way."),
    413: _l("That was more than we accept in one go. Please go back and shorten what you wrote."),
    429: _l("Too many tries in a short time. Please wait a little and try again."),
    500: _l("Something went wrong on our side. Please try again in a moment."),
    503: _l("We cannot reach our database right now. Nothing was stored; please try again in a minute."),
}
TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed for your role"),
    404: _l("Page not found"),
    405: _l("Not allowed"),
    413: _l("Too much to take in"),
    429: _l("Slow down"),
    500: _l("Something went wrong"),
    503: _l("Temporarily unavailable"),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def message_for(error: HTTPException) -> str:
    """A view's own explanation (``BadRequest(description=...)``), else the usual message for the status.

    A rate limit without a message of its own describes itself as its limit ("20 per 1 minute"):
    people get the usual message instead.
    """
    if isinstance(error, RateLimitExceeded) and not error.limit.error_message:
        return str(MESSAGES[429])
    if error.description != type(error).description:
        return str(error.description)
    return str(MESSAGES.get(error.code or 500) or error.description)


def json_error(error: HTTPException):
    """``{"error": {"code": "not_found", "message": ...}}`` with the error's status."""
    code = error.code or 500
    return jsonify(error={"code": error.name.lower().replace(" ", "_"), "message": message_for(error)}), code


def error_response(error: HTTPException):
    if wants_json():
        return json_error(error)
    code = error.code or 500
    title = TITLES.get(code) or error.name
    response = render_template("errors/error.html", code=code, title=title, message=message_for(error))
    return response, code


def database_unavailable(error: SQLAlchemyError):
    """503 with Retry-After, in the shape of the resource asked for (a page, JSON, the widget, the badge).

    The request's transaction is rolled back (a signature is stored only by its commit), and the
    pool replaces the broken connection (pool_pre_ping on PostgreSQL): the same server recovers by itself.
    """
    # The driver's own words only: the statement's parameters may hold a signer's name and address.
    reason = str(getattr(error, "orig", None) or type(error).__name__).strip().splitlines() or [""]
    current_app.logger.warning("database unavailable: %s", reason[0])
    with suppress(SQLAlchemyError):
        db.session.rollback()
    # Through Flask's own dispatch, so that a blueprint's error handler (embed.py) shapes the answer.
    response = current_app.make_response(current_app.handle_http_exception(ServiceUnavailable()))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def register(app) -> None:
    app.register_error_handler(HTTPException, error_response)
    for unreachable in UNREACHABLE:
        app.register_error_handler(unreachable, database_unavailable)
