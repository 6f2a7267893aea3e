"""The real stack for browser tests, the benchmark and the scale-out check.

``SmtpSink``: an aiosmtpd server on loopback that keeps every message it receives.
``Stack``: a fresh database migrated with ``portal db upgrade``, gunicorn on a free
loopback port and, when the command exists, ``portal worker``; ``stop()`` ends them all.
Only loopback addresses are ever used.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy
from aiosmtpd.controller import Controller

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"


@dataclass
class Mail:
    """One message the sink received: envelope, headers and the text body."""

    mail_from: str
    rcpt_tos: list[str]
    subject: str
    text: str
    html: str
    raw: bytes = field(repr=False)
    message_id: str = ""

    def links(self) -> list[str]:
        return re.findall(r"https?://[^\s\"'<>]+", self.text + "\n" + self.html)


class SmtpSink:
    """A local SMTP server that keeps every message; tests wait for the one they expect."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Mail] = []
        self._lock = threading.Lock()
        self._controller = None

    def start(self) -> SmtpSink:
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
                sink._keep(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content)
                return "250 OK"

        self._controller = Controller(Handler(), hostname=LOOPBACK, port=self.port)
        self._controller.start()
        return self

    def _keep(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> None:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = html = ""
        for part in message.walk():
            if part.get_content_type() == "text/plain" and not text:
                text = part.get_content()
            elif part.get_content_type() == "text/html" and not html:
                html = part.get_content()
        mail = Mail(
            mail_from, rcpt_tos, str(message.get("Subject", "")), text, html, raw, str(message.get("Message-ID", ""))
        )
        with self._lock:
            self.messages.append(mail)

    def to(self, address: str) -> list[Mail]:
        with self._lock:
            return [m for m in self.messages if address.lower() in (r.lower() for r in m.rcpt_tos)]

    def wait_for(self, address: str, *, subject_contains: str = "", count: int = 1, timeout: float = 20) -> Mail:
        """The newest message to ``address`` (whose subject contains the text) once ``count`` have arrived."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.to(address) if subject_contains.lower() in m.subject.lower()]
            if len(found) >= count:
                return found[-1]
            if time.monotonic() > deadline:
                subjects = [(m.rcpt_tos, m.subject) for m in self.messages]
                raise AssertionError(
                    f"No email to {address} ({subject_contains!r}) within {timeout}s; sink has {subjects}"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()


def portal_has_command(*words: str) -> bool:
    """Whether ``portal <words> --help`` exists on this branch (the worker lands with issue 6)."""
    result = subprocess.run(
        [str(BIN / "portal"), *words, "--help"],
        capture_output=True,
        cwd=ROOT,
        env=dict(os.environ, DATABASE_URL="sqlite://"),
    )
    return result.returncode == 0


class Stack:
    """A fresh, migrated, seeded database; gunicorn on loopback; the worker when it exists."""

    def __init__(
        self,
        database_url: str,
        *,
        smtp_port: int | None = None,
        workers: int = 1,
        threads: int = 4,
        extra_env: dict[str, str] | None = None,
        log_dir: Path | None = None,
        with_worker: bool = True,
        port: int | None = None,
    ) -> None:
        self.database_url = database_url
        self.port = port or free_port()
        self.base_url = f"http://{LOOPBACK}:{self.port}"
        self.workers = workers
        self.threads = threads
        self.with_worker = with_worker
        self.instance_dir = Path(tempfile.mkdtemp(prefix="portal-stack-"))
        self.log_dir = log_dir or self.instance_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = dict(
            os.environ,
            DATABASE_URL=database_url,
            PORTAL_ENV="development",
            PORTAL_INSTANCE_DIR=str(self.instance_dir),
            SECRET_KEY="browser-tests-secret-key-0123456789abcdef",
            BASE_URL=self.base_url,
            SMTP_HOST=LOOPBACK if smtp_port else "",
            SMTP_PORT=str(smtp_port or 25),
            # The busy answer (503) is pinned in tests/web; here a loaded CI machine must not cause it.
            ARGON2_QUEUE_TIMEOUT="30",
            SMTP_TLS="none",
            SMTP_USERNAME="",
            SMTP_PASSWORD="",
            UPLOAD_DIR=str(self.instance_dir / "uploads"),
            PYTHONUNBUFFERED="1",
        )
        self.env.pop("PORTAL_TEST_DB", None)
        self.env.update(extra_env or {})
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs: list = []

    # -- set-up ---------------------------------------------------------------------------
    def portal(self, *args: str, input: str | None = None) -> str:
        """Run a ``portal`` command against this stack's database; returns its output."""
        result = subprocess.run(
            [str(BIN / "portal"), *args], cwd=ROOT, env=self.env, capture_output=True, text=True, input=input
        )
        if result.returncode != 0:
            raise RuntimeError(f"portal {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def migrate(self) -> None:
        self.portal("db", "upgrade")

    def seed(self, module: str = "tests.browser.seed", *args: str) -> dict:
        result = subprocess.run(
            [sys.executable, "-m", module, *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"seeding with {module} failed:\n{result.stdout}\n{result.stderr}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def execute(self, statement: str, **params) -> None:
        """Run one SQL statement against the stack's database (test set-up only, e.g. forgetting used TOTP steps)."""
        engine = sqlalchemy.create_engine(self.database_url)
        try:
            with engine.begin() as conn:
                conn.execute(sqlalchemy.text(statement), params)
        finally:
            engine.dispose()

    def forget_used_totp_codes(self) -> None:
        """A TOTP code works once; tests sign the same official in several times within 30 seconds."""
        self.execute("UPDATE users SET mfa_last_step = NULL WHERE mfa_last_step IS NOT NULL")

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed in stop())
        self._logs.append(log)
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def gunicorn_command(self, app: str = "portal.wsgi:app", *, access_log: bool = True) -> list[str]:
        """The one gunicorn command line: the benchmark serves the portal and its floor with the same one."""
        command = [
            str(BIN / "gunicorn"),
            "--bind",
            f"{LOOPBACK}:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--worker-class",
            "gthread" if self.threads > 1 else "sync",
            "--graceful-timeout",
            "2",
        ]
        if access_log:
            command += ["--access-logfile", "-"]
        return [*command, app]

    def start_web(
        self,
        name: str = "gunicorn",
        *,
        app: str = "portal.wsgi:app",
        health_path: str = "/healthz",
        access_log: bool = True,
    ) -> None:
        self._spawn(name, self.gunicorn_command(app, access_log=access_log))
        self.wait_until_healthy(path=health_path)

    def start_worker(self, name: str = "worker") -> bool:
        if not (self.with_worker and portal_has_command("worker")):
            return False
        self._spawn(name, [str(BIN / "portal"), "worker"])
        return True

    def wait_until_healthy(self, timeout: float = 30, path: str = "/healthz") -> None:
        deadline = time.monotonic() + timeout
        while True:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log(name)}")
            try:
                with urllib.request.urlopen(f"{self.base_url}{path}", timeout=2) as response:  # noqa: S310 (loopback)
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /healthz within {timeout}s:\n{self.log('gunicorn')}")
            time.sleep(0.1)

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-5000:] if path.exists() else ""

    # -- tear-down ------------------------------------------------------------------------
    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self._logs:
            log.close()
        shutil.rmtree(self.instance_dir, ignore_errors=True)


class RedisServer:
    """A throwaway redis-server on a free loopback port, no persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://{LOOPBACK}:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is missing: run `make bench-deps` (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                LOOPBACK,
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def flush(self) -> None:
        """Forget every key (rate-limit counters) so a test starts from zero."""
        with socket.create_connection((LOOPBACK, self.port), timeout=2) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            assert sock.recv(16).startswith(b"+OK")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
