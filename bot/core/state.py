"""Conversation state: which step of a flow a conversation is in, its draft, and what it
remembers between flows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = Any  # what json.dumps accepts; kept loose on purpose


@dataclass(frozen=True, slots=True)
class ConversationState:
    #: The step of the flow in progress, or None.
    step: str | None = None
    #: The flow's draft; a new command starts without it.
    data: Mapping[str, JSON] = field(default_factory=dict)
    #: Context that outlives a flow, such as the place being looked at; it goes
    #: when the conversation is idle for longer than the state's time to live.
    memory: Mapping[str, JSON] = field(default_factory=dict)
    #: A private flow (an incident report) is stored sealed under a pseudonym
    #: that changes daily, expires within the hour and leaves the conversation's
    #: ordinary record untouched.
    private: bool = False

    @property
    def idle(self) -> bool:
        return self.step is None and not self.data and not self.memory

    def at(self, step: str | None, **data: JSON) -> ConversationState:
        """Move to ``step`` keeping the draft data, updated with ``data``."""
        return ConversationState(step, {**self.data, **data}, self.memory, self.private)

    def remember(self, **memory: JSON) -> ConversationState:
        return ConversationState(self.step, self.data, {**self.memory, **memory}, self.private)

    def fresh(self) -> ConversationState:
        """No flow, no draft; the memory stays."""
        return ConversationState(None, {}, self.memory)

    def privately(self, step: str, **data: JSON) -> ConversationState:
        """Enter or continue a private flow at ``step``."""
        return ConversationState(step, {**self.data, **data}, self.memory, private=True)

    def to_json(self) -> dict[str, JSON]:
        return {"data": dict(self.data), "memory": dict(self.memory)}

    @classmethod
    def from_json(
        cls, step: str | None, stored: Mapping[str, JSON], *, private: bool = False
    ) -> ConversationState:
        data, memory = dict(stored.get("data", {})), dict(stored.get("memory", {}))
        return cls(step, data, memory, private)


IDLE = ConversationState()
