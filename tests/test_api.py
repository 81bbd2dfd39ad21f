"""The petition JSON partners read."""

from __future__ import annotations

from petitions import signing
from petitions.extensions import db
from petitions.models import SignatureState


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
            "translations": {},
        },
        {
            "id": second.id,
            "position": 2,
            "title": "Fund libraries",
            "explanation": "Why fund libraries.",
            "status": "open",
            "support_count": 1,
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
