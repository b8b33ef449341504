"""Where a candidacy or an election was checked, as a reader is told: a photo of the
election committee's notice (shown on request), a link, or the words an import gave."""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.core.i18n import N_, Gettext
from bot.core.markup import Text, link, plain
from bot.core.replies import Button, Reply
from handlers.base import EXPIRED, Ctx, action_arg, new_router, number
from storage.models import Candidacy
from storage.notices import notice_photo, photo_sha

router = new_router()

NOTICE_PHOTO = N_("a photo of the election committee's notice")
NOTICE_MISSING = N_("a photo of the election committee's notice, not kept by this bot")
SEE_NOTICE = N_("See the notice")
NOTICE_CAPTION = N_("The election committee's notice, as a volunteer photographed it.")
#: The largest link kept as a source; a notice's address is far shorter.
MAX_LINK = 2048


def is_link(text: str) -> bool:
    """An http(s) address with a host and nothing else around it."""
    parts = urlsplit(text)
    return (
        len(text) <= MAX_LINK
        and parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not any(c.isspace() for c in text)
    )


def describe(_: Gettext, source: str, *, demo: bool = False, kept: bool = True) -> Text:
    """A source in the reader's words. ``kept``: the photo it names is in the database.
    ``demo``: the demo's own words, named in the reader's language (a photo or a link
    entered into a demo election is shown as such)."""
    if photo_sha(source):
        return plain(_(NOTICE_PHOTO) if kept else _(NOTICE_MISSING))
    if is_link(source):
        return link(source, source)
    if demo:
        return plain(_("demo data"))
    return plain(source or _("not given"))


def notice_button(ctx: Ctx, candidacy_id: int) -> Button:
    return Button(ctx._(SEE_NOTICE), f"ntc:{candidacy_id}")


@router.action("ntc")
async def show_notice(ctx: Ctx) -> Reply:
    """The notice photo a candidacy was checked against: public, as the notice is."""
    arg = action_arg(ctx)
    candidacy_id = number(arg)
    candidacy = await ctx.unit.session.get(Candidacy, candidacy_id) if candidacy_id else None
    sha = photo_sha(candidacy.source) if candidacy else None
    photo = await notice_photo(ctx.unit.session, sha) if sha else None
    if photo is None:
        return Reply.of(ctx._(EXPIRED))
    return Reply.of(ctx._(NOTICE_CAPTION), image=photo.data, image_alt=ctx._(NOTICE_PHOTO))
