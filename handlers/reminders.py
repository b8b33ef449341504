"""Reminders to those who follow a place: 3 days and 1 day before each milestone of the
law (Arts. 28, 29, 32), on the eve of election day, and on the day itself a neutral
note that introduces no candidate (Art. 34). Each goes out once (``storage.reminders``);
a changed date gives new days, and so new reminders."""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import N_, Catalogs
from bot.core.markup import fmt
from bot.core.replies import Reply
from handlers.labels import long_date
from handlers.milestones import Milestone, milestones
from storage.elections import ElectionView
from storage.models import OutboxKind
from storage.outbox import queue_for_followers
from storage.reminders import claim, upcoming
from storage.subscriptions import election_places, follower_codes, following, languages

#: Days before a milestone that a reminder goes out.
BEFORE = (3, 1)
#: The earliest milestone (the voter roll, Art. 28) is 20 days before election day.
LOOKAHEAD_DAYS = 30

REMINDER = N_("Reminder for {area}: {milestone}, {date} ({article}): in {days} days.")
TOMORROW = N_("Reminder for {area}: {milestone}, tomorrow, {date} ({article}).")
EVE = N_("Tomorrow, {date}, is election day in {area}. /elections has the details.")
TODAY = N_("Today is election day in {area} (Election Law Art. 34: no candidate is "
           "introduced today).")  # fmt: skip


def _key(milestone: Milestone, days: int) -> str:
    return f"{hashlib.sha256(milestone.label.encode()).hexdigest()[:12]}:{days}"


async def queue_reminders(session: AsyncSession, catalogs: Catalogs, today: date) -> int:
    """Queue the reminders due ``today`` (Asia/Shanghai) to every follower of the place,
    each once; returns how many messages were queued."""
    queued = 0
    for election in await upcoming(session, today, LOOKAHEAD_DAYS):
        for what, day, message, values in _due(election, today):
            if not await claim(session, election.id, what, day):
                continue
            places = await election_places(session, election.id)
            where = following(await follower_codes(session, places))
            bodies = {}
            for language in await languages(session, where):
                _ = catalogs.gettext(language)
                text = fmt(
                    _(message),
                    area=election.area_name,
                    date=long_date(day, language),
                    **{name: _(value) if name != "days" else value
                       for name, value in values.items()},
                )  # fmt: skip
                bodies[language] = Reply.of(text).to_json()
            queued += await queue_for_followers(session, where, bodies, OutboxKind.alert)
    return queued


def _due(election: ElectionView, today: date) -> list[tuple[str, date, str, dict[str, str]]]:
    day = election.election_day
    if day is None or election.status == "postponed":
        return []
    due: list[tuple[str, date, str, dict[str, str]]] = []
    for milestone in milestones(election):
        if milestone.day == day:
            continue  # election day has its own eve and day notes
        ahead = (milestone.day - today).days
        if ahead in BEFORE:
            values = {"milestone": milestone.label, "article": milestone.article}
            if ahead == 1:
                due.append((_key(milestone, 1), milestone.day, TOMORROW, values))
            else:
                due.append((_key(milestone, ahead), milestone.day, REMINDER,
                            {**values, "days": str(ahead)}))  # fmt: skip
    if (day - today).days == 1:
        due.append(("eve", day, EVE, {}))
    elif day == today:
        due.append(("day", day, TODAY, {}))
    return due
