"""Settings come from the environment and fail loudly when wrong."""

from __future__ import annotations

import re

import pytest

import config
from petitions import create_app

KEY = "k" * 40


def test_the_app_refuses_to_start_without_a_secret_key():
    with pytest.raises(config.ConfigError, match="SECRET_KEY is not set"):
        create_app({})


@pytest.mark.parametrize("weak", ["dev", "change-me", "short-key"])
def test_the_app_refuses_a_placeholder_or_short_secret_key(weak):
    with pytest.raises(config.ConfigError, match="SECRET_KEY must be a random string"):
        create_app({"SECRET_KEY": weak})


def test_defaults_are_for_a_laptop():
    settings = config.from_environ({"SECRET_KEY": KEY})
    assert settings["SQLALCHEMY_DATABASE_URI"] == "sqlite:///groundswell.sqlite3"
    assert settings["BASE_URL"] == "http://127.0.0.1:5000"
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["EMAIL_CHECK_DELIVERABILITY"] is False
    assert settings["MAX_CONTENT_LENGTH"] == 64 * 1024
    # Trust: confirmation by email, mail on the console until a server is named, traps and caps on.
    assert settings["SIGNATURE_CONFIRMATION"] == "email"
    assert settings["MAIL_SERVER"] is None
    assert settings["MAIL_FROM"] == "Groundswell <no-reply@127.0.0.1>"
    assert settings["RATELIMIT_ENABLED"] is True
    assert settings["SIGN_FORM_MIN_SECONDS"] == 2
    assert settings["SIGNATURE_IP_CAP_PER_HOUR"] == 20


def test_mail_comes_from_the_public_host_unless_told():
    settings = config.from_environ({"SECRET_KEY": KEY, "BASE_URL": "https://sign.example.org"})
    assert settings["MAIL_FROM"] == "Groundswell <no-reply@sign.example.org>"
    told = config.from_environ({"SECRET_KEY": KEY, "MAIL_FROM": "WeChoose <hello@wechoose.example>"})
    assert told["MAIL_FROM"] == "WeChoose <hello@wechoose.example>"


def test_switches_for_a_kiosk_or_a_benchmark():
    settings = config.from_environ(
        {
            "SECRET_KEY": KEY,
            "SIGNATURE_CONFIRMATION": "None",
            "RATELIMIT_ENABLED": "false",
            "SIGNATURE_IP_CAP_PER_HOUR": "0",
            "SIGN_FORM_MIN_SECONDS": "0",
        }
    )
    assert settings["SIGNATURE_CONFIRMATION"] == "none"
    assert settings["RATELIMIT_ENABLED"] is False
    assert settings["SIGNATURE_IP_CAP_PER_HOUR"] == settings["SIGN_FORM_MIN_SECONDS"] == 0


@pytest.mark.parametrize(
    "url",
    ["postgres://u@db/groundswell", "postgresql://u@db/groundswell", "postgresql+psycopg://u@db/groundswell"],
)
def test_postgresql_urls_use_psycopg_3(url):
    settings = config.from_environ({"SECRET_KEY": KEY, "DATABASE_URL": url})
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/groundswell"


def test_https_base_url_makes_cookies_secure():
    settings = config.from_environ({"SECRET_KEY": KEY, "BASE_URL": "https://sign.example.org/"})
    assert settings["BASE_URL"] == "https://sign.example.org"
    assert settings["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("EMAIL_CHECK_DELIVERABILITY", "maybe", "must be true or false"),
        ("TALLY_FOLD_EVERY", "often", "must be a whole number"),
        ("TALLY_FOLD_EVERY", "0", "must be at least 1"),
        ("DATABASE_URL", "mysql://x", "must be a sqlite: or postgresql: URL"),
        ("BASE_URL", "example.org", "must be an absolute http(s) URL"),
        ("SIGNATURE_CONFIRMATION", "sms", "must be one of email, none"),
        ("SIGN_RATE_LIMIT", "lots", "must be a rate limit like"),
        ("API_RATE_LIMIT", "100 per fortnight", "must be a rate limit like"),
        ("SIGNATURE_IP_CAP_PER_HOUR", "-1", "must be at least 0"),
        ("SIGN_FORM_MIN_SECONDS", "two", "must be a whole number"),
        ("MAIL_PORT", "smtp", "must be a whole number"),
        ("MAIL_USE_TLS", "perhaps", "must be true or false"),
        ("MAIL_FROM", "nobody", "must be an address like"),
        ("RETENTION_DAYS", "0", "must be at least 1"),
    ],
)
def test_malformed_settings_name_the_variable(name, value, message):
    with pytest.raises(config.ConfigError, match=re.escape(message)) as raised:
        config.from_environ({"SECRET_KEY": KEY, name: value})
    assert str(raised.value).startswith(name)
