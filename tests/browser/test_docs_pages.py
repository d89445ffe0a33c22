"""Both services' API documentation, as a person sees it: Swagger UI in a real chromium."""

from __future__ import annotations

import json
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from bench.services import PASSWORD
from tests.browser.chrome import Browser, chromium
from tests.browser.conftest import Stack

pytestmark = pytest.mark.integration

IDENTITY_OPERATIONS = {
    ("POST", "/register"),
    ("POST", "/login"),
    ("GET", "/verify"),
    ("GET", "/users/me"),
    ("GET", "/info"),
    ("GET", "/hello"),
}
CATALOG_OPERATIONS = {
    ("GET", "/products"),
    ("POST", "/products"),
    ("GET", "/products/{product_id}"),
    ("PUT", "/products/{product_id}"),
    ("DELETE", "/products/{product_id}"),
    ("POST", "/add"),
}


def operations(browser: Browser, at_least: int) -> set[tuple[str, str]]:
    """The (method, path) of every operation Swagger UI rendered."""
    blocks = browser.wait_for(".opblock-summary", at_least)
    return {
        (
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path")
            or "",
        )
        for block in blocks
    }


def operation(browser: Browser, method: str, path: str) -> WebElement:
    for block in browser.wait_for(".opblock"):
        summary = block.find_element(By.CSS_SELECTOR, ".opblock-summary")
        method_text = summary.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text
        path_element = summary.find_element(By.CSS_SELECTOR, ".opblock-summary-path")
        if method_text == method and path_element.get_attribute("data-path") == path:
            return block
    raise AssertionError(f"no operation {method} {path}")


def try_it_out(browser: Browser, method: str, path: str, body: object | None = None) -> str:
    """Expand the operation, "Try it out", optionally type a JSON body, Execute: the status."""
    block = operation(browser, method, path)
    block.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    browser.wait_for(f"#{block.get_attribute('id')} .try-out__btn")[0].click()
    if body is not None:
        textarea = browser.wait_for(f"#{block.get_attribute('id')} textarea.body-param__text")[0]
        textarea.clear()
        textarea.send_keys(json.dumps(body))
    browser.wait_for(f"#{block.get_attribute('id')} .execute")[0].click()
    row = f"#{block.get_attribute('id')} .live-responses-table tr.response"
    status = browser.wait_for(f"{row} .response-col_status")[0]
    browser.wait_until(lambda: status.text.strip()[:3].isdigit(), "no status shown")
    return status.text.strip()[:3]


def response_body(browser: Browser, method: str, path: str) -> str:
    """The body of the answer Swagger UI shows (scrolled into view for the screenshot)."""
    block = operation(browser, method, path)
    row = f"#{block.get_attribute('id')} .live-responses-table tr.response"
    body = browser.wait_for(f"{row} .response-col_description pre")[0]
    browser.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", body)
    return body.text


def swagger_ui_version(browser: Browser) -> str:
    version = browser.driver.execute_script("return window.versions.swaggerUI.version")
    assert isinstance(version, str)
    return version


def test_identity_docs_page_renders_every_operation(stack: Stack) -> None:
    with chromium(stack.screenshots) as browser:
        browser.open(f"{stack.identity.url}/docs")
        assert operations(browser, len(IDENTITY_OPERATIONS)) >= IDENTITY_OPERATIONS
        assert browser.driver.title == "meatyapis-fastapi - API documentation"
        assert swagger_ui_version(browser).startswith("5.")  # reads OpenAPI 3.1
        assert browser.driver.find_elements(By.CSS_SELECTOR, ".btn.authorize")
        assert not browser.driver.find_elements(By.CSS_SELECTOR, ".errors-wrapper")
        browser.screenshot("identity-docs")
        browser.assert_clean()


def test_catalog_docs_page_renders_every_operation(stack: Stack) -> None:
    with chromium(stack.screenshots) as browser:
        browser.open(f"{stack.catalog.url}/docs")
        assert operations(browser, len(CATALOG_OPERATIONS)) >= CATALOG_OPERATIONS
        assert swagger_ui_version(browser).startswith("5.")
        assert not browser.driver.find_elements(By.CSS_SELECTOR, ".errors-wrapper")
        assert try_it_out(browser, "GET", "/hello") == "200"
        assert "Hello, World!" in response_body(browser, "GET", "/hello")
        browser.screenshot("catalog-docs")
        browser.assert_clean()


def test_identity_register_authorize_and_try_info(stack: Stack) -> None:
    username = f"swagger-{uuid.uuid4().hex[:8]}"
    with chromium(stack.screenshots) as browser:
        browser.open(f"{stack.identity.url}/docs")
        operations(browser, len(IDENTITY_OPERATIONS))
        registration = {
            "username": username,
            "email": f"{username}@example.com",
            "password": PASSWORD,
        }
        assert try_it_out(browser, "POST", "/register", registration) == "201"

        # Before authorizing, /info refuses the call.
        assert try_it_out(browser, "GET", "/info") == "401"

        browser.wait_for(".btn.authorize")[0].click()
        browser.wait_for("#oauth_username")[0].send_keys(username)
        browser.wait_for("#oauth_password")[0].send_keys(PASSWORD)
        browser.screenshot("identity-authorize-dialog")
        browser.wait_for(".auth-btn-wrapper .btn.authorize")[0].click()
        browser.wait_for(".auth-btn-wrapper .btn-done")  # logged in: "Logout" and "Close"
        assert browser.driver.find_elements(By.CSS_SELECTOR, ".auth-container .errors") == []
        browser.wait_for(".auth-btn-wrapper .btn-done")[0].click()

        execute = operation(browser, "GET", "/info")
        execute.find_element(By.CSS_SELECTOR, ".execute").click()
        row = f"#{execute.get_attribute('id')} .live-responses-table tr.response"
        status = f"{row} .response-col_status"
        browser.wait_until(
            lambda: browser.driver.find_element(By.CSS_SELECTOR, status).text.startswith("200"),
            "GET /info did not answer 200 after Authorize",
        )
        assert json.loads(response_body(browser, "GET", "/info")) == {"info": "The answer is 42."}
        curl = browser.wait_for(f"#{execute.get_attribute('id')} .curl-command")[0].text
        assert "Authorization: Bearer " in curl
        browser.screenshot("identity-info-authorized")
        browser.assert_clean(expected_failures=[f"{stack.identity.url}/info"])
