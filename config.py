"""Settings, read from the environment and checked when the app starts.

Every setting has one line here. A wrong value stops the app at start-up with a message that
names the variable, instead of surfacing later as a confusing error in a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many

# A relative SQLite path: Flask-SQLAlchemy puts it in the app's instance folder.
DEFAULT_DATABASE_URL = "sqlite:///groundswell.sqlite3"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
MIN_SECRET_KEY_LENGTH = 32
PLACEHOLDER_SECRETS = {"change-me", "changeme", "secret", "dev", "development"}
CONFIRMATION_MODES = ("email", "none")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(RuntimeError):
    """A setting is missing or malformed."""


class Environment:
    """Typed, strict access to environment variables."""

    def __init__(self, environ: Mapping[str, str]):
        self.environ = environ

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.environ.get(name)
        return default if value is None else value.strip()

    def bool(self, name: str, default: bool) -> bool:
        value = self.environ.get(name)
        if value is None:
            return default
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigError(f"{name} must be true or false, not {value!r}")

    def rate_limit(self, name: str, default: str) -> str:
        """A Flask-Limiter limit such as "5 per minute; 20 per hour"."""
        value = self.str(name) or default
        try:
            parse_many(value)
        except ValueError:
            raise ConfigError(f"{name} must be a rate limit like '5 per minute; 20 per hour', not {value!r}") from None
        return value

    def int(self, name: str, default: int, *, minimum: int = 0) -> int:
        value = self.environ.get(name)
        if value is None or not value.strip():
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
        if number < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, not {number}")
        return number


def database_url(url: str) -> str:
    """Accept the common spellings of a PostgreSQL URL and use psycopg 3 for all of them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if not url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise ConfigError(f"DATABASE_URL must be a sqlite: or postgresql: URL, not {url!r}")
    return url


def secret_key(value: str | None) -> str:
    if not value:
        raise ConfigError(
            "SECRET_KEY is not set. Generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` and set it in the "
            "environment (`make run` writes one to .env for local use)."
        )
    if value.lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(f"SECRET_KEY must be a random string of at least {MIN_SECRET_KEY_LENGTH} characters")
    return value


def base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"BASE_URL must be an absolute http(s) URL, not {value!r}")
    return value.rstrip("/")


def one_of(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def mail_from(value: str | None, url: str) -> str:
    """The From address of every email; by default no-reply at the host of BASE_URL."""
    if not value:
        return f"Groundswell <no-reply@{urlsplit(url).hostname}>"
    if "@" not in parseaddr(value)[1]:
        raise ConfigError(f"MAIL_FROM must be an address like 'Groundswell <no-reply@example.org>', not {value!r}")
    return value


def from_environ(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config from environment variables (os.environ by default)."""
    env = Environment(os.environ if environ is None else environ)
    url = base_url(env.str("BASE_URL", DEFAULT_BASE_URL))
    https = url.startswith("https:")
    return {
        "SECRET_KEY": secret_key(env.str("SECRET_KEY")),
        "SQLALCHEMY_DATABASE_URI": database_url(env.str("DATABASE_URL") or DEFAULT_DATABASE_URL),
        "BASE_URL": url,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "SESSION_COOKIE_SECURE": https,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Sign forms are small; anything bigger is a mistake or an attack (413).
        "MAX_CONTENT_LENGTH": env.int("MAX_CONTENT_LENGTH", 64 * 1024, minimum=1024),
        # email-validator's DNS check is slow and fails offline, so it is opt-in.
        "EMAIL_CHECK_DELIVERABILITY": env.bool("EMAIL_CHECK_DELIVERABILITY", False),
        # Signatures are folded into the stored tallies by every N-th signer (see tallies.py).
        "TALLY_FOLD_EVERY": env.int("TALLY_FOLD_EVERY", 64, minimum=1),
        # The gazetteer's cut of GeoNames: cities of at least this many people (500, 1000, 5000, 15000).
        "CITY_MIN_POPULATION": int(
            one_of("CITY_MIN_POPULATION", env.str("CITY_MIN_POPULATION") or "1000", ("500", "1000", "5000", "15000"))
        ),
        # How long each server process reuses a petition's count answer (microcache.py); 0: never.
        "COUNT_CACHE_SECONDS": env.int("COUNT_CACHE_SECONDS", 1),
        # The form's CSRF token lives as long as the browser session: a supporter who reads
        # the whole campaign before signing must not be turned away.
        "WTF_CSRF_TIME_LIMIT": None,
        # Rate limits (Flask-Limiter): shared through Redis when REDIS_URL is set.
        "REDIS_URL": env.str("REDIS_URL") or None,
        "RATELIMIT_ENABLED": env.bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": env.str("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # While Redis is unreachable each process counts in its own memory (and looks for Redis
        # again, less and less often): signing and logging in go on, still limited, instead of failing.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Several deployments can share one Redis, each under its own prefix.
        "RATELIMIT_KEY_PREFIX": env.str("RATELIMIT_KEY_PREFIX") or "groundswell",
        "SIGN_RATE_LIMIT": env.rate_limit("SIGN_RATE_LIMIT", "20 per minute; 200 per hour"),
        "API_RATE_LIMIT": env.rate_limit("API_RATE_LIMIT", "120 per minute"),
        # Failed organizer logins, per client address and per account: a wrong password counts,
        # a right one does not.
        "LOGIN_RATE_LIMIT": env.rate_limit("LOGIN_RATE_LIMIT", "10 per minute; 50 per hour"),
        "LOGIN_ACCOUNT_RATE_LIMIT": env.rate_limit("LOGIN_ACCOUNT_RATE_LIMIT", "10 per 15 minutes; 30 per day"),
        # Organizers stay logged in across browser and server restarts (a cookie signed with SECRET_KEY).
        "REMEMBER_COOKIE_DURATION": timedelta(days=env.int("ORGANIZER_SESSION_DAYS", 30, minimum=1)),
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Paper signatures arrive as a CSV upload: the one request allowed to be bigger.
        "IMPORT_MAX_CONTENT_LENGTH": env.int("IMPORT_MAX_CONTENT_LENGTH", 5 * 1024 * 1024, minimum=1024),
        # How many reverse proxies sit in front of the app and set X-Forwarded-For (0: none).
        "TRUSTED_PROXIES": env.int("TRUSTED_PROXIES", 0),
        # Double opt-in: a signature counts once its address is confirmed by a link sent to it.
        "SIGNATURE_CONFIRMATION": one_of(
            "SIGNATURE_CONFIRMATION", (env.str("SIGNATURE_CONFIRMATION") or "email").lower(), CONFIRMATION_MODES
        ),
        "CONFIRMATION_LINK_DAYS": env.int("CONFIRMATION_LINK_DAYS", 7, minimum=1),
        "PENDING_SIGNATURE_DAYS": env.int("PENDING_SIGNATURE_DAYS", 14, minimum=1),
        # Bot traps and caps; 0 switches each off (a benchmark, a trusted kiosk at a town hall).
        "SIGN_FORM_MIN_SECONDS": env.int("SIGN_FORM_MIN_SECONDS", 2),
        "SIGNATURE_IP_CAP_PER_HOUR": env.int("SIGNATURE_IP_CAP_PER_HOUR", 20),
        # Signers' personal data is kept this long after a petition closes; organizers are warned before.
        "RETENTION_DAYS": env.int("RETENTION_DAYS", 365, minimum=1),
        "RETENTION_WARNING_DAYS": env.int("RETENTION_WARNING_DAYS", 30),
        # Outgoing mail. Without MAIL_SERVER, mail is written to standard output (a laptop).
        "MAIL_SERVER": env.str("MAIL_SERVER") or None,
        "MAIL_PORT": env.int("MAIL_PORT", 587, minimum=1),
        "MAIL_USERNAME": env.str("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.str("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": env.bool("MAIL_USE_TLS", True),
        "MAIL_FROM": mail_from(env.str("MAIL_FROM"), url),
        "MAIL_MAX_ATTEMPTS": env.int("MAIL_MAX_ATTEMPTS", 12, minimum=1),
        "LANGUAGES": ("en", "es"),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
    }
