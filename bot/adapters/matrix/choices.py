"""The options the bot's messages offered, as the room's timeline shows them.

A number or label answers the latest message of ours in the room before it, in
the timeline's order (not the order we sent in), so an answer typed before a
newer reply arrived still means what the user saw. A reaction answers the
message it reacts to. The adapter fills this from its own messages as they come
back through sync; after a restart it reads the room's history once.
"""

from __future__ import annotations

from collections import OrderedDict

from bot.adapters.matrix.render import Options


class Choices:
    def __init__(self, remember: int = 512) -> None:
        self._latest: dict[str, Options] = {}
        self._messages: OrderedDict[str, Options] = OrderedDict()
        self._remember = remember

    def latest(self, room_id: str) -> Options | None:
        """The options of our latest message in the room; None while not known."""
        return self._latest.get(room_id)

    def of_message(self, event_id: str) -> Options | None:
        return self._messages.get(event_id)

    def record(self, room_id: str, event_id: str | None, options: Options) -> None:
        """Our message ``event_id`` offered ``options`` (possibly none)."""
        self._latest[room_id] = options
        if event_id and options:
            self._messages[event_id] = options
            self._messages.move_to_end(event_id)
            while len(self._messages) > self._remember:
                self._messages.popitem(last=False)

    def forget(self, room_id: str) -> None:
        self._latest.pop(room_id, None)
