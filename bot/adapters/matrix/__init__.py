"""Matrix, on matrix-nio with end-to-end encryption: ``from_environment(cursors)``.

Modules: ``settings`` (``CANDIBOT_MATRIX_*``), ``session`` (sign-in, device and
store), ``adapter`` (the sync loop), ``incoming`` (events in), ``render``
(replies out), ``choices`` (numbered options), ``membership`` (invites and
leaving), ``notices`` (what the adapter says itself), ``logs`` (nio's logs).
"""

from __future__ import annotations

from bot.adapters.matrix.adapter import MatrixAdapter
from bot.adapters.matrix.settings import MatrixSettings
from bot.core.ports import CursorStore

__all__ = ["MatrixAdapter", "MatrixSettings", "from_environment"]


def from_environment(cursors: CursorStore) -> MatrixAdapter | None:
    """The adapter when ``CANDIBOT_MATRIX_HOMESERVER`` and ``CANDIBOT_MATRIX_USER`` are set."""
    settings = MatrixSettings()
    return MatrixAdapter(settings, cursors) if settings.configured else None
