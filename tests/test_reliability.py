"""What survives a crash, a second app server and a database that goes away, on real gunicorn servers."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from petitions import catalog, tallies
from petitions.extensions import db
from petitions.models import Signature
from tests.conftest import PG_URL, form_fields
from tests.servers import Browser, gunicorn

REDIS_URL = "redis://127.0.0.1:6379/0"
UNAVAILABLE = "We cannot reach our database right now"


def signature_emails(petition_id: int) -> list[str]:
    db.session.expire_all()
    return list(db.session.execute(db.select(Signature.email).where(Signature.petition_id == petition_id)).scalars())


def assert_tallies_exact(petition_id: int) -> None:
    """Every tally readers see equals a fresh count, and a recount finds nothing to correct."""
    db.session.expire_all()
    assert tallies.snapshot(petition_id) == tallies.truth(petition_id)
    assert tallies.recount(petition_id) == []
    db.session.commit()
    assert tallies.snapshot(petition_id) == tallies.truth(petition_id)


# --- A crash ------------------------------------------------------------------------------------


def test_signatures_answered_before_a_crash_are_kept_once_and_counted(app, database_url, make_petition, tmp_path):
    petition = make_petition()
    signers, wanted_before_crash = 3, 12
    accepted: list[str] = []  # emails answered 303 (list.append is atomic)
    crashed = threading.Event()
    fields = form_fields(petition)  # read in this thread: the petition belongs to this app context

    def keep_signing(server_url: str, n: int) -> None:
        browser = Browser(server_url)
        try:
            token = browser.open_petition(petition.slug)
            for attempt in range(200):  # bounded: the crash comes long before
                email = f"signer{n}.{attempt}@example.org"
                answer = browser.sign(petition.slug, token, {**fields, "email": email})
                if answer.status_code == 303:
                    accepted.append(email)
                if crashed.is_set():
                    return
        except httpx.TransportError:
            return  # the server is gone; whether the signature in flight was stored is unknown, and allowed
        finally:
            browser.close()

    with gunicorn(database_url, tmp_path, workers=2, threads=4, TALLY_FOLD_EVERY="3") as server:
        with ThreadPoolExecutor(signers) as pool:
            running = [pool.submit(keep_signing, server.url, n) for n in range(signers)]
            deadline = time.monotonic() + 60
            while len(accepted) < wanted_before_crash and time.monotonic() < deadline:
                if all(future.done() for future in running):
                    break  # they failed: result() below says why
                time.sleep(0.05)
            server.crash()
            crashed.set()
            for future in running:
                future.result(timeout=60)
        assert len(accepted) >= wanted_before_crash, server.output()

    # The same database, a new server: it starts, serves the petition and takes signatures again.
    with gunicorn(database_url, tmp_path, workers=1, threads=2, TALLY_FOLD_EVERY="3") as server:
        browser = Browser(server.url)
        token = browser.open_petition(petition.slug)
        after = browser.sign(petition.slug, token, form_fields(petition, email="after.restart@example.org"))
        browser.close()
        assert after.status_code == 303, server.output()

    stored = signature_emails(petition.id)
    for email in accepted:
        assert stored.count(email) == 1, email
    assert "after.restart@example.org" in stored
    assert_tallies_exact(petition.id)
    assert tallies.signature_count(petition.id) == len(stored)


# --- Two app servers, one PostgreSQL, one Redis ---------------------------------------------------


# Two app servers share one PostgreSQL; SQLite is a single machine's database. These run only on
# PostgreSQL (with TEST_DATABASE_URL, as in CI).
only_postgresql = pytest.mark.parametrize("database_url", ["postgresql"] if PG_URL else [], indirect=True)


@only_postgresql
def test_signing_spread_over_two_servers_keeps_tallies_exact(app, database_url, make_petition, tmp_path):
    petition = make_petition()
    browsers = 12
    shared = {"REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}", "TALLY_FOLD_EVERY": "3"}

    with (
        gunicorn(database_url, tmp_path, workers=1, threads=4, **shared) as first,
        gunicorn(database_url, tmp_path, workers=1, threads=4, **shared) as second,
    ):
        supporters = [Browser((first, second)[n % 2].url) for n in range(browsers)]
        tokens = [supporter.open_petition(petition.slug) for supporter in supporters]
        start = threading.Barrier(browsers)

        forms = [
            form_fields(petition, email=f"signer{n}@example.org", city=["Chicago", "Detroit"][n % 3 == 0])
            for n in range(browsers)
        ]

        def sign(n: int) -> int:
            start.wait(timeout=30)
            return supporters[n].sign(petition.slug, tokens[n], forms[n]).status_code

        with ThreadPoolExecutor(browsers) as pool:
            statuses = list(pool.map(sign, range(browsers)))
        for supporter in supporters:
            supporter.close()
        logs = first.output() + second.output()

    assert statuses == [303] * browsers, logs
    assert "Traceback" not in logs
    assert len(signature_emails(petition.id)) == browsers
    assert_tallies_exact(petition.id)
    assert tallies.signature_count(petition.id) == browsers


@only_postgresql
def test_the_sign_rate_limit_is_shared_by_both_servers(app, database_url, make_petition, tmp_path):
    petition = make_petition()
    limited = {
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "RATELIMIT_ENABLED": "true",
        "SIGN_RATE_LIMIT": "5 per minute",
    }

    with (
        gunicorn(database_url, tmp_path, workers=1, threads=2, **limited) as first,
        gunicorn(database_url, tmp_path, workers=1, threads=2, **limited) as second,
    ):
        browsers = [Browser(first.url), Browser(second.url)]
        tokens = [browser.open_petition(petition.slug) for browser in browsers]
        statuses = []
        for n in range(8):  # alternating: first, second, first, ...
            fields = form_fields(petition, email=f"signer{n}@example.org")
            statuses.append(browsers[n % 2].sign(petition.slug, tokens[n % 2], fields).status_code)
        for browser in browsers:
            browser.close()

    # Five in all, not five per server.
    assert statuses == [303] * 5 + [429] * 3
    assert len(signature_emails(petition.id)) == 5


# --- The database goes away ------------------------------------------------------------------------


class Proxy:
    """A TCP forwarder on a free loopback port that can stop letting anyone through to PostgreSQL.

    Down, it cuts every open connection and closes each new one at once, as a database that
    restarts or a network that drops would look to the app.
    """

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.down = threading.Event()
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.open: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.down.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def go_down(self) -> None:
        self.down.set()
        with self.lock:
            cut, self.open = self.open, []
        for end in cut:
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def come_back(self) -> None:
        self.down.clear()

    def close(self) -> None:
        self.stopped.set()
        self.go_down()
        self.listener.close()
        self.thread.join(timeout=5)


def through(url: str, proxy: Proxy) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


@only_postgresql
def test_while_postgresql_is_unreachable_people_get_a_503_and_the_server_recovers(
    app, database_url, make_petition, tmp_path
):
    petition = make_petition()
    target = make_url(database_url)
    proxy = Proxy((target.host or "127.0.0.1", target.port or 5432))
    slug = petition.slug
    try:
        with gunicorn(through(database_url, proxy), tmp_path, workers=1, threads=2) as server:
            browser = Browser(server.url)
            token = browser.open_petition(slug)
            assert browser.sign(slug, token, form_fields(petition, email="before@example.org")).status_code == 303

            proxy.go_down()
            for _ in range(2):  # a pooled connection cut under it, then no connection at all
                page = browser.http.get(f"/petitions/{slug}")
                assert page.status_code == 503, server.output()
                assert page.headers["Content-Type"].startswith("text/html")
                assert UNAVAILABLE in page.text
                assert int(page.headers["Retry-After"]) > 0
                signing = browser.sign(slug, token, form_fields(petition, email="during@example.org"))
                assert signing.status_code == 503
                assert UNAVAILABLE in signing.text
                for path in (f"/api/v1/petitions/{slug}", f"/api/v1/petitions/{slug}/count", "/api/v1/petitions"):
                    answer = browser.http.get(path)
                    assert answer.status_code == 503, path
                    assert answer.json()["error"]["code"] == "service_unavailable"
                    assert int(answer.headers["Retry-After"]) > 0
                assert browser.http.get(f"/petitions/{slug}/embed").status_code == 503
                badge = browser.http.get(f"/petitions/{slug}/badge.svg")
                assert (badge.status_code, badge.headers["Content-Type"]) == (503, "image/svg+xml; charset=utf-8")

            proxy.come_back()
            page = browser.http.get(f"/petitions/{slug}")
            assert page.status_code == 200, server.output()
            assert browser.sign(slug, token, form_fields(petition, email="after@example.org")).status_code == 303
            assert browser.http.get(f"/api/v1/petitions/{slug}/count").json()["signature_count"] == 2
            browser.close()
            log = server.output()
    finally:
        proxy.close()

    assert "Traceback" not in log
    assert sorted(signature_emails(petition.id)) == ["after@example.org", "before@example.org"]


# --- The handler itself, without a server ------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("SELECT 1", {}, Exception("connection refused")),
        InterfaceError("SELECT 1", {}, Exception("connection already closed")),
        DisconnectionError("the connection went away"),
    ],
    ids=["operational", "interface", "disconnection"],
)
def test_an_unreachable_database_is_a_503_in_every_shape(client, make_petition, monkeypatch, error):
    slug = make_petition().slug

    def unreachable(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(catalog, "public_petition", unreachable)
    monkeypatch.setattr(catalog, "public_petition_columns", unreachable)

    page = client.get(f"/petitions/{slug}")
    assert page.status_code == 503
    assert page.mimetype == "text/html"
    assert UNAVAILABLE in page.get_data(as_text=True)
    assert int(page.headers["Retry-After"]) > 0
    assert page.headers["X-Frame-Options"] == "DENY"

    spanish = client.get(f"/petitions/{slug}?lang=es")
    assert spanish.status_code == 503
    assert "base de datos" in spanish.get_data(as_text=True)

    for path in (f"/api/v1/petitions/{slug}", f"/api/v1/petitions/{slug}/count"):
        answer = client.get(path)
        assert answer.status_code == 503
        assert answer.json["error"]["code"] == "service_unavailable"
        assert int(answer.headers["Retry-After"]) > 0
        assert answer.headers["Access-Control-Allow-Origin"] == "*"

    widget = client.get(f"/petitions/{slug}/embed")
    assert widget.status_code == 503
    assert "<title>Temporarily unavailable</title>" in widget.get_data(as_text=True)
    assert "frame-ancestors *" in widget.headers["Content-Security-Policy"]
    badge = client.get(f"/petitions/{slug}/badge.svg")
    assert (badge.status_code, badge.mimetype) == (503, "image/svg+xml")
    assert "Temporarily unavailable" in badge.get_data(as_text=True)
