"""Groundswell: petitions and demand tracking for grassroots coalitions."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from flask_babel import format_date, get_locale
from werkzeug.middleware.proxy_fix import ProxyFix

import config

from . import accounts, api, cli, embed, errors, i18n, organize, outbox, public, security, sharing
from .extensions import babel, csrf, db, limiter, login, migrate
from .forms import country_name
from .sql import configure_engine
from .text import markdown

ROOT = Path(__file__).resolve().parent.parent


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    """Build the app from environment variables (os.environ unless given). Touches no database."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.from_mapping(config.from_environ(environ))
    app.session_interface = sharing.SessionInterface()
    app.url_map.converters["default"] = security.Segment  # before any route is added
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = configure_engine(app.config["SQLALCHEMY_DATABASE_URI"])

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    login.init_app(app)
    login.user_loader(accounts.session_organizer)
    if app.config["TRUSTED_PROXIES"]:
        # Behind a reverse proxy, take the client's address from the proxy's X-Forwarded-For.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.register_blueprint(public.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(embed.bp)
    app.register_blueprint(organize.bp)
    errors.register(app)
    cli.register(app)

    if not app.config["MAIL_SERVER"]:
        # A laptop without a mail server: show each request's queued mail on the console at once.
        app.after_request(outbox.send_queued_to_console)
    app.after_request(security.set_headers)
    app.after_request(i18n.remember_choice)
    app.after_request(sharing.set_headers)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(switch_url=i18n.switch_url, get_locale=get_locale)
    app.jinja_env.filters["markdown"] = markdown
    app.jinja_env.filters.update(
        number=i18n.number,
        date=format_date,
        tr=i18n.translated,
        tr_lang=i18n.translated_lang,
        country_name=country_name,
    )
    return app
