"""Web sessions, kept only in the ``Ephemeral`` store and sealed under the cookie.

The cookie holds a random 128-bit session id; the server never keeps it. A session
is stored under HMAC(secret, id) and sealed with a key made from the secret and the
id, so the store alone (a memory dump, a Redis) opens no conversation, and a seized
cookie alone finds nothing once the session expired or the process restarted: the
secret lives only in the store, never on disk. The core's chat and sender ids are
made the same way, so a web user's pseudonyms in the database cannot be recomputed
from a cookie either once the secret is gone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bot.core.ports import Ephemeral
from bot.core.replies import Reply
from bot.core.sealing import seal, unseal

ID_BYTES = 16
#: The secret outlives every session: at most until the store (this process) ends.
SECRET_SECONDS = 400 * 24 * 3600.0
#: Bubbles kept on the page (a few turns); older ones are forgotten.
KEPT_ENTRIES = 16
#: And at most this many bytes of them (their HTML and their reply), whatever a turn
#: holds: with the new-session budget, this bounds the memory sessions take.
KEPT_BYTES = 64 * 1024
#: A page view counts as activity, but is written back at most this often (seconds).
TOUCH_EVERY = 60.0


@dataclass(frozen=True, slots=True)
class Entry:
    """One bubble: the user's words (``mine``) or a reply, and the turn it belongs to.
    The reply stays in its JSON form until a page shows it."""

    mine: bool
    turn: int
    data: dict[str, Any]
    #: The bubble's HTML, rendered (escaped) by the page's template when it was added.
    html: str = ""

    @property
    def reply(self) -> Reply:
        return Reply.from_json(self.data)

    @property
    def size(self) -> int:
        """Roughly the bytes it takes in the sealed session."""
        return len(self.html.encode()) + len(json.dumps(self.data, ensure_ascii=False).encode())


@dataclass(frozen=True, slots=True)
class Session:
    csrf: str
    language: str
    entries: tuple[Entry, ...] = ()
    turns: int = 0
    #: A message of the page's own for the next view (a msgid), shown once.
    notice: str | None = None
    #: When the session was last written (``time.time()``).
    touched: float = 0.0

    def with_turn(
        self, said: Reply | None, replies: list[Reply], render: Callable[[bool, Reply], str]
    ) -> Session:
        """The turn added; ``render`` makes a bubble's HTML (mine or not, reply)."""
        turn = self.turns + 1
        shown = [(True, said)] if said is not None else []
        shown += [(False, reply) for reply in replies]
        new = [Entry(mine, turn, reply.to_json(), render(mine, reply)) for mine, reply in shown]
        return replace(self, entries=_kept((*self.entries, *new)), turns=turn)

    def stale(self, now: float) -> bool:
        """A page view should write the session back (its time without activity restarts)."""
        return self.notice is not None or now - self.touched >= TOUCH_EVERY

    def to_json(self) -> dict[str, Any]:
        return {
            "csrf": self.csrf,
            "language": self.language,
            "turns": self.turns,
            "notice": self.notice,
            "touched": self.touched,
            "entries": [[e.mine, e.turn, e.data, e.html] for e in self.entries],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        entries = tuple(
            Entry(bool(mine), int(turn), dict(reply), str(html))
            for mine, turn, reply, html in data.get("entries", [])
        )
        return cls(
            csrf=str(data["csrf"]),
            language=str(data["language"]),
            entries=entries,
            turns=int(data.get("turns", 0)),
            notice=data.get("notice"),
            touched=float(data.get("touched", 0.0)),
        )


def _kept(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
    """The newest entries within ``KEPT_ENTRIES`` and ``KEPT_BYTES``; the latest one
    always (the reader's own message is at most the core's limit)."""
    kept: list[Entry] = []
    size = 0
    for entry in reversed(entries[-KEPT_ENTRIES:]):
        size += entry.size
        if kept and size > KEPT_BYTES:
            break
        kept.append(entry)
    return tuple(reversed(kept))


@dataclass(frozen=True, slots=True)
class Ids:
    """What the core knows a web session by: a chat id and a sender id."""

    chat: str
    sender: str


def valid_id(value: str | None) -> bool:
    return (
        value is not None
        and len(value) == 2 * ID_BYTES
        and all(c in "0123456789abcdef" for c in value)
    )


class Sessions:
    def __init__(self, store: Ephemeral, ttl: float) -> None:
        self._store = store
        #: Seconds without a request before a session is forgotten.
        self.ttl = ttl

    async def _secret(self) -> bytes:
        secret = await self._store.secret("web:sessions", SECRET_SECONDS)
        assert secret is not None
        return secret

    @staticmethod
    def _mac(secret: bytes, purpose: str, sid: str) -> bytes:
        return hmac.new(secret, f"{purpose}\x1f{sid}".encode(), hashlib.sha256).digest()

    async def _where(self, sid: str) -> tuple[str, bytes]:
        secret = await self._secret()
        return f"web:session:{self._mac(secret, 'slot', sid).hex()}", self._mac(secret, "seal", sid)

    async def ids(self, sid: str) -> Ids:
        secret = await self._secret()
        return Ids(self._mac(secret, "chat", sid).hex(), self._mac(secret, "sender", sid).hex())

    async def create(self, language: str, notice: str | None = None) -> tuple[str, Session]:
        sid = secrets.token_hex(ID_BYTES)
        session = Session(csrf=secrets.token_urlsafe(24), language=language, notice=notice)
        await self.save(sid, session)
        return sid, session

    async def load(self, sid: str | None) -> Session | None:
        """The live session ``sid`` names; None for a missing, malformed or expired one."""
        if sid is None or not valid_id(sid):
            return None
        slot, key = await self._where(sid)
        sealed = await self._store.get(slot)
        data = unseal(key, sealed.decode()) if sealed is not None else None
        return Session.from_json(data) if isinstance(data, dict) else None

    async def save(self, sid: str, session: Session) -> None:
        """Store ``session``; its time without activity starts again."""
        slot, key = await self._where(sid)
        touched = replace(session, touched=time.time())
        await self._store.put(slot, seal(key, touched.to_json()).encode(), self.ttl)

    async def forget(self, sid: str) -> None:
        slot, _ = await self._where(sid)
        await self._store.delete(slot)
