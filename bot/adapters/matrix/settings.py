"""The Matrix adapter's settings, from ``CANDIBOT_MATRIX_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class MatrixSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CANDIBOT_MATRIX_", extra="ignore", populate_by_name=True
    )

    #: The homeserver's base URL, e.g. ``https://matrix.example.org``.
    homeserver: str | None = None
    #: The bot's full Matrix id, ``@name:server``.
    user: str | None = None
    #: Used to log in once; afterwards the session file in ``store`` is reused.
    password: SecretStr | None = None
    #: An access token instead of a password (its device must be ``device_id``).
    access_token: SecretStr | None = None
    #: Fixed, so that a restart reuses the device and its keys instead of adding one.
    device_id: str = "CANDIBOT"
    #: The persistent crypto store and session file (a directory, kept private).
    store: Path = Path("var/matrix")
    #: Encrypts the keys in the crypto store at rest; keep it apart from the store's
    #: backups. Set it before the first start: a store cannot be re-keyed.
    store_passphrase: SecretStr | None = None
    #: Users whose invitations to group rooms the bot accepts (comma separated).
    admins: str = ""
    #: The moderators' room (``!id:server``), which the bot joins when invited.
    #: ``CANDIBOT_MODERATION_ROOM=matrix:!id:server`` is read too.
    moderation_room: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "CANDIBOT_MATRIX_MODERATION_ROOM", "CANDIBOT_MODERATION_ROOM"
        ),
    )
    #: How long one sync waits on the homeserver for news (long polling).
    sync_timeout_ms: int = 30_000
    #: The longest wait between retries while the homeserver is unreachable.
    max_backoff_seconds: float = 30.0
    #: How long an event that cannot be decrypted yet waits for its room key.
    key_wait_seconds: float = 300.0

    @property
    def configured(self) -> bool:
        return bool(self.homeserver and self.user)

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.admins.split(",") if part.strip())

    @property
    def moderation_room_id(self) -> str | None:
        """The room id without the ``matrix:`` prefix; None if it names another platform."""
        room = (self.moderation_room or "").strip()
        if room.startswith("matrix:"):
            room = room.removeprefix("matrix:")
        return room if room.startswith("!") else None
