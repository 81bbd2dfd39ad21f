"""The petition JSON partners read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from petitions import signing, tallies
from petitions.extensions import db
from petitions.models import PetitionState, SignatureState


def test_the_petition_document(client, make_petition, sign):
    petition = make_petition(slug="fund-schools", goal=500, demands=["Keep schools open", "Fund libraries"])
    first, second = petition.demands
    sign(petition, demand_ids=[first.id])
    sign(petition, demand_ids=[first.id, second.id])
    struck = sign(petition, demand_ids=[second.id])
    signing.change_state(petition.id, [struck], SignatureState.STRUCK, reason="duplicate person")
    db.session.commit()

    response = client.get("/api/v1/petitions/fund-schools")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.json
    assert document["slug"] == "fund-schools"
    assert document["title"] == "Fund our neighborhood schools"
    assert document["url"] == "http://127.0.0.1:5000/petitions/fund-schools"
    assert document["signature_count"] == 2
    assert document["goal"] == 500
    assert document["state"] == "open"
    assert document["demands"] == [
        {
            "id": first.id,
            "position": 1,
            "title": "Keep schools open",
            "explanation": "Why keep schools open.",
            "status": "open",
            "support_count": 2,
            "latest_update": None,
            "updates": [],
            "translations": {},
        },
        {
            "id": second.id,
            "position": 2,
            "title": "Fund libraries",
            "explanation": "Why fund libraries.",
            "status": "open",
            "support_count": 1,
            "latest_update": None,
            "updates": [],
            "translations": {},
        },
    ]


def test_text_comes_back_as_written(client, make_petition):
    petition = make_petition(title='<b>"Bold"</b> & Ñandú')
    assert client.get(f"/api/v1/petitions/{petition.slug}").json["title"] == '<b>"Bold"</b> & Ñandú'


def test_unknown_petitions_are_json_404s(client, app):
    response = client.get("/api/v1/petitions/nope")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert response.json["error"]["message"]


# --- The list of open petitions -----------------------------------------------------------------


def test_the_list_has_open_petitions_newest_first_with_counts(client, make_petition, sign):
    older = make_petition(title="Older campaign")
    newer = make_petition(title="Newer campaign")
    older.opened_at = datetime(2026, 1, 1, tzinfo=UTC)
    newer.opened_at = datetime(2026, 6, 1, tzinfo=UTC)
    db.session.commit()
    make_petition(state=PetitionState.CLOSED)
    make_petition(state=PetitionState.DRAFT)
    sign(newer)
    sign(newer)

    document = client.get("/api/v1/petitions").json

    assert document["total"] == 2
    assert [item["slug"] for item in document["petitions"]] == [newer.slug, older.slug]
    first = document["petitions"][0]
    assert first["title"] == "Newer campaign"
    assert first["signature_count"] == 2
    assert first["goal"] == 1000
    assert first["state"] == "open"
    assert first["url"] == f"http://127.0.0.1:5000/petitions/{newer.slug}"
    assert first["opened_at"] == "2026-06-01T00:00:00Z"
    assert document["links"] == {
        "self": "http://127.0.0.1:5000/api/v1/petitions?limit=20&offset=0",
        "next": None,
        "prev": None,
    }


def test_the_list_comes_in_pages(client, make_petition):
    slugs = [make_petition(slug=f"campaign-{n}").slug for n in range(5)]

    pages, url = [], "/api/v1/petitions?limit=2"
    while url:
        page = client.get(url).json
        assert page["total"] == 5
        assert page["limit"] == 2
        pages.append([item["slug"] for item in page["petitions"]])
        url = page["links"]["next"]

    assert [len(page) for page in pages] == [2, 2, 1]
    assert sorted(slug for page in pages for slug in page) == sorted(slugs)
    last = client.get("/api/v1/petitions?limit=2&offset=4").json
    assert last["links"]["prev"] == "http://127.0.0.1:5000/api/v1/petitions?limit=2&offset=2"
    assert client.get("/api/v1/petitions?offset=99").json["petitions"] == []


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=-5", "limit=2.5", "offset=x", "offset=99999999999999999999", "limit=٣"]
)
def test_bad_paging_gets_a_400_that_says_why(client, app, query):
    response = client.get(f"/api/v1/petitions?{query}")
    assert response.status_code == 400
    name = query.split("=")[0]
    assert response.json["error"]["message"].startswith(f"{name} must be a whole number from")


def test_paging_errors_speak_the_callers_language(client, app):
    response = client.get("/api/v1/petitions?limit=0", headers={"Accept-Language": "es"})
    assert response.json["error"]["message"] == "limit debe ser un número entero de 1 a 100."


# --- The count, for widgets that poll ------------------------------------------------------------


def test_the_count_is_the_smallest_answer(client, make_petition, sign):
    petition = make_petition(goal=250)
    signed_at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    sign(petition, now=signed_at)
    sign(petition, now=signed_at - timedelta(hours=1))

    response = client.get(f"/api/v1/petitions/{petition.slug}/count")

    assert response.json == {"signature_count": 2, "goal": 250, "updated_at": "2026-03-04T05:06:07Z"}


def updated_at(client, petition) -> str:
    return client.get(f"/api/v1/petitions/{petition.slug}/count").json["updated_at"]


def test_updated_at_is_when_the_count_last_changed(client, make_petition, sign, app):
    petition = make_petition()
    petition.opened_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    db.session.commit()
    # Nothing signed yet: the count has been 0 since the petition opened.
    assert updated_at(client, petition) == "2026-01-02T03:04:05Z"

    first = sign(petition, now=datetime(2026, 2, 1, tzinfo=UTC))
    sign(petition, now=datetime(2026, 2, 2, tzinfo=UTC))
    assert updated_at(client, petition) == "2026-02-02T00:00:00Z"

    # Folding moves signatures into the stored count without changing it.
    tallies.fold(petition.id)
    db.session.commit()
    assert updated_at(client, petition) == "2026-02-02T00:00:00Z"

    # Striking one out changes the count now; so does restoring it.
    signing.change_state(petition.id, [first], SignatureState.STRUCK, reason="spam")
    db.session.commit()
    struck_at = updated_at(client, petition)
    assert struck_at > "2026-02-02T00:00:00Z"
    signing.change_state(petition.id, [first], SignatureState.CONFIRMED)
    db.session.commit()
    assert updated_at(client, petition) >= struck_at
    assert client.get(f"/api/v1/petitions/{petition.slug}/count").json["signature_count"] == 2


def test_moves_that_leave_the_count_alone_leave_updated_at_alone(client, make_petition, sign):
    petition = make_petition()
    struck = sign(petition, now=datetime(2026, 2, 1, tzinfo=UTC))
    signing.change_state(petition.id, [struck], SignatureState.STRUCK, reason="spam")
    db.session.commit()
    after_strike = updated_at(client, petition)

    signing.change_state(petition.id, [struck], SignatureState.SUSPICIOUS)
    db.session.commit()

    assert updated_at(client, petition) == after_strike


def test_a_recount_that_corrects_the_total_is_a_change(client, make_petition, sign, app):
    petition = make_petition()
    sign(petition, now=datetime(2026, 2, 1, tzinfo=UTC))
    tallies.fold(petition.id)
    petition.signature_count = 7  # a stored total gone wrong
    db.session.commit()

    tallies.recount(petition.id)
    db.session.commit()

    response = client.get(f"/api/v1/petitions/{petition.slug}/count").json
    assert response["signature_count"] == 1
    assert response["updated_at"] > "2026-02-01T00:00:00Z"


def count_statements(client, statements, petition) -> list[tuple[str, object]]:
    client.get(f"/api/v1/petitions/{petition.slug}/count")  # warm up: connection, compiled statements
    with statements:
        response = client.get(f"/api/v1/petitions/{petition.slug}/count")
    assert response.status_code == 200
    return list(statements.sent)


def test_the_count_costs_the_same_for_10_and_1000_signatures(
    client, make_petition, sign_many, statements, database_url
):
    petition = make_petition(demands=1)
    sign_many(petition, 7)
    sign_many(petition, 3, fold=False)  # a few not folded yet, as on a busy petition
    small = count_statements(client, statements, petition)

    sign_many(petition, 990)
    sign_many(petition, 3, fold=False)
    large = count_statements(client, statements, petition)

    assert client.get(f"/api/v1/petitions/{petition.slug}/count").json["signature_count"] == 1003
    # The same two statements: the petition's id and goal, then the count and when it changed.
    assert len(small) == len(large) == 2
    assert [statement for statement, _ in small] == [statement for statement, _ in large]
    if database_url.startswith("sqlite"):
        # Neither reads the signatures table itself: only the partial index of the unfolded few.
        connection = db.session.connection()
        for statement, parameters in large:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            details = " | ".join(str(row[-1]) for row in plan)
            assert "SCAN signatures" not in details, details
            assert "signatures" not in details or "ix_signatures_uncounted" in details, details


def test_each_server_reuses_a_count_for_a_moment(client, app, make_petition, sign, monkeypatch):
    from petitions import microcache

    now = [0.0]
    monkeypatch.setattr(microcache, "monotonic", lambda: now[0])
    app.config["COUNT_CACHE_SECONDS"] = 1
    petition = make_petition()
    sign(petition)
    url = f"/api/v1/petitions/{petition.slug}/count"
    first = client.get(url)
    assert first.json["signature_count"] == 1

    sign(petition)
    now[0] = 0.9
    kept = client.get(url)
    now[0] = 1.0
    fresh = client.get(url)

    assert kept.json["signature_count"] == 1
    assert kept.headers["ETag"] == first.headers["ETag"]
    assert fresh.json["signature_count"] == 2
    assert fresh.headers["ETag"] != first.headers["ETag"]
    # Unknown petitions are never kept: 404 at once, every time.
    assert client.get("/api/v1/petitions/nope/count").status_code == 404
