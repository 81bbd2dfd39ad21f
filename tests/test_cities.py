"""What a supporter types becomes one canonical city; unmatched spellings are kept and can be mapped."""

from __future__ import annotations

import pytest

from petitions import cities, tallies
from petitions.extensions import db
from petitions.models import City, CityMapping, Role, Signature
from tests.conftest import csrf_token, form_fields


def canonical(typed: str, region: str = "", country: str = "US") -> City:
    city = db.session.get(City, cities.resolve(typed, region, country))
    assert city.is_canonical, f"{typed!r} matched nothing"
    return city


@pytest.mark.parametrize(
    ("typed", "region", "country", "name", "expected_region"),
    [
        ("NYC", "", "US", "New York City", "NY"),
        ("new york", "", "US", "New York City", "NY"),
        ("New York City", "", "US", "New York City", "NY"),
        ("new york, ny", "", "US", "New York City", "NY"),
        ("  NEW   YORK  CITY ", "", "US", "New York City", "NY"),
        ("Chicago, IL", "", "US", "Chicago", "IL"),
        ("chicago illinois", "", "US", "Chicago", "IL"),
        ("Chicago, IL, USA", "", "US", "Chicago", "IL"),
        ("Saint Louis", "", "US", "St. Louis", "MO"),
        ("St. Louis", "MO", "US", "St. Louis", "MO"),
        ("st louis", "", "US", "St. Louis", "MO"),
        ("Springfield", "IL", "US", "Springfield", "IL"),
        ("springfield", "Massachusetts", "US", "Springfield", "MA"),
        ("Springfield, MO", "", "US", "Springfield", "MO"),
        ("Portland", "", "US", "Portland", "OR"),
        ("Portland", "ME", "US", "Portland", "ME"),
        ("portland maine", "", "US", "Portland", "ME"),
        ("sao paulo", "", "BR", "São Paulo", "27"),
        ("SÃO PAULO", "", "BR", "São Paulo", "27"),
        ("bogota", "", "CO", "Bogotá", "34"),
    ],
)
def test_what_supporters_type_becomes_one_city(app, typed, region, country, name, expected_region):
    city = canonical(typed, region, country)
    assert (city.name, city.region, city.country) == (name, expected_region, country)


def test_the_country_decides_between_countries(app):
    assert canonical("Paris", country="FR").country == "FR"
    assert canonical("Paris", region="TX").region == "TX"


def test_a_place_the_gazetteer_lacks_is_kept_under_one_cleaned_up_spelling(app):
    first = cities.resolve("  smallville  ", "KS", "US")
    assert cities.resolve("SMALLVILLE", "ks", "US") == first
    assert cities.resolve("Smallville", "Kansas", "US") == first
    city = db.session.get(City, first)
    assert (city.name, city.region, city.is_canonical) == ("Smallville", "KS", False)
    assert cities.resolve("Smallville", "NE", "US") != first  # another state, another place


def test_the_sign_form_keeps_what_was_typed_and_counts_the_canonical_city(app, client, make_petition):
    petition = make_petition()
    for email, typed in [("a@example.org", "NYC"), ("b@example.org", "new york, ny"), ("c@example.org", "Gotham")]:
        data = form_fields(petition, email=email, city=typed, csrf_token=csrf_token(client, petition.slug))
        assert client.post(f"/petitions/{petition.slug}/sign", data=data).status_code == 303

    typed = db.session.execute(db.select(Signature.city_as_typed).order_by(Signature.id)).scalars().all()
    assert typed == ["NYC", "new york, ny", "Gotham"]
    counted = {city.name: n for city, n in tallies.city_counts(petition.id)}
    assert counted == {"New York City": 2, "Gotham": 1}


def test_a_fresh_database_knows_its_cities_and_loading_again_changes_nothing(app, runner):
    known = db.session.execute(db.select(db.func.count()).where(City.geonameid.is_not(None))).scalar_one()
    assert known > 20_000
    result = runner.invoke(args=["load-cities"])
    assert result.exit_code == 0, result.output
    assert "loaded already" in result.output
    assert db.session.execute(db.select(db.func.count()).where(City.geonameid.is_not(None))).scalar_one() == known


def test_suggestions_while_typing(client):
    answer = client.get("/api/v1/cities?q=chica&country=us").json
    assert answer["cities"][0]["name"] == "Chicago"
    assert answer["cities"][0]["region"] == "IL"
    assert all(city["country"] == "US" and city["canonical"] for city in answer["cities"])
    assert len(client.get("/api/v1/cities?q=san&limit=3").json["cities"]) == 3
    assert client.get("/api/v1/cities?q=c").json == {"cities": []}

    assert client.get("/api/v1/cities").status_code == 400
    bad = client.get("/api/v1/cities?q=chi&country=USA")
    assert bad.status_code == 400
    assert bad.json["error"]["code"] == "bad_request"


def test_the_sign_form_offers_suggestions_without_needing_them(client, make_petition):
    petition = make_petition()
    page = client.get(f"/petitions/{petition.slug}").get_data(as_text=True)
    assert 'data-suggest="/api/v1/cities"' in page
    assert 'name="city" required type="text"' in page or 'name="city"' in page


# --- Mapping unmatched spellings -------------------------------------------------------------


def chitown_id() -> int:
    spelling = cities.resolve("Chitown", "IL", "US")
    db.session.commit()  # resolve() may write; a test must not hold SQLite's lock while it makes requests
    return spelling


@pytest.fixture
def chitown(make_petition, make_coalition, sign):
    """Two petitions of one coalition and one of another, all signed from "Chitown"."""
    ours = make_petition()
    second = make_petition(coalition=ours.coalition)
    theirs = make_petition(coalition=make_coalition("other-coalition", "Other Coalition"))
    for petition in (ours, second, theirs):
        sign(petition, city="Chitown", region="IL")
    sign(ours, city="Chitown", region="IL")
    sign(ours, city="Chicago", region="IL")
    for petition in (ours, second, theirs):
        tallies.fold(petition.id)
    db.session.commit()
    return ours, second, theirs


def test_mapping_a_spelling_moves_its_signatures_and_every_tally(app, chitown, sign):
    ours, second, theirs = chitown
    spelling = chitown_id()
    chicago = canonical("Chicago", "IL")

    moved = cities.map_unmatched(ours.coalition_id, spelling, chicago.id)
    db.session.commit()

    assert moved == 3
    assert {city.name: n for city, n in tallies.city_counts(ours.id)} == {"Chicago": 3}
    assert {city.name: n for city, n in tallies.city_counts(second.id)} == {"Chicago": 1}
    assert {city.name: n for city, n in tallies.city_counts(theirs.id)} == {"Chitown": 1}  # not ours to map
    for petition in chitown:
        assert tallies.snapshot(petition.id) == tallies.truth(petition.id)
        assert tallies.recount(petition.id) == []

    # The next signer who types it counts for Chicago at once; the other coalition's still do not.
    sign(ours, city="chitown", region="il")
    sign(theirs, city="Chitown", region="IL")
    db.session.commit()
    assert {city.name: n for city, n in tallies.city_counts(ours.id)} == {"Chicago": 4}
    assert {city.name: n for city, n in tallies.city_counts(theirs.id)} == {"Chitown": 2}


def test_only_an_unmatched_spelling_maps_and_only_to_a_gazetteer_city(app, chitown):
    ours = chitown[0]
    spelling = chitown_id()
    chicago = canonical("Chicago", "IL")
    with pytest.raises(cities.MappingError):
        cities.map_unmatched(ours.coalition_id, chicago.id, spelling)
    with pytest.raises(cities.MappingError):
        cities.map_unmatched(ours.coalition_id, spelling, spelling)


def test_organizers_see_unmatched_spellings_and_map_them(client, chitown, make_organizer, log_in, organizer_post):
    ours = chitown[0]
    log_in(make_organizer(coalition=ours.coalition))
    spelling = chitown_id()

    page = client.get(f"/organize/coalitions/{ours.coalition.slug}/cities").get_data(as_text=True)
    assert "Chitown" in page
    assert '<td class="number">3</td>' in page

    field = f"spelling-{spelling}-city"
    wrong = organizer_post(f"/organize/coalitions/{ours.coalition.slug}/cities/{spelling}/map", {field: "Nowhere"})
    assert wrong.status_code == 422
    assert "No city of the gazetteer" in wrong.get_data(as_text=True)
    assert 'value="Nowhere"' in wrong.get_data(as_text=True)

    done = organizer_post(
        f"/organize/coalitions/{ours.coalition.slug}/cities/{spelling}/map",
        {field: "Chicago, IL"},
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert "3 signatures of “Chitown” now count for Chicago, IL." in done.get_data(as_text=True)
    mapping = db.session.execute(db.select(CityMapping)).scalar_one()
    assert (mapping.unmatched_id, mapping.signatures_moved) == (spelling, 3)
    assert "Chitown" not in client.get(f"/organize/coalitions/{ours.coalition.slug}/cities").get_data(as_text=True)


def test_a_viewer_reads_but_cannot_map_and_another_coalition_is_not_found(
    client, chitown, make_organizer, log_in, organizer_post
):
    ours, _, theirs = chitown
    log_in(make_organizer("vic@example.org", coalition=ours.coalition, role=Role.VIEWER))
    spelling = chitown_id()
    page = client.get(f"/organize/coalitions/{ours.coalition.slug}/cities").get_data(as_text=True)
    assert "Chitown" in page
    assert "Map to a city" not in page
    refused = organizer_post(
        f"/organize/coalitions/{ours.coalition.slug}/cities/{spelling}/map", {f"spelling-{spelling}-city": "Chicago"}
    )
    assert refused.status_code == 403
    assert client.get(f"/organize/coalitions/{theirs.coalition.slug}/cities").status_code == 404


def test_the_map_city_command(runner, chitown):
    ours = chitown[0]
    spelling = chitown_id()
    chicago = canonical("Chicago", "IL")
    result = runner.invoke(args=["map-city", "--coalition", ours.coalition.slug, str(spelling), str(chicago.id)])
    assert result.exit_code == 0, result.output
    assert "Moved 3 signatures." in result.output
    wrong = runner.invoke(args=["map-city", "--coalition", ours.coalition.slug, str(chicago.id), str(spelling)])
    assert wrong.exit_code != 0
    assert "only a spelling the gazetteer lacks" in wrong.output
