"""Ending a web session forgets what the core kept for it, as /forget does: the language
choice, the conversation, a draft, and a candidate's claim (no one could use it again,
since the session's ids die with its cookie); /forget itself works in a session too."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.app import App
from bot.core.ephemeral import MemoryEphemeral
from storage import claims
from storage.models import CandidateAccount, Conversation, UserPreference
from storage.unit import unit_factory
from tests.conftest import FIXED_NOW
from tests.web.client import WebClient
from tests.web.conftest import serving

EN = {"Accept-Language": "en"}


async def _rows(app: App, model: type) -> int:
    async with app.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(model)))


async def _code(app: App) -> str:
    async with unit_factory(app.engine)() as unit:
        code, _expires = await claims.issue(unit.session, 1, "matrix:@mod:example.org",
                                            FIXED_NOW, timedelta(hours=48))  # fmt: skip
    return claims.show(code)


async def test_ending_a_web_session_forgets_what_the_core_kept_for_it(app: App) -> None:
    code = await _code(app)
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        await client.post("/language", {"csrf": (await client.get()).csrf, "language": "zh_CN"})
        assert "代表" in (await client.say(f"/claim {code}")).text
        await client.say("/search")  # a flow left open
        await client.say("/report")  # and a draft
        assert await _rows(app, UserPreference) == 1 and await _rows(app, Conversation) == 1
        await client.post("/end", {"csrf": (await client.get()).csrf})
    for model in (UserPreference, Conversation, CandidateAccount):
        assert await _rows(app, model) == 0, model.__name__
    ephemeral = app.ephemeral
    assert isinstance(ephemeral, MemoryEphemeral) and ephemeral.count("draft:") == 0


async def test_forget_asks_before_giving_up_a_claim_in_a_web_session(app: App) -> None:
    code = await _code(app)
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        await client.say(f"/claim {code}")
        asked = await client.say("/forget")
        assert asked.payloads == ["forget:yes", "forget:no"]
        assert "the chat app keeps them" not in asked.text, "the web keeps no chat of its own"
        assert "Kept" in (await client.press("forget:no")).text
        assert await _rows(app, CandidateAccount) == 1
        await client.say("/forget")
        assert "no longer speaks for" in (await client.press("forget:yes")).text
    assert await _rows(app, CandidateAccount) == 0
