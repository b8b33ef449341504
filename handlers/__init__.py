"""Features, one module each. ``build_router`` assembles them for the core."""

from __future__ import annotations

from bot.core.router import Router
from storage.unit import StoreUnit


def build_router() -> Router[StoreUnit]:
    from handlers import candidates, common, language, start

    router: Router[StoreUnit] = Router()
    for module in (start, language, candidates, common):
        router.include(module.router)
    return router
