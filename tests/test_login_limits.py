"""Failed logins are throttled per address and per account; successful ones never are."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, token_in


@pytest.fixture
def settings():
    # Rate limits are off for most tests (conftest); these are about them.
    return {"RATELIMIT_ENABLED": "true", "LOGIN_RATE_LIMIT": "3 per minute", "LOGIN_ACCOUNT_RATE_LIMIT": "5 per minute"}


def attempt(client, email: str, password: str, address: str = "203.0.113.7"):
    base = {"REMOTE_ADDR": address}
    token = token_in(client.get("/organize/login", environ_base=base).get_data(as_text=True))
    return client.post(
        "/organize/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=base,
    )


def test_failures_from_one_address_are_throttled_with_a_human_page(client, make_organizer):
    make_organizer()
    statuses = [attempt(client, f"guess{n}@example.org", "wrong password").status_code for n in range(3)]

    blocked = attempt(client, "olga@example.org", PASSWORD)

    assert statuses == [401, 401, 401]
    assert blocked.status_code == 429
    assert "Too many failed logins. Please wait a few minutes and try again." in blocked.get_data(as_text=True)
    assert "Retry-After" in blocked.headers
    # Another address is not affected.
    assert attempt(client, "olga@example.org", PASSWORD, address="198.51.100.9").status_code == 303


def test_failures_against_one_account_are_throttled_from_any_address(client, make_organizer):
    make_organizer()
    make_organizer("oscar@example.org")
    for n in range(5):
        assert attempt(client, "OLGA@example.org", "wrong", address=f"192.0.2.{n}").status_code == 401

    assert attempt(client, "olga@example.org", PASSWORD, address="192.0.2.200").status_code == 429
    assert attempt(client, "oscar@example.org", PASSWORD, address="192.0.2.201").status_code == 303


def test_successful_logins_do_not_count(client, make_organizer):
    make_organizer()
    for _ in range(6):
        assert attempt(client, "olga@example.org", PASSWORD).status_code == 303
        token = token_in(client.get("/organize/", environ_base={"REMOTE_ADDR": "203.0.113.7"}).get_data(as_text=True))
        client.post("/organize/logout", data={"csrf_token": token}, environ_base={"REMOTE_ADDR": "203.0.113.7"})


def test_a_malformed_limit_stops_the_app_at_start(app):
    from config import ConfigError, from_environ
    from tests.conftest import SECRET_KEY

    with pytest.raises(ConfigError, match="LOGIN_RATE_LIMIT"):
        from_environ({"SECRET_KEY": SECRET_KEY, "LOGIN_RATE_LIMIT": "lots"})
