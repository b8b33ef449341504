"""Settings from the environment (``CANDIBOT_*``) and an optional TOML file.

Secrets (the identity key, later tokens) come only from the environment or
from files outside the repository.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

log = logging.getLogger(__name__)

#: The TOML file read when it exists; ``CANDIBOT_CONFIG`` names another.
DEFAULT_CONFIG_FILE = "candibot.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CANDIBOT_", extra="ignore")

    database_url: str = "sqlite:///var/candibot.sqlite"
    #: The key behind user pseudonyms: hex or base64, at least 32 bytes.
    identity_key: SecretStr | None = None
    #: Used when ``identity_key`` is not set; created (mode 0600) if missing.
    identity_key_file: Path = Path("var/identity.key")
    default_language: str = "zh_CN"
    #: An unfinished flow is forgotten after this many hours.
    state_ttl_hours: int = 24
    #: Where several workers share drafts, counters and their secrets: a Redis URL
    #: (redis://host:6379/0) of a server that keeps nothing on disk. Unset: this
    #: process's memory, for a single worker.
    ephemeral_url: str | None = None
    #: Where several workers share the platforms' rate limits (turns to send): a Redis
    #: URL. Unset: the Redis of ``ephemeral_url`` if that is set, else this process's
    #: memory, for a single worker.
    rate_budget_url: str | None = None
    #: Events one sender may send in 10 seconds, and in a minute, before "slow down".
    rate_burst: int = 12
    rate_per_minute: int = 40
    log_level: str = "WARNING"
    #: ``text`` (one line a record, for a terminal) or ``json`` (one JSON object a line,
    #: for a log collector: time, level, logger, message; an exception's type and
    #: frames, never its text). Either way no id, pseudonym, address or message text.
    log_format: Literal["text", "json"] = "text"
    #: ``host:port`` where ``candibot run`` serves ``/healthz`` and ``/metrics``
    #: (Prometheus) to the operators' monitoring; unset, neither is served. Keep it
    #: on a loopback or private address: it is not for the public.
    metrics_listen: str | None = None
    #: Withhold platforms and updates on election day (Election Law Art. 34).
    quiet_on_election_day: bool = True

    # Moderation
    #: Where new items are announced: "telegram:<chat id>" or "matrix:<room id>".
    #: An end-to-end encrypted Matrix room is recommended: Telegram reads groups.
    moderation_room: str | None = None
    #: Different moderators who must approve before a report summary is published.
    publish_approvals: int = 2
    #: How long a candidate's one-time claim code stays valid.
    claim_code_hours: int = 48
    #: How often the moderators' room hears how many reports and messages arrived;
    #: batched so that no announcement times a report (docs/THREAT_MODEL.md).
    digest_minutes: int = 15
    #: The key behind the audit log's MACs, outside the database; created (mode 0600)
    #: on first use. Back it up apart from the database.
    audit_key_file: Path = Path("var/audit.key")
    #: The signed checkpoint of the audit log's head, outside the database.
    audit_checkpoint_file: Path = Path("var/audit.checkpoint")

    #: Attempts to send an outbox message that keeps failing before it is marked failed.
    outbox_attempts: int = 8
    #: The hour (Asia/Shanghai) from which the day's deadline reminders go out.
    reminder_hour: int = 9
    #: Places one chat may follow with /subscribe.
    subscriptions_per_chat: int = 20
    #: Open data (``candibot export --format open-data``): counts below this are published
    #: as "<N", and a county's incident summaries wait until it has this many.
    open_data_min_count: int = Field(default=5, ge=1)

    # Incident reports
    #: The moderators' key file (`candibot keys generate`); no file, no reports.
    report_key_file: Path = Path("var/report.key")
    #: Unlocks a passphrase-protected key file, so the bot can read reports back.
    report_key_passphrase: SecretStr | None = None
    reports_per_hour: int = 3
    reports_per_day: int = 10
    reports_per_day_globally: int = 500
    #: Argon2id cost of receipt hashes (RFC 9106's second recommendation).
    receipt_time_cost: int = 3
    receipt_memory_kib: int = 64 * 1024
    #: Days a closed report is kept, and days an unused receipt keeps working.
    closed_report_days: int = 180
    receipt_days: int = 90

    # The web chat (docs/WEB.md)
    #: ``host:port`` the web chat listens on; unset, there is no web chat.
    web_listen: str | None = None
    #: Refuse every request whose Host is not ``web_onion_name`` (and tor2web proxies).
    web_onion_only: bool = False
    #: The onion service's name (``<56 characters>.onion``).
    web_onion_name: str | None = None
    #: The page is reached over HTTPS (a reverse proxy): the session cookie is Secure.
    web_https: bool = False
    #: A web session is forgotten after this many minutes without a request.
    web_session_minutes: int = 30
    #: Messages and presses one web session may send in a minute.
    web_session_per_minute: int = 30
    #: Messages and presses, and new sessions, all web users together may send in a minute.
    web_global_per_minute: int = 3000
    #: New web sessions all visitors together may open in a minute: with the minutes a
    #: session lives, this bounds how many are kept in memory at once.
    web_new_sessions_per_minute: int = 300
    #: Photos all web users together may add to reports in a minute: a report's draft
    #: keeps its photos in memory for up to an hour, and web sessions cost nothing.
    web_photos_per_minute: int = 10
    #: The largest photo upload, in KiB (the report flow refuses photos over 10 MB).
    web_max_upload_kib: int = 10 * 1024
    #: The open data directory (``candibot export --format open-data --output DIR``),
    #: listed and served read-only at /data; unset, /data says there is none.
    web_open_data_dir: Path | None = None

    @field_validator("web_listen", "metrics_listen")
    @classmethod
    def _listen(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        host, colon, port = value.strip().rpartition(":")
        if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
            example = {"web_listen": "127.0.0.1:8090"}.get(info.field_name or "", "127.0.0.1:9464")
            name = f"CANDIBOT_{(info.field_name or '').upper()}"
            raise ValueError(f"{name} must be host:port, e.g. {example}")
        return value.strip()

    @model_validator(mode="after")
    def _onion(self) -> Settings:
        name = (self.web_onion_name or "").strip().lower()
        if self.web_onion_only and not (name.endswith(".onion") and len(name) > 6):
            raise ValueError("CANDIBOT_WEB_ONION_ONLY needs CANDIBOT_WEB_ONION_NAME=<name>.onion")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("CANDIBOT_CONFIG", DEFAULT_CONFIG_FILE))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
            file_secret_settings,
        )


#: Keys behind pseudonyms and MACs: at least this many random bytes.
KEY_BYTES = 32
MAKE_A_KEY = "make one with: python3 -c 'import secrets; print(secrets.token_hex(32))'"


class KeyProblem(ValueError):
    """A key that is unusable as given; the message names where it came from and the fix."""


class MissingKeyFile(FileNotFoundError):
    """A key file that must exist and does not; the message says what to do."""


def decode_key(text: str) -> bytes:
    text = text.strip()
    try:
        return bytes.fromhex(text)
    except ValueError:
        pass
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("the identity key must be hex or base64") from exc


def _checked_key(text: str, where: str) -> bytes:
    try:
        key = decode_key(text)
    except ValueError:
        raise KeyProblem(f"{where} is not a key (hex or base64); {MAKE_A_KEY}") from None
    if len(key) < KEY_BYTES:
        raise KeyProblem(f"{where} holds {len(key)} bytes, fewer than {KEY_BYTES}; {MAKE_A_KEY}")
    return key


def _key_from_file(
    path: Path, what: str, setting: str, *, create: bool = True, missing: str = ""
) -> bytes:
    """A key from ``path``, made (random, mode 0600) on first use if ``create``; its
    directory, when missing, is made private (0700)."""
    if not path.exists():
        if not create:
            raise MissingKeyFile(f"the {what} file {path} does not exist ({setting}){missing}")
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as fh:
            fh.write(secrets.token_hex(KEY_BYTES) + "\n")
        log.warning("created a new %s in %s; back it up apart from the database", what, path)
    return _checked_key(path.read_text(), f"the {what} file {path} ({setting})")


def load_identity_key(settings: Settings) -> bytes:
    """The key from the environment, else from its file, created on first use."""
    if settings.identity_key is not None:
        return _checked_key(settings.identity_key.get_secret_value(), "CANDIBOT_IDENTITY_KEY")
    return _key_from_file(settings.identity_key_file, "identity key", "CANDIBOT_IDENTITY_KEY_FILE")


def load_audit_key(settings: Settings, *, create: bool = True) -> bytes:
    """The audit key from its file, created on first use unless not ``create`` (a
    verifier must not invent a key: every row would then look forged)."""
    return _key_from_file(
        settings.audit_key_file, "audit key", "CANDIBOT_AUDIT_KEY_FILE", create=create,
        missing=": restore it from its backup; on a new installation the bot's first start "
        "or `candibot moderators add` creates it",
    )  # fmt: skip
