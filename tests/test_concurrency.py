"""Simultaneous signers against a real gunicorn server."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from petitions import tallies
from petitions.extensions import db
from petitions.models import Signature
from tests.conftest import form_fields
from tests.servers import Browser, gunicorn


def test_twenty_simultaneous_duplicates_make_one_signature(app, database_url, make_petition, tmp_path):
    petition = make_petition()
    fields = form_fields(petition, email="same.person@example.org")
    browsers = 20

    with gunicorn(database_url, tmp_path, workers=4, threads=5) as server:
        supporters = [Browser(server.url) for _ in range(browsers)]
        tokens = [supporter.open_petition(petition.slug) for supporter in supporters]
        start = threading.Barrier(browsers)

        def sign(n: int) -> int:
            # Each browser uses its own letter case of the same address.
            email = fields["email"].upper() if n % 2 else fields["email"]
            start.wait()
            return supporters[n].sign(petition.slug, tokens[n], {**fields, "email": email}).status_code

        with ThreadPoolExecutor(browsers) as pool:
            statuses = list(pool.map(sign, range(browsers)))
        for supporter in supporters:
            supporter.close()
        log = server.output()

    assert statuses == [303] * browsers, log
    assert "Traceback" not in log
    rows = db.session.execute(db.select(Signature).where(Signature.petition_id == petition.id)).scalars().all()
    assert len(rows) == 1
    assert tallies.signature_count(petition.id) == 1


def test_simultaneous_different_signers_are_all_counted(app, database_url, make_petition, tmp_path):
    petition = make_petition()
    browsers = 16

    with gunicorn(database_url, tmp_path, workers=2, threads=8, TALLY_FOLD_EVERY="3") as server:
        supporters = [Browser(server.url) for _ in range(browsers)]
        tokens = [supporter.open_petition(petition.slug) for supporter in supporters]
        forms = [
            form_fields(petition, email=f"signer{n}@example.org", city=["Chicago", "Detroit"][n % 2])
            for n in range(browsers)
        ]
        start = threading.Barrier(browsers)

        def sign(n: int) -> int:
            start.wait()
            return supporters[n].sign(petition.slug, tokens[n], forms[n]).status_code

        with ThreadPoolExecutor(browsers) as pool:
            statuses = list(pool.map(sign, range(browsers)))
        log = server.output()

    assert statuses == [303] * browsers, log
    db.session.expire_all()
    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)
    assert tallies.signature_count(petition.id) == browsers
