"""`candibot run` as an operator runs it: a real process that serves Matrix until SIGTERM,
and starts again on the same device without logging out."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.matrix.citizen import Citizen
from tests.matrix.conftest import PASSWORD
from tests.matrix.synapse import Synapse

ROOT = Path(__file__).resolve().parents[2]


def _start(homeserver: str, bot_id: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDIBOT_")}
    env |= {
        "CANDIBOT_CONFIG": str(tmp_path / "none.toml"),
        "CANDIBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite'}",
        "CANDIBOT_IDENTITY_KEY": "ab" * 32,
        "CANDIBOT_REPORT_KEY_FILE": str(tmp_path / "absent.key"),
        "CANDIBOT_MATRIX_HOMESERVER": homeserver,
        "CANDIBOT_MATRIX_USER": bot_id,
        "CANDIBOT_MATRIX_PASSWORD": PASSWORD,
        "CANDIBOT_MATRIX_STORE": str(tmp_path / "matrix"),
        "CANDIBOT_MATRIX_SYNC_TIMEOUT_MS": "2000",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


async def _terminate(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.to_thread(process.communicate, timeout=30)
    return process.returncode, output.decode(errors="replace")


async def test_candibot_run_serves_matrix_and_keeps_its_device(
    synapse: Synapse, bot_id: str, citizen: Citizen, tmp_path: Path
) -> None:
    process = _start(synapse.url, bot_id, tmp_path)
    try:
        room = await citizen.direct_chat(encrypted=True, timeout=60)
        await citizen.ask(room, "/start", "欢迎使用 candibot。")
    except TimeoutError:
        raise AssertionError((await _terminate(process))[1]) from None
    code, output = await _terminate(process)
    assert code == 0, output
    session = json.loads((tmp_path / "matrix" / "session.json").read_text())
    assert session["device_id"] == "CANDIBOT"

    process = _start(synapse.url, bot_id, tmp_path)
    try:
        await citizen.ask(room, "/help", "/report", timeout=60)
    finally:
        code, output = await _terminate(process)
    assert code == 0, output
    assert json.loads((tmp_path / "matrix" / "session.json").read_text()) == session
    assert bot_id not in output and room not in output
