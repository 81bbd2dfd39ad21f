"""Fixtures: the app through its own factory, on SQLite and (with TEST_DATABASE_URL) on PostgreSQL.

Each database is built once per test session by the migrations; each test then gets it empty:
SQLite as a fresh copy of the migrated file, PostgreSQL as a private schema emptied between tests.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

import config
from petitions import accounts, cities, create_app, signing, tallies
from petitions.extensions import db
from petitions.models import (
    Coalition,
    Demand,
    Endorsement,
    Membership,
    Organizer,
    Petition,
    PetitionState,
    Role,
    Signature,
    SignatureState,
)
from petitions.models.types import utcnow

SECRET_KEY = "tests-only-secret-key-0123456789abcdef"
PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


# Most tests are about what a signature does once it counts: they sign without email confirmation,
# rate limits or bot traps, and the tests of those switch them on.
TEST_DEFAULTS = {
    "SIGNATURE_CONFIRMATION": "none",
    "RATELIMIT_ENABLED": "false",
    "SIGNATURE_IP_CAP_PER_HOUR": "0",
    "SIGN_FORM_MIN_SECONDS": "0",
    # The smallest cut of the gazetteer keeps each test database small; matching works the same.
    "CITY_MIN_POPULATION": "15000",
}


def environment(database_url: str, **settings: str) -> dict[str, str]:
    """The environment variables a test app starts from.

    Counts are read afresh on every request (tests sign and look at once); test_api.py checks
    the reuse of recent counts on its own.
    """
    return {
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "COUNT_CACHE_SECONDS": "0",
        **TEST_DEFAULTS,
        **settings,
    }


def pytest_sessionstart(session: pytest.Session) -> None:
    # A PostgreSQL that was asked for but cannot be reached fails the run; it never skips.
    if not PG_URL:
        return
    try:
        engine = create_engine(config.database_url(PG_URL))
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:
        pytest.exit(f"TEST_DATABASE_URL is set but PostgreSQL does not answer: {error}", returncode=3)


def migrate(database_url: str) -> None:
    app = create_app(environment(database_url))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "groundswell.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgresql_url(worker_id: str) -> Iterator[str]:
    """A private schema in the test PostgreSQL database, migrated once, dropped at the end."""
    admin = create_engine(config.database_url(PG_URL))
    schema = f"test_{worker_id}_{uuid.uuid4().hex[:8]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(config.database_url(PG_URL)).update_query_dict({"options": f"-csearch_path={schema}"})
    url_text = url.render_as_string(hide_password=False)
    migrate(url_text)
    yield url_text
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


# What the migrations load and every test keeps: the gazetteer.
KEPT_TABLES = ("alembic_version", "cities", "city_names")


def empty_postgresql(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND NOT tablename = ANY(:kept)"),
            {"kept": list(KEPT_TABLES)},
        ).scalars()
        names = ", ".join(f'"{name}"' for name in tables)
        if names:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # Spellings earlier tests added; the gazetteer's own cities stay.
        connection.execute(text("DELETE FROM cities WHERE geonameid IS NULL"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database: every test that uses it runs once per backend."""
    if request.param == "sqlite":
        path = tmp_path / "groundswell.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgresql_url")
    empty_postgresql(url)
    return url


@pytest.fixture
def settings() -> dict[str, str]:
    """Extra environment variables for the app; override in a test module to change them."""
    return {}


@pytest.fixture
def mailbox():
    """A real SMTP server on a loopback port; ``mailbox.settings`` points an app at it."""
    from tests.mailserver import smtp_server

    with smtp_server() as mailbox:
        yield mailbox


class Client(FlaskClient):
    """A test client whose every request gets a fresh app context, as under a real server.

    Tests hold an app context of their own (to use the database directly); without this, requests
    would share its ``g`` and, with it, whatever a previous request cached there.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url: str, settings: dict[str, str]) -> Iterator[Flask]:
    app = create_app(environment(database_url, **settings))
    app.config["TESTING"] = True
    app.test_client_class = Client
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


# --- Factories -------------------------------------------------------------------------------


@pytest.fixture
def make_coalition(app: Flask):
    def make(slug: str = "riverside-parents", name: str = "Riverside Parents United") -> Coalition:
        coalition = db.session.execute(db.select(Coalition).where(Coalition.slug == slug)).scalar_one_or_none()
        if coalition is None:
            coalition = Coalition(slug=slug, name=name)
            db.session.add(coalition)
            db.session.commit()
        return coalition

    return make


@pytest.fixture
def make_petition(app: Flask, make_coalition):
    counter = iter(range(1, 10_000))

    def make(
        slug: str | None = None,
        *,
        demands: int | list[str] = 3,
        state: PetitionState = PetitionState.OPEN,
        coalition: Coalition | None = None,
        **fields,
    ) -> Petition:
        titles = demands if isinstance(demands, list) else [f"Demand number {n}" for n in range(1, demands + 1)]
        petition = Petition(
            coalition=coalition or make_coalition(),
            slug=slug or f"petition-{next(counter)}-{uuid.uuid4().hex[:6]}",
            title=fields.pop("title", "Fund our neighborhood schools"),
            summary=fields.pop("summary", "Parents ask the board to keep every school open."),
            body=fields.pop("body", "We ask the **school board** to listen."),
            goal=fields.pop("goal", 1000),
            **fields,
        )
        for position, title in enumerate(titles, start=1):
            petition.demands.append(Demand(position=position, title=title, explanation=f"Why {title.lower()}."))
        if state is not PetitionState.DRAFT:
            petition.open()
        if state in (PetitionState.CLOSED, PetitionState.ARCHIVED):
            petition.close()
        if state is PetitionState.ARCHIVED:
            petition.archive()
        db.session.add(petition)
        db.session.commit()
        return petition

    return make


@pytest.fixture
def sign(app: Flask):
    """Sign through the domain function, as the web form would after validation."""
    counter = iter(range(1, 1_000_000))

    def sign_(petition: Petition, email: str | None = None, **fields) -> int | None:
        """``ip_hash``, ``bot_trap`` and ``now`` go to signing.sign(), the rest into the signature."""
        n = next(counter)
        how = {key: fields.pop(key) for key in ("ip_hash", "bot_trap", "now") if key in fields}
        data = signing.SignatureData(
            name=fields.pop("name", f"Supporter {n}"),
            email=email or f"supporter{n}@example.org",
            city=fields.pop("city", "Chicago"),
            country=fields.pop("country", "US"),
            demand_ids=frozenset(fields.pop("demand_ids", [d.id for d in petition.demands])),
            **fields,
        )
        return signing.sign(petition, data, **how)

    return sign_


@pytest.fixture
def sign_many(app: Flask):
    """``n`` confirmed signatures in one INSERT, endorsing every demand, folded into the tallies
    (unless ``fold=False``): a busy petition in a second, for tests about scale."""

    def sign_many_(petition: Petition, n: int, *, city: str = "Chicago", fold: bool = True, **fields) -> None:
        batch, now = uuid.uuid4().hex[:8], utcnow()
        city_id = cities.resolve(city, "", "US")
        rows = [
            {
                "petition_id": petition.id,
                "name": f"Signer {i}",
                "email": f"signer{i}.{batch}@example.org",
                "email_key": f"signer{i}.{batch}@example.org",
                "city_as_typed": city,
                "city_id": city_id,
                "country": "US",
                "state": SignatureState.CONFIRMED,
                "counted": False,
                "signed_at": now,
                "confirmed_at": now,
                **fields,
            }
            for i in range(n)
        ]
        ids = db.session.execute(insert(Signature).returning(Signature.id), rows).scalars().all()
        endorsements = [{"signature_id": id_, "demand_id": demand.id} for id_ in ids for demand in petition.demands]
        if endorsements:
            db.session.execute(insert(Endorsement), endorsements)
        db.session.commit()
        if fold:
            tallies.fold(petition.id, batch=n)
            db.session.commit()

    return sign_many_


@pytest.fixture
def statements(app: Flask):
    """The SQL statements sent to the database while the ``with statements:`` block runs."""
    return StatementLog(db.engine)


class StatementLog:
    def __init__(self, engine):
        self.engine, self.sent = engine, []

    def _record(self, _connection, _cursor, statement, parameters, _context, _executemany) -> None:
        self.sent.append((statement, parameters))

    def __enter__(self) -> StatementLog:
        self.sent.clear()
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


# --- The sign form over HTTP -----------------------------------------------------------------

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client: FlaskClient, slug: str) -> str:
    page = client.get(f"/petitions/{slug}")
    assert page.status_code == 200, page.status_code
    return CSRF_INPUT.search(page.get_data(as_text=True)).group(1)


def form_fields(petition: Petition, **overrides) -> dict:
    """A complete, valid sign form for the petition, as a browser sends it."""
    fields = {
        "name": "Ana Lucía Pérez",
        "email": "ana@example.org",
        "city": "Chicago",
        "region": "IL",
        "postal_code": "60601",
        "country": "US",
        "demands": [str(demand.id) for demand in petition.demands],
        "comment": "",
    }
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}


@pytest.fixture
def post_signature(client: FlaskClient):
    """POST the sign form with a real CSRF token, as a browser would."""

    def post(petition: Petition, **overrides):
        data = form_fields(petition, **overrides)
        if "csrf_token" not in data:
            data["csrf_token"] = csrf_token(client, petition.slug)
        return client.post(f"/petitions/{petition.slug}/sign", data=data)

    return post


# --- Organizers ------------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"
TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"|value="([^"]+)" name="csrf_token"')


def token_in(page: str) -> str:
    found = TOKEN.search(page)
    assert found, "no CSRF token on the page"
    return found.group(1) or found.group(2)


@pytest.fixture
def make_organizer(app: Flask, make_coalition):
    """An organizer with a password, member of a coalition (Riverside Parents United unless given)."""

    def make(
        email: str = "olga@example.org",
        *,
        coalition: Coalition | None = None,
        role: Role = Role.OWNER,
        password: str = PASSWORD,
        name: str = "",
    ) -> Organizer:
        coalition = coalition or make_coalition()
        organizer = accounts.find_organizer(email)
        if organizer is None:
            # A cheap hash keeps the suite fast; the real one is tested through the login form and the command.
            cheap = generate_password_hash(password, method="pbkdf2:sha256:1000")
            organizer = Organizer(email=email, email_key=email.lower(), name=name, password_hash=cheap)
            db.session.add(organizer)
        organizer.memberships.append(Membership(coalition=coalition, role=role))
        db.session.commit()
        return organizer

    return make


@pytest.fixture
def log_in(client: FlaskClient):
    """Log in through the login form, as a browser would."""

    def log_in_(organizer: Organizer, password: str = PASSWORD):
        token = token_in(client.get("/organize/login").get_data(as_text=True))
        response = client.post(
            "/organize/login", data={"email": organizer.email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 303, response.status_code
        return response

    return log_in_


@pytest.fixture
def organizer_post(client: FlaskClient):
    """POST to an organizer page with the session's CSRF token, as the page's form would."""

    def post(path: str, data: dict | None = None, **kwargs):
        token = token_in(client.get("/organize/").get_data(as_text=True))
        return client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)

    return post
