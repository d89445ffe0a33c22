"""The catalog's welcome page in a real chromium, with JavaScript on and off."""

from __future__ import annotations

import pytest
from meatyapis_chassis.security_headers import CONTENT_SECURITY_POLICY
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


HTML_PAGES = ("catalog /", "catalog /docs", "identity /docs")


def page_url(stack: Stack, page: str) -> str:
    service, path = page.split(" ")
    return f"{getattr(stack, service).url}{path}"


@pytest.mark.parametrize("page", HTML_PAGES)
def test_every_html_page_sends_its_policy_and_keeps_to_it(stack: Stack, page: str) -> None:
    """The page works under its own CSP (no violation reported), which refuses framing."""
    url = page_url(stack, page)
    with chromium(stack.screenshots) as browser:
        browser.open(url)
        browser.wait_for("main h1, .opblock")  # the welcome page's heading, Swagger UI's operations
        headers = browser.document_headers(url)
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
        browser.assert_clean()


@pytest.mark.parametrize("page", HTML_PAGES)
def test_the_policy_is_enforced(stack: Stack, page: str) -> None:
    """The control: what the CSP forbids (an inline script, a script of another origin, being
    framed) is refused by the browser and reported, so "no violation" above means something."""
    url = page_url(stack, page)
    with chromium(stack.screenshots) as browser:
        browser.open(url)
        browser.wait_for("body")
        browser.driver.execute_script(
            """
            const inline = document.createElement("script");
            inline.textContent = "window.__inlineRan = true";
            document.body.appendChild(inline);
            const frame = document.createElement("iframe");
            frame.src = location.href;
            document.body.appendChild(frame);
            """
        )
        browser.wait_until(
            lambda: any(v.startswith("script-src-elem") for v in browser.csp_violations()),
            "the inline script was not reported",
        )
        assert browser.driver.execute_script("return window.__inlineRan === undefined")
        framed = browser.driver.execute_script(
            "try { return frames[0].document.body.innerHTML.length } catch (e) { return -1 }"
        )
        assert framed in (-1, 0), "the page could be framed"
