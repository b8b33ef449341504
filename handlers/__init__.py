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
        now,
        queue,
        report_answers,
        reports,
        rights,
        setdate,
        staff,
        start,
        stats,
        status,
        topics,
        updates,
    )

    router: Router[StoreUnit] = Router()
    citizens = (
        start, language, areas, candidates, elections, now, topics, compare, rights, incidents,
        alerts, intents, forget,
    )  # fmt: skip
    reporters = (reports, report_answers, status)
    candidates_own = (updates,)
    moderators = (staff, queue, claims, setdate, stats, auditlog)
    for module in (*citizens, *reporters, *candidates_own, *moderators, common):
        router.include(module.router)
    return router
