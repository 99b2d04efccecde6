"""`make screenshots`: the README's pictures, taken from a real playground so they stay true as Baton changes.

Starts a playground on a free port at a fixed moment, drives a short story through the page in headless
Chromium (Debian's, through Playwright) and saves PNGs at a fixed viewport:

    python -m playground.screenshots docs/screenshots
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from handlers import ids
from playground import demo
from playground.app import create_playground
from playground.runtime import Playground

if TYPE_CHECKING:
    from playwright.sync_api import Page

# Monday 2 March 2026, 13:30 UTC: 08:30 in New York, 14:30 in Berlin, 22:30 in Tokyo.
START = datetime(2026, 3, 2, 13, 30, tzinfo=UTC)
WIDTH, HEIGHT = 1280, 760
STEP_MS = 15_000
MAYA, ALICE, BRUNO, KENJI = (p.id for p in demo.DEMO_PEOPLE)


def chromium() -> str:
    """Debian's chromium, or CHROMIUM=/path; one clear line when there is none."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("screenshots: chromium not found (apt-get install chromium, or set CHROMIUM=/path/to/it)")


def as_person(page: Page, user_id: str, conversation: str) -> None:
    """Switch the page to `user_id` and open a conversation (support, dm or home)."""
    from playwright.sync_api import expect

    page.select_option("#viewer", user_id)
    expect(page.locator("#viewer")).to_have_value(user_id)
    page.click(f'.sidebar-item[data-conv="{"dm" if conversation == "home" else conversation}"]')
    if conversation == "home":
        page.click('.pane-tab[data-conv="home"]')


def story(playground: Playground, page: Page, out: Path) -> list[Path]:
    """Delegate, accept, check-in, celebrate, the week's recognition, Home tab, the New task modal: five PNGs."""
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_MS)
    saved: list[Path] = []

    def shoot(name: str) -> None:
        path = out / name
        page.mouse.move(1, 1)  # no hover toolbar on the last message clicked
        page.screenshot(path=str(path))
        saved.append(path)

    page.goto(playground.url)
    expect(page.locator("#viewer")).to_have_value(MAYA)
    for text in (
        "/task @Alice Call Acme back about the refund by tomorrow 3pm !high",
        "/task @Bruno Update the returns macro by wed",
        "/task @Kenji Translate the FAQ into Japanese by fri",
    ):
        page.fill("#composer-text", text)
        page.press("#composer-text", "Enter")
        expect(page.locator("#composer-text")).to_have_value("")
    expect(page.locator(".msg-ephemeral", has_text="T-3")).to_be_visible()

    # 1. Alice's DM: the task arrives with Accept / Decline.
    as_person(page, ALICE, "dm")
    accept = page.locator(f'.msg .bk-button[data-action-id="{ids.ACTION_ACCEPT}"]')
    expect(accept).to_be_visible()
    shoot("1-task-arrives.png")

    # 2. She accepts; at 10:00 her time the check-in arrives.
    accept.click()
    expect(accept).to_have_count(0)
    page.click('.clock-button[data-preset="weekday10"]')
    done = page.locator(f'.msg .bk-button[data-action-id="{ids.ACTION_CHECKIN_DONE}"]')
    expect(done).to_be_visible()
    expect(page.locator("#clock-status")).to_contain_text("sent")
    shoot("2-check-in.png")

    # 3. She answers Done; #support celebrates, Maya sends kudos, and on Friday at 16:00 the week is recognised.
    done.click()
    expect(done).to_have_count(0)
    as_person(page, MAYA, "support")
    page.fill("#composer-text", "/kudos @Alice for turning the Acme refund around before lunch")
    page.press("#composer-text", "Enter")
    celebration = page.locator(".msg", has_text="finished")
    expect(celebration).to_be_visible()
    expect(page.locator(".msg", has_text="before lunch")).to_be_visible()
    celebration.hover()
    celebration.locator(".tool-react").click()
    page.click('#picker [data-reaction="tada"]')
    expect(celebration.locator(".reaction.mine")).to_be_visible()
    page.click('.clock-button[data-preset="friday16"]')
    expect(page.locator("#clock-label")).to_contain_text("Fri 6 Mar 2026, 4:00 PM")
    dismiss = page.locator(".msg-ephemeral .dismiss")
    while dismiss.count():
        count = dismiss.count()
        dismiss.first.click()
        expect(dismiss).to_have_count(count - 1)
    expect(page.locator(".msg").last).to_contain_text("Weekly recognition")
    shoot("3-team-channel.png")

    # 4. Maya's Home tab: what she delegated, and how it is going.
    as_person(page, MAYA, "home")
    expect(page.locator("#home .bk-view")).to_be_visible()
    expect(page.locator("#home")).to_contain_text("Translate the FAQ")
    shoot("4-app-home.png")

    # 5. The New task modal, filled in, with Baton's answer to a date in the past.
    as_person(page, MAYA, "support")
    page.fill("#composer-text", "/task")
    page.press("#composer-text", "Enter")
    modal = page.locator("#modal-overlay")
    expect(modal).to_be_visible()
    page.fill(f'[name="{ids.BLOCK_TITLE}/{ids.INPUT_TITLE}"]', "Write the on-call handbook")
    page.select_option(f'[name="{ids.BLOCK_ASSIGNEE}/{ids.INPUT_ASSIGNEE}"]', BRUNO)
    page.fill(f'[name="{ids.BLOCK_DUE_DATE}/{ids.INPUT_DUE_DATE}"]', "2026-03-01")
    page.click("#modal-submit")
    expect(page.locator(".bk-input-error:not([hidden])").first).to_be_visible()
    shoot("5-new-task-modal.png")
    return saved


def main(argv: Sequence[str] | None = None) -> int:
    """Take the pictures into the folder named on the command line."""
    parser = argparse.ArgumentParser(prog="python -m playground.screenshots", description=__doc__)
    parser.add_argument("folder", type=Path, help="where the PNGs go, e.g. docs/screenshots")
    args = parser.parse_args(argv)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("screenshots: Playwright is missing: pip install -e '.[test]'", file=sys.stderr)
        return 2
    path = chromium()
    args.folder.mkdir(parents=True, exist_ok=True)
    with create_playground(port=0, start_at=START) as playground, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=path, headless=True)
        try:
            context = browser.new_context(
                viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1, locale="en-US"
            )
            page = context.new_page()
            page.set_default_timeout(STEP_MS)
            saved = story(playground, page, args.folder)
        finally:
            browser.close()
    for picture in saved:
        print(picture)
    return 0


if __name__ == "__main__":
    sys.exit(main())
