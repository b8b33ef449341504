"""Alerts to the followers of a place, on every change they asked to hear of: an election
day or milestone set or changed (by /setdate or an import), a candidacy added or moved
to another stage (by an import, or a withdrawal moderators confirm), a candidate's update
published, an incident summary published.

Each change is told once to each chat: a chat that follows a township and its county,
or several places one change concerns, gets one message. What one action changes (an
import, say) reaches a chat as one message, grouped by place, at most ``MAX_LINES``
lines a place. Every message names its source, and a deadline its article of the law.
It is written to the outbox in the caller's transaction.

Election day (Election Law Art. 34): a message that introduces a candidate (a candidacy,
an update) is not sent on its election's day; it waits in the outbox until the next
morning, 00:00 in China. News of dates and incidents goes out at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import N_, Catalogs, Gettext
from bot.core.markup import Text, bold, fmt, join, plain
from bot.core.replies import Reply
from handlers.base import Ctx
from handlers.labels import ELECTION_STATUSES, TOPICS, label, long_date
from handlers.milestones import milestones
from handlers.policy import policy
from handlers.reports import CATEGORIES
from handlers.sources import describe
from storage.areas import get_area
from storage.elections import ElectionView, election
from storage.models import OutboxKind, UpdateKind
from storage.outbox import enqueue, queue_for_followers
from storage.subscriptions import (
    CandidacyPlace,
    Subscriber,
    candidacy_place,
    election_places,
    follower_codes,
    followers,
    following,
    languages,
)

#: (gettext, language) -> a line in that language.
Render = Callable[[Gettext, str], Text]
#: Lines a place gets in one message; the rest are counted.
MAX_LINES = 8

ONE = N_("Election news for {area}: {news}.")
MANY = N_("Election news for {area}:")
MORE_LINES = N_("…and {count} more.")
SOURCE = N_("Source: {source}.")
SEE = N_("See {commands}.")
DAY = N_("election day {date} ({status})")
MILESTONE = N_("{milestone}: {date} ({article})")
NEXT = N_("next deadline: {milestone}, {date} ({article})")
BY_MODERATORS = N_("recorded by moderators from {source}")
BY_MODERATORS_BARE = N_("recorded by moderators; no source given")
BY_IMPORT = N_("imported election data from {source}")
BY_IMPORT_BARE = N_("imported election data")
BY_CANDIDATE = N_("the candidate's own verified account")
BY_CANDIDATE_CHECKED = N_("the candidate's own verified account, checked by moderators")
BY_MODERATORS_INCIDENT = N_("a report summary written and checked by moderators, names removed")
INCIDENT = N_("an incident summary was published ({category}, week of {date})")
UPDATES = {
    UpdateKind.statement: N_("{name} published a statement"),
    UpdateKind.event: N_("{name} announced a campaign event on {date}"),
    UpdateKind.link: N_("{name} shared a public link"),
    UpdateKind.withdrawal: N_("{name} withdrew from the election"),
    "platform": N_("{name} updated their platform on {topic}"),
}
#: Milestones announced with an election (column -> label msgid, article msgid).
ANNOUNCED = {
    "roll_published_on": (N_("Voter roll published"), N_("Art. 28")),
    "nominees_published_on": (N_("Nominees' list published"), N_("Art. 32")),
    "official_list_published_on": (N_("Official candidate list published"), N_("Art. 32")),
}
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class News:
    """One change, for the followers of ``places`` (and of the places above them)."""

    places: tuple[str, ...]
    #: The place named in the message's heading.
    area: str
    line: Render
    source: Render
    #: Where to read more: "/elections 西湖区".
    see: str
    #: The day of the election this introduces a candidate in: not sent that day.
    quiet_on: date | None = None


@dataclass(frozen=True, slots=True)
class Moment:
    """What decides holding candidates' news: today in China, and whether to (Art. 34)."""

    today: date
    quiet: bool = True


async def tell(
    session: AsyncSession, catalogs: Catalogs, news: Sequence[News], moment: Moment
) -> int:
    """Queue ``news`` for their followers, one message per chat (two if part of it must
    wait for election day to pass); returns how many messages."""
    held_until = datetime.combine(moment.today + timedelta(days=1), time(), CHINA)
    audiences = list(dict.fromkeys(item.places for item in news))
    if len(audiences) == 1:
        return await _tell_one_audience(session, catalogs, news, moment, held_until)
    position = {id(item): n for n, item in enumerate(news)}
    chats: dict[tuple[str, str], tuple[Subscriber, list[News]]] = {}
    for places in audiences:
        items = [item for item in news if item.places == places]
        for subscriber in await followers(session, places):
            key = (subscriber.platform, subscriber.chat_id)
            chats.setdefault(key, (subscriber, []))[1].extend(items)
    queued = 0
    for subscriber, items in chats.values():
        items.sort(key=lambda item: position[id(item)])
        for wait, batch in _by_holding(items, moment):
            text = _message(catalogs.gettext(subscriber.language), subscriber.language, batch)
            await enqueue(session, subscriber.platform, subscriber.chat_id,
                          Reply.of(text).to_json(), OutboxKind.alert,
                          not_before=held_until if wait else None)  # fmt: skip
            queued += 1
    return queued


async def _tell_one_audience(
    session: AsyncSession, catalogs: Catalogs, news: Sequence[News], moment: Moment,
    held_until: datetime,
) -> int:  # fmt: skip
    """Every follower hears the same news, so a message differs only by language: one
    ``INSERT … SELECT`` per part (now, held), however many followers."""
    where = following(await follower_codes(session, news[0].places))
    spoken = await languages(session, where)
    queued = 0
    for wait, batch in _by_holding(list(news), moment):
        bodies = {
            language: Reply.of(_message(catalogs.gettext(language), language, batch)).to_json()
            for language in spoken
        }
        queued += await queue_for_followers(session, where, bodies, OutboxKind.alert,
                                            not_before=held_until if wait else None)  # fmt: skip
    return queued


def _by_holding(items: list[News], moment: Moment) -> list[tuple[bool, list[News]]]:
    """The news to send now and the news held until election day is over (Art. 34)."""
    held = [moment.quiet and item.quiet_on == moment.today for item in items]
    parts = []
    for wait in (False, True):
        batch = [item for item, h in zip(items, held, strict=True) if h == wait]
        if batch:
            parts.append((wait, batch))
    return parts


def _message(_: Gettext, language: str, items: list[News]) -> Text:
    places: dict[str, list[News]] = {}
    for item in items:
        places.setdefault(item.area, []).append(item)
    blocks: list[Text] = []
    for area, group in places.items():
        lines = [item.line(_, language) for item in group]
        if len(lines) == 1:
            block = [fmt(_(ONE), area=bold(area), news=lines[0])]
        else:
            block = [fmt(_(MANY), area=bold(area))]
            block += [plain("• ") + line for line in lines[:MAX_LINES]]
            if len(lines) > MAX_LINES:
                block.append(fmt(_(MORE_LINES), count=str(len(lines) - MAX_LINES)))
        sources = dict.fromkeys(item.source(_, language).plain for item in group)
        block.append(fmt(_(SOURCE), source="; ".join(sources)))
        block.append(fmt(_(SEE), commands=", ".join(dict.fromkeys(i.see for i in group))))
        blocks.append(join(block))
    return join(blocks, "\n\n")


# Election dates ------------------------------------------------------------------------


def source_of(by_import: bool, source: str) -> Render:
    def render(_: Gettext, language: str) -> Text:
        named = describe(_, source)  # a notice photo in words, not its hash
        if by_import:
            return fmt(_(BY_IMPORT), source=named) if source else plain(_(BY_IMPORT_BARE))
        return fmt(_(BY_MODERATORS), source=named) if source else plain(_(BY_MODERATORS_BARE))

    return render


def date_news(
    view: ElectionView, fields: Sequence[str], places: tuple[str, ...], today: date,
    *, by_import: bool,
) -> list[News]:  # fmt: skip
    """A line for the election day (with the next deadline it brings), one for each
    announced milestone that changed."""
    source, see = source_of(by_import, view.source), f"/elections {view.area_name}"
    lines: list[Render] = []
    if "election_day" in fields or "status" in fields:
        lines.append(_day_line(view))
        upcoming = [m for m in milestones(view) if today <= m.day != view.election_day]
        if "election_day" in fields and upcoming:
            lines.append(_milestone_line(NEXT, upcoming[0].label, upcoming[0].article,
                                         upcoming[0].day))  # fmt: skip
    for column, (name, article) in ANNOUNCED.items():
        day = getattr(view, column)
        if column in fields and day is not None:
            lines.append(_milestone_line(MILESTONE, name, article, day))
    return [News(places, view.area_name, line, source, see) for line in lines]


def _day_line(view: ElectionView) -> Render:
    def render(_: Gettext, language: str) -> Text:
        day = view.election_day
        return fmt(
            _(DAY),
            date=long_date(day, language) if day else _("not announced yet"),
            status=label(ELECTION_STATUSES, view.status, _),
        )

    return render


def _milestone_line(template: str, name: str, article: str, day: date) -> Render:
    def render(_: Gettext, language: str) -> Text:
        return fmt(_(template), milestone=_(name), date=long_date(day, language),
                   article=_(article))  # fmt: skip

    return render


async def tell_dates(
    session: AsyncSession, catalogs: Catalogs, election_id: int, fields: Sequence[str],
    moment: Moment, *, by_import: bool = False,
) -> int:  # fmt: skip
    """Tell the followers of an election's place what changed in its dates."""
    view = await election(session, election_id)
    if view is None:
        return 0
    places = await election_places(session, election_id)
    news = date_news(view, fields, places, moment.today, by_import=by_import)
    return await tell(session, catalogs, news, moment)


# Candidacies and candidates' updates ---------------------------------------------------


def update_news(where: CandidacyPlace, candidacy_id: int, kind: str, *, checked: bool,
                topic: str | None = None, event_day: date | None = None) -> News:  # fmt: skip
    """A candidate's update just published: by a trusted candidate, or approved."""

    def line(_: Gettext, language: str) -> Text:
        return fmt(
            _(UPDATES.get(kind, UPDATES[UpdateKind.statement])),
            name=where.name,
            topic=label(TOPICS, topic or "", _),
            date=long_date(event_day, language) if event_day else "",
        )

    def source(_: Gettext, language: str) -> Text:
        return plain(_(BY_CANDIDATE_CHECKED if checked else BY_CANDIDATE))

    return News(where.places, where.area_name, line, source, f"/candidate {candidacy_id}",
                quiet_on=where.election_day)  # fmt: skip


# Incidents ----------------------------------------------------------------------------


def incident_news(area_code: str, area_name: str, category: str, week: date) -> News:
    def line(_: Gettext, language: str) -> Text:
        return fmt(_(INCIDENT), category=label(CATEGORIES, category, _),
                   date=long_date(week, language))  # fmt: skip

    def source(_: Gettext, language: str) -> Text:
        return plain(_(BY_MODERATORS_INCIDENT))

    return News((area_code,), area_name, line, source, f"/incidents {area_name}")


# From a handler ------------------------------------------------------------------------


def moment(ctx: Ctx) -> Moment:
    return Moment(policy(ctx).today(), policy(ctx).quiet_on_election_day)


async def dates_changed(ctx: Ctx, election_id: int, fields: Sequence[str]) -> int:
    """A moderator changed an election's dates (/setdate)."""
    return await tell_dates(ctx.unit.session, ctx.catalogs, election_id, fields, moment(ctx))


async def update_published(
    ctx: Ctx, candidacy_id: int, kind: str, *, checked: bool, topic: str | None = None,
    event_day: date | None = None,
) -> int:  # fmt: skip
    """A candidate's update became public: at once (trusted) or approved (``checked``)."""
    where = await candidacy_place(ctx.unit.session, candidacy_id)
    if where is None:
        return 0
    news = update_news(where, candidacy_id, kind, checked=checked, topic=topic,
                       event_day=event_day)  # fmt: skip
    return await tell(ctx.unit.session, ctx.catalogs, [news], moment(ctx))


async def incident_published(ctx: Ctx, area_code: str | None, category: str, week: date) -> int:
    area = await get_area(ctx.unit.session, area_code) if area_code else None
    if area is None:
        return 0
    news = incident_news(area.code, area.name, category, week)
    return await tell(ctx.unit.session, ctx.catalogs, [news], moment(ctx))


def today_in_china() -> date:
    return datetime.now(CHINA).date()
