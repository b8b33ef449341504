"""`candibot demo` as a user runs it: a real process, stdin piped, killed and restarted."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DEMO = [sys.executable, "-m", "bot.cli", "demo"]
ROOT = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDIBOT_")}
    env["CANDIBOT_CONFIG"] = str(tmp_path / "none.toml")
    return env


def _run(args: list[str], stdin: bytes, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        DEMO + args,
        input=stdin,
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
        env=_env(tmp_path),
        check=False,
    )


@pytest.mark.parametrize(
    ("lang", "welcome", "line"),
    [
        (
            "en",
            "Welcome to candibot.",
            "曾立新 (Zēng Lìxīn) · 西湖区, electoral district 3 · official candidate · "
            "voter-nominated (选民联名推荐) [demo]",
        ),
        (
            "zh",
            "欢迎使用 candibot。",
            "曾立新（Zēng Lìxīn）· 西湖区第3选区 · 正式代表候选人 · 选民联名推荐 ［演示］",
        ),
    ],
)
def test_piped_demo_prints_welcome_and_profile_then_exits_0(
    tmp_path: Path, lang: str, welcome: str, line: str
) -> None:
    result = _run(["--lang", lang], b"/start\n/search zeng lixin\n", tmp_path)
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert welcome in out
    assert line in out


def test_buttons_are_numbered_and_answered_by_number(tmp_path: Path) -> None:
    result = _run(["--lang", "en"], b"/language\n2\n/start\n", tmp_path)
    out = result.stdout.decode()
    assert "  1) 中文\n  2) English" in out
    assert "I will speak English with you from now on." in out


def test_invalid_utf8_gets_a_clear_reply(tmp_path: Path) -> None:
    result = _run(["--lang", "en"], b"\xff\xfe wang\n/start\n", tmp_path)
    out = result.stdout.decode()
    assert result.returncode == 0
    assert "not valid UTF-8" in out
    assert "Welcome to candibot." in out


def test_playing_a_moderator(tmp_path: Path) -> None:
    result = _run(["--lang", "en", "--as", "moderator"], b"/start\n", tmp_path)
    assert "You are signed in as a moderator." in result.stdout.decode()


def test_an_unknown_role_is_refused(tmp_path: Path) -> None:
    result = _run(["--as", "president"], b"", tmp_path)
    assert result.returncode == 2
    assert "unknown role" in result.stderr.decode()


def _read_until(process: subprocess.Popen[bytes], marker: str, timeout: float = 60) -> str:
    assert process.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"never saw {marker!r}; got {seen.decode(errors='replace')!r}"
        ready, _, _ = select.select([process.stdout], [], [], remaining)
        if ready:
            chunk = os.read(process.stdout.fileno(), 65536)
            assert chunk, f"process ended before {marker!r}: {seen.decode(errors='replace')!r}"
            seen += chunk
    return seen.decode()


def test_a_conversation_resumes_after_the_process_is_killed(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'kept.sqlite'}"
    first = subprocess.Popen(
        [*DEMO, "--lang", "en", "--db", db],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=tmp_path,
        env=_env(tmp_path),
    )
    assert first.stdin is not None
    first.stdin.write(b"/candidate\n")
    first.stdin.flush()
    assert "Which candidate?" in _read_until(first, "Which candidate?")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL

    # The answer to the question goes to a new process, which knows what was asked.
    second = _run(["--lang", "en", "--db", db], b"1\n", tmp_path)
    assert second.returncode == 0, second.stderr.decode()
    assert "曾立新 (Zēng Lìxīn)" in second.stdout.decode()
    assert (tmp_path / "kept.sqlite.key").exists(), "the identity key is kept beside the database"


def test_demo_files_a_report_and_prints_the_receipt(tmp_path: Path) -> None:
    steps = [
        "/report", "1", "1", "西湖区", "1", "2",
        "昨天晚上有人打电话威胁我的家人，要求我退出选举。", "1", "1", "1",
    ]  # fmt: skip
    result = _run(
        ["--as", "citizen", "--user", "4242", "--lang", "en"],
        ("\n".join(steps) + "\n").encode(),
        tmp_path,
    )
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "Your report was received. Thank you." in out
    assert re.search(r"\n\d{4} \d{4} \d{4} \d{4}\n", out), out[-600:]


def test_keys_generate_rotate_and_purge(tmp_path: Path) -> None:
    env = _env(tmp_path) | {
        "CANDIBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'ops.sqlite'}",
        "CANDIBOT_REPORT_KEY_FILE": str(tmp_path / "keys" / "report.key"),
        "LOCK": "correct horse battery staple",
    }
    cli = [sys.executable, "-m", "bot.cli"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*cli, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )

    made = run("keys", "generate")
    assert made.returncode == 0, made.stderr
    assert "wrote" in made.stdout
    assert run("keys", "generate").returncode == 1, "an existing key is never overwritten"
    rotated = run("keys", "rotate", "--passphrase-env", "LOCK")
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted 0 reports" in rotated.stdout
    key_file = tmp_path / "keys" / "report.key"
    assert "private_locked" in key_file.read_text()
    locked = run("keys", "rotate")
    assert locked.returncode == 1 and "current private key is needed" in locked.stderr
    purged = run("purge")
    assert purged.returncode == 0 and "Purged(" in purged.stdout


def test_a_demo_moderator_publishes_a_report_a_demo_citizen_filed(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    steps = [
        "/report", "1", "1", "西湖区", "1", "2",
        "昨天晚上有人打电话威胁我的家人，要求我退出选举。", "1", "1", "1",
    ]  # fmt: skip
    citizen = _run(
        ["--as", "citizen", "--user", "4242", "--lang", "en", "--db", db],
        ("\n".join(steps) + "\n").encode(),
        tmp_path,
    )
    assert "Your report was received." in citizen.stdout.decode(), citizen.stderr.decode()
    review = ["/queue", "1", "A candidate's family received threatening calls.", "1", "/incidents"]
    moderator = _run(
        ["--as", "moderator", "--user", "77", "--lang", "en", "--db", db],
        ("\n".join(review) + "\n").encode(),
        tmp_path,
    )
    out = moderator.stdout.decode()
    assert moderator.returncode == 0, moderator.stderr.decode()
    assert "昨天晚上有人打电话威胁我的家人" in out, "the moderator reads the decrypted report"
    assert "Published. Citizens see it with /incidents." in out
    listing = out.split("Published incidents: all places")[-1]
    assert "• Week of" in listing
    assert "A candidate's family received threatening calls." in listing


def test_the_demo_delivers_an_alert_to_a_subscriber(tmp_path: Path) -> None:
    """A moderator who also follows 海淀区 sets its election day: the alert arrives in
    the terminal, as it would in a chat."""
    lines = "/subscribe 110108\n/setdate 海淀区 2026-12-20 announced\n".encode()
    result = _run(["--lang", "en", "--as", "moderator"], lines, tmp_path)
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    # The day and the next deadline it brings, as two lines under the place.
    assert "Election news for 海淀区:\n• election day December 20, 2026" in out, out[-1500:]


def test_the_demo_shows_a_reminder_on_the_day_it_is_due(tmp_path: Path) -> None:
    """Follow 海淀区 and set its election day in one run; start the demo again on a
    later day (--today) and the reminder due that morning arrives."""
    db = f"sqlite:///{tmp_path / 'kept.sqlite'}"
    lines = "/subscribe 110108\n/setdate 海淀区 2026-12-20 announced\n".encode()
    first = _run(["--lang", "en", "--as", "moderator", "--db", db], lines, tmp_path)
    assert first.returncode == 0, first.stderr.decode()
    later = _run(["--lang", "en", "--db", db, "--today", "2026-12-12"], b"", tmp_path)
    out = later.stdout.decode()
    assert "Reminder for 海淀区: Official candidate list published, tomorrow" in out, out[-1500:]
