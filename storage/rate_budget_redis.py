"""A rate budget (``bot.core.ports.RateBudget``) that several workers share, in Redis.

Every worker that sends with the same bot token asks the same keys for its turns, so
that together they keep Telegram's limits. The reservation is one Lua script, atomic
on the server and timed by the server's clock (``TIME``), so neither a race between
workers nor their clocks' drift can let two of them take one turn. It is the same
generic cell rate algorithm as ``bot.core.pacing.decide``: one number per key, the
theoretical arrival time of its next send, in microseconds, expiring once it is past.

Keys live under ``candibot:rate:{<scope>}:``: the caller's scope is a hash of the bot
token, never the token, and a chat's key is a keyed hash of its id (the adapter's
business), so that Redis holds neither. The braces keep one bot's keys in one slot of a
Redis Cluster, as a script needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

PREFIX = "candibot:rate:"
MICRO = 1_000_000

#: KEYS: the pacing key, then the gates' keys. ARGV: the pacing rate's interval and
#: tolerance, ``within`` (-1: none), then each gate's interval and tolerance; all in
#: microseconds. Returns {granted (0/1), wait in microseconds}.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function tat_of(key)
  local value = redis.call('GET', key)
  if value then return tonumber(value) end
  return now
end
local function store(key, tat)
  redis.call('SET', key, string.format('%.0f', tat), 'PX', math.floor((tat - now) / 1000) + 1000)
end
local tat = tat_of(KEYS[1])
local at = math.max(now, tat - tonumber(ARGV[2]))
local within = tonumber(ARGV[3])
if within >= 0 and at - now > within then
  return {0, math.floor(at - now - within)}
end
local gates = {}
for i = 2, #KEYS do
  local gate_tat = tat_of(KEYS[i])
  local ready = math.max(now, gate_tat - tonumber(ARGV[2 * i + 1]))
  if ready > at then
    return {0, math.floor(ready - now)}
  end
  gates[i] = gate_tat
end
store(KEYS[1], math.max(tat, at) + tonumber(ARGV[1]))
for i = 2, #KEYS do
  store(KEYS[i], math.max(gates[i], at) + tonumber(ARGV[2 * i]))
end
return {1, math.floor(at - now)}
"""

#: KEYS: one key. ARGV: the pause and the key's tolerance, in microseconds.
HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_ = now + tonumber(ARGV[1]) + tonumber(ARGV[2])
local value = redis.call('GET', KEYS[1])
if value and tonumber(value) > until_ then return 0 end
local ttl = math.floor((until_ - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', until_), 'PX', ttl)
return 1
"""


class Pace(Protocol):
    """What a rate is to this store (``bot.core.pacing.Rate``)."""

    @property
    def key(self) -> str: ...

    @property
    def interval(self) -> float: ...

    @property
    def tolerance(self) -> float: ...


class RedisBudget:
    """Turns shared by every worker that uses the same ``scope`` on the same Redis."""

    def __init__(self, client: Any, scope: str, *, owns_client: bool = False) -> None:
        self._redis = client
        self._prefix = f"{PREFIX}{{{scope}}}:"
        self._owns = owns_client
        self._reserve = client.register_script(RESERVE)
        self._hold = client.register_script(HOLD)

    async def reserve(
        self, pace: Pace, *, gates: Sequence[Pace] = (), within: float | None = None
    ) -> tuple[bool, float]:
        keys = [self._prefix + pace.key, *(self._prefix + gate.key for gate in gates)]
        args = [_us(pace.interval), _us(pace.tolerance), -1 if within is None else _us(within)]
        for gate in gates:
            args += [_us(gate.interval), _us(gate.tolerance)]
        granted, wait = await self._reserve(keys=keys, args=args)
        return bool(granted), int(wait) / MICRO

    async def hold(self, rate: Pace, seconds: float) -> None:
        keys = [self._prefix + rate.key]
        await self._hold(keys=keys, args=[_us(seconds), _us(rate.tolerance)])

    async def close(self) -> None:
        if self._owns:
            await self._redis.aclose()


def _us(seconds: float) -> int:
    return round(seconds * MICRO)


def connect(url: str, scope: str) -> RedisBudget:
    """A budget on the Redis at ``url`` (``redis://host:6379/0``), with its own client."""
    from redis.asyncio import Redis

    return RedisBudget(Redis.from_url(url), scope, owns_client=True)
