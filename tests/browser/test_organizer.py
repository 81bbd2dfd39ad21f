"""An organizer in a real browser: logs in, records that a demand was won, exports the signers."""

from __future__ import annotations

import csv
import io
import re

import pytest

from petitions import addresses, tallies
from petitions.extensions import db
from petitions.models import Coalition, Petition
from tests.browser.conftest import axe_violations
from tests.conftest import PASSWORD
from tests.test_trust_pages import failed_confirmation


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


def source_row(section, source: str):
    return section.locator("tbody tr").filter(has_text=source)


def test_an_organizer_strikes_out_a_flood_from_one_email_domain(page, live_server, campaign, sign):
    petition, organizer = campaign
    flood = addresses.ip_hash("203.0.113.9")
    for n in range(6):
        sign(petition, f"bot{n}@spam.example", ip_hash=flood)
    tallies.recount(petition.id)
    db.session.commit()
    failed_confirmation(petition, sign, "patricia@example.net")
    log_in(page, live_server, organizer)

    page.get_by_role("link", name=petition.title).click()
    page.get_by_role("link", name="Floods and held signatures").click()
    page.wait_for_url(re.compile(r"/organize/petitions/wechoose/trust$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Floods and held signatures"
    assert axe_violations(page) == []
    assert "9 confirmed signatures count toward the goal." in page.locator(".lead").inner_text()
    domains = page.get_by_role("region", name="Busiest email domains")
    flood_row = source_row(domains, "spam.example")
    assert flood_row.locator("td").all_inner_texts()[:4] == ["6", "6", "0", "0"]  # signatures, confirmed, held, struck

    flood_row.get_by_role("link", name="Strike out all… spam.example").click()
    page.wait_for_url(re.compile(r"/trust/strike\?domain=spam\.example$"))
    assert "This strikes out 6 signatures" in page.locator(".lead").inner_text()
    assert axe_violations(page) == []
    # Without a reason nothing happens, and the error says so beside the field.
    page.get_by_role("button", name="Strike out 6 signatures").click()
    assert "Give a reason." in page.locator(".field__error").inner_text()
    assert axe_violations(page) == []
    page.get_by_label("Reason").fill("Throwaway domain, all within a minute")
    page.get_by_role("button", name="Strike out 6 signatures").click()

    page.wait_for_url(re.compile(r"/organize/petitions/wechoose/trust$"))
    assert "6 signatures are struck out." in page.get_by_role("main").inner_text()
    assert "3 confirmed signatures count toward the goal." in page.locator(".lead").inner_text()
    assert source_row(domains, "spam.example").locator("td").all_inner_texts()[:4] == ["6", "0", "0", "6"]
    assert source_row(domains, "spam.example").get_by_role("link", name=re.compile("Strike out")).count() == 0
    assert axe_violations(page) == []

    # The mail that could not be delivered, from the dashboard.
    page.goto(f"{live_server.url}/organize/")
    page.get_by_role("link", name="Failed emails").click()
    page.wait_for_url(re.compile(r"/organize/coalitions/wechoose-coalition/mail$"))
    row = page.locator("tbody tr")
    assert row.count() == 1
    assert "SMTPRecipientsRefused" in row.inner_text()
    assert "patricia@example.net" not in row.inner_text()  # masked
    assert axe_violations(page) == []
    row.get_by_role("button", name=re.compile(r"^Retry")).click()
    page.wait_for_url(re.compile(r"/mail$"))
    assert "The email is back in the queue" in page.get_by_role("main").inner_text()


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
