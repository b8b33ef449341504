"""The web chat: ``from_environment(host)`` builds it when ``CANDIBOT_WEB_LISTEN`` is set
(docs/WEB.md).

Modules: ``options`` (from the settings), ``adapter`` (the server and the seam),
``app`` (routes), ``sessions`` (sealed, in the ephemeral store), ``security``
(headers, onion-only, CSRF, the cookie), ``limits`` (per session and for everyone),
``uploads`` (photos, capped), ``render`` (replies for the templates), ``language``
(Accept-Language and the switch), ``strings`` (the page's words), ``logs`` (no
client address in aiohttp's lines); ``templates/`` and ``static/``.
"""

from __future__ import annotations

from typing import Protocol

from bot.adapters.web.adapter import PLATFORM, WebAdapter
from bot.adapters.web.options import WebOptions
from bot.core.ports import Ephemeral

__all__ = ["PLATFORM", "Host", "WebAdapter", "WebOptions", "from_environment"]


class Host(Protocol):
    """What the adapter needs from the application around it (``bot.app.App``)."""

    @property
    def ephemeral(self) -> Ephemeral: ...


def from_environment(host: Host) -> WebAdapter | None:
    """The web chat as ``CANDIBOT_WEB_*`` describe it; None without ``CANDIBOT_WEB_LISTEN``."""
    from bot.config import Settings

    options = WebOptions.from_settings(Settings())
    return WebAdapter(options, host.ephemeral) if options else None
