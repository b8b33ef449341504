"""Someone who only reads leaves no raw platform id behind, in any table or in the file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from storage.models import Base

RAW_ID = "834729105566"


async def _dump(app: App) -> str:
    rows = []
    async with app.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in await connection.execute(select(table))]
    return "\n".join(rows)


async def test_a_reader_leaves_no_raw_id_in_the_database(app: App, chat: MemoryAdapter) -> None:
    for text in ("/start", "/language en", "/search wang", "/candidate", "1", "zeng lixin"):
        await chat.say(text, user=RAW_ID)
    await chat.press("srch:8", user=RAW_ID)
    await chat.say("/search", user=RAW_ID)  # leaves an unfinished flow behind on purpose
    dump = await _dump(app)
    assert "demo-c001" in dump  # the dump holds the data
    assert RAW_ID not in dump
    url = make_url(app.engine.url)
    if url.get_backend_name() == "sqlite" and url.database:
        await app.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            path = Path(url.database + suffix)
            if path.exists():
                assert RAW_ID.encode() not in path.read_bytes(), path
