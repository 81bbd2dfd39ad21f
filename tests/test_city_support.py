"""Support by city: the public page, the petition page's top cities and the API, read from the tallies."""

from __future__ import annotations

import re

import pytest

from petitions import rankings, seeding, tallies
from petitions.extensions import db
from tests.test_openapi import check


@pytest.fixture
def campaign(make_petition, sign):
    """Chicago leads on signatures; Detroit leads on the second demand."""
    petition = make_petition(demands=["Keep every school open", "Hire counselors", "Fund libraries"])
    first, second, third = (demand.id for demand in petition.demands)
    for n in range(4):
        sign(petition, f"chi{n}@example.org", city="Chicago", region="IL", demand_ids=[first])
    for n in range(3):
        sign(petition, f"det{n}@example.org", city="Detroit", region="MI", demand_ids=[first, second])
    sign(petition, "spr@example.org", city="Springfield", region="IL", demand_ids=[second, third])
    sign(petition, "tor@example.org", city="Toronto", country="CA", demand_ids=[third])
    sign(petition, "xss@example.org", city="<script>alert(1)</script>ville", region="IL", demand_ids=[third])
    tallies.fold(petition.id)
    sign(petition, "late@example.org", city="Springfield", region="IL", demand_ids=[third])  # not folded yet
    db.session.commit()
    return petition


def table_cities(page: str) -> list[str]:
    table = page[page.index('<table id="cities-table"') :]
    return re.findall(r'<th scope="row">([^<]+)</th>', table[: table.index("</table>")])


def test_the_cities_page_shows_a_chart_and_the_same_numbers_in_a_table(client, campaign):
    response = client.get(f"/petitions/{campaign.slug}/cities")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert table_cities(page) == ["Chicago", "Detroit", "Springfield", "&lt;Script&gt;Alert(1)&lt;/Script&gt;Ville",
                                  "Toronto"]  # fmt: skip
    assert "<script>alert" not in page
    title = re.search(r'<title id="chart-title">([^<]*)</title>', page).group(1)
    assert title.startswith("Cities with the most signatures: Chicago 4, Detroit 3, Springfield 2")
    assert page.count('class="chart__bar"') == 5
    assert '<svg role="img" aria-labelledby="chart-title"' in page
    # Chicago's row: 4 signatures, 4 for the first demand, none for the others.
    chicago = page[page.index('<th scope="row">Chicago</th>') :]
    assert re.findall(r'<td class="number">(\d+)</td>', chicago)[:4] == ["4", "4", "0", "0"]
    assert "Signatures per day" in page
    assert '<polyline points="' in page


def test_the_table_sorts_by_any_demand_and_filters_by_country_and_region(client, campaign):
    second = campaign.demands[1].id
    page = client.get(f"/petitions/{campaign.slug}/cities?sort=demand-{second}").get_data(as_text=True)
    assert table_cities(page)[:2] == ["Detroit", "Springfield"]
    assert 'aria-sort="descending"' in page

    page = client.get(f"/petitions/{campaign.slug}/cities?country=us&region=il").get_data(as_text=True)
    assert table_cities(page) == ["Chicago", "Springfield", "&lt;Script&gt;Alert(1)&lt;/Script&gt;Ville"]
    page = client.get(f"/petitions/{campaign.slug}/cities?country=CA").get_data(as_text=True)
    assert table_cities(page) == ["Toronto"]
    assert "1 city matches." in page


@pytest.mark.parametrize(
    "query", ["sort=demand-999999", "sort=%00", "country=USA", "page=-3", "page=99999999", "region=x"]
)
def test_odd_queries_fall_back_to_the_plain_page(client, campaign, query):
    response = client.get(f"/petitions/{campaign.slug}/cities?{query}")
    assert response.status_code == 200


def test_the_cities_page_of_an_unknown_or_draft_petition_is_not_found(client, make_petition):
    from petitions.models import PetitionState

    draft = make_petition(state=PetitionState.DRAFT)
    assert client.get("/petitions/nope/cities").status_code == 404
    assert client.get(f"/petitions/{draft.slug}/cities").status_code == 404


def test_many_cities_come_a_page_at_a_time(app, client, make_petition):
    petition = make_petition()
    seeding.seed_signatures(petition, 1500, seed=3)
    first = client.get(f"/petitions/{petition.slug}/cities").get_data(as_text=True)
    pages = int(re.search(r"Page 1 of (\d+)", first).group(1))
    assert pages >= 2
    second = client.get(f"/petitions/{petition.slug}/cities?page=2").get_data(as_text=True)
    assert "<td>51</td>" in second
    assert not set(table_cities(first)) & set(table_cities(second)) - {"Springfield", "Portland"}
    counts = rankings.city_page(petition.id, limit=None)
    assert sum(row.signature_count for row in counts.rows) == 1500


def test_the_petition_page_shows_its_top_five_cities_and_links_to_all(client, campaign):
    page = client.get(f"/petitions/{campaign.slug}").get_data(as_text=True)
    top = page[page.index('<ol class="top-cities">') :]
    top = top[: top.index("</ol>")]
    assert re.findall(r"<li>([^<]+)</li>", top) == [
        "Chicago, IL: 4",
        "Detroit, MI: 3",
        "Springfield, IL: 2",
        "&lt;Script&gt;Alert(1)&lt;/Script&gt;Ville, IL: 1",
        "Toronto: 1",
    ]
    assert f'href="/petitions/{campaign.slug}/cities"' in page


def test_the_cities_api_gives_every_city_with_its_demands(client, app, campaign):
    answer = client.get(f"/api/v1/petitions/{campaign.slug}/cities?limit=2")
    assert answer.status_code == 200
    body = answer.json
    assert body["total"] == 5
    assert [city["name"] for city in body["cities"]] == ["Chicago", "Detroit"]
    chicago = body["cities"][0]
    assert chicago["region"] == "IL"
    assert chicago["country"] == "US"
    assert chicago["canonical"] is True
    assert round(chicago["latitude"]) == 42
    assert chicago["signature_count"] == 4
    assert [demand["support_count"] for demand in chicago["demands"]] == [4, 0, 0]
    assert body["links"]["next"].endswith(f"/api/v1/petitions/{campaign.slug}/cities?limit=2&offset=2")
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in answer.headers

    rest = client.get(f"/api/v1/petitions/{campaign.slug}/cities?limit=2&offset=4").json
    assert [city["name"] for city in rest["cities"]] == ["Toronto"]
    assert rest["cities"][0]["latitude"] is not None
    unmatched = client.get(f"/api/v1/petitions/{campaign.slug}/cities?offset=3&limit=1").json["cities"][0]
    assert (unmatched["canonical"], unmatched["latitude"]) == (False, None)

    filtered = client.get(f"/api/v1/petitions/{campaign.slug}/cities?country=US&region=Illinois").json
    assert [city["name"] for city in filtered["cities"]][:2] == ["Chicago", "Springfield"]
    assert client.get(f"/api/v1/petitions/{campaign.slug}/cities?country=U").status_code == 400
    assert client.get(f"/api/v1/petitions/{campaign.slug}/cities?limit=0").status_code == 400
    assert client.get("/api/v1/petitions/nope/cities").status_code == 404
    assert client.get(f"/api/v1/petitions/{campaign.slug}/cities?country=US&region=I%00L").status_code == 200
    assert client.get("/api/v1/cities?q=chi%00cago&country=US").status_code == 200


def test_the_petition_json_has_its_top_cities(client, campaign):
    body = client.get(f"/api/v1/petitions/{campaign.slug}").json
    assert [(city["name"], city["signature_count"]) for city in body["top_cities"][:3]] == [
        ("Chicago", 4),
        ("Detroit", 3),
        ("Springfield", 2),
    ]


def test_the_city_answers_match_the_openapi_document(client, campaign):
    document = client.get("/api/v1/openapi.json").json
    check(document, "/petitions/{slug}/cities", client.get(f"/api/v1/petitions/{campaign.slug}/cities?limit=3"))
    check(document, "/petitions/{slug}", client.get(f"/api/v1/petitions/{campaign.slug}"))
    check(document, "/cities", client.get("/api/v1/cities?q=spring&country=US"))
    check(document, "/cities", client.get("/api/v1/cities?q=x&country=123"))


def test_reading_the_rankings_never_scans_the_signatures(app, campaign):
    """Every statement of the rankings reads the tallies, the cities and the few unfolded signatures
    through their indexes: none of them reads the signatures table whole."""
    from sqlalchemy import event

    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        rankings.city_page(campaign.id, sort=campaign.demands[0].id, country="US", region="IL")
        rankings.top_cities(campaign.id)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    for statement in statements:
        if "FROM signatures" in statement:
            assert "counted" in statement, statement  # only the partial index of unfolded signatures


def test_a_page_read_through_the_index_equals_the_same_page_of_the_whole_ranking(app, make_petition, sign):
    from petitions.models import Signature, SignatureState
    from petitions.signing import change_state

    petition = make_petition()
    seeding.seed_signatures(petition, 800, seed=5)
    # Unfolded signatures that lift small cities, and struck ones that lower big cities.
    for n in range(12):
        sign(petition, f"late{n}@example.org", city=["Smallville", "Gary", "Chicago"][n % 3], region="IN")
    struck = db.session.execute(db.select(Signature.id).where(Signature.petition_id == petition.id).limit(30)).scalars()
    change_state(petition.id, list(struck), SignatureState.STRUCK, reason="test")
    db.session.commit()

    demand_ids = [None, *(demand.id for demand in petition.demands)]
    for demand_id in demand_ids:
        for where in ([], rankings.city_filter("US", None), rankings.city_filter("US", "IN")):
            whole = tallies.ranked_cities(petition.id, demand_id=demand_id, where=where)
            for limit, offset in [(1, 0), (3, 0), (5, 2), (10, 10), (50, 0), (7, 45)]:
                page = tallies.ranked_cities(petition.id, demand_id=demand_id, where=where, limit=limit, offset=offset)
                assert page == whole[offset : offset + limit], (demand_id, where, limit, offset)
            assert tallies.cities_with_signatures(petition.id, where) == len(whole)


def test_a_region_left_over_from_another_country_is_dropped(client, campaign):
    page = client.get(f"/petitions/{campaign.slug}/cities?country=CA&region=IL").get_data(as_text=True)
    assert table_cities(page) == ["Toronto"]


def test_public_figures_are_kept_for_a_moment_per_question(app, client, campaign, sign, monkeypatch):
    from petitions import microcache

    now = [0.0]
    monkeypatch.setattr(microcache, "monotonic", lambda: now[0])
    app.config["COUNT_CACHE_SECONDS"] = 1
    second = campaign.demands[1].id
    cities_url = f"/petitions/{campaign.slug}/cities"
    api_url = f"/api/v1/petitions/{campaign.slug}/cities"

    def shown() -> dict:
        petition = client.get(f"/api/v1/petitions/{campaign.slug}").json
        return {
            "count": petition["signature_count"],
            "first city": petition["top_cities"][0]["name"],
            "page": client.get(f"/petitions/{campaign.slug}").get_data(as_text=True).count("Toronto"),
            "by total": table_cities(client.get(cities_url).get_data(as_text=True))[:2],
            "by demand": table_cities(client.get(f"{cities_url}?sort=demand-{second}").get_data(as_text=True))[:2],
            "in Canada": table_cities(client.get(f"{cities_url}?country=CA").get_data(as_text=True)),
            "second of the API": [c["name"] for c in client.get(f"{api_url}?limit=1&offset=1").json["cities"]],
        }

    before = shown()
    # Each question keeps its own answer: a page sorted by a demand is not the page by total.
    assert before == {"count": 11, "first city": "Chicago", "page": 1, "by total": ["Chicago", "Detroit"],
                      "by demand": ["Detroit", "Springfield"], "in Canada": ["Toronto"],
                      "second of the API": ["Detroit"]}  # fmt: skip
    for n in range(5):
        sign(campaign, f"tor{n}@example.org", city="Toronto", country="CA")
    now[0] = 0.9
    assert shown() == before
    now[0] = 1.0
    after = shown()
    assert (after["count"], after["first city"]) == (16, "Toronto")
    assert after["by total"] == ["Toronto", "Chicago"]
    # What the organizers see is never kept.
    assert tallies.signature_count(campaign.id) == 16


def test_a_store_of_recent_answers_stays_bounded(monkeypatch):
    from petitions import microcache

    now = [0.0]
    monkeypatch.setattr(microcache, "monotonic", lambda: now[0])
    store = microcache.RecentAnswers(seconds=10, max_keys=4)
    for n in range(4):
        store.get(f"page {n}", lambda n=n: n)
    now[0] = 20.0  # every answer so far has expired
    store.get("page 4", lambda: 4)
    assert len(store) == 1
    for n in range(5, 12):
        store.get(f"page {n}", lambda n=n: n)
    assert len(store) <= 4
    assert store.get("page 11", lambda: "read again") == 11
