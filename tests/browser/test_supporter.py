"""A supporter signs the demo petition in a real browser: mouse, keyboard, no JavaScript, phone."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def demo(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0


def count_on(page, server) -> int:
    page.goto(f"{server.url}/petitions/wechoose")
    return int(page.locator(".count__number").first.inner_text().replace(",", ""))


def fill_the_form(page, email="rosa@example.org"):
    page.get_by_label("Your name").fill("Rosa Martínez")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("City or town").fill("Chicago")
    page.get_by_label("State or region").fill("IL")


def test_sign_with_the_mouse_and_see_the_count_go_up(page, live_server):
    assert count_on(page, live_server) == 0

    fill_the_form(page)
    page.get_by_label("End zero-tolerance policies").uncheck()
    page.get_by_role("button", name="Sign", exact=True).click()

    page.wait_for_url(re.compile(r"/petitions/wechoose/thanks$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you for signing"
    assert page.get_by_label("Link to the campaign").input_value() == f"{live_server.url}/petitions/wechoose"
    # With JavaScript the copy button appears.
    assert page.get_by_role("button", name="Copy link").is_visible()
    assert count_on(page, live_server) == 1


def test_sign_with_the_keyboard_alone(page, live_server):
    page.goto(f"{live_server.url}/petitions/wechoose")

    # From the top of the page: the skip link first, then on to the form's first field.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "name":
            break
    assert page.evaluate("document.activeElement.id") == "name"
    page.keyboard.type("Kofi Mensah")
    page.keyboard.press("Tab")
    page.keyboard.type("kofi@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("Detroit")
    # On through the rest of the form; Space unticks a demand, Enter on the button signs.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "demands-1":
            page.keyboard.press("Space")
        if page.evaluate("document.activeElement.textContent.trim()") == "Sign":
            break
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/thanks$"))
    assert count_on(page, live_server) == 1


def test_an_error_stands_beside_its_field_and_is_fixed_without_retyping(page, live_server):
    page.goto(f"{live_server.url}/petitions/wechoose")
    fill_the_form(page, email="rosa@@example")
    page.get_by_label("Why are you signing? (optional)").fill("For my daughter's school.")
    page.get_by_role("button", name="Sign", exact=True).click()

    email = page.get_by_label("Email address")
    assert email.get_attribute("aria-invalid") == "true"
    error = page.locator("#email-error")
    assert "Enter an email address like name@example.org." in error.inner_text()
    assert "email-error" in email.get_attribute("aria-describedby")
    # The summary takes focus and links to the field.
    assert page.evaluate("document.activeElement.id") == "error-summary"
    # Everything else is still there.
    assert page.get_by_label("Your name").input_value() == "Rosa Martínez"
    assert page.get_by_label("Why are you signing? (optional)").input_value() == "For my daughter's school."

    page.locator("#error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "email"
    email.fill("rosa@example.org")
    page.get_by_role("button", name="Sign", exact=True).click()

    page.wait_for_url(re.compile(r"/thanks$"))
    assert count_on(page, live_server) == 1


def test_the_city_field_suggests_cities_as_one_types(page, live_server):
    page.goto(f"{live_server.url}/petitions/wechoose")
    city = page.get_by_label("City or town")
    city.press_sequentially("Chica")

    # The script tied a list of suggestions to the field, and filled it from the API.
    suggestions = page.locator(f"datalist#{city.get_attribute('list')} option")
    suggestions.and_(page.locator("[value*=Chicago]")).first.wait_for(state="attached")
    assert any("Chicago" in option for option in suggestions.evaluate_all("options => options.map(o => o.value)"))


def test_everything_works_without_javascript(make_page, live_server):
    page = make_page(java_script_enabled=False)
    page.goto(f"{live_server.url}/petitions/wechoose")
    # The city field is a plain text field: no suggestions list.
    city = page.get_by_label("City or town")
    assert city.get_attribute("type") == "text"
    assert city.get_attribute("list") is None
    assert page.locator("datalist").count() == 0
    fill_the_form(page, email="")
    page.get_by_role("button", name="Sign", exact=True).click()
    assert "Enter your email address." in page.locator("#email-error").inner_text()

    page.get_by_label("Email address").fill("nojs@example.org")
    page.get_by_role("button", name="Sign", exact=True).click()

    page.wait_for_url(re.compile(r"/thanks$"))
    # Without JavaScript the link is still there to copy by hand; the button stays hidden.
    assert page.get_by_label("Link to the campaign").is_visible()
    assert not page.get_by_role("button", name="Copy link").is_visible()
    assert count_on(page, live_server) == 1


@pytest.mark.parametrize("width", [360, 640])
def test_the_sign_form_fits_a_phone_and_200_percent_zoom(make_page, live_server, width):
    # 640 CSS pixels is a 1280-pixel window at 200% zoom.
    page = make_page(viewport={"width": width, "height": 800}, is_mobile=width == 360, has_touch=width == 360)
    page.goto(f"{live_server.url}/petitions/wechoose")

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    form = page.locator("form").first.bounding_box()
    assert form["x"] >= 0
    assert form["x"] + form["width"] <= width
    fill_the_form(page, email=f"phone{width}@example.org")
    page.get_by_role("button", name="Sign", exact=True).click()
    page.wait_for_url(re.compile(r"/thanks$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_focus_is_visible_on_everything_a_keyboard_reaches(page, live_server):
    page.goto(f"{live_server.url}/petitions/wechoose")
    seen = 0
    for _ in range(60):
        page.keyboard.press("Tab")
        style = page.evaluate(
            """() => { const s = getComputedStyle(document.activeElement);
                       return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth, s.boxShadow]; }"""
        )
        tag, outline, outline_width, shadow = style
        if tag == "BODY":
            break
        seen += 1
        assert (outline != "none" and outline_width != "0px") or shadow != "none", style
    assert seen > 15


def test_spanish_reader(make_page, live_server):
    page = make_page(locale="es-ES")
    page.goto(f"{live_server.url}/petitions/wechoose")
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_label("Tu nombre").fill("María")
    page.get_by_label("Correo electrónico").fill("maria@")
    page.get_by_label("Ciudad o pueblo").fill("San Antonio")
    page.get_by_role("button", name="Firmar", exact=True).click()
    assert "Escribe un correo electrónico como nombre@ejemplo.org." in page.locator("#email-error").inner_text()
    page.get_by_label("Correo electrónico").fill("maria@example.org")
    page.get_by_role("button", name="Firmar", exact=True).click()
    page.wait_for_url(re.compile(r"/thanks$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Gracias por firmar"


@pytest.mark.parametrize(
    "path", ["/", "/petitions/wechoose", "/petitions/wechoose/thanks", "/petitions/wechoose/cities", "/petitions/nope"]
)
def test_no_serious_accessibility_violations(page, live_server, path):
    page.goto(live_server.url + path)
    assert axe_violations(page) == []


def test_no_serious_accessibility_violations_with_form_errors(page, live_server):
    page.goto(f"{live_server.url}/petitions/wechoose")
    page.get_by_role("button", name="Sign", exact=True).click()
    assert page.locator(".field__error").count() >= 3
    assert axe_violations(page) == []


def test_every_form_field_has_a_label(page, live_server):
    page.goto(f"{live_server.url}/petitions/wechoose")
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(el => !el.labels || el.labels.length === 0).map(el => el.name)"""
    )
    assert unlabeled == []
