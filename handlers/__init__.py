"""Features, one module each. ``build_router`` assembles them for the core."""

from __future__ import annotations

from bot.core.router import Router
from storage.unit import StoreUnit


def build_router() -> Router[StoreUnit]:
    from handlers import areas, candidates, common, elections, language, rights, start, topics

    router: Router[StoreUnit] = Router()
    for module in (start, language, areas, candidates, elections, topics, rights, common):
        router.include(module.router)
    return router
