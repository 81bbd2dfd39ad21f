"""The signatures page: filters, search, paging, strike out and restore, bulk strike-out; tallies stay exact."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from petitions import signing, tallies
from petitions.extensions import db
from petitions.models import City, ModerationAction, Signature, SignatureState


@pytest.fixture
def olga(make_organizer, log_in):
    organizer = make_organizer()
    log_in(organizer)
    return organizer


@pytest.fixture
def chicago(app):
    """Chicago as the gazetteer knows it: signers typing "chicago" land here."""
    city = db.session.execute(db.select(City).where(City.geonameid == 4887398)).scalar_one_or_none()
    if city is None:
        city = City(geonameid=4887398, name="Chicago", key="chicago", country="US", region="IL", population=2_720_546)
        db.session.add(city)
        db.session.commit()
    return city


def names_on(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/organize/petitions/[^"]+/signatures/\d+[^"]*">(.*?)</a></th>', page)


def signed_at(signature_id: int, moment: datetime) -> None:
    db.session.execute(update(Signature).where(Signature.id == signature_id).values(signed_at=moment))
    db.session.commit()


def assert_tallies_exact(petition) -> None:
    db.session.expire_all()
    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)


@pytest.fixture
def signers(make_petition, sign, chicago):
    """Six signers of a three-demand petition, in every state."""
    petition = make_petition(demands=["Keep Lincoln open", "Fund libraries", "Hire counselors"])
    first, second, third = (d.id for d in petition.demands)
    ids = {
        "ana": sign(petition, "ana@example.org", name="Ana Lucía Pérez", city="chicago", region="IL",
                    demand_ids=[first], updates_opt_in=True),
        "ben": sign(petition, "Ben@Example.org", name="Ben Okafor", city="Chicago", region="il",
                    demand_ids=[first, second]),
        "chen": sign(petition, "chen@example.org", name="Chen Wei", city="Smallville", region="KS",
                     demand_ids=[third], updates_opt_in=True),
        "dora": sign(petition, "dora@example.org", name="Dora 100% <b>Real</b>", city="Springwood Hollow", country="CA",
                     demand_ids=[second]),
        "eli": sign(petition, "eli@example.org", name="Eli Pending", city="Lake Wobegon", demand_ids=[first]),
        "fay": sign(petition, "fay@example.org", name="Fay Suspicious", city="Lake Wobegon", demand_ids=[first]),
    }  # fmt: skip
    signing.change_state(petition.id, [ids["eli"]], SignatureState.PENDING)
    signing.change_state(petition.id, [ids["fay"]], SignatureState.SUSPICIOUS)
    db.session.commit()
    signed_at(ids["ana"], datetime(2026, 3, 1, 12, tzinfo=UTC))
    signed_at(ids["ben"], datetime(2026, 3, 2, 23, 59, tzinfo=UTC))
    signed_at(ids["chen"], datetime(2026, 3, 3, 0, 0, tzinfo=UTC))
    return petition, ids


def listed(client, petition, **query) -> list[str]:
    response = client.get(f"/organize/petitions/{petition.slug}/signatures", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(names_on(response.get_data(as_text=True)))


def test_every_state_shows_and_filters(client, olga, signers):
    petition, _ = signers
    page = client.get(f"/organize/petitions/{petition.slug}/signatures").get_data(as_text=True)
    assert len(names_on(page)) == 6
    for label in ("Pending", "Suspicious", "Confirmed"):
        assert f"<td>{label}" in page
    assert listed(client, petition, state="pending") == ["Eli Pending"]
    assert listed(client, petition, state="suspicious") == ["Fay Suspicious"]
    assert len(listed(client, petition, state="confirmed")) == 4
    assert listed(client, petition, state="struck") == []
    assert "4 confirmed signatures count toward the goal." in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "pérez"}, ["Ana Lucía Pérez"]),
        ({"q": "BEN@example"}, ["Ben Okafor"]),
        ({"q": "100%"}, ["Dora 100% &lt;b&gt;Real&lt;/b&gt;"]),
        ({"q": "_"}, []),  # LIKE wildcards are literal
        ({"region": "il"}, ["Ana Lucía Pérez", "Ben Okafor"]),
        ({"country": "CA"}, ["Dora 100% &lt;b&gt;Real&lt;/b&gt;"]),
        ({"city_match": "canonical"}, ["Ana Lucía Pérez", "Ben Okafor"]),
        ({"signed_from": "2026-03-02", "signed_to": "2026-03-02"}, ["Ben Okafor"]),
        ({"signed_to": "2026-03-02"}, ["Ana Lucía Pérez", "Ben Okafor"]),
        ({"opted_in": "1"}, ["Ana Lucía Pérez", "Chen Wei"]),
        ({"opted_in": "1", "region": "KS"}, ["Chen Wei"]),
    ],
)
def test_filters(client, olga, signers, query, expected):
    petition, _ = signers
    assert listed(client, petition, **query) == expected


def test_filter_by_city_canonical_or_not_and_by_demand(client, olga, signers, chicago):
    petition, _ = signers
    _first, second, third = (d.id for d in petition.demands)
    assert listed(client, petition, city=str(chicago.id)) == ["Ana Lucía Pérez", "Ben Okafor"]
    wobegon = db.session.execute(db.select(City).where(City.name == "Lake Wobegon")).scalar_one()
    assert listed(client, petition, city=str(wobegon.id)) == ["Eli Pending", "Fay Suspicious"]
    unmatched = ["Chen Wei", "Dora 100% &lt;b&gt;Real&lt;/b&gt;", "Eli Pending", "Fay Suspicious"]
    assert listed(client, petition, city_match="unmatched") == unmatched
    assert listed(client, petition, demand=str(second)) == ["Ben Okafor", "Dora 100% &lt;b&gt;Real&lt;/b&gt;"]
    assert listed(client, petition, demand=str(third), state="confirmed") == ["Chen Wei"]
    page = client.get(f"/organize/petitions/{petition.slug}/signatures").get_data(as_text=True)
    # The city filter offers the cities by name, with their counts; each row links to its city's filter.
    assert f'<option value="{chicago.id}">Chicago, IL, US (2)</option>' in page
    assert f"city={chicago.id}" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"city": "chicago"}, "Choose one of the options."),
        ({"state": "deleted"}, "Choose one of the options."),
        ({"signed_from": "2026-13-01"}, "Give a date as YYYY-MM-DD"),
        ({"signed_from": "2026-03-05", "signed_to": "2026-03-01"}, "The end date is before the start date."),
        ({"country": "USA"}, "Choose a country."),
        ({"q": "x" * 201}, "Use at most 200 characters."),
        ({"opted_in": "maybe"}, "Choose one of the options."),
    ],
)
def test_malformed_filters_are_explained(client, olga, signers, query, message):
    petition, _ = signers
    for path in ("signatures", "signatures.csv", "signatures/strike"):
        response = client.get(f"/organize/petitions/{petition.slug}/{path}", query_string=query)
        assert response.status_code == 422, path
        page = response.get_data(as_text=True)
        assert message in page
        assert 'aria-invalid="true"' in page


def test_paging_keeps_the_filter(client, olga, make_petition, sign):
    petition = make_petition()
    for n in range(57):
        sign(petition, f"p{n}@example.org", name=f"Person {n:02d}", city="Springfield")
    sign(petition, "other@example.org", city="Chicago")

    first = client.get(f"/organize/petitions/{petition.slug}/signatures", query_string={"q": "person"})
    page = first.get_data(as_text=True)
    assert len(names_on(page)) == 50
    assert "Showing 1–50 of 57" in page
    assert "Page 1 of 2" in page
    assert f'href="/organize/petitions/{petition.slug}/signatures?page=2&amp;q=person"' in page

    second = client.get(f"/organize/petitions/{petition.slug}/signatures?page=2&q=person").get_data(as_text=True)
    assert len(names_on(second)) == 7
    assert "Showing 51–57 of 57" in second
    # Past the end shows the last page rather than nothing.
    assert "Showing 51–57 of 57" in client.get(
        f"/organize/petitions/{petition.slug}/signatures?page=99&q=person"
    ).get_data(as_text=True)


def test_strike_out_and_restore_with_reasons_keep_the_tallies_exact(client, olga, organizer_post, signers):
    petition, ids = signers
    path = f"/organize/petitions/{petition.slug}/signatures/{ids['ben']}"
    before = tallies.signature_count(petition.id)
    support_before = tallies.demand_support(petition.id)

    missing_reason = organizer_post(path, {"action": "strike", "reason": " "})
    assert missing_reason.status_code == 422
    assert "Give a reason." in missing_reason.get_data(as_text=True)

    struck = organizer_post(path, {"action": "strike", "reason": "spam: made-up name", "back": "region=il"})

    assert struck.status_code == 303
    assert struck.headers["Location"] == f"/organize/petitions/{petition.slug}/signatures?region=il"
    signature = db.session.get(Signature, ids["ben"])
    db.session.refresh(signature)
    assert (signature.state, signature.struck_reason) == (SignatureState.STRUCK, "spam: made-up name")
    assert tallies.signature_count(petition.id) == before - 1
    first, second, _ = (d.id for d in petition.demands)
    support = tallies.demand_support(petition.id)
    assert (support[first], support[second]) == (support_before[first] - 1, support_before[second] - 1)
    assert_tallies_exact(petition)
    page = client.get(f"/organize/petitions/{petition.slug}/signatures?state=struck").get_data(as_text=True)
    assert names_on(page) == ["Ben Okafor"]
    assert "spam: made-up name" in page

    restored = organizer_post(path, {"action": "restore", "reason": "He called: he is real"})
    assert restored.status_code == 303
    db.session.refresh(signature)
    assert (signature.state, signature.struck_reason) == (SignatureState.CONFIRMED, "")
    assert tallies.signature_count(petition.id) == before
    assert_tallies_exact(petition)

    log = db.session.execute(db.select(ModerationAction).order_by(ModerationAction.id)).scalars().all()
    assert [(a.state, a.reason, a.by, a.signature_id, a.count) for a in log] == [
        ("struck", "spam: made-up name", "olga@example.org", ids["ben"], 1),
        ("confirmed", "He called: he is real", "olga@example.org", ids["ben"], 1),
    ]
    page = client.get(f"/organize/petitions/{petition.slug}/signatures").get_data(as_text=True)
    assert "He called: he is real" in page


def test_a_suspicious_signature_can_be_counted_or_struck(client, olga, organizer_post, signers):
    petition, ids = signers
    before = tallies.signature_count(petition.id)
    organizer_post(
        f"/organize/petitions/{petition.slug}/signatures/{ids['fay']}", {"action": "restore", "reason": "ok"}
    )
    assert tallies.signature_count(petition.id) == before + 1
    assert_tallies_exact(petition)
    # A pending signature waits for its owner: it can be struck, not counted by hand.
    page = client.get(f"/organize/petitions/{petition.slug}/signatures/{ids['eli']}").get_data(as_text=True)
    assert "Strike out this signature" in page
    assert "Restore this signature" not in page
    organizer_post(f"/organize/petitions/{petition.slug}/signatures/{ids['eli']}", {"action": "restore", "reason": "x"})
    assert db.session.get(Signature, ids["eli"]).state == "pending"


def test_bulk_strike_out_of_a_filtered_set(client, olga, organizer_post, signers, sign):
    petition, ids = signers
    illinois_query = {"q": "example.org", "region": "il"}
    confirm = client.get(f"/organize/petitions/{petition.slug}/signatures/strike", query_string=illinois_query)
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "This strikes out 2 signatures" in page
    up_to = re.search(r'name="up_to" value="(\d+)"', page).group(1)

    # A signer arrives while Olga reads the confirmation page: the set she saw is what goes.
    late = sign(petition, "late@example.org", name="Late Signer", city="Chicago", region="IL")

    done = organizer_post(
        f"/organize/petitions/{petition.slug}/signatures/strike",
        {**illinois_query, "up_to": up_to, "reason": "spam wave"},
    )

    assert done.status_code == 303
    db.session.expire_all()
    states = {name: db.session.get(Signature, i).state for name, i in ids.items()}
    assert states["ana"] == states["ben"] == SignatureState.STRUCK
    assert db.session.get(Signature, late).state == SignatureState.CONFIRMED
    assert states["chen"] == SignatureState.CONFIRMED
    assert_tallies_exact(petition)
    [action] = db.session.execute(db.select(ModerationAction)).scalars().all()
    assert (action.count, action.reason, action.filters) == (2, "spam wave", "q=example.org&region=il")
    assert "2 signatures are struck out." in client.get(done.headers["Location"]).get_data(as_text=True)


def test_bulk_strike_needs_a_filter_and_a_reason(client, olga, organizer_post, signers):
    petition, _ = signers
    unfiltered = client.get(f"/organize/petitions/{petition.slug}/signatures/strike")
    assert unfiltered.status_code == 303
    no_reason = organizer_post(
        f"/organize/petitions/{petition.slug}/signatures/strike", {"state": "confirmed", "up_to": "99"}
    )
    assert no_reason.status_code == 422
    assert "Give a reason." in no_reason.get_data(as_text=True)
    assert tallies.signature_count(petition.id) == 4


def test_names_and_comments_are_shown_as_text(client, olga, make_petition, sign):
    petition = make_petition()
    signature_id = sign(petition, name="<img src=x onerror=alert(1)>", comment="<script>alert(2)</script>")
    page = client.get(f"/organize/petitions/{petition.slug}/signatures").get_data(as_text=True)
    detail = client.get(f"/organize/petitions/{petition.slug}/signatures/{signature_id}").get_data(as_text=True)
    for html in (page, detail):
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in detail


def test_a_signature_of_another_petition_is_404(client, olga, make_petition, sign):
    one, two = make_petition(), make_petition()
    other = sign(two)
    assert client.get(f"/organize/petitions/{one.slug}/signatures/{other}").status_code == 404
