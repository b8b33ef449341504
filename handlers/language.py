"""/language: switch between 中文 and English; the choice is kept per user."""

from __future__ import annotations

from bot.core.i18n import normalize_language
from bot.core.replies import Button, Reply
from handlers.base import Ctx, action_arg, command_args, new_router
from handlers.start import DESCRIPTIONS
from storage.subscriptions import set_language

router = new_router()

#: Each language's name in itself, so a lost user can still find their own.
NAMES = {"zh_CN": "中文", "en": "English"}
_BY_NAME = {
    "中文": "zh",
    "汉语": "zh",
    "普通话": "zh",
    "chinese": "zh",
    "english": "en",
    "英文": "en",
}


def choices(ctx: Ctx) -> Reply:
    buttons = [[Button(name, f"lang:{code}") for code, name in NAMES.items()]]
    return Reply.of(ctx._("Choose your language:"), buttons)


async def _switch(ctx: Ctx, language: str) -> Reply:
    ctx.set_language(language)
    chat = ctx.event.chat
    await set_language(ctx.unit.session, chat.platform, chat.id, ctx.language)
    return Reply.of(ctx._("I will speak English with you from now on."))


@router.command("language", "lang", description=DESCRIPTIONS["language"])
async def language_command(ctx: Ctx) -> Reply:
    args = command_args(ctx)
    if args:
        language = normalize_language(_BY_NAME.get(args.lower(), args))
        if language is None:
            return Reply.of(ctx._("I speak Chinese and English. Choose one:"), choices(ctx).buttons)
        return await _switch(ctx, language)
    return choices(ctx)


@router.action("lang")
async def language_chosen(ctx: Ctx) -> Reply:
    language = action_arg(ctx)
    if language not in NAMES:
        return choices(ctx)
    return await _switch(ctx, language)
