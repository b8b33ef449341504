"""The polling offset: the lowest update id not yet handled.

Telegram forgets an update once getUpdates is called with a higher offset, so
the bot asks with this offset and stores it; updates fetched again while still
in hand are recognised and skipped.
"""

from __future__ import annotations


class Watermark:
    def __init__(self, start: int | None) -> None:
        #: Ids from here on have not been fetched yet (None: nothing fetched or stored).
        self._next = start
        self._in_hand: set[int] = set()

    @property
    def offset(self) -> int | None:
        """What to ask getUpdates for, and what to store."""
        if self._in_hand:
            return min(self._in_hand)
        return self._next

    @property
    def busy(self) -> int:
        """How many fetched updates are not handled yet."""
        return len(self._in_hand)

    @property
    def span(self) -> int:
        """At most how many of the updates a fetch returns are fetched already: those
        from the offset up to the newest fetched, handled or not."""
        if not self._in_hand or self._next is None:
            return 0
        return self._next - min(self._in_hand)

    def is_new(self, update_id: int) -> bool:
        return self._next is None or update_id >= self._next

    def begin(self, update_id: int) -> None:
        self._in_hand.add(update_id)
        self._next = max(self._next or 0, update_id + 1)

    def done(self, update_id: int) -> None:
        self._in_hand.discard(update_id)
