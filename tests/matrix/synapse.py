"""A real Synapse homeserver for the Matrix tests, run as a subprocess.

On 127.0.0.1 with a free port, SQLite, no federation listener, rate limits
raised far above what the tests do, and registration by shared secret only.
The signing key is written here (``--generate-keys`` costs seconds), and
``bcrypt_rounds: 4`` makes registering a user cheap.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SERVER_NAME = "candibot.test"
SHARED_SECRET = "candibot-test-shared-secret"
_RELAXED = {"per_second": 10000, "burst_count": 100000}


class SynapseUnavailable(RuntimeError):
    """Synapse is not installed, or did not come up."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(root: Path, port: int) -> dict[str, Any]:
    relaxed = dict(_RELAXED)
    return {
        "server_name": SERVER_NAME,
        "pid_file": str(root / "homeserver.pid"),
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(root / "homeserver.db")}},
        "log_config": str(root / "log.yaml"),
        "media_store_path": str(root / "media"),
        "signing_key_path": str(root / "signing.key"),
        "registration_shared_secret": SHARED_SECRET,
        "enable_registration": False,
        "report_stats": False,
        "enable_metrics": False,
        "url_preview_enabled": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "use_presence": False,
        "bcrypt_rounds": 4,
        "macaroon_secret_key": "candibot-test-macaroon",
        "form_secret": "candibot-test-form",
        "rc_message": relaxed,
        "rc_registration": relaxed,
        "rc_login": {"address": relaxed, "account": relaxed, "failed_attempts": relaxed},
        "rc_joins": {"local": relaxed, "remote": relaxed},
        "rc_joins_per_room": relaxed,
        "rc_invites": {"per_room": relaxed, "per_user": relaxed, "per_issuer": relaxed},
        "rc_key_requests": relaxed,
        "rc_media_create": relaxed,
        "rc_room_creation": relaxed,
        "rc_presence": {"per_user": relaxed},
        "rc_profile": relaxed,
        "rc_admin_redaction": relaxed,
        "rc_3pid_validation": relaxed,
        "rc_delayed_event_mgmt": relaxed,
        "rc_user_directory": relaxed,
        "rc_reports": relaxed,
    }


_LOG_CONFIG = """\
version: 1
formatters:
  plain: {format: '%(asctime)s %(levelname)s %(name)s %(message)s'}
handlers:
  file: {class: logging.FileHandler, filename: LOGFILE, formatter: plain}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
"""


def _signing_key() -> str:
    """An ed25519 key in Synapse's file format: ``ed25519 <version> <unpadded base64 seed>``."""
    seed = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return f"ed25519 a_test {seed}\n"


@dataclass
class Synapse:
    """One homeserver: ``start()``, ``register()``, ``restart()``, ``stop()``."""

    root: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None
    _admin: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "media").mkdir(exist_ok=True)
        (self.root / "signing.key").write_text(_signing_key())
        (self.root / "log.yaml").write_text(
            _LOG_CONFIG.replace("LOGFILE", str(self.root / "homeserver.log"))
        )
        # JSON is YAML, so no YAML writer is needed.
        (self.root / "homeserver.yaml").write_text(json.dumps(_config(self.root, self.port)))

    def start(self, timeout: float = 60) -> None:
        if not (self.root / "homeserver.yaml").exists():
            self.prepare()
        output = open(self.root / "stdout.log", "ab")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "-c",
                str(self.root / "homeserver.yaml"),
            ],
            cwd=self.root,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        output.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SynapseUnavailable(
                    f"Synapse exited with {self.process.returncode}: {self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise SynapseUnavailable(f"Synapse did not answer within {timeout} s: {self.log_tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, chars: int = 2000) -> str:
        text = ""
        for name in ("stdout.log", "homeserver.log"):
            path = self.root / name
            if path.exists():
                text += path.read_text(errors="replace")[-chars:]
        return text

    def register(self, localpart: str, password: str, *, admin: bool = False) -> str:
        """Registers a user with the shared secret; returns the full user id."""
        return str(self._register(localpart, password, admin)["user_id"])

    def admin_token(self) -> str:
        """An access token of a server admin, registered on first use."""
        if self._admin is None:
            self._admin = str(self._register("admin", secrets.token_hex(8), True)["access_token"])
        return self._admin

    def members(self, room_id: str) -> list[str]:
        """The room's joined members, as the server's admin API lists them."""
        request = urllib.request.Request(
            f"{self.url}/_synapse/admin/v1/rooms/{urllib.parse.quote(room_id)}/members",
            headers={"Authorization": f"Bearer {self.admin_token()}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return [str(member) for member in json.load(response)["members"]]

    def limit_messages(self, user_id: str, per_second: float, burst: int) -> None:
        """Overrides the message rate limit of one user (the admin API's ratelimit override)."""
        request = urllib.request.Request(
            f"{self.url}/_synapse/admin/v1/users/{urllib.parse.quote(user_id)}/override_ratelimit",
            data=json.dumps({"messages_per_second": per_second, "burst_count": burst}).encode(),
            headers={
                "Authorization": f"Bearer {self.admin_token()}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def _register(self, localpart: str, password: str, admin: bool) -> dict[str, Any]:
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        with urllib.request.urlopen(endpoint, timeout=10) as response:
            nonce = json.load(response)["nonce"]
        message = "\x00".join([nonce, localpart, password, "admin" if admin else "notadmin"])
        mac = hmac.new(SHARED_SECRET.encode(), message.encode(), hashlib.sha1)
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        request = urllib.request.Request(
            endpoint,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.load(response))
