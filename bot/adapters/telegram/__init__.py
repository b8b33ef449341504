"""Telegram, through python-telegram-bot: ``from_environment(app)`` builds the adapter when
``CANDIBOT_TELEGRAM_TOKEN`` is set (see docs/TELEGRAM.md)."""

from __future__ import annotations

from typing import Protocol

from bot.adapters.telegram.adapter import CommandMenus, TelegramAdapter
from bot.adapters.telegram.settings import TelegramSettings
from bot.core.ports import CursorStore, RateBudget

__all__ = ["Host", "TelegramAdapter", "TelegramSettings", "from_environment"]

#: Telegram language codes of the command menus, and the catalog each is read from;
#: the menu for users of every other language is in the default language.
MENU_LANGUAGES = {"zh": "zh_CN", "en": "en"}


class Host(Protocol):
    """What the adapter needs from the application around it (``bot.app.App``)."""

    @property
    def cursors(self) -> CursorStore: ...

    def command_menu(self, language: str) -> list[tuple[str, str]]: ...

    def rate_budget(self, scope: str) -> RateBudget:
        """Where the bot whose token ``scope`` names takes its turns to send."""


def from_environment(host: Host) -> TelegramAdapter | None:
    """The adapter as ``CANDIBOT_TELEGRAM_*`` describe it; None without a token."""
    from bot.config import Settings

    settings = TelegramSettings()
    if settings.token is None:
        return None
    general = Settings()
    menus: CommandMenus = {
        None: host.command_menu(general.default_language),
        **{code: host.command_menu(language) for code, language in MENU_LANGUAGES.items()},
    }
    scope = TelegramAdapter.budget_scope(settings.token.get_secret_value())
    return TelegramAdapter(
        settings, host.cursors, menus, open_chats=moderators_chat(general.moderation_room),
        budget=host.rate_budget(scope),
    )  # fmt: skip


def moderators_chat(room: str | None) -> frozenset[int]:
    """The moderators' group (``telegram:<chat id>``), where the bot reads every message."""
    platform, _, chat = (room or "").partition(":")
    if platform == "telegram" and chat.lstrip("-").isdigit():
        return frozenset({int(chat)})
    return frozenset()
