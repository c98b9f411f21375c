"""/docs in a real browser: Debian's Chromium, headless, driven by Playwright.

The browser may reach loopback only (every other request is aborted and recorded, and the
host resolver knows no other name). The test logs in through the dev issuer with the
authorization code grant and PKCE, as a person would in the Authorize dialog, then runs one
operation from the page; no script, style or connection may be refused by the page's
Content Security Policy.
"""

import os
import shutil
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Route, async_playwright

from .stack import Stack

CHROMIUM = os.environ.get("HDH_TEST_CHROMIUM", "/usr/bin/chromium")
LOOPBACK = {"127.0.0.1", "localhost", "[::1]"}

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None and not os.environ.get("CI"),
    reason=f"no Chromium at {CHROMIUM} (.ci/run installs Debian's chromium)",
)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        try:
            yield launched
        finally:
            await launched.close()


class Recorder:
    """What left loopback (aborted) and what the page's policy refused."""

    def __init__(self) -> None:
        self.outside: list[str] = []
        self.refused: list[str] = []

    async def route(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            await route.continue_()
        else:
            self.outside.append(route.request.url)
            await route.abort()

    def console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.refused.append(message.text)

    def watch(self, page: Page) -> None:
        page.on("console", self.console)


async def test_docs_log_in_with_code_and_pkce_then_run_an_operation(
    browser: Browser, stack: Stack
) -> None:
    context = await browser.new_context()
    recorder = Recorder()
    await context.route("**/*", recorder.route)
    context.on("page", recorder.watch)
    page = await context.new_page()
    recorder.watch(page)

    await page.goto(f"{stack.url}/docs", wait_until="networkidle")
    await page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    code_flow = dialog.locator(".auth-container").filter(has_text="authorization_code with PKCE")
    async with page.expect_popup() as popup_info:
        await code_flow.locator("button.authorize").click()
    login = await popup_info.value
    await login.wait_for_load_state()
    assert login.url.startswith(f"{stack.url}/idp/authorize?")
    assert "code_challenge_method=S256" in login.url
    await login.fill("input[name=username]", "alice")
    await login.fill("input[name=password]", "alice")
    async with login.expect_event("close"):
        await login.locator("form button, form input[type=submit]").first.click()
    await code_flow.locator("button", has_text="Logout").wait_for()
    await code_flow.get_by_text("Authorized", exact=True).wait_for()
    await code_flow.locator("button.btn-done").click()

    operation = page.locator("#operations-default-echo_get")
    await operation.locator(".opblock-summary").click()
    await operation.get_by_role("button", name="Try it out").click()
    async with page.expect_response(lambda r: "/catalog/echo" in r.url) as answer:
        await operation.get_by_role("button", name="Execute").click()
    response = await answer.value
    assert response.status == 200
    assert (await response.json())["subject"] == "alice"
    assert "authorization" in {k.lower() for k in await response.request.all_headers()}
    body = await operation.locator(".responses-wrapper .live-responses-table").inner_text()
    assert '"subject": "alice"' in body

    await context.close()
    assert recorder.outside == []
    assert recorder.refused == []
