"""The catalog's welcome page in a real chromium, with JavaScript on and off."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.chrome import chromium
from tests.browser.conftest import Stack

pytestmark = pytest.mark.integration

NAV = {"Home": "/", "API docs": "/docs", "Products": "/products", "Hello": "/hello"}
CARDS = {"/docs", "/openapi.json", "/products"}


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_welcome_page(stack: Stack, javascript: bool) -> None:
    with chromium(stack.screenshots, javascript=javascript) as browser:
        browser.open(f"{stack.catalog.url}/")
        heading = browser.wait_for("main h1")[0]
        assert heading.text == "Welcome to the MeatyAPIs Flask service!"
        links = {a.text: a.get_attribute("href") for a in browser.wait_for("nav ul a", len(NAV))}
        for title, path in NAV.items():
            assert links[title] == f"{stack.catalog.url}{path}"
        hrefs = {a.get_attribute("href") for a in browser.wait_for("main .card a", len(CARDS))}
        assert hrefs == {f"{stack.catalog.url}{path}" for path in CARDS}
        assert browser.driver.find_element(By.CSS_SELECTOR, "main .version").text == "0.1.0"
        assert "meatyapis-flask" in browser.driver.find_element(By.TAG_NAME, "footer").text
        # The local stylesheet applied: the page background and the cards' grid.
        body = browser.driver.find_element(By.TAG_NAME, "body")
        assert body.value_of_css_property("background-color") == "rgba(251, 248, 245, 1)"
        cards = browser.driver.find_element(By.CSS_SELECTOR, "main .cards")
        assert cards.value_of_css_property("display") == "grid"
        browser.screenshot(f"catalog-welcome-{'js' if javascript else 'nojs'}")
        browser.assert_clean()


def test_a_json_route_opened_in_the_browser_logs_no_error(stack: Stack) -> None:
    """Any page of the service gets its icon (no 404 for /favicon.ico in the console)."""
    with chromium(stack.screenshots) as browser:
        browser.open(f"{stack.catalog.url}/hello")
        assert "Hello, World!" in browser.driver.find_element(By.TAG_NAME, "body").text
        browser.open(f"{stack.identity.url}/hello")
        assert "Hello, World!" in browser.driver.find_element(By.TAG_NAME, "body").text
        browser.assert_clean()
