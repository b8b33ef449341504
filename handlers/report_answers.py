"""A report's draft meets whatever the reporter types, as a patient person would.

At a step that wants a button, typed text is read rather than dropped: a button's
label typed out counts as pressing it; "yesterday" answers "when"; a long text is the
incident itself, typed early, and is kept as the description; anything else (a
greeting, "ok", a number off the list) gets the same question again with a hint.
A command in the middle of a report is answered and the draft kept
(``Router.paused``), with a way back to it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable

from bot.core.context import Replies, as_list
from bot.core.i18n import N_
from bot.core.markup import join, plain
from bot.core.replies import Button, Reply
from handlers.base import Ctx, message_text, new_router, pressing
from handlers.reports import (
    CATEGORY,
    CONFIRM,
    PUBLISH,
    SAFETY,
    WHEN,
    _draft,
    ask_again,
    category_chosen,
    in_report,
    publish_chosen,
    report_control,
    when_known,
)
from handlers.status import ADD

router = new_router()

#: Typed answers to "when did it happen?", by the words people use.
WHEN_WORDS: dict[str, tuple[str, ...]] = {
    "today": ("今天", "今日", "今早", "今晚", "刚才", "刚刚", "today", "this morning",
              "tonight", "just now"),
    "this_week": ("昨天", "昨晚", "前天", "这周", "本周", "这个星期", "周一", "周二", "周三",
                  "周四", "周五", "周六", "周日", "星期", "yesterday", "this week", "monday",
                  "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "this_month": ("这个月", "本月", "上周", "上个星期", "this month", "last week"),
    "earlier": ("上个月", "去年", "以前", "之前", "很久", "last month", "last year",
                "earlier", "months ago", "years ago"),
}  # fmt: skip
#: At least this many letters make a typed text the incident itself, not an answer.
DESCRIPTION_LETTERS = 12
HINT = N_("Please answer with one of the buttons below. Your draft is kept.")
KEPT_EARLY = N_(
    "I kept what you wrote as the description of what happened; you can change it before "
    "sending. First, this question:"
)
PAUSED = N_("Your report is not finished; its draft is kept for an hour.")
ADDING = N_("You were adding information to a report: send it as a message, or /cancel.")


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold().rstrip("。.!！")


def _letters(text: str) -> int:
    return sum(1 for c in text if unicodedata.category(c)[0] in "LN")


def looks_like_a_description(text: str) -> bool:
    cjk = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    return _letters(text) >= DESCRIPTION_LETTERS or cjk >= 8


def when_from_words(text: str) -> str | None:
    lowered = _normal(text)
    for when, words in WHEN_WORDS.items():
        if any(word in lowered for word in words):
            return when
    return None


PRESS: dict[str, Callable[[Ctx], Awaitable[Replies]]] = {
    "rpt": report_control,
    "rptc": category_chosen,
    "rptpub": publish_chosen,
}


async def _typed_label(ctx: Ctx, text: str) -> list[Reply] | None:
    """The step's own question, answered by typing a button's label."""
    question = await ask_again(ctx)
    wanted = _normal(text)
    for row in question.buttons:
        for button in row:
            prefix = button.payload.partition(":")[0]
            if _normal(button.label) == wanted and prefix in PRESS:
                return as_list(await PRESS[prefix](pressing(ctx, button.payload)))
    return None


async def off_the_menu(ctx: Ctx) -> list[Reply]:
    text = message_text(ctx)
    step = ctx.state.step
    pressed = await _typed_label(ctx, text)
    if pressed is not None:
        return pressed
    early = step != CONFIRM and looks_like_a_description(text)
    if early and not _draft(ctx).get("description"):
        ctx.protect(text)
        ctx.state = ctx.state.privately(str(step), description=text)
    if step == WHEN:
        when = when_from_words(text)
        if when is not None:
            return [when_known(ctx, when)]
    note = KEPT_EARLY if early else HINT
    return [Reply.of(ctx._(note)), await ask_again(ctx)]


for _step in (SAFETY, CATEGORY, WHEN, PUBLISH, CONFIRM):
    router.step(_step)(off_the_menu)


@router.paused
async def draft_kept(ctx: Ctx) -> Reply | None:
    if ctx.state.step == ADD:
        return Reply.of(ctx._(ADDING))
    if not in_report(ctx.state):
        return None
    return Reply.of(
        join([plain(ctx._(PAUSED))]),
        [
            [Button(ctx._("Go on with my report"), "rpt:resume")],
            [Button(ctx._("Cancel the report"), "rpt:cancel")],
        ],
    )
