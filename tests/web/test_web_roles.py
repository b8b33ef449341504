"""Who may do what on the web: a candidate claims their profile in a web session;
moderation and subscriptions are refused there, by the platform's capabilities."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.adapters.web import strings
from bot.app import App
from bot.core.i18n import Catalogs
from handlers.alerts import UNREACHABLE
from handlers.staff import NOT_ON_THIS_PLATFORM
from storage import claims
from storage.models import AuditEntry, Subscription
from storage.unit import unit_factory
from tests.conftest import FIXED_NOW
from tests.web.client import WebClient
from tests.web.conftest import serving

EN = {"Accept-Language": "en"}
_ = Catalogs().gettext("en")


async def test_a_candidate_claims_their_profile_in_a_web_session(app: App) -> None:
    async with unit_factory(app.engine)() as unit:
        code, _expires = await claims.issue(unit.session, 1, "matrix:@mod:example.org",
                                            FIXED_NOW, timedelta(hours=48))  # fmt: skip
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        claimed = await client.say(f"/claim {claims.show(code)}")
        profile = await client.say("/myprofile")
        update = await client.say("/update")
    assert "now speaks for" in claimed.text
    assert "You have sent nothing yet" in profile.text
    assert update.payloads  # the kinds of update to choose from


async def test_moderator_commands_are_refused_on_the_web(app: App) -> None:
    refusal = _(NOT_ON_THIS_PLATFORM)
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        for command in ("/queue", "/verify 1", "/setdate 330106 2027-01-10", "/mods list",
                        "/stats", "/audit"):  # fmt: skip
            assert refusal in (await client.say(command)).text, command
        pressed = await client.press("q:skip:1")
    assert refusal in pressed.text
    async with app.engine.connect() as connection:
        refused = await connection.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "refused")
        )
    assert refused == 7


async def test_following_a_place_is_refused_on_the_web(app: App) -> None:
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        typed = await client.say("/subscribe 西湖区")
        pressed = await client.press("alert:330106")
    assert _(UNREACHABLE) in typed.text and _(UNREACHABLE) in pressed.text
    async with app.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(Subscription)) == 0


async def test_the_language_switch_changes_the_page_and_the_replies(app: App) -> None:
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        english = await client.get()
        switched = await client.post("/language", {"csrf": english.csrf, "language": "zh_CN"})
        replies = await client.say("/start")
    assert _(strings.SEND) in english.text and 'lang="en"' in english.html
    assert 'lang="zh-CN"' in switched.html and "发送" in switched.text
    assert "欢迎使用 candibot。" in replies.text
