"""Caps on how many reports arrive, counted where nothing is written to disk.

Per sender: under the day's ephemeral pseudonym (``ctx.daily_sender``) in the
``Ephemeral`` store, with no hour and no order that could be matched to the reports'
rows. Across everyone: from the reports table, which holds the day anyway. A report over
a cap is quarantined, not refused, so that a flood cannot silence a real report.
"""

from __future__ import annotations

from bot.core.ports import Ephemeral
from storage.reports import Caps

HOUR, DAY = 3600.0, 86400.0


async def within_sender_caps(store: Ephemeral, sender: str, caps: Caps) -> bool:
    """Count one more report for ``sender``; False if it is over the hour's or day's cap.

    The windows start at the sender's first report and last an hour and a day."""
    last_hour = await store.incr(f"reports:hour:{sender}", HOUR)
    today = await store.incr(f"reports:day:{sender}", DAY)
    return last_hour <= caps.per_hour and today <= caps.per_day
