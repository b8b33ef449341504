"""/rights: what the law gives voters and candidates, each point with its source.

The texts live in ``handlers/data/rights.toml`` in both languages, so they can be
corrected without touching code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bot.core.markup import bold, fmt, italic, join, plain
from bot.core.replies import Button, Reply
from handlers.base import EXPIRED, Ctx, action_arg, new_router
from handlers.start import DESCRIPTIONS

router = new_router()


@dataclass(frozen=True, slots=True)
class RightsPoint:
    id: str
    title: dict[str, str]
    text: dict[str, str]
    source: dict[str, str]


@cache
def points() -> tuple[RightsPoint, ...]:
    raw = tomllib.loads(resources.files("handlers.data").joinpath("rights.toml").read_text("utf-8"))
    return tuple(
        RightsPoint(
            id=p["id"],
            title={"zh_CN": p["title_zh"], "en": p["title_en"]},
            text={"zh_CN": p["text_zh"], "en": p["text_en"]},
            source={"zh_CN": p["source_zh"], "en": p["source_en"]},
        )
        for p in raw["point"]
    )


def _in(ctx: Ctx, texts: dict[str, str]) -> str:
    return texts.get(ctx.language) or texts["zh_CN"]


def overview(ctx: Ctx) -> Reply:
    lines = [
        bold(ctx._("Your rights in local people's congress elections")),
        plain(ctx._("Choose a topic. Each answer names the article of the law it comes from.")),
        italic(
            ctx._("Summaries of the Election Law (as amended in 2020); the law's text prevails.")
        ),
    ]
    buttons = [[Button(_in(ctx, p.title), f"rights:{p.id}")] for p in points()]
    return Reply.of(join(lines), buttons)


@router.command("rights", description=DESCRIPTIONS["rights"])
async def rights_command(ctx: Ctx) -> Reply:
    return overview(ctx)


@router.action("rights")
async def rights_button(ctx: Ctx) -> Reply:
    wanted = action_arg(ctx)
    if not wanted:
        return overview(ctx)
    point = next((p for p in points() if p.id == wanted), None)
    if point is None:
        return Reply.of(ctx._(EXPIRED))
    body = join(
        [
            bold(_in(ctx, point.title)),
            plain(_in(ctx, point.text)),
            fmt(ctx._("Source: {source}"), source=_in(ctx, point.source)),
        ]
    )
    return Reply.of(body, [[Button(ctx._("‹ All rights"), "rights:")]])
