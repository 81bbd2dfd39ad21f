"""An organizer in a real browser: logs in, records that a demand was won, exports the signers."""

from __future__ import annotations

import csv
import io
import re

import pytest

from petitions.extensions import db
from petitions.models import Coalition, Petition
from tests.browser.conftest import axe_violations
from tests.conftest import PASSWORD


@pytest.fixture
def campaign(runner, make_organizer, sign):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    petition = db.session.execute(db.select(Petition).where(Petition.slug == "wechoose")).scalar_one()
    coalition = db.session.execute(db.select(Coalition).where(Coalition.slug == "wechoose-coalition")).scalar_one()
    sign(petition, "rosa@example.org", name="Rosa Martínez", city="Chicago", updates_opt_in=True)
    sign(petition, "kofi@example.org", name='=HYPERLINK("http://evil.example")', city="Detroit")
    organizer = make_organizer("olga@example.org", coalition=coalition)
    return petition, organizer


def log_in(page, server, organizer):
    page.goto(f"{server.url}/organize/login")
    assert axe_violations(page) == []
    page.get_by_label("Email address").fill(organizer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/organize/$"))


def test_an_organizer_records_a_won_demand_and_exports_the_signers(page, live_server, campaign):
    petition, organizer = campaign
    log_in(page, live_server, organizer)
    assert axe_violations(page) == []

    page.get_by_role("link", name=petition.title).click()
    page.wait_for_url(re.compile(r"/organize/petitions/wechoose$"))
    assert axe_violations(page) == []
    page.get_by_role("link", name="End zero-tolerance policies").click()
    assert axe_violations(page) == []
    page.get_by_label("Where the demand stands now").select_option(label="Won")
    page.get_by_label("What happened").fill("The board voted 5–2 to replace suspensions with restorative practices.")
    page.get_by_role("button", name="Post the update").click()
    assert page.locator(".timeline__item").first.inner_text().count("The board voted 5–2") == 1

    # The public page and the API say so too.
    page.goto(f"{live_server.url}/petitions/wechoose")
    demand = page.locator(".demand", has_text="End zero-tolerance policies")
    assert "Won" in demand.inner_text()
    assert "The board voted 5–2" in demand.inner_text()

    page.goto(f"{live_server.url}/organize/petitions/wechoose")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export all signatures (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert sorted(row["email"] for row in rows) == ["kofi@example.org", "rosa@example.org"]
    names = {row["email"]: row["name"] for row in rows}
    assert names["rosa@example.org"] == "Rosa Martínez"
    assert names["kofi@example.org"].startswith("'=")  # neutralized: a spreadsheet shows it, never runs it


@pytest.mark.parametrize(
    "path",
    [
        "/organize/petitions/wechoose/signatures",
        "/organize/petitions/wechoose/delivery",
        "/organize/petitions/wechoose/edit",
        "/organize/petitions/wechoose/import",
        "/organize/coalitions/wechoose-coalition/organizers",
        "/organize/coalitions/wechoose-coalition/exports",
        "/organize/coalitions/wechoose-coalition/petitions/new",
    ],
)
def test_organizer_pages_have_no_serious_accessibility_violations(page, live_server, campaign, path):
    log_in(page, live_server, campaign[1])
    response = page.goto(live_server.url + path)
    assert response.status == 200
    assert page.locator("h1").count() == 1
    assert axe_violations(page) == []


def test_the_organizer_area_fits_a_phone(make_page, live_server, campaign):
    page = make_page(viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True)
    log_in(page, live_server, campaign[1])
    page.goto(f"{live_server.url}/organize/petitions/wechoose/signatures")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
