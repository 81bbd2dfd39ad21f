"""The export streams: the first rows reach the browser long before the last is read from the database."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import httpx
from sqlalchemy import insert

from petitions import cities
from petitions.extensions import db
from petitions.models import Export, Signature, SignatureState
from petitions.models.types import utcnow
from tests.conftest import PASSWORD, token_in
from tests.servers import gunicorn

ROWS = 50_000  # about 5 MB of CSV: far more than the socket buffers between server and client hold


def seed(petition, n: int) -> None:
    city_id = cities.resolve("Chicago", "IL", "US")
    start = utcnow() - timedelta(days=1)
    for first in range(0, n, 5000):
        db.session.execute(
            insert(Signature),
            [
                {
                    "petition_id": petition.id,
                    "name": f"Streaming Signer {i}",
                    "email": f"stream{i}@example.org",
                    "email_key": f"stream{i}@example.org",
                    "city_as_typed": "Chicago",
                    "city_id": city_id,
                    "region": "IL",
                    "postal_code": "60601",
                    "country": "US",
                    "comment": "",
                    "public_name": False,
                    "updates_opt_in": True,
                    "locale": "en",
                    "state": SignatureState.CONFIRMED,
                    "struck_reason": "",
                    "counted": False,
                    "signed_at": start + timedelta(seconds=i),
                }
                for i in range(first, min(first + 5000, n))
            ],
        )
    db.session.commit()


def record() -> Export:
    db.session.expire_all()
    return db.session.execute(db.select(Export).order_by(Export.id)).scalars().first()


def test_the_export_streams_from_a_real_server(app, database_url, make_organizer, make_petition, tmp_path):
    olga = make_organizer()
    petition = make_petition()
    seed(petition, ROWS)

    # A small receive window, like a slow phone: the server cannot get ahead by filling buffers.
    transport = httpx.HTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)])
    with (
        gunicorn(database_url, tmp_path, workers=1, threads=2) as server,
        httpx.Client(base_url=server.url, transport=transport, timeout=60) as browser,
    ):
        token = token_in(browser.get("/organize/login").text)
        logged_in = browser.post(
            "/organize/login", data={"email": olga.email, "password": PASSWORD, "csrf_token": token}
        )
        assert logged_in.status_code == 303, server.output()

        with browser.stream("GET", f"/organize/petitions/{petition.slug}/signatures.csv") as response:
            assert response.status_code == 200
            assert "content-length" not in response.headers  # streamed, not built first
            chunks = response.iter_bytes()
            first = next(chunks)
            assert first.startswith(b'"name","email"')
            time.sleep(1)
            # The first bytes are here, and the server is still producing the rest.
            assert record().rows is None, (record().complete, server.output()[-3000:])
            received = len(first) + sum(len(chunk) for chunk in chunks)

        deadline = time.monotonic() + 10
        while record().rows is None and time.monotonic() < deadline:
            time.sleep(0.1)
        finished = record()

        # The delivery document and its CSV stream the same way.
        page = browser.get(f"/organize/petitions/{petition.slug}/delivery")
        delivery_csv = browser.get(f"/organize/petitions/{petition.slug}/delivery.csv")
        log = server.output()

    assert "Traceback" not in log, log
    assert (finished.rows, finished.complete) == (ROWS, True)
    assert received > ROWS * 80
    assert page.status_code == 200
    assert page.text.count("<tr><td>Streaming Signer") == ROWS
    assert "Logged in as olga@example.org" in page.text
    assert delivery_csv.text.count("\r\n") == ROWS + 1
