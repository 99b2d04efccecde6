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
from tests.playground.conftest import ALICE, BRUNO, MAYA

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


def test_one_morning_message_for_three_tasks_a_reload_without_the_modal_help_statuses_and_holidays(
    playground: Playground, browser_page: Any
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_MS)
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(playground.url)
    expect(page.locator("#viewer")).to_have_value(MAYA)

    # A modal left open does not come back with a reload.
    page.fill("#composer-text", "/task")
    page.press("#composer-text", "Enter")
    expect(page.locator("#modal-overlay")).to_be_visible()
    page.reload()
    expect(page.locator(".msg-ephemeral", has_text="team channel")).to_be_visible()
    expect(page.locator("#modal-overlay")).to_be_hidden()

    # Maya delegates three tasks to Alice, who accepts them all.
    for title in ("Call the customer back", "Update the refund macro", "Answer the billing ticket"):
        page.fill("#composer-text", f"/task @Alice {title} by friday")
        page.press("#composer-text", "Enter")
        expect(page.locator("#composer-text")).to_have_value("")
    expect(page.locator(".msg-ephemeral", has_text="T-3")).to_be_visible()
    page.select_option("#viewer", ALICE)
    page.click('.sidebar-item[data-conv="dm"]')
    accept = page.locator(f'.msg .bk-button[data-action-id="{ids.ACTION_ACCEPT}"]')
    expect(accept).to_have_count(3)
    for left in (2, 1, 0):
        accept.first.click()
        expect(accept).to_have_count(left)

    # The next weekday at 10:00 brings one message listing the three, each with its own buttons.
    page.click('.clock-button[data-preset="weekday10"]')
    bundle = page.locator(".msg", has_text="3 tasks to check in on")
    expect(bundle).to_have_count(1)
    on_track = bundle.locator(f'.bk-button[data-action-id="{ids.ACTION_CHECKIN_ON_TRACK}"]')
    expect(on_track).to_have_count(3)
    for title in ("Call the customer back", "Update the refund macro", "Answer the billing ticket"):
        expect(bundle).to_contain_text(title)
    on_track.nth(1).click()
    expect(on_track).to_have_count(2)
    expect(bundle).to_contain_text("On track")

    # Typed in Baton's DM: Baton answers with a short help.
    page.fill("#composer-text", "hello, anyone there?")
    page.press("#composer-text", "Enter")
    expect(page.locator(".msg", has_text="I don't read messages typed here")).to_be_visible()

    # People…: Bruno goes on vacation; the sidebar shows it.
    page.click("#people-open")
    row = page.locator(f'.person-row[data-id="{BRUNO}"]')
    row.locator("[name=status_emoji]").select_option("palm_tree")
    row.locator("[name=status_text]").fill("Vacation")
    page.click("#people-save")
    expect(page.locator("#people-dialog")).to_be_hidden()
    expect(page.locator(f'#people-times [data-id="{BRUNO}"]')).to_contain_text("🌴 Vacation")
    expect(page.locator("#clock-status")).to_contain_text("Status sent to Baton")

    # Next holiday, with no calendar yet, says so in one line.
    page.click('.clock-button[data-preset="holiday"]')
    expect(page.locator("#clock-status")).to_contain_text("Alice has no public-holiday calendar")
    assert errors == []
