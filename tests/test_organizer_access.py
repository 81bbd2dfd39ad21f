"""Nobody sees another coalition's petitions or signers: every organizer URL answers 404 for them."""

from __future__ import annotations

import pytest

from petitions import accounts, cities, organizing, outbox
from petitions.extensions import db
from petitions.models import CityMapping, DemandStatus, MailKind, MailStatus, OutboxMessage, Petition, Role, Signature
from petitions.models.types import utcnow

OPEN_TO_ALL = {"organize.login", "organize.welcome", "organize.logout", "organize.dashboard"}


@pytest.fixture
def victim(make_coalition, make_organizer, make_petition, sign):
    """Riverside's petition, with a signature, a demand update, a failed email, an invited organizer and
    a spelling the gazetteer lacks."""
    coalition = make_coalition()
    owner = make_organizer("olga@example.org", coalition=coalition)
    petition = make_petition(coalition=coalition)
    signature_id = sign(petition)
    demand = petition.demands[0]
    update = organizing.post_update(
        demand, text="The board listened.", status=DemandStatus.IN_PROGRESS, happened_on=utcnow().date()
    )
    invited, _ = accounts.add_member(coalition, "ines@example.org", Role.VIEWER)
    outbox.queue(MailKind.CONFIRM, signature_id)
    message = db.session.execute(db.select(OutboxMessage)).scalar_one()
    message.status = MailStatus.FAILED
    spelling = cities.resolve("Chitown", "IL", "US")
    db.session.commit()
    return {
        "petition": petition,
        "coalition": coalition,
        "values": {
            "demand_id": demand.id,
            "signature_id": signature_id,
            "organizer_id": owner.id,
            "update_id": update.id,
            "message_id": message.id,
            "city_id": spelling,
        },
        "invited": invited,
    }


def organizer_rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("organize.")),
        key=lambda rule: rule.rule,
    )


def url_for_rule(rule, victim) -> str:
    values = dict(victim["values"])
    slug_of = victim["coalition"].slug if "/coalitions/" in rule.rule else victim["petition"].slug
    values["slug"] = slug_of
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<int:{name}>", str(values[name])).replace(f"<{name}>", str(values[name]))
    return path


def test_every_organizer_route_is_404_for_another_coalition(
    app, client, victim, make_coalition, make_organizer, log_in, organizer_post
):
    mallory = make_organizer("mallory@example.org", coalition=make_coalition("elsewhere", "Elsewhere"))
    log_in(mallory)
    petition = victim["petition"]
    walked = []

    for rule in organizer_rules(app):
        if rule.endpoint in OPEN_TO_ALL:
            continue
        path = url_for_rule(rule, victim)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = client.get(path)
            else:
                data = {"reason": "x", "action": "strike", "move": "close", "role": "owner", "text": "x"}
                data.update(confirm="y", up_to="999", city="Chicago, IL")
                data[f"spelling-{victim['values']['city_id']}-city"] = "Chicago, IL"
                response = organizer_post(path, data)
            assert response.status_code == 404, (method, path, response.status_code)
            walked.append((method, rule.rule))

    # Every kind of organizer page was tried, and nothing moved.
    assert {rule for _, rule in walked} >= {
        "/organize/petitions/<slug>/signatures",
        "/organize/petitions/<slug>/signatures.csv",
        "/organize/petitions/<slug>/delivery",
        "/organize/coalitions/<slug>/organizers",
        "/organize/petitions/<slug>/trust",
        "/organize/petitions/<slug>/trust/strike",
        "/organize/petitions/<slug>/trust/release",
        "/organize/petitions/<slug>/signatures/<int:signature_id>/remove",
        "/organize/coalitions/<slug>/mail",
        "/organize/coalitions/<slug>/mail/<int:message_id>/retry",
        "/organize/coalitions/<slug>/cities",
        "/organize/coalitions/<slug>/cities/<int:city_id>/map",
    }
    assert len(walked) >= 25
    db.session.expire_all()
    assert db.session.get(Petition, petition.id).state == "open"
    assert db.session.execute(db.select(Signature.state)).scalars().all() == ["confirmed"]
    assert [m.organizer.email for m in accounts.team(victim["coalition"])] == ["olga@example.org", "ines@example.org"]
    assert db.session.execute(db.select(OutboxMessage.status)).scalars().all() == ["failed"]
    assert db.session.execute(db.select(CityMapping)).first() is None


def test_a_visitor_is_sent_to_log_in_from_every_organizer_route(app, client, victim):
    for rule in organizer_rules(app):
        if rule.endpoint in {"organize.login", "organize.welcome"}:
            continue
        path = url_for_rule(rule, victim)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            # A POST without a CSRF token stops at the token check (400) before anything else.
            assert response.status_code in ((302,) if method == "GET" else (302, 400)), (method, path)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/organize/login?next=")


def test_a_viewer_reads_and_exports_but_changes_nothing(client, victim, make_organizer, log_in, organizer_post):
    petition = victim["petition"]
    vera = make_organizer("vera@example.org", coalition=victim["coalition"], role=Role.VIEWER)
    log_in(vera)
    slug = petition.slug
    demand_id = victim["values"]["demand_id"]
    signature_id = victim["values"]["signature_id"]

    for path in (
        f"/organize/petitions/{slug}",
        f"/organize/petitions/{slug}/signatures",
        f"/organize/petitions/{slug}/signatures/{signature_id}",
        f"/organize/petitions/{slug}/signatures.csv",
        f"/organize/petitions/{slug}/delivery",
        f"/organize/petitions/{slug}/delivery.csv",
        f"/organize/petitions/{slug}/demands/{demand_id}",
        f"/organize/petitions/{slug}/trust",
    ):
        assert client.get(path).status_code == 200, path

    for path, data in (
        (f"/organize/petitions/{slug}/edit", {"title": "Taken over"}),
        (f"/organize/petitions/{slug}/state", {"move": "close"}),
        (f"/organize/petitions/{slug}/demands/{demand_id}", {"title": "Changed"}),
        (f"/organize/petitions/{slug}/demands/{demand_id}/updates", {"text": "x", "status": "won"}),
        (f"/organize/petitions/{slug}/demands/{demand_id}/move", {"move": "down"}),
        (f"/organize/petitions/{slug}/signatures/{signature_id}", {"action": "strike", "reason": "x"}),
        (f"/organize/petitions/{slug}/signatures/strike?state=confirmed", {"reason": "x", "up_to": "99"}),
        (f"/organize/petitions/{slug}/import", {}),
        (f"/organize/petitions/{slug}/trust/strike?domain=example.org", {"reason": "x"}),
        (f"/organize/petitions/{slug}/trust/release", {"up_to": "99"}),
        (f"/organize/petitions/{slug}/signatures/{signature_id}/remove", {"confirm": "y"}),
        (f"/organize/coalitions/riverside-parents/mail/{victim['values']['message_id']}/retry", {}),
        ("/organize/coalitions/riverside-parents/petitions/new", {"title": "New"}),
    ):
        assert organizer_post(path, data).status_code == 403, path
    db.session.expire_all()
    assert petition.title == "Fund our neighborhood schools"
    assert petition.state == "open"
    assert db.session.get(Signature, signature_id).state == "confirmed"
    page = client.get(f"/organize/petitions/{slug}").get_data(as_text=True)
    assert "Edit the petition" not in page
    assert "Close: keep the final count" not in page
