"""The whole story in headless Chromium (Debian's, driven by Playwright): Maya delegates, Alice accepts, the
clock jumps to the check-in, Alice answers Done, and #support celebrates."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from handlers import ids
from playground.runtime import Playground
from tests.playground.conftest import ALICE

STEP_MS = 10_000  # each expectation waits at most this long; none sleeps


def chromium_path() -> str | None:
    """Debian's chromium (the Makefile's test target installs it); Playwright downloads no browser here."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture
def browser_page() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI: `make test` installs Debian's chromium (apt-get install chromium)")
        pytest.skip("chromium not found: `apt-get install chromium` (or `make test` as root) runs the browser test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=path, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(STEP_MS)
            yield page
        finally:
            browser.close()


def test_delegate_accept_fast_forward_answer_the_checkin_and_see_the_celebration(
    playground: Playground, browser_page: Any
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_MS)
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(playground.url)

    # Maya (the manager) delegates in #support; only she sees Baton's answer.
    expect(page.locator("#viewer")).to_have_value("U0MAYA")
    page.fill("#composer-text", "/task @Alice Call the customer back by tomorrow")
    page.press("#composer-text", "Enter")
    expect(page.locator(".msg-ephemeral").last).to_contain_text("T-1")

    # Alice opens her DM with Baton and accepts.
    page.select_option("#viewer", ALICE)
    page.click('.sidebar-item[data-conv="dm"]')
    accept = page.locator(f'.msg .bk-button[data-action-id="{ids.ACTION_ACCEPT}"]')
    expect(accept).to_be_visible()
    accept.click()
    expect(accept).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Accepted")

    # The clock jumps to 10:00 her time: the check-in arrives; she answers Done.
    page.click('.clock-button[data-preset="weekday10"]')
    done = page.locator(f'.msg .bk-button[data-action-id="{ids.ACTION_CHECKIN_DONE}"]')
    expect(done).to_be_visible()
    expect(page.locator("#clock-label")).to_contain_text("10:00 AM")
    done.click()
    expect(done).to_have_count(0)

    # Everyone in #support sees the celebration.
    page.click('.sidebar-item[data-conv="support"]')
    celebration = page.locator(".msg", has_text="finished")
    expect(celebration).to_contain_text("T-1")
    expect(celebration).to_contain_text("🎉")
    assert errors == []
