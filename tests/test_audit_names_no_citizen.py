"""Issue 11, finding 5: a citizen's refused attempts are audited without anything that
leads back to them (their pseudonym keys ``user_preferences``; their raw id is theirs)."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.events import SenderRef
from bot.core.identity import Identity
from storage.models import AuditEntry
from tests.conftest import TEST_KEY
from tests.helpers import texts
from tests.staffed import GROUP, attached, say_in, staffed_app

#: Not hex, so it can never turn up inside a hash by chance.
CITIZEN = "citizen-raw-id-zq"
# Eleven events: below the dispatcher's per-sender burst limit, so none is dropped unseen.
ATTEMPTS = ("/queue", "/verify 1", "/revoke 1", "/stats", "/setdate 海淀区 2027-01-01",
            "/mods list", "/audit", "/claim ABCD-EFGH", "/update")  # fmt: skip


async def test_refused_attempts_leave_no_trace_of_the_citizen_in_the_audit_log(
    db_url: str,
) -> None:
    app = await staffed_app(db_url)
    chat = attached(app)
    for command in ATTEMPTS:
        await chat.say(command, user=CITIZEN)
    await chat.press("q:pub:1", user=CITIZEN)
    assert "Not allowed" in texts(await say_in(chat, GROUP, "/trust 1", user=CITIZEN))

    pseudonym = Identity(TEST_KEY).user_key(SenderRef("memory", CITIZEN))
    async with app.engine.connect() as connection:
        rows = [tuple(row) for row in await connection.execute(select(AuditEntry))]
    await app.close()
    assert len(rows) >= len(ATTEMPTS), "every refused attempt is still audited"
    for row in rows:
        for value in row:
            # Eight hex digits are enough to pick one user out of millions.
            assert pseudonym[:8] not in str(value), row
            assert CITIZEN not in str(value), row
