"""The public pages: what a visitor sees."""

from __future__ import annotations

import re

import pytest

from petitions.extensions import db
from petitions.models import Petition, PetitionState

WECHOOSE_DEMANDS = [
    "A moratorium on school privatization",
    "10,000 sustainable community schools",
    "End zero-tolerance policies",
    "A national equity assessment",
    "Stop the attack on Black teachers",
    "End state takeovers, appointed boards and mayoral control",
    "End the over-reliance on standardized tests",
]


def test_seed_demo_is_idempotent(runner):
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])
    assert first.exit_code == second.exit_code == 0
    assert "Created petition 'wechoose' with 7 demands." in first.output
    assert "Already there" in second.output
    assert len(db.session.execute(db.select(Petition)).scalars().all()) == 1


def test_the_demo_page_shows_the_seven_demands_in_order(client, runner):
    runner.invoke(args=["seed-demo"])

    response = client.get("/petitions/wechoose")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 lang="en">#WeChoose: education justice for every child</h1>' in page
    titles = re.findall(r'<h3 class="demand__title" lang="en">(.*?)</h3>', page)
    assert titles == WECHOOSE_DEMANDS
    # Every demand has an explanation and a goal exists.
    assert page.count('<li class="demand"') == 7
    assert "Goal: 25,000 signatures" in page
    # The Markdown body is rendered.
    assert "<strong>#WeChoose</strong>" in page


def test_the_petition_page_has_the_sign_form_of_product_md(client, make_petition):
    petition = make_petition(default_country="MX")

    page = client.get(f"/petitions/{petition.slug}").get_data(as_text=True)

    for name in ("name", "email", "city", "region", "postal_code", "country", "comment", "public_name",
                 "updates_opt_in", "csrf_token"):  # fmt: skip
        assert f'name="{name}"' in page, name
    # Every demand is offered and checked by default; updates are opt-in.
    for demand in petition.demands:
        assert re.search(rf'<input checked id="demands-\d+" name="demands" type="checkbox" value="{demand.id}">', page)
    assert re.search(r'<input id="updates_opt_in" name="updates_opt_in" type="checkbox" value="y">', page)
    # The campaign's default country is preselected.
    assert '<option selected value="MX">Mexico</option>' in page
    assert f'action="/petitions/{petition.slug}/sign"' in page
    # Every field a person fills in has a label.
    for field_id in re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]* id="([^"]+)"', page):
        assert f'for="{field_id}"' in page, field_id


def test_the_count_shows_against_the_goal(client, make_petition, sign):
    petition = make_petition(goal=40)
    for _ in range(3):
        sign(petition)

    page = client.get(f"/petitions/{petition.slug}").get_data(as_text=True)

    assert '<strong class="count__number">3</strong>' in page
    assert 'max="40" value="3"' in page
    assert "Goal: 40 signatures" in page
    assert "3 supporters" in page


def test_the_home_page_lists_open_petitions_with_counts(client, make_petition, sign):
    open_one = make_petition(title="Open campaign")
    make_petition(title="A draft nobody sees", state=PetitionState.DRAFT)
    make_petition(title="Finished campaign", state=PetitionState.CLOSED)
    sign(open_one)
    sign(open_one)

    page = client.get("/").get_data(as_text=True)

    assert "Open campaign" in page
    assert f'href="/petitions/{open_one.slug}"' in page
    assert '<strong class="count__number">2</strong>' in page
    assert "A draft nobody sees" not in page
    assert "Finished campaign" not in page


def test_a_closed_petition_shows_its_final_count(client, make_petition, sign):
    petition = make_petition()
    sign(petition)
    petition.close()
    db.session.commit()

    page = client.get(f"/petitions/{petition.slug}").get_data(as_text=True)

    assert '<strong class="count__number">1</strong>' in page
    assert "This petition is closed" in page
    assert 'name="email"' not in page


def test_the_home_page_without_petitions(client, app):
    assert "No campaigns are open right now." in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/petitions/nope"])
def test_security_headers(client, app, path):
    headers = client.get(path).headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert (
        "script-src" not in headers["Content-Security-Policy"]
        or "unsafe-inline" not in headers["Content-Security-Policy"]
    )
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
