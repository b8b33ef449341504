"""Small helpers for reading what the bot answered."""

from __future__ import annotations

from bot.core.replies import Reply


def texts(replies: list[Reply]) -> str:
    return "\n".join(reply.text.plain for reply in replies)


def payloads(replies: list[Reply]) -> list[str]:
    return [button.payload for reply in replies for row in reply.buttons for button in row]


def labels(replies: list[Reply]) -> list[str]:
    return [button.label for reply in replies for row in reply.buttons for button in row]


class Clock:
    """Monotonic seconds a test moves by hand: the clock of a ``MemoryEphemeral``."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
