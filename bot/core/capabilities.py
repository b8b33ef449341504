"""What a platform can do, as its adapter declares it; the core hands it to handlers,
so that what a platform may not be used for is refused in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Capabilities:
    #: Buttons the user taps (True), or numbered options the user answers (False).
    inline_buttons: bool
    #: Renders bold, italics, code and links.
    rich_text: bool
    #: Can hand incoming photos to the core.
    photos: bool
    #: The longest message the platform takes; longer replies are split.
    max_text_chars: int
    #: Staff may act here: the platform's accounts last and are its own to authenticate.
    #: A web session is neither, so moderators stay on Matrix or Telegram.
    moderation: bool = True
    #: The bot can write to a chat after its turn (alerts, reminders, broadcasts).
    reaches_later: bool = True
    #: A chat service (Telegram, a Matrix homeserver) carries the conversation. False on
    #: the bot's own web page, where the network and the device are what to warn about.
    chat_service: bool = True


#: What the core assumes of a platform whose adapter it has not been told about.
EVERYTHING = Capabilities(inline_buttons=True, rich_text=True, photos=True, max_text_chars=4096)
