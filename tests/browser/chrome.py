"""Debian's chromium, driven by selenium through Debian's chromedriver, headless.

Every page load is watched the way a person with the developer tools open would watch it: the
console (any error fails the test, a Content-Security-Policy violation included), every
`securitypolicyviolation` event the page fires (recorded from before the page's own scripts
run), and the network log (any request to a host other than 127.0.0.1 fails the test).
Outside hosts cannot be reached anyway: the browser resolves every name but 127.0.0.1 to
nothing, so a stray CDN link fails fast instead of waiting.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_SECONDS = 30  # upper bound for a page or an answer to appear; not a speed target
LOCAL_SCHEMES = {"data", "blob", "about", "chrome-error"}
# Runs in every document before its own scripts (DevTools, so no CSP applies to it): the page's
# CSP violation reports, kept where the test can read them.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} ${event.blockedURI}`);
});
"""


def require_browser() -> None:
    """Fail (never skip) when the browser is missing: scripts/install-system.sh installs it."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            raise RuntimeError(f"{path} not found: run `bash scripts/install-system.sh`")


@dataclass
class Browser:
    driver: webdriver.Chrome
    screenshots: Path
    requests: list[str] = field(default_factory=list)
    console: list[dict[str, object]] = field(default_factory=list)
    documents: dict[str, dict[str, str]] = field(default_factory=dict)  # url -> its headers

    def open(self, url: str) -> None:
        self.driver.get(url)

    def wait_for(self, css: str, count: int = 1) -> list[WebElement]:
        """Elements matching `css`, once at least `count` are there (bounded wait)."""
        found: list[WebElement] = []

        def enough(driver: WebDriver) -> bool:
            nonlocal found
            found = driver.find_elements("css selector", css)
            return len(found) >= count

        WebDriverWait(self.driver, WAIT_SECONDS).until(enough, f"fewer than {count} of {css!r}")
        return found

    def wait_until(self, predicate: object, message: str) -> None:
        assert callable(predicate)
        WebDriverWait(self.driver, WAIT_SECONDS).until(lambda _d: predicate(), message)

    def screenshot(self, name: str) -> Path:
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def collect(self) -> None:
        """Move the browser's console and network logs gathered so far into this object."""
        self.console += self.driver.get_log("browser")  # type: ignore[no-untyped-call]
        for entry in self.driver.get_log("performance"):  # type: ignore[no-untyped-call]
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])
            elif (
                message["method"] == "Network.responseReceived"
                and message["params"]["type"] == "Document"
            ):
                response = message["params"]["response"]
                headers = {name.lower(): value for name, value in response["headers"].items()}
                self.documents[response["url"]] = headers

    def csp_violations(self) -> list[str]:
        """The CSP violations the current document reported (directive and blocked URI)."""
        found = self.driver.execute_script("return window.__cspViolations || []")
        assert isinstance(found, list)
        return [str(item) for item in found]

    def document_headers(self, url: str) -> dict[str, str]:
        """The response headers of the page loaded from `url` (lower-case names)."""
        self.collect()
        assert url in self.documents, f"no page loaded from {url}: {sorted(self.documents)}"
        return self.documents[url]

    def outside_requests(self) -> list[str]:
        self.collect()
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).hostname != "127.0.0.1"
        ]

    def console_errors(self, expected: Iterable[str] = ()) -> list[dict[str, object]]:
        """SEVERE console entries, less those naming one of the `expected` URLs (a 401 the
        test provoked on purpose is logged by the browser as "Failed to load resource")."""
        self.collect()
        return [
            entry
            for entry in self.console
            if entry.get("level") == "SEVERE"
            and not any(url in str(entry.get("message")) for url in expected)
        ]

    def assert_clean(self, expected_failures: Iterable[str] = ()) -> None:
        """Nothing left 127.0.0.1, the page broke no rule of its CSP and the console holds no
        error (a CSP violation is one)."""
        outside = self.outside_requests()
        assert outside == [], f"requests that left 127.0.0.1: {outside}"
        assert self.csp_violations() == [], "the page broke its Content-Security-Policy"
        errors = self.console_errors(expected_failures)
        assert errors == [], f"console errors: {errors}"
        assert self.requests, "the network log recorded no request at all"


@contextmanager
def chromium(screenshots: Path, *, javascript: bool = True) -> Iterator[Browser]:
    require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container has no user namespace sandbox
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1100",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    driver = webdriver.Chrome(options=options, service=DriverService(CHROMEDRIVER))
    driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_CSP_VIOLATIONS}
    )
    try:
        yield Browser(driver, screenshots)
    finally:
        driver.quit()
