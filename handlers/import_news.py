"""What an import changed, as news for the followers of the places concerned: its
elections' dates (``handlers.triggers.date_news``) and candidacies added or moved to
another stage; ``on_import`` is the hook ``candibot import`` hands the importer."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import N_, Catalogs, Gettext
from bot.core.markup import Text, fmt
from handlers.labels import STAGES, label
from handlers.triggers import Moment, News, Render, date_news, source_of, tell
from storage.elections import ElectionView, election
from storage.exchange.changes import CandidacyChange, DateChange, ImportChanges
from storage.exchange.importer import OnChanges
from storage.subscriptions import election_places

NEW_CANDIDATE = N_("new candidate in {district}: {name}, {stage}")
NEW_STAGE = N_("{name} ({district}): now {stage}, was {before}")


async def import_news(session: AsyncSession, changes: ImportChanges, today: date) -> list[News]:
    """What an import changed, for the followers of the places concerned."""
    news: list[News] = []
    views: dict[int, ElectionView | None] = {}
    for change in changes.dates:
        news += await _imported_dates(session, change, views, today)
    for candidacy in changes.candidacies:
        if candidacy.election_id not in views:
            views[candidacy.election_id] = await election(session, candidacy.election_id)
        view = views[candidacy.election_id]
        if view is None:
            continue
        places = await election_places(session, view.id, candidacy.district_id)
        news.append(News(places, view.area_name, _candidacy_line(candidacy),
                         source_of(True, view.source), f"/area {view.area_name}",
                         quiet_on=view.election_day))  # fmt: skip
    return news


async def _imported_dates(
    session: AsyncSession, change: DateChange, views: dict[int, ElectionView | None], today: date
) -> list[News]:
    view = views[change.election_id] = await election(session, change.election_id)
    if view is None or not change.fields:
        return []
    places = await election_places(session, view.id)
    fields = ("election_day", *change.fields) if change.new else change.fields
    return date_news(view, fields, places, today, by_import=True)


def _candidacy_line(change: CandidacyChange) -> Render:
    def render(_: Gettext, language: str) -> Text:
        stage = label(STAGES, change.stage, _)
        if change.before is None:
            return fmt(_(NEW_CANDIDATE), district=change.district, name=change.name, stage=stage)
        return fmt(_(NEW_STAGE), name=change.name, district=change.district, stage=stage,
                   before=label(STAGES, change.before, _))  # fmt: skip

    return render


def on_import(catalogs: Catalogs, moment: Moment) -> OnChanges:
    """The hook ``import_file(on_changes=...)`` calls inside the import's transaction."""

    async def tell_import(session: AsyncSession, changes: ImportChanges) -> int:
        news = await import_news(session, changes, moment.today)
        return await tell(session, catalogs, news, moment)

    return tell_import
