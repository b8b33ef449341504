"""Features, one module each. ``build_router`` assembles them for the core."""

from __future__ import annotations

from bot.core.router import Router
from storage.unit import StoreUnit


def build_router() -> Router[StoreUnit]:
    from handlers import (
        areas,
        candidates,
        common,
        elections,
        language,
        reports,
        rights,
        start,
        status,
        topics,
    )

    router: Router[StoreUnit] = Router()
    features = (start, language, areas, candidates, elections, topics, rights, reports, status)
    for module in (*features, common):
        router.include(module.router)
    return router
