"""What the adapter itself says, in both of the bot's languages at once.

The adapter cannot know a user's chosen language (the core keeps it), so each
notice carries Chinese and then English, both from the catalogs.
"""

from __future__ import annotations

from bot.core.i18n import N_, Catalogs
from bot.core.markup import Text, join, plain

#: Sent before /report or /status in a room that is not end-to-end encrypted.
UNENCRYPTED = N_(
    "This chat is not end-to-end encrypted: the homeserver can read everything written "
    "here. For a report, a direct chat with encryption turned on is safer."
)
#: Sent when a message could not be decrypted in time, or its image not fetched.
UNREADABLE = N_(
    "I could not read your last message (it could not be decrypted or downloaded). "
    "Please send it again."
)


def _both(message: str) -> Text:
    catalogs = Catalogs()
    return join([plain(catalogs.gettext(language)(message)) for language in ("zh_CN", "en")])


def unencrypted() -> Text:
    return _both(UNENCRYPTED)


def unreadable() -> Text:
    return _both(UNREADABLE)
