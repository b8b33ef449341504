"""With JavaScript on, a turn is sent in the background while the page waits, dimmed: on
Tor a reply can take seconds, and a reader who presses again must not send it twice."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, Route, expect

from bot.adapters.web import WebAdapter
from tests.web.conftest import IN_CHROMIUM, PHONE

pytestmark = IN_CHROMIUM


async def test_a_second_press_while_the_first_is_on_its_way_sends_nothing(
    browser: Browser, bot: WebAdapter
) -> None:
    origin = f"http://127.0.0.1:{bot.port}"
    context = await browser.new_context(java_script_enabled=True, locale="en-US", viewport=PHONE)
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await page.goto(origin + "/")
    pressed_twice = asyncio.Event()
    posts: list[str] = []

    async def slow_network(route: Route) -> None:
        posts.append(route.request.url)
        await pressed_twice.wait()  # the first turn is still on its way
        await route.continue_()

    await page.route(origin + "/say", slow_network)
    await page.locator("#message").fill("/search zeng lixin")
    send = page.locator("form.say button")
    await send.click()
    await send.click()
    pressed_twice.set()
    await expect(page.locator("section.chat")).to_contain_text("曾立新")
    await page.wait_for_load_state("networkidle")
    assert len(posts) == 1
    await expect(page.locator("article.bubble.mine")).to_have_count(1)
    await context.close()
