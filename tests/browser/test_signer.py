"""A signer in a real browser: confirms by the emailed link, reads the privacy page, withdraws."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import axe_violations
from tests.browser.test_supporter import count_on, fill_the_form

LINK = re.compile(r"http://127\.0\.0\.1:\d+/petitions/wechoose/(confirm|withdraw)/\S+")


@pytest.fixture
def demo(runner, app):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    # As shipped: confirmation by email, the mail on the console for want of a mail server.
    app.config["SIGNATURE_CONFIRMATION"] = "email"


def test_confirm_by_the_emailed_link_then_withdraw(page, live_server, demo, capsys):
    page.goto(f"{live_server.url}/petitions/wechoose")
    fill_the_form(page)
    page.get_by_role("button", name="Sign", exact=True).click()
    page.wait_for_url(re.compile(r"/thanks$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Almost done: please check your email"
    assert count_on(page, live_server) == 0

    links = {match.group(1): match.group(0) for match in LINK.finditer(capsys.readouterr().out)}
    page.goto(links["confirm"])
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you: your signature counts"
    assert axe_violations(page) == []
    assert count_on(page, live_server) == 1

    page.goto(links["withdraw"])
    assert page.get_by_role("heading", level=1).inner_text() == "Withdraw your signature?"
    assert axe_violations(page) == []
    assert count_on(page, live_server) == 1  # opening the link withdrew nothing
    page.goto(links["withdraw"])
    page.get_by_role("button", name="Withdraw my signature").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/withdrawn$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your signature has been withdrawn"
    assert count_on(page, live_server) == 0


def test_the_privacy_page_is_linked_from_the_sign_form_and_accessible(page, live_server, demo):
    page.goto(f"{live_server.url}/petitions/wechoose")
    page.get_by_role("link", name="What we keep and how to withdraw", exact=True).click()
    page.wait_for_url(re.compile(r"/privacy$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your privacy when you sign"
    assert axe_violations(page) == []
