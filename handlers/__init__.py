"""Features, one module each. ``build_router`` assembles them for the core."""

from __future__ import annotations

from bot.core.router import Router
from storage.unit import StoreUnit


def build_router() -> Router[StoreUnit]:
    from handlers import (
        alerts,
        areas,
        auditlog,
        candidates,
        claims,
        common,
        compare,
        elections,
        forget,
        incidents,
        intents,
        language,
        list_edit,
        list_entry,
        list_resume,
        list_review,
        list_source,
        now,
        queue,
        report_answers,
        reports,
        rights,
        setdate,
        sources,
        staff,
        start,
        stats,
        status,
        topics,
        updates,
    )

    router: Router[StoreUnit] = Router()
    citizens = (
        start, language, areas, candidates, sources, elections, now, topics, compare, rights,
        incidents, alerts, intents, forget,
    )  # fmt: skip
    reporters = (reports, report_answers, status)
    candidates_own = (updates,)
    moderators = (staff, queue, claims, setdate, stats, auditlog)
    volunteers = (list_entry, list_edit, list_source, list_review, list_resume)
    for module in (*citizens, *reporters, *candidates_own, *moderators, *volunteers, common):
        router.include(module.router)
    return router
