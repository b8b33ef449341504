"""The web chat in a real browser: Debian's chromium driven by Playwright (no browser is
ever downloaded), with JavaScript off as Tor Browser's "Safest" level has it, and on.

Each path: /start in the browser's language, a search, a button press, the whole report
flow with a photo upload and the receipt, /status with that receipt, the language
switch and /start in the other language, then ending the session. Every request the
page makes is recorded and must go to the bot's own origin; the security headers are
checked; each page is saved as a screenshot under the test's temporary directory. One
browser and one bot (SQLite) serve the whole module.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Request, expect

from bot.adapters.web import WebAdapter
from tests.telegram.conftest import gps_jpeg
from tests.web.conftest import IN_CHROMIUM, PHONE

pytestmark = IN_CHROMIUM
RECEIPT = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


class Visit:
    """One browser context on the bot: its requests, its screenshots, and how a form is
    sent (a navigation without JavaScript, an update in place with it)."""

    def __init__(self, page: Page, origin: str, shots: Path, javascript: bool) -> None:
        self.page, self.origin, self.shots, self.javascript = page, origin, shots, javascript
        self.requests: list[str] = []
        self.count = 0
        page.on("request", self._record)

    def _record(self, request: Request) -> None:
        self.requests.append(request.url)

    async def shot(self, name: str) -> None:
        self.count += 1
        await self.page.screenshot(path=self.shots / f"{self.count:02d}-{name}.png", full_page=True)

    async def submit(self, button: str, expected: str) -> None:
        """Send the form of ``button`` (a selector) with the keyboard, and wait for
        ``expected`` in the latest turn."""
        target = self.page.locator(button).first
        await target.focus()
        if self.javascript:
            await self.page.keyboard.press("Enter")
        else:
            async with self.page.expect_navigation():
                await self.page.keyboard.press("Enter")
        await expect(self.page.locator("section.chat")).to_contain_text(expected)

    async def say(self, text: str, expected: str) -> None:
        await self.page.locator("#message").fill(text)
        await self.submit("form.say button", expected)

    async def press(self, payload: str, expected: str) -> None:
        await self.submit(f'button[name="payload"][value="{payload}"]', expected)


async def walk(browser: Browser, bot: WebAdapter, shots: Path, *, javascript: bool,
               locale: str, first: dict[str, str], second: dict[str, str]) -> Visit:  # fmt: skip
    origin = f"http://127.0.0.1:{bot.port}"
    context = await browser.new_context(
        java_script_enabled=javascript, locale=locale, viewport=PHONE
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    visit = Visit(page, origin, shots, javascript)
    response = await page.goto(origin + "/")
    assert response is not None and response.status == 200
    headers = response.headers
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    await page.evaluate("window.stayed = 'here'") if javascript else None
    await visit.shot("welcome")
    # Usable on a phone: nothing wider than the screen.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    await visit.submit("form.start button", first["welcome"])
    await visit.shot("start")
    await visit.say("/search wang", "王")
    await visit.shot("search")
    candidate = page.locator('button[name="payload"][value^="cand:"]').first
    payload = await candidate.get_attribute("value")
    await visit.press(str(payload), first["profile"])
    await visit.shot("button")

    await visit.say("/report", first["safety"])
    await visit.press("rpt:go", first["category"])
    await visit.press("rptc:threatening_calls", first["area"])
    await visit.press("rpta:", first["when"])
    await visit.press("rptw:this_week", first["describe"])
    await visit.say("昨天晚上有人打电话威胁我的家人，要求我退出选举。", first["photos"])
    await visit.shot("photo-step")
    await page.locator("#photo").set_input_files(
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": gps_jpeg()}]
    )
    await visit.submit("form.upload button", "1")
    await visit.shot("photo-added")
    await visit.press("rptp:done", first["publish"])
    await visit.press("rptpub:no", first["check"])
    await visit.press("rpts:send", first["received"])
    keepsake = page.locator(".keepsake code")
    await expect(keepsake).to_be_visible()
    receipt = await keepsake.inner_text()
    assert RECEIPT.fullmatch(receipt), receipt
    await visit.shot("receipt")
    await visit.say(f"/status {receipt}", first["status"])
    await visit.shot("status")

    await visit.submit("form.switch button", second["switched"])
    assert await page.get_attribute("html", "lang") == second["lang"]
    await visit.say("/start", second["welcome"])
    await visit.shot("switched")
    if javascript:  # every turn updated the page in place
        assert await page.evaluate("window.stayed") == "here"

    async with page.expect_navigation():
        await page.locator("button.end").click()
    await expect(page.locator("main")).to_contain_text(second["ended"])
    await visit.shot("ended")
    assert await context.cookies() == []
    await context.close()
    return visit


ZH = {
    "lang": "zh-CN", "welcome": "欢迎使用 candibot。", "profile": "选区", "safety": "开始之前",
    "category": "发生了什么", "area": "在哪里", "when": "什么时候", "describe": "描述",
    "photos": "照片", "publish": "匿名摘要", "check": "请核对", "received": "已收到",
    "status": "状态", "switched": "中文", "ended": "会话已结束",
}  # fmt: skip
EN = {
    "lang": "en", "welcome": "Welcome to candibot.", "profile": "Electoral district",
    "safety": "Before you start", "category": "What happened", "area": "Where",
    "when": "When", "describe": "Describe", "photos": "photos", "publish": "summary",
    "check": "Please check", "received": "received", "status": "Status",
    "switched": "English", "ended": "This session is over",
}  # fmt: skip


@pytest.mark.parametrize(
    ("javascript", "locale", "first", "second"),
    [(False, "zh-CN", ZH, EN), (True, "en-US", EN, ZH)],
    ids=["javascript-off", "javascript-on"],
)
async def test_a_whole_visit_in_chromium(
    browser: Browser, bot: WebAdapter, tmp_path: Path, javascript: bool, locale: str,
    first: dict[str, str], second: dict[str, str],
) -> None:  # fmt: skip
    visit = await walk(browser, bot, tmp_path, javascript=javascript, locale=locale,
                       first=first, second=second)  # fmt: skip
    assert visit.requests, "no request was recorded"
    strangers = [url for url in visit.requests if not url.startswith(visit.origin + "/")]
    assert strangers == []
    if javascript:
        assert any(url.endswith("/static/chat.js") for url in visit.requests)
    assert len(list(tmp_path.glob("*.png"))) == visit.count >= 10
