"""The web chat's options, read from the settings (``CANDIBOT_WEB_*``, bot/config.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings


@dataclass(frozen=True, slots=True)
class WebOptions:
    host: str = "127.0.0.1"
    #: 0 lets the system choose (tests); ``WebAdapter.address`` then tells which.
    port: int = 8090
    #: Set: only requests for this onion name are served (onion-only).
    onion_name: str | None = None
    #: The page is reached over HTTPS: the session cookie is Secure.
    https: bool = False
    #: Seconds without a request after which a session is forgotten.
    session_seconds: float = 30 * 60
    #: Messages and presses one session may send in a minute.
    session_per_minute: int = 30
    #: Messages, presses and new sessions of everyone together in a minute.
    global_per_minute: int = 3000
    #: New sessions of everyone together in a minute (and within ``global_per_minute``).
    new_sessions_per_minute: int = 300
    #: Photos added to reports by everyone together in a minute.
    photos_per_minute: int = 10
    max_upload_bytes: int = 10 * 1024 * 1024
    #: Where ``candibot export --format open-data`` writes: served read-only at /data.
    open_data_dir: Path | None = None

    @property
    def session_minutes(self) -> int:
        return max(1, round(self.session_seconds / 60))

    @classmethod
    def from_settings(cls, settings: Settings) -> WebOptions | None:
        """None when ``CANDIBOT_WEB_LISTEN`` is unset: no web chat."""
        if not settings.web_listen:
            return None
        host, _, port = settings.web_listen.rpartition(":")
        return cls(
            host=host.strip("[]"),
            port=int(port),
            onion_name=settings.web_onion_name.strip().lower()
            if settings.web_onion_only and settings.web_onion_name
            else None,
            https=settings.web_https,
            session_seconds=settings.web_session_minutes * 60.0,
            session_per_minute=settings.web_session_per_minute,
            global_per_minute=settings.web_global_per_minute,
            new_sessions_per_minute=settings.web_new_sessions_per_minute,
            photos_per_minute=settings.web_photos_per_minute,
            max_upload_bytes=settings.web_max_upload_kib * 1024,
            open_data_dir=settings.web_open_data_dir,
        )
