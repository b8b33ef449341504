"""The last step of /addcandidate and /editcandidate: the change's source, a photo of the
election committee's notice (公告) or a link to it. Sending it files the change, which
waits for a moderator other than its proposer (handlers/list_review.py).

A photo is decoded and re-encoded without metadata, exactly as a report's photos are
(``storage.images.sanitize``), in the thread pool before the transaction. Since this
flow is not private, its step is not known before the transaction: asking for the
source marks the sender, in the ephemeral store under the day's pseudonym, as expecting
a photo for an hour, and only then does the preparer decode one."""

from __future__ import annotations

from typing import Any

from bot.core.context import Prep
from bot.core.events import PhotoMessage, UnsupportedMessage
from bot.core.i18n import N_
from bot.core.markup import Text, fmt, join, plain
from bot.core.replies import Button, Reply
from handlers import auditing
from handlers.announce import announce
from handlers.base import Ctx, message_text, new_router
from handlers.heavy import BUSY, cleaned
from handlers.list_views import change_lines, flag_lines
from handlers.policy import policy
from handlers.reports import PHOTO_REFUSALS
from handlers.sources import is_link
from handlers.staff import enterer
from storage.areas import get_area
from storage.images import ImageRejected
from storage.list_changes import Correction, NewCandidacy, listed_as, propose
from storage.models import Candidacy
from storage.notices import keep_photo, photo_sha, photo_source
from storage.subscriptions import candidacy_place

router = new_router()

SOURCE = "lists.source"
#: Ephemeral key (+ the day's pseudonym of the sender): a notice photo is expected.
EXPECTING = "lists.photo:"
EXPECT_SECONDS = 3600.0
CANCEL = "lsx:cancel"

ASK_SOURCE = N_(
    "Last, the source: send a photo of the election committee's notice (公告) that shows "
    "this, or a link to it. Location and camera details are removed from the photo before "
    "it is kept, and it is shown publicly with the candidate. Sending it files the change: "
    "another moderator must approve it before anyone sees it."
)
NOT_A_SOURCE = N_(
    "That is neither a photo nor a link (https://…). Send a photo of the notice or its "
    "address, or /cancel."
)
AS_FILE = N_(
    "Please send the notice as a photo, not as a file: files keep hidden details such as "
    "where and when they were made, and who made them."
)
PHOTO_AGAIN = N_("That photo came too late to be read. Please send it again.")
FILED = N_(
    "Filed as change {number}. A moderator other than you must approve it; then it is "
    "shown with its source and today's date, and the followers of {area} are told."
)
PROPOSED = N_("A change to the candidate lists was proposed ({area}). Send /queue.")
ALREADY_LISTED = N_(
    "“{name}” is already listed in that electoral district. To correct them, send "
    "/editcandidate {number}."
)
GONE = N_("That candidacy no longer exists. Nothing was filed.")


def draft_change(data: dict[str, Any]) -> NewCandidacy | Correction | None:
    """The change a draft describes, once it is complete."""
    if data.get("mode") == "edit":
        if not isinstance(data.get("candidacy"), int) or "after" not in data:
            return None
        return Correction(data["candidacy"], str(data.get("field")), data.get("before"),
                          data["after"])  # fmt: skip
    if not (data.get("place") and data.get("name") and data.get("nomination")
            and data.get("stage")):  # fmt: skip
        return None
    return NewCandidacy.from_json({**data, "election_id": data.get("election"),
                                   "district_id": data.get("district"),
                                   "district_number": data.get("number"),
                                   "nominators": data.get("nominators")})  # fmt: skip


async def expect_photo(ctx: Ctx) -> None:
    if ctx.ephemeral is not None:
        await ctx.ephemeral.put(EXPECTING + ctx.daily_sender, b"1", EXPECT_SECONDS)


async def ask_source(ctx: Ctx, change: NewCandidacy | Correction) -> Reply:
    lines: list[Text] = [*await change_lines(ctx, change), *await flag_lines(ctx, change)]
    lines.append(plain(ctx._(ASK_SOURCE)))
    ctx.state = ctx.state.at(SOURCE)
    await expect_photo(ctx)
    return Reply.of(join(lines), [[Button(ctx._("Cancel"), CANCEL)]])


@router.before(photos=True)
async def clean_notice(prep: Prep) -> object:
    """Decode and re-encode an expected notice photo in the pool; any other photo outside
    a report is left alone, undecoded."""
    if not isinstance(prep.event, PhotoMessage):
        return None
    if await prep.ephemeral.get(EXPECTING + prep.sender_tag) is None:
        return None
    return await cleaned(prep.event.image)


@router.step(SOURCE, media=True)
async def source_sent(ctx: Ctx) -> Reply:
    actor = await enterer(ctx, "lists.source")
    if isinstance(actor, Reply):
        ctx.state = ctx.state.fresh()
        return actor
    change = draft_change(dict(ctx.state.data))
    if change is None:
        ctx.state = ctx.state.fresh()
        return Reply.of(ctx._("That draft is incomplete. Send /addcandidate to start again."))
    event = ctx.event
    cancel = [[Button(ctx._("Cancel"), CANCEL)]]
    if isinstance(event, UnsupportedMessage):
        return Reply.of(ctx._(AS_FILE), cancel)
    if isinstance(event, PhotoMessage):
        prepared = ctx.prepared
        if prepared is None:
            await expect_photo(ctx)
            return Reply.of(ctx._(PHOTO_AGAIN), cancel)
        if isinstance(prepared, ImageRejected):
            return Reply.of(ctx._(PHOTO_REFUSALS[prepared.reason]), cancel)
        if not isinstance(prepared, tuple):
            return Reply.of(ctx._(BUSY), cancel)
        media_type, clean = prepared
        source = photo_source(await keep_photo(ctx.unit.session, media_type, clean))
    else:
        source = message_text(ctx)
        if not is_link(source):
            return Reply.of(ctx._(NOT_A_SOURCE), cancel)
    return await file(ctx, actor, change, source)


async def _area_name(ctx: Ctx, change: NewCandidacy | Correction) -> str | None:
    if isinstance(change, NewCandidacy):
        area = await get_area(ctx.unit.session, change.place)
        return area.name if area else None
    where = await candidacy_place(ctx.unit.session, change.candidacy_id)
    return where.area_name if where else None


async def file(ctx: Ctx, actor: str, change: NewCandidacy | Correction, source: str) -> Reply:
    """Propose the change with its source: audited, announced in the moderators' room."""
    session = ctx.unit.session
    if isinstance(change, Correction) and await session.get(Candidacy, change.candidacy_id) is None:
        ctx.state = ctx.state.fresh()
        return Reply.of(ctx._(GONE))
    if isinstance(change, NewCandidacy):
        listed = await listed_as(session, change.district_id, change.name)
        if listed is not None:
            ctx.state = ctx.state.fresh()
            return Reply.of(fmt(ctx._(ALREADY_LISTED), name=change.name, number=str(listed)))
    area = await _area_name(ctx, change) or "?"
    row = await propose(session, actor, change, source, policy(ctx).today())
    await auditing.record(ctx, actor, "propose_change", "list_change", row.id,
                          kind=row.kind, change=row.change, source=source,
                          photo=photo_sha(source) is not None)  # fmt: skip
    await announce(ctx, PROPOSED, area=area)
    if ctx.ephemeral is not None:
        await ctx.ephemeral.delete(EXPECTING + ctx.daily_sender)
    ctx.state = ctx.state.fresh()
    return Reply.of(fmt(ctx._(FILED), number=str(row.id), area=area))
