"""Support by city in a real browser: the chart and the table, sorting and filtering by keyboard and
without JavaScript, axe-core, a phone and 200% zoom."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import axe_violations

DEMANDS = ["Fund a counselor in every school", "Restore recess", "Smaller classes"]


@pytest.fixture
def campaign(make_petition, sign):
    """Signers in six cities of two countries; Detroit backs the second demand most."""
    petition = make_petition("open-schools", demands=DEMANDS)
    first, second, third = (demand.id for demand in petition.demands)
    signers = [
        ("Chicago", "IL", "US", {first, third}, 4),
        ("Detroit", "MI", "US", {first, second}, 3),
        ("Oakland", "CA", "US", {second}, 1),
        ("Los Angeles", "CA", "US", {first}, 2),
        ("Toronto", "ON", "CA", {first, second, third}, 2),
        ("Montreal", "QC", "CA", {third}, 1),
    ]
    for city, region, country, demands, n in signers:
        for _ in range(n):
            sign(petition, city=city, region=region, country=country, demand_ids=demands)
    return petition


def cities_url(server, query: str = "") -> str:
    return f"{server.url}/petitions/open-schools/cities{query}"


def city_column(page) -> list[str]:
    return page.locator("#cities-table tbody th[scope=row]").all_inner_texts()


def tab_to(page, predicate: str, limit: int = 80) -> None:
    """Press Tab until ``predicate`` (JavaScript, about document.activeElement) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return Boolean({predicate}); }}"):
            return
    raise AssertionError(f"Tab never reached an element where {predicate}")


def choose_with_arrows(page, select, value: str) -> None:
    """Focus a closed <select> and press the down arrow until it shows ``value``."""
    select.focus()
    for _ in range(20):
        if select.input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never chose {value}: {select.input_value()}")


def test_the_page_shows_the_chart_and_the_table(page, live_server, campaign):
    page.goto(cities_url(live_server))

    assert page.get_by_role("heading", level=1).inner_text() == "Support by city"
    chart = page.get_by_role("img", name=re.compile(r"^Cities with the most signatures: Chicago 4, Detroit 3"))
    assert chart.is_visible()
    assert chart.locator("rect.chart__bar").count() == 6
    title = page.locator("figure.chart svg > title").first.text_content()
    assert title.startswith("Cities with the most signatures: Chicago 4, Detroit 3,")
    assert page.get_by_role("table", name="Confirmed signatures by city, and support for each demand").is_visible()
    assert city_column(page)[:2] == ["Chicago", "Detroit"]
    assert sorted(city_column(page)) == ["Chicago", "Detroit", "Los Angeles", "Montréal", "Oakland", "Toronto"]
    header = page.locator("#cities-table thead th", has_text="Signatures")
    assert header.get_attribute("aria-sort") == "descending"


def test_sort_and_filter_with_the_keyboard_alone(page, live_server, campaign):
    page.goto(cities_url(live_server))

    # A column header is a link: Enter on it sorts by that demand.
    tab_to(page, "el.tagName === 'A' && el.textContent.startsWith('Demand 2')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"sort=demand-\d+#cities-table$"))
    assert city_column(page)[:2] == ["Detroit", "Toronto"]
    assert page.locator("#cities-table thead th[aria-sort=descending]").inner_text().startswith("Demand 2")
    assert page.get_by_role("img", name=re.compile(r"^Cities with the most support for this demand: Detroit 3")).count()

    # The filter form: arrow keys choose a country, Enter on the button shows it.
    choose_with_arrows(page, page.get_by_label("Country"), "US")
    tab_to(page, "el.textContent.trim() === 'Show'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"country=US"))
    # Still sorted by the second demand, then by signatures.
    assert city_column(page) == ["Detroit", "Oakland", "Chicago", "Los Angeles"]
    assert page.get_by_label("Sort by").input_value() == f"demand-{campaign.demands[1].id}"

    # Now the states of the United States are offered.
    choose_with_arrows(page, page.get_by_label("State or region"), "CA")
    tab_to(page, "el.textContent.trim() === 'Show'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"region=CA"))
    assert city_column(page) == ["Oakland", "Los Angeles"]


def test_sort_and_filter_without_javascript(make_page, live_server, campaign):
    page = make_page(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page.goto(cities_url(live_server))

    page.locator("#cities-table thead a", has_text="Demand 3").click()
    page.wait_for_url(re.compile(r"sort=demand-\d+"))
    assert city_column(page)[:2] == ["Chicago", "Toronto"]

    page.get_by_label("Country").select_option("US")
    page.get_by_label("Sort by").select_option(label="All signatures")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"country=US"))
    assert city_column(page) == ["Chicago", "Detroit", "Los Angeles", "Oakland"]

    page.get_by_label("State or region").select_option("MI")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"region=MI"))
    assert city_column(page) == ["Detroit"]
    assert page.locator(".lead").inner_text() == "1 city matches."

    # Another country: the state chosen for the first one no longer applies.
    page.get_by_label("Country").select_option("CA")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"country=CA"))
    assert city_column(page) == ["Toronto", "Montréal"]
    assert page.get_by_label("State or region").input_value() == ""


def test_no_serious_accessibility_violations(page, live_server, campaign):
    page.goto(cities_url(live_server))
    assert axe_violations(page) == []
    page.goto(cities_url(live_server, f"?country=US&sort=demand-{campaign.demands[1].id}"))
    assert axe_violations(page) == []


def inside(locator, width: int) -> bool:
    box = locator.bounding_box()
    return box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("width", [360, 640])
def test_the_page_fits_a_phone_and_200_percent_zoom(make_page, live_server, campaign, width):
    # 640 CSS pixels is a 1280-pixel window at 200% zoom.
    page = make_page(viewport={"width": width, "height": 800}, is_mobile=width == 360, has_touch=width == 360)
    page.goto(cities_url(live_server))

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert inside(page.locator("figure.chart svg").first, width)
    assert inside(page.locator("form.filter-form"), width)
    # The wide table scrolls inside its own region, which a keyboard can reach and scroll.
    region = page.get_by_role("region", name="Confirmed signatures by city, and support for each demand")
    assert inside(region, width)
    if width == 360:
        assert region.evaluate("el => el.scrollWidth > el.clientWidth")
        region.focus()
        page.keyboard.press("ArrowRight")
        for _ in range(20):  # the scroll may be smooth: a second at most
            if region.evaluate("el => el.scrollLeft") > 0:
                break
            page.wait_for_timeout(50)
        assert region.evaluate("el => el.scrollLeft") > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
