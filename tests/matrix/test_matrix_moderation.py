"""A moderator on Matrix: /stats arrives with its chart as an image, encrypted like the
rest of the room."""

from __future__ import annotations

from bot.app import App
from storage.models import StaffRole
from storage.roles import add_staff
from storage.unit import unit_factory
from tests.matrix.citizen import Citizen
from tests.matrix.conftest import RunningBot


async def test_stats_chart_arrives_as_an_encrypted_image(
    bot: RunningBot, citizen: Citizen, matrix_app: App
) -> None:
    async with unit_factory(matrix_app.engine)() as unit:
        await add_staff(unit.session, "matrix", citizen.user_id, StaffRole.moderator)
    room = await citizen.direct_chat(encrypted=True)
    await citizen.ask(room, "/language en", "from now on")
    start = citizen.mark()
    await citizen.ask(room, "/stats", "Reports: 0")
    await citizen.until(lambda: any(s.msgtype == "m.image" for s in citizen.heard[start:]))
    image = next(s for s in citizen.heard[start:] if s.msgtype == "m.image")
    assert image.encrypted and image.body == "chart.png"
