"""Paper signatures: a CSV checked row by row like the sign form; all or nothing unless bad rows are skipped."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from petitions import tallies
from petitions.extensions import db
from petitions.models import Endorsement, PetitionState, Signature
from tests.conftest import token_in

HEADER = "name,email,city,region,postal_code,country,demand_1,demand_2,comment,updates_opt_in,signed_at\n"


@pytest.fixture
def olga(make_organizer, log_in):
    organizer = make_organizer()
    log_in(organizer)
    return organizer


@pytest.fixture
def town_hall(make_petition):
    return make_petition(demands=["Keep Lincoln open", "Hire counselors"])


def upload(client, petition, content: str | bytes, *, dry_run: bool = False, skip_bad: bool = False, token=None):
    page = client.get(f"/organize/petitions/{petition.slug}/import").get_data(as_text=True)
    data = {
        "csrf_token": token if token is not None else token_in(page),
        "file": (io.BytesIO(content.encode() if isinstance(content, str) else content), "town-hall.csv"),
    }
    if dry_run:
        data["dry_run"] = "y"
    if skip_bad:
        data["skip_bad"] = "y"
    return client.post(f"/organize/petitions/{petition.slug}/import", data=data, content_type="multipart/form-data")


def stored(petition) -> list[Signature]:
    db.session.expire_all()
    return (
        db.session.execute(db.select(Signature).where(Signature.petition_id == petition.id).order_by(Signature.id))
        .scalars()
        .all()
    )


GOOD = HEADER + (
    "María José Núñez,maria@example.org,Chicago,IL,60601,US,yes,no,Signed at the town hall,yes,2026-03-14\n"
    "Bob Smith,BOB@example.org,Detroit,MI,,,no,yes,,no,\n"
    'Chen Wei,chen@example.org,"St. Louis",MO,,US,yes,yes,"Says: ""count me in""",y,2026-03-14T19:30:00Z\n'
)


def test_a_good_file_is_imported_like_web_signatures(client, olga, town_hall):
    response = upload(client, town_hall, GOOD)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Import finished" in page
    assert "3 signatures imported." in page
    maria, bob, chen = stored(town_hall)
    assert (maria.name, maria.email, maria.city_as_typed, maria.postal_code) == (
        "María José Núñez", "maria@example.org", "Chicago", "60601"
    )  # fmt: skip
    assert maria.signed_at == datetime(2026, 3, 14, tzinfo=UTC)
    assert maria.updates_opt_in is True
    assert bob.updates_opt_in is False
    assert bob.email == "BOB@example.org"
    assert bob.country == "US"  # the petition's default when the cell is empty
    assert chen.comment == 'Says: "count me in"'
    assert chen.signed_at == datetime(2026, 3, 14, 19, 30, tzinfo=UTC)
    assert all(s.state == "confirmed" for s in (maria, bob, chen))
    first, second = (d.id for d in town_hall.demands)
    endorsed = db.session.execute(db.select(Endorsement.signature_id, Endorsement.demand_id)).all()
    assert sorted(endorsed) == sorted([(maria.id, first), (bob.id, second), (chen.id, first), (chen.id, second)])
    assert tallies.signature_count(town_hall.id) == 3
    assert tallies.snapshot(town_hall.id) == tallies.truth(town_hall.id)


def test_a_dry_run_reports_everything_and_stores_nothing(client, olga, town_hall, sign):
    sign(town_hall, "already@example.org")
    content = GOOD + (
        "Already Signed,Already@Example.org,Chicago,,,,yes,yes,,,\n"
        "Maria Again,MARIA@example.org,Chicago,,,,yes,no,,,\n"
        ",nobody@example.org,,,,,yes,no,,,\n"
    )

    response = upload(client, town_hall, content, dry_run=True)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Dry run: nothing was stored" in page
    assert "6 rows read." in page
    assert "3 signatures would be imported." in page
    assert "2 duplicates left out." in page
    assert "Line 5: Already@example.org — this address has signed already" in page
    assert "Line 6: MARIA@example.org — the same address as line 2" in page
    assert "Line 7: Your name: Enter your name.; City or town: Enter your city or town." in page
    assert [s.email for s in stored(town_hall)] == ["already@example.org"]


def test_one_bad_row_stops_everything(client, olga, town_hall):
    content = GOOD + "Broken Row,not-an-address,Chicago,,,,yes,no,,,\n"

    response = upload(client, town_hall, content)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported" in page
    assert "Line 5: Email address: Enter an email address like name@example.org." in page
    assert stored(town_hall) == []
    assert db.session.execute(db.select(Endorsement)).first() is None


def test_bad_rows_can_be_skipped(client, olga, town_hall):
    content = GOOD + (
        "Broken Row,not-an-address,Chicago,,,,yes,no,,,\n"
        "Nobody Endorses,none@example.org,Chicago,,,,no,no,,,\n"
        "Bad Flag,flag@example.org,Chicago,,,,maybe,no,,,\n"
        "Bad Date,date@example.org,Chicago,,,,yes,no,,,next tuesday\n"
        "Future,future@example.org,Chicago,,,,yes,no,,,2999-01-01\n"
        "Bad Country,country@example.org,Chicago,,,ZZ,yes,no,,,\n"
    )

    response = upload(client, town_hall, content, skip_bad=True)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 signatures imported." in page
    assert "6 bad rows. (skipped)" in page
    assert "Line 6: The demands you support: Choose at least one demand you support." in page
    assert "Line 7: “maybe” in demand: write yes or no." in page
    assert "Line 8: “next tuesday” in signed_at: write a date like 2026-03-31." in page
    assert "Line 9: “2999-01-01” in signed_at is in the future." in page
    assert "Line 10: Country: " in page
    assert "Choose your country." in page
    assert len(stored(town_hall)) == 3


def test_an_exported_file_imports_back(client, olga, town_hall, make_petition, sign):
    sign(town_hall, "eq@example.org", name="=1+2 Smith", city="-Chicago", demand_ids=[town_hall.demands[1].id])
    sign(town_hall, "zoe@example.org", name="Zoë", comment="line one\nline two", updates_opt_in=True)
    exported = client.get(f"/organize/petitions/{town_hall.slug}/signatures.csv?bom=1").get_data()
    copy = make_petition(demands=["Keep Lincoln open", "Hire counselors"])

    response = upload(client, copy, exported)

    assert "2 signatures imported." in response.get_data(as_text=True)
    originals, copies = stored(town_hall), stored(copy)
    for original, imported in zip(originals, copies, strict=True):
        for attribute in ("name", "email", "city_as_typed", "region", "country", "comment", "updates_opt_in"):
            assert getattr(imported, attribute) == getattr(original, attribute), attribute
        assert imported.signed_at == original.signed_at.replace(microsecond=0)
    assert copies[0].name == "=1+2 Smith"  # the export's apostrophe is taken off again
    second = copy.demands[1].id
    assert db.session.execute(
        db.select(Endorsement.demand_id).where(Endorsement.signature_id == copies[0].id)
    ).scalars().all() == [second]


def test_semicolons_and_a_byte_order_mark_are_understood(client, olga, town_hall):
    content = "\ufeffName;Email;City\nAna;ana@example.org;Chicago\n".encode()
    response = upload(client, town_hall, content)
    assert "1 signature imported." in response.get_data(as_text=True)
    [ana] = stored(town_hall)
    # Without demand columns a paper signer backs every demand, as the web form proposes.
    assert len(db.session.execute(db.select(Endorsement)).all()) == 2
    assert ana.name == "Ana"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,email,city\nJosé,jose@example.org,León\n".encode("latin-1"), "The file is not UTF-8 text."),
        ("name,email\nAna,ana@example.org\n", "missing: city"),
        ("", "The file is empty."),
        ("name,email,city,demand_7\nAna,ana@example.org,Chicago,yes\n", "“demand_7” does not match a demand"),
    ],
)
def test_a_file_that_cannot_be_read_is_explained(client, olga, town_hall, content, message):
    response = upload(client, town_hall, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored(town_hall) == []


def test_unknown_columns_are_listed(client, olga, town_hall):
    response = upload(client, town_hall, "name,email,city,shoe size\nAna,ana@example.org,Chicago,42\n", dry_run=True)
    assert "Columns not used: shoe size" in response.get_data(as_text=True)


def test_the_import_takes_bigger_files_than_other_forms(client, olga, town_hall, post_signature):
    rows = "".join(f"Person {n},p{n}@example.org,Chicago,,,,yes,no,{'x' * 320},no,\n" for n in range(250))
    content = HEADER + rows
    assert len(content) > 64 * 1024

    response = upload(client, town_hall, content)

    assert response.status_code == 200
    assert "250 signatures imported." in response.get_data(as_text=True)
    # The sign form keeps its small limit.
    assert post_signature(town_hall, comment="x" * 70_000).status_code == 413


def test_a_file_over_the_import_limit_is_refused(app, client, olga, town_hall):
    app.config["IMPORT_MAX_CONTENT_LENGTH"] = 100 * 1024
    response = upload(client, town_hall, HEADER + "x" * 120 * 1024)
    assert response.status_code == 413
    assert stored(town_hall) == []


def test_the_import_checks_its_token_and_the_petition_state(client, olga, town_hall, make_petition):
    assert upload(client, town_hall, GOOD, token="forged").status_code == 400
    closed = make_petition(state=PetitionState.CLOSED)
    response = upload(client, closed, GOOD)
    assert response.status_code == 409
    assert "only while the petition is open" in response.get_data(as_text=True)
    assert stored(town_hall) == stored(closed) == []
