"""The page's own words (the replies are the core's), as catalog message ids."""

from __future__ import annotations

from bot.core.i18n import N_, Gettext

TITLE = N_("candibot: candidates, election dates and anonymous reports")
INTRO = N_(
    "Ask about the candidates and elections of your district, learn your rights as a "
    "voter, or report harassment and irregularities without giving your name."
)
SAFETY_HEADING = N_("Before you write")
SAFETY = N_(
    "For your safety, open this page in Tor Browser at its “Safest” security level, on a "
    "device you trust and that nobody else looks through. The bot does not record who you "
    "are; it keeps this conversation only in memory and forgets it after {minutes} minutes "
    "without activity, or at once when you end the session."
)
START = N_("Start")
CONVERSATION = N_("Conversation")
YOU = N_("You")
#: The bot's name, the same in every language.
BOT = "candibot"
CHOICES = N_("Choices")
MESSAGE = N_("Your message, a command such as /search, or a name")
SEND = N_("Send")
PHOTO = N_("A photo for your report (JPEG, PNG or WebP, at most {size} MB)")
ADD_PHOTO = N_("Add the photo")
LANGUAGE = N_("Language")
KEEPSAKE = N_(
    "Write this down now, on paper or somewhere only you can see: it is shown only this "
    "once. Tap it once to select it all for copying."
)
END = N_("End this session and forget it")
END_HINT = N_(
    "The bot forgets this conversation at once, and your browser its cookie, instead of "
    "after {minutes} minutes without activity."
)
ENDED = N_(
    "This session is over and the bot has forgotten it. Close this tab; if others use this "
    "device, clear the browser's history too."
)
NEW_SESSION = N_("Start a new session")
OPEN_CHAT = N_("Open the chat")
EXPIRED = N_(
    "Your session had ended after {minutes} minutes without activity, and the bot forgot "
    "it. Nothing was sent: please write again."
)
STALE_FORM = N_("This page was out of date, so nothing was sent. Please try again.")
MOVED_ON = N_(
    "The conversation had already moved on, so that was not sent again. The latest answer is above."
)
TOO_LARGE = N_("That photo is larger than {size} MB. Please choose a smaller one.")
NOT_A_PHOTO = N_("Only photos can be added here: JPEG, PNG or WebP.")
NO_FILE = N_("Choose a photo first.")
BUSY = N_("Many people are using the bot right now. Please wait a minute and try again.")
FAILED = N_("Sorry, something went wrong on my side. Please try again.")
#: The core's words for bytes that are not UTF-8, which no browser sends in a form.
UNREADABLE = N_("I could not read that message: it is not valid UTF-8 text. Please type it again.")
ONION_ONLY = N_(
    "This chat is served only as an onion service. Open its onion address in Tor Browser; "
    "a gateway that shows onion sites on the ordinary web sees everything you write."
)
PICTURE = N_("Picture: {what}")
DATA_TITLE = N_("Open data")
DATA_INTRO = N_(
    "Files anyone may copy and reuse, dedicated to the public domain (CC0): the candidate "
    "lists with their sources, and the published incident counts and summaries, as CSV and "
    "JSON. The README says what each column means, and how the incident data is kept from "
    "identifying anyone."
)
DATA_NONE = N_("No open data is published here.")
DATA_BACK = N_("Back to the chat")
PHOTO_SENT = N_("(a photo)")


def page_words(_: Gettext, *, minutes: int, size_mb: int) -> dict[str, str]:
    """Every word of the page's frame, translated, for the templates."""
    return {
        "title": _(TITLE),
        "intro": _(INTRO),
        "safety_heading": _(SAFETY_HEADING),
        "safety": _(SAFETY).format(minutes=minutes),
        "start": _(START),
        "conversation": _(CONVERSATION),
        "you": _(YOU),
        "bot": BOT,
        "choices": _(CHOICES),
        "message": _(MESSAGE),
        "send": _(SEND),
        "photo": _(PHOTO).format(size=size_mb),
        "add_photo": _(ADD_PHOTO),
        "language": _(LANGUAGE),
        "keepsake": _(KEEPSAKE),
        "end": _(END),
        "end_hint": _(END_HINT).format(minutes=minutes),
        "ended": _(ENDED),
        "new_session": _(NEW_SESSION),
        "open_chat": _(OPEN_CHAT),
        "picture": _(PICTURE),
    }
