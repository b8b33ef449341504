"""Issue 15, item 7: docs/DEPLOY.md as an operator follows it. Every block of the page is
taken from the page itself and run with its paths moved into a temporary directory
and its ports swapped for free ones: the systemd unit passes ``systemd-analyze verify``
(skipped, and said, where the tool is missing), nginx runs the proxy configuration in
front of a real ``candibot run`` (Telegram's webhook against the fake Bot API, and the
web chat), ``/healthz`` and ``/metrics`` answer, the backup holds no key, the restore
brings back a deployment whose audit log verifies and whose search works, the report
key rotates, and ``candibot db upgrade`` brings an old database to the head revision.

The operator's commands run as root here, with no ``candibot`` user: ``runuser -u
candibot --``, ``install -o/-g`` and ``chown`` are dropped, ``systemctl`` and ``pip``
become no-ops (the version in hand is the one installed).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import app_from_settings
from bot.audit_checkpoints import AuditCheckpoints, checkpoint
from bot.cli.common import migrated
from bot.cli.staff import describe
from bot.config import Settings, load_audit_key, load_identity_key
from bot.maintenance import generate_keys
from storage import audit, outbox
from storage.audit_checkpoint import read_checkpoint
from storage.dataset import load_dataset, read_packaged
from storage.db import alembic_config, make_engine
from storage.models import StaffRole
from storage.roles import add_staff, list_staff
from storage.unit import unit_factory
from tests.helpers import texts
from tests.staffed import attached
from tests.telegram.conftest import free_port
from tests.telegram.fake_api import FakeBotAPI
from tests.web.client import WebClient


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return str(head)


pytestmark = pytest.mark.filterwarnings("ignore:.*`retry_after`.*")

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = (ROOT / "docs" / "DEPLOY.md").read_text()
CANDIBOT = Path(sys.executable).with_name("candibot")
WEBHOOK_PATH = "/telegram/7c1f0e"
READER = 5550172839


def block(marker: str) -> str:
    """The first fenced block of DEPLOY.md with a line that holds ``marker``."""
    for found in re.finditer(r"```[a-z]*\n(.*?)```", DEPLOY, re.S):
        body = found.group(1)
        if any(marker in line for line in body.splitlines()):
            return body
    raise AssertionError(f"DEPLOY.md has no block with {marker!r}")


def run_sh(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["sh", "-c", f"set -eu\n{script}"], capture_output=True, text=True, cwd=cwd,
        env=_clean_env() | env, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, (script, result.stdout, result.stderr)
    return result


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDIBOT_")}
    return env | {"PYTHONPATH": str(ROOT), "CANDIBOT_CONFIG": "/nonexistent/candibot.toml"}


@dataclass
class Site:
    """One server's places, as the page names them, moved under ``root``."""

    root: Path
    web: int
    metrics: int
    webhook: int

    @property
    def state(self) -> Path:
        return self.root / "var-lib-candibot"

    def localise(self, text: str) -> str:
        moved = {
            "/var/lib/candibot": str(self.state),
            "/etc/candibot/candibot.env": str(self.root / "candibot.env"),
            "/usr/local/sbin/candibot-admin": str(self.root / "candibot-admin"),
            "/usr/local/sbin/candibot-backup": str(self.root / "candibot-backup"),
            "/opt/candibot/venv/bin/candibot": str(CANDIBOT),
            "/opt/candibot/venv/bin/pip install --upgrade /path/to/new/candibot": "true",
            "/var/backups/candibot": str(self.root.parent / "backups"),
            "/media/keys": str(self.root.parent / "offline-keys"),
            "runuser -u candibot -- ": "",
            "-o candibot -g candibot ": "",
            "chown -R candibot:candibot": "true",
            "systemctl ": "true ",
            "127.0.0.1:8090": f"127.0.0.1:{self.web}",
            "127.0.0.1:9464": f"127.0.0.1:{self.metrics}",
            "127.0.0.1:8081": f"127.0.0.1:{self.webhook}",
            # Plain HTTP between the test and nginx: a Secure cookie would not come back.
            "CANDIBOT_WEB_HTTPS=true": "CANDIBOT_WEB_HTTPS=false",
        }
        for old, new in moved.items():
            text = text.replace(old, new)
        return re.sub(r"(?<![/\w])candibot-admin ", f"{self.root / 'candibot-admin'} ", text)

    def install(self, fake: FakeBotAPI, proxy_port: int) -> None:
        """The settings, the wrapper and the backup script, as the page writes them."""
        self.root.mkdir(parents=True, exist_ok=True)
        settings = self.localise(block("# /etc/candibot/candibot.env"))
        settings += "".join(
            f"{name}={value}\n"
            for name, value in {
                **fake.environment(),
                "CANDIBOT_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{proxy_port}{WEBHOOK_PATH}",
                "CANDIBOT_TELEGRAM_WEBHOOK_SECRET": "a-webhook-secret-of-the-test",
                "CANDIBOT_TELEGRAM_LISTEN_PORT": str(self.webhook),
                "CANDIBOT_TELEGRAM_CHAT_PER_SECOND": "1000",
            }.items()
        )
        (self.root / "candibot.env").write_text(settings)
        for name, marker in (("candibot-admin", "# /usr/local/sbin/candibot-admin"),
                             ("candibot-backup", "# /usr/local/sbin/candibot-backup")):  # fmt: skip
            path = self.root / name
            path.write_text(self.localise(block(marker)))
            path.chmod(0o755)

    def admin(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        self.state.mkdir(mode=0o700, parents=True, exist_ok=True)
        result = subprocess.run(
            [str(self.root / "candibot-admin"), *args], capture_output=True, text=True,
            env=_clean_env(), timeout=300, check=False,
        )  # fmt: skip
        if check:
            assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result


def new_site(root: Path) -> Site:
    return Site(root, free_port(), free_port(), free_port())


@contextmanager
def nginx(site: Site, port: int) -> Iterator[bool]:
    """The page's nginx site on ``port`` in front of ``site``; False without nginx."""
    binary = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if binary is None:
        warnings.warn("nginx is not installed: the reverse proxy step is skipped", stacklevel=2)
        yield False
        return
    prefix = site.root / "nginx"
    prefix.mkdir()
    server = site.localise(block("# /etc/nginx/sites-available/candibot"))
    server = re.sub(r"\n\s*listen \[::\]:443 ssl;", "", server)
    server = server.replace("listen 443 ssl;", f"listen 127.0.0.1:{port};")
    server = re.sub(r"\n\s*ssl_certificate[^\n]*", "", server)
    server = server.replace("/var/log/nginx/", f"{prefix}/")
    (prefix / "nginx.conf").write_text(
        f"daemon off;\nuser root;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
        f"events {{}}\nhttp {{\n  client_body_temp_path {prefix}/body;\n"
        f"  proxy_temp_path {prefix}/proxy;\n{server}\n}}\n"
    )
    checked = subprocess.run([binary, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                             capture_output=True, text=True, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf")], stderr=subprocess.PIPE
    )
    try:
        yield True
    finally:
        process.send_signal(signal.SIGQUIT)
        process.communicate(timeout=30)


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def healthy(site: Site, process: subprocess.Popen[str]) -> dict[str, object]:
    """/healthz once it says 200 (the bot is starting); fails if the bot stopped."""
    url = f"http://127.0.0.1:{site.metrics}/healthz"
    for _ in range(600):
        if process.poll() is not None:
            raise AssertionError(process.communicate()[1])
        try:
            status, body = await get(url)
        except aiohttp.ClientError:
            status, body = 0, ""
        if status == 200:
            return dict(json.loads(body))
        await asyncio.sleep(0.1)
    raise AssertionError(f"/healthz never said 200: {body}")


@asynccontextmanager
async def running(site: Site) -> AsyncIterator[subprocess.Popen[str]]:
    """``candibot run`` as the unit starts it (its settings, its working directory)."""
    site.state.mkdir(mode=0o700, exist_ok=True)
    process = subprocess.Popen(
        [str(site.root / "candibot-admin"), "run"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=_clean_env(),
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=60)


async def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    _, errors = await asyncio.to_thread(process.communicate, timeout=60)
    assert process.returncode == 0, errors
    return errors


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    unit = block("# /etc/systemd/system/candibot.service")
    hardening = ("User=candibot", "ProtectSystem=strict", "StateDirectory=candibot",
                 "NoNewPrivileges=yes", "PrivateTmp=yes", "LimitCORE=0", "UMask=0077")  # fmt: skip
    for line in hardening:
        assert f"\n{line}\n" in unit, line
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the unit's hardening lines were checked")
    path = tmp_path / "candibot.service"
    # The program where this checkout installed it; everything else as written.
    path.write_text(unit.replace("/opt/candibot/venv/bin/candibot", str(CANDIBOT)))
    verified = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True,
                              check=False)  # fmt: skip
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
    rated = subprocess.run([analyze, "security", "--offline=true", str(path)],
                           capture_output=True, text=True, check=False)  # fmt: skip
    exposure = re.search(r"Overall exposure level for \S+: ([\d.]+)", rated.stdout)
    assert exposure and float(exposure.group(1)) <= 2.0, rated.stdout[-500:]


def settings_of(site: Site) -> Settings:
    """The settings the page's file gives, as the bot reads them."""
    values = dict(
        line.split("=", 1) for line in (site.root / "candibot.env").read_text().splitlines()
        if line and not line.startswith("#")
    )  # fmt: skip
    return Settings(**{name.removeprefix("CANDIBOT_").lower(): v for name, v in values.items()})


async def seed(site: Site) -> None:
    """What the page's first start does (the commands themselves are tested elsewhere;
    here they run in this process, to spare a process start each), with the demo
    dataset for candidates."""
    settings = settings_of(site)
    site.state.mkdir(mode=0o700)
    engine = await migrated(settings.database_url)
    try:
        async with unit_factory(engine)() as unit:
            await load_dataset(unit.session, read_packaged())
        generate_keys(settings.report_key_file, None)
        load_identity_key(settings)
        await add_moderator(engine, settings, "123456")
    finally:
        await engine.dispose()


async def add_moderator(engine: AsyncEngine, settings: Settings, user: str) -> None:
    """As ``candibot moderators add`` does: the row, its audit entry, a new checkpoint."""
    signing = AuditCheckpoints.from_settings(settings)
    async with unit_factory(engine)() as unit:
        await add_staff(unit.session, "telegram", user, StaffRole.moderator)
        await audit.record(unit.session, signing.key, "cli", "staff_add", "staff",
                           f"telegram:{user}", role="moderator")  # fmt: skip
    assert (await checkpoint(engine, signing)).intact


async def verify_audit(site: Site) -> str:
    """What ``candibot audit verify`` says about ``site``."""
    settings = settings_of(site)
    key = audit.AuditKey(load_audit_key(settings, create=False))
    mark = read_checkpoint(settings.audit_checkpoint_file, key)
    engine = make_engine(settings.database_url)
    try:
        async with unit_factory(engine)() as unit:
            return describe(await audit.verify(unit.session, key, mark), mark)
    finally:
        await engine.dispose()


async def test_the_deployment_runs_behind_nginx_is_backed_up_restored_and_rotated(
    tmp_path: Path,
) -> None:
    fake = await FakeBotAPI().start()
    proxy = free_port()
    site = new_site(tmp_path / "server")
    try:
        site.install(fake, proxy)
        await seed(site)
        with nginx(site, proxy) as proxied:
            async with running(site) as process:
                health = await healthy(site, process)
                assert health["adapters"] == {"telegram": "connected", "web": "connected"}
                front = f"http://127.0.0.1:{proxy if proxied else site.web}"
                async with WebClient(0) as client:
                    client.base = front
                    page = await client.say("/search zeng lixin")
                    assert "曾立新" in page.text
                if proxied:
                    assert fake.webhook is not None and fake.webhook["url"].endswith(WEBHOOK_PATH)
                    update = fake.update_body(READER, "/start", language="en")
                    assert await fake.post_webhook(update) == 200
                    await fake.replies(READER, 1)
                    status, body = await get(f"{front}/healthz")  # not proxied: the chat's 404
                    assert "adapters" not in body
                    status, _ = await get(f"{front}/metrics")
                    assert status == 404
                status, scraped = await get(f"http://127.0.0.1:{site.metrics}/metrics")
                assert status == 200
                assert (
                    'candibot_events_total{kind="Command",outcome="handled",platform="web"}'
                    in scraped
                )
                assert 'candibot_adapter_connected{platform="telegram"} 1.0' in scraped
                errors = await stop(process)
        for line in errors.splitlines():
            json.loads(line)  # CANDIBOT_LOG_FORMAT=json: every line an object
        assert "moderators' room is a Telegram group" not in errors
        assert str(READER) not in errors

        # The daily backup, then the keys to offline media.
        run_sh(f"{site.root / 'candibot-backup'}", site.root)
        (backup,) = (tmp_path / "backups").iterdir()
        assert sorted(p.name for p in backup.iterdir()) == ["audit.checkpoint", "candibot.sqlite"]
        keys = {name: (site.state / "keys" / name).read_bytes()
                for name in ("identity.key", "audit.key", "report.key")}  # fmt: skip
        copied = b"".join(p.read_bytes() for p in backup.iterdir())
        for name, key in keys.items():
            assert key.strip() not in copied, f"the {name} is in the database backup"
        (tmp_path / "offline-keys").mkdir()
        (site.state / "matrix").mkdir(mode=0o700)  # no Matrix here; the tar names it
        run_sh(site.localise(block("tar -C /var/lib/candibot -cf")), site.root)
        # An entry after the backup: the server's own checkpoint is now newer.
        engine = make_engine(settings_of(site).database_url)
        await add_moderator(engine, settings_of(site), "654321")
        await engine.dispose()

        # A new server: settings and program as before, state from the backups.
        fresh = Site(tmp_path / "new-server", site.web, site.metrics, site.webhook)
        fresh.install(fake, proxy)
        (key_tar,) = (tmp_path / "offline-keys").glob("*.tar")
        restore = fresh.localise(block("backup=/var/backups/candibot/"))
        restore = re.sub(r"backup=\S+", f"backup={backup}", restore)
        restore = re.sub(r"candibot-keys-\d+\.tar", key_tar.name, restore)
        verified = run_sh(restore, fresh.root)
        assert verified.stdout.strip().splitlines()[-1].startswith("intact"), verified.stdout
        newer = fresh.state / "audit.checkpoint"
        shutil.copy(site.state / "audit.checkpoint", newer)
        assert (await verify_audit(fresh)).startswith("entries were deleted")
        shutil.copy(backup / "audit.checkpoint", newer)
        # The restored database with the restored identity key: a reader's search.
        restored = settings_of(fresh)
        app = await app_from_settings(restored, load_identity_key(restored), None)
        try:
            reply = texts(await attached(app).say("/search zeng lixin", user=str(READER)))
        finally:
            await app.close()
        assert "曾立新" in reply

        # Rotating the moderators' key, as the page says, on the restored server.
        rotation = fresh.localise(block("keys rotate --passphrase-env LOCK"))
        run_sh(rotation, fresh.root)
        assert (fresh.state / "keys" / "report.key").read_bytes() != keys["report.key"]
        assert not list((fresh.state / "keys").glob("report.key.retired-*")), "shredded"
        with tarfile.open(key_tar) as archive:
            assert {"keys/identity.key", "keys/audit.key", "keys/report.key"} <= set(
                archive.getnames()
            )
    finally:
        await fake.stop()


async def test_a_telegram_moderators_group_is_warned_about_at_start(tmp_path: Path) -> None:
    """Issue 15, item 8: ``candibot run`` says that Telegram can read a Telegram group."""
    fake = await FakeBotAPI().start()
    site = new_site(tmp_path / "server")
    try:
        site.install(fake, free_port())
        with (site.root / "candibot.env").open("a") as settings:
            settings.write("CANDIBOT_MODERATION_ROOM=telegram:-1001234567890\n")
        async with running(site) as process:
            await healthy(site, process)
            errors = await stop(process)
    finally:
        await fake.stop()
    warning = [line for line in errors.splitlines() if "moderators' room" in line]
    assert warning == [
        "candibot: warning: the moderators' room is a Telegram group, which Telegram can read; "
        "an end-to-end encrypted Matrix room is safer (docs/THREAT_MODEL.md)"
    ], errors


async def test_db_upgrade_brings_an_old_database_to_the_head_revision(
    db_url: str, tmp_path: Path
) -> None:
    """The page's upgrade steps on a database left at revision 0003, with a moderator and
    a queued message from then: both are there afterwards, the message with its kind."""
    engine = make_engine(db_url)
    try:

        def downgrade(connection: object) -> None:
            from alembic import command

            from storage.db import alembic_config

            command.downgrade(alembic_config(connection), "0003")  # type: ignore[arg-type]

        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
            await connection.execute(
                text(
                    "INSERT INTO staff (platform, user_id, role, added_at) "
                    "VALUES ('telegram', '123456', 'admin', CURRENT_TIMESTAMP)"
                )
            )
            await connection.execute(text(
                "INSERT INTO outbox (platform, chat_id, body, created_at) "
                "VALUES ('telegram', '-100777', '{\"text\": []}', CURRENT_TIMESTAMP)"))  # fmt: skip
    finally:
        await engine.dispose()
    site = new_site(tmp_path / "server")
    fake = await FakeBotAPI().start()
    try:
        site.install(fake, free_port())
    finally:
        await fake.stop()
    site.state.mkdir(mode=0o700)
    steps = site.localise(block("pip install --upgrade /path/to/new/candibot"))
    steps = re.sub(r"\ncurl [^\n]*", "", steps)  # no bot runs here
    if db_url.startswith("sqlite"):
        shutil.copy(db_url.removeprefix("sqlite:///"), site.state / "candibot.sqlite")
    else:  # the settings name PostgreSQL, backed up with pg_dump rather than the script
        settings = (site.root / "candibot.env").read_text()
        settings = re.sub(r"CANDIBOT_DATABASE_URL=\S+", f"CANDIBOT_DATABASE_URL={db_url}", settings)
        (site.root / "candibot.env").write_text(settings)
        steps = re.sub(r"\n[^\n]*candibot-backup[^\n]*", "", steps)
    upgraded = run_sh(steps, site.root)
    assert upgraded.stdout.strip().splitlines()[-1] == _head_revision(), upgraded.stdout
    engine = make_engine(settings_of(site).database_url)
    try:
        async with unit_factory(engine)() as unit:
            staff = await list_staff(unit.session)
            queued = await outbox.status(unit.session)
    finally:
        await engine.dispose()
    assert [(m.user_id, m.role) for m in staff] == [("123456", "admin")]
    assert [(q.platform, q.kind, q.waiting) for q in queued] == [("telegram", "announcement", 1)]
