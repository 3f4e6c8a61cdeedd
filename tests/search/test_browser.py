"""The web page in a real headless Chromium: search the reference event, open it, screenshot it."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import playwright.sync_api as playwright_api
import pytest
from support import REFERENCE_QUERY

#: The reference event: three articles, three outlets (one known only by its web host), one event.
REFERENCE_OUTLETS = 3
INSTALL_SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "browser" / "install-chromium.sh"
#: Debian's browser, never a `playwright install` download: one binary, patched by apt.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium, installed by the project's script on first use."""
    done = subprocess.run([str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        pytest.fail(f"{INSTALL_SCRIPT.name} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture()
def page(chromium_path: str, tmp_path: Path) -> Iterator["playwright_api.Page"]:
    with playwright_api.sync_playwright() as driver:
        # A fresh profile per test: no state leaks between runs.
        context = driver.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",
            executable_path=chromium_path,
            args=CHROMIUM_ARGS,
            headless=True,
            timeout=60_000,
            viewport={"width": 1200, "height": 900},
            locale="en-GB",
            timezone_id="UTC",
        )
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            yield page
            assert not errors, f"the page logged errors: {errors}"
        finally:
            context.close()


def test_search_open_event_and_screenshot(page, live_server, tmp_path: Path) -> None:
    expect = playwright_api.expect
    page.goto(live_server.url + "/")

    # Keyboard only: "/" focuses the search box, Enter submits.
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type(REFERENCE_QUERY)
    page.keyboard.press("Enter")

    cards = page.locator("article.card")
    expect(cards).to_have_count(1)
    card = cards.first
    expect(card.locator(".count")).to_have_text("3 articles")
    expect(card.locator(".snippet mark").first).to_be_visible()
    page.screenshot(path=tmp_path / "search-results.png", full_page=True)

    card.locator("h2 a").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]event="))
    expect(page.locator("#event-title")).to_be_focused()
    outlets = page.locator("section.outlet")
    expect(outlets).to_have_count(REFERENCE_OUTLETS)
    for index in range(REFERENCE_OUTLETS):
        articles = outlets.nth(index).locator("li")
        expect(articles).to_have_count(1)
        expect(articles.locator("a.title")).to_have_attribute("href", re.compile(r"^https://"))
        expect(articles.locator("time")).to_have_count(1)
    expect(page.locator(".timeline svg rect.bar")).not_to_have_count(0)
    # The event explains itself: its most central article's first sentence, its main names,
    # each outlet with how many articles it sent, its languages.
    expect(page.locator(".event-head .summary")).to_contain_text("Skarvik")
    expect(page.locator(".about ul.names li").first).to_be_visible()
    expect(page.locator(".about ul.names")).to_contain_text("Skarvik")
    expect(page.locator(".about ul.outlet-counts li")).to_have_count(REFERENCE_OUTLETS)
    expect(page.locator(".about ul.outlet-counts li .n")).to_have_text(["×1"] * REFERENCE_OUTLETS)
    expect(page.locator(".about ul.languages li")).to_have_text(["en"])
    shot = tmp_path / "event-page.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000

    # The back button returns to the same results.
    page.go_back()
    expect(page.locator("article.card")).to_have_count(1)
    expect(page.locator("#q")).to_have_value(REFERENCE_QUERY)
