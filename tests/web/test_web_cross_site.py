"""Another site in the reporter's browser cannot end, replace or take over the
reporter's web session: in Debian's chromium, a page on another site (``localhost``,
while the bot is ``127.0.0.1``) posts a message, posts "end the session", or links to
the bot; the reporter's conversation must still be there afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, expect

from bot.adapters.web import WebAdapter
from tests.web.conftest import IN_CHROMIUM, PHONE

pytestmark = IN_CHROMIUM

ATTACKS = {
    # A form another site sends by itself, to a route that takes a turn and to the end.
    "say": '<form method="post" action="{bot}/say"><input name="csrf" value="x">'
    '<input name="text" value="/help"></form>',
    "end": '<form method="post" action="{bot}/end"><input name="csrf" value="x"></form>',
}
SUBMIT = "<script>document.forms[0].submit()</script>"
# A link to the bot, followed without any script (as with Tor Browser at "Safest").
LINK = '<meta http-equiv="refresh" content="0; url={bot}/">'


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def elsewhere(bot: WebAdapter) -> AsyncIterator[str]:
    """Another site: the attacker's pages on ``localhost``, a site apart from the bot's."""
    target = f"http://127.0.0.1:{bot.port}"

    async def attack(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in (*ATTACKS, "link"):
            raise web.HTTPNotFound()
        body = (LINK if name == "link" else ATTACKS[name] + SUBMIT).format(bot=target)
        page = f"<!doctype html><html><head></head><body>{body}</body></html>"
        return web.Response(text=page, content_type="text/html")

    app = web.Application()
    app.router.add_get("/{name}", attack)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://localhost:{runner.addresses[0][1]}"
    await runner.cleanup()


async def cookie(context: BrowserContext) -> str | None:
    return next((c["value"] for c in await context.cookies() if c["name"] == "candibot"), None)


@pytest.mark.parametrize("attack", ["say", "end", "link"])
async def test_another_site_cannot_end_or_replace_the_session(
    browser: Browser, bot: WebAdapter, elsewhere: str, attack: str
) -> None:
    context = await browser.new_context(java_script_enabled=True, locale="en-US", viewport=PHONE)
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await page.goto(f"http://127.0.0.1:{bot.port}/")
    await page.locator("#message").fill("/search zeng lixin")
    await page.locator("form.say button").click()
    await expect(page.locator("section.chat")).to_contain_text("曾立新")
    before = await cookie(context)

    other = await context.new_page()
    await other.goto(f"{elsewhere}/{attack}")
    await other.wait_for_load_state("networkidle")
    await other.close()

    assert await cookie(context) == before
    await page.reload()
    await expect(page.locator("section.chat")).to_contain_text("曾立新")
    await context.close()
