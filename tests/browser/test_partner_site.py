"""A partner site embeds the campaign: embed.js, the widget in its frame, and a server that is down."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import LiveServer, axe_violations


@pytest.fixture
def demo(runner, sign):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    from petitions.extensions import db
    from petitions.models import Petition

    petition = db.session.execute(db.select(Petition).where(Petition.slug == "wechoose")).scalar_one()
    for city in ("Chicago", "Chicago", "Oakland"):
        sign(petition, city=city)
    return petition


@pytest.fixture
def partner():
    """Another site, on another loopback port: it serves whatever page a test gives it."""
    pages = {}

    def site(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [pages["body"].encode()]

    with LiveServer(site) as server:
        server.pages = pages
        yield server


def partner_page(page, partner, body: str) -> None:
    partner.pages["body"] = f"<!doctype html><html><head><title>Partner</title></head><body>{body}</body></html>"
    page.goto(f"{partner.url}/campaigns")


def widgets(server) -> str:
    return f"""
    <p id="before">Before</p>
    <div data-petition="wechoose"><a id="fallback-1" href="{server.url}/petitions/wechoose">Sign</a></div>
    <div data-petition="wechoose" data-theme="dark" data-lang="es" data-compact></div>
    <script src="{server.url}/embed.js" async></script>
    """


def test_two_widgets_on_one_page_size_themselves_and_credit_the_partner(page, partner, live_server, demo):
    partner_page(page, partner, widgets(live_server))

    page.wait_for_function("document.querySelectorAll('[data-groundswell=ready]').length === 2")
    frames = page.locator("iframe")
    assert frames.count() == 2
    full, compact = (frames.nth(i).bounding_box() for i in range(2))
    # Each frame is as tall as its own content: the compact one is shorter.
    assert 120 < full["height"] < 400
    assert 50 < compact["height"] < full["height"]
    assert not page.locator("#fallback-1").is_visible()

    english, spanish = page.frame_locator("iframe").nth(0), page.frame_locator("iframe").nth(1)
    assert english.locator("[data-count]").inner_text() == "3"
    assert english.locator(".cities").inner_text().startswith("Top cities:")
    assert spanish.locator(".sign").inner_text().startswith("Firmar")
    sign_link = english.locator(".sign").get_attribute("href")
    assert parse_qs(urlsplit(sign_link).query)["source"] == ["embed:127.0.0.1"]
    assert english.locator(".sign").get_attribute("target") == "_blank"


def test_only_our_widgets_may_resize_their_frames(page, partner, live_server, demo):
    partner_page(page, partner, widgets(live_server))
    page.wait_for_function("document.querySelectorAll('[data-groundswell=ready]').length === 2")
    before = page.locator("iframe").first.bounding_box()["height"]

    # A message from the partner's own origin, dressed as ours, changes nothing.
    page.evaluate("window.postMessage({type: 'groundswell:height', height: 900}, '*')")
    page.wait_for_timeout(200)

    assert page.locator("iframe").first.bounding_box()["height"] == before


def test_the_count_refreshes_every_minute_while_visible(page, partner, live_server, demo, sign):
    page.clock.install()
    partner_page(page, partner, widgets(live_server))
    page.wait_for_function("document.querySelectorAll('[data-groundswell=ready]').length === 2")
    widget = page.frame_locator("iframe").first
    assert widget.locator("[data-count]").inner_text() == "3"

    sign(demo, city="Houston")
    page.clock.run_for(61_000)

    widget.locator("[data-count]").filter(has_text=re.compile(r"^4$")).wait_for()
    assert widget.locator("[data-count-label]").inner_text() == "signatures"


def test_a_server_that_is_down_leaves_the_partner_page_whole(page, partner, live_server, demo):
    page.clock.install()
    # embed.js came from a cache; the widget itself cannot be reached.
    page.route(re.compile(r".*/petitions/wechoose/embed.*"), lambda route: route.abort())
    after = '<p id="after">After</p><script>document.title = "still running"</script>'
    partner_page(page, partner, widgets(live_server) + after)

    assert page.locator("#fallback-1").is_visible()
    assert page.locator("iframe").count() == 2
    assert all(page.locator("iframe").nth(i).bounding_box()["height"] == 0 for i in range(2))
    page.clock.run_for(16_000)

    assert page.locator("iframe").count() == 0
    assert page.locator("#fallback-1").is_visible()
    assert page.locator("#after").is_visible()
    assert page.title() == "still running"


def test_an_unknown_petition_leaves_the_fallback(page, partner, live_server, demo):
    page.clock.install()
    partner_page(
        page,
        partner,
        f'<div data-petition="no-such-campaign"><a id="fallback" href="#">Our campaign</a></div>'
        f'<script src="{live_server.url}/embed.js" async></script>',
    )
    page.wait_for_function("document.querySelector('[data-petition]').getAttribute('data-groundswell') === 'loading'")
    page.clock.run_for(16_000)

    assert page.locator("[data-petition]").get_attribute("data-groundswell") == "unavailable"
    assert page.locator("iframe").count() == 0
    assert page.locator("#fallback").is_visible()


@pytest.mark.parametrize("query", ["", "?theme=dark&lang=es", "?compact=1"])
def test_the_widget_has_no_serious_accessibility_violations(page, live_server, demo, query):
    page.goto(f"{live_server.url}/petitions/wechoose/embed{query}")
    assert axe_violations(page) == []
