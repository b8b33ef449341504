"""Which rooms the bot enters, and when it leaves.

Direct chats are accepted from anyone: that is how citizens reach the bot. A
group room is accepted only when an admin invites the bot, or when it is the
configured moderators' room. A room the bot accepted as a direct chat but that
holds more people is left again, unless an admin invited it. The bot leaves
every room in which nobody else is left (joined or invited).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Invite:
    inviter: str | None
    direct: bool


@dataclass(frozen=True, slots=True)
class Policy:
    bot: str
    admins: frozenset[str]
    moderation_room: str | None

    def accepts(self, room_id: str, invite: Invite) -> bool:
        return (
            invite.direct
            or room_id == self.moderation_room
            or (invite.inviter is not None and invite.inviter in self.admins)
        )

    def trusted_group(self, room_id: str, invite: Invite | None) -> bool:
        """May the bot stay in ``room_id`` with more than one other member?"""
        if room_id == self.moderation_room:
            return True
        return invite is None or (invite.inviter is not None and invite.inviter in self.admins)


def read_invite(bot: str, invite_state: Iterable[dict[str, Any]]) -> Invite:
    """Who invited the bot and whether they marked the room direct, from the invite's
    stripped state (the bot's own ``m.room.member`` event)."""
    for event in invite_state:
        content = event.get("content")
        if (
            event.get("type") == "m.room.member"
            and event.get("state_key") == bot
            and isinstance(content, dict)
            and content.get("membership") == "invite"
        ):
            sender = event.get("sender")
            return Invite(
                sender if isinstance(sender, str) else None, content.get("is_direct") is True
            )
    return Invite(None, False)


def others(bot: str, members: Iterable[str]) -> set[str]:
    """Everyone but the bot among a room's joined and invited members."""
    return {member for member in members if member != bot}


def is_direct(bot: str, sender: str, members: Iterable[str]) -> bool:
    """A direct chat: exactly the bot and ``sender``, nobody else joined or invited."""
    return others(bot, members) == {sender}


def own_invite(bot: str, event: dict[str, Any]) -> bool:
    """Is ``event`` the bot being invited?"""
    content = event.get("content")
    return (
        event.get("type") == "m.room.member"
        and event.get("state_key") == bot
        and isinstance(content, dict)
        and content.get("membership") == "invite"
    )


def own_join(bot: str, event: dict[str, Any]) -> bool:
    """Is ``event`` the bot joining (not a profile change of a member already in)?"""
    if event.get("type") != "m.room.member" or event.get("state_key") != bot:
        return False
    content, unsigned = event.get("content"), event.get("unsigned")
    previous = unsigned.get("prev_content") if isinstance(unsigned, dict) else None
    was_joined = isinstance(previous, dict) and previous.get("membership") == "join"
    return isinstance(content, dict) and content.get("membership") == "join" and not was_joined
