"""Conversation state: which step of a flow a conversation is in, and its draft data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = Any  # what json.dumps accepts; kept loose on purpose


@dataclass(frozen=True, slots=True)
class ConversationState:
    step: str | None = None
    data: Mapping[str, JSON] = field(default_factory=dict)

    @property
    def idle(self) -> bool:
        return self.step is None and not self.data

    def at(self, step: str | None, **data: JSON) -> ConversationState:
        """Move to ``step`` keeping the draft data, updated with ``data``."""
        return ConversationState(step, {**self.data, **data})


IDLE = ConversationState()
