"""Real servers for the tests that need them: gunicorn on a free loopback port."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from tests.conftest import environment

ROOT = Path(__file__).resolve().parent.parent
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, process: subprocess.Popen, url: str, log: Path):
        self.process, self.url, self.log = process, url, log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def crash(self) -> None:
        """SIGKILL the master and every worker at once (their own process group), as a power cut would."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)


@contextmanager
def gunicorn(
    database_url: str, log_dir: Path, *, workers: int = 2, threads: int = 4, **settings: str
) -> Iterator[Server]:
    """Serve wsgi:app with gunicorn on a free loopback port until the block ends."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "SECRET_KEY"))}
    env.update(environment(database_url, **settings))
    log = log_dir / f"gunicorn-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            # A browser's idle connection outlives a loaded machine's pauses (gunicorn closes it
            # after 2 s by default, racing the next request sent on it).
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
             "--threads", str(threads), "--graceful-timeout", "5", "--keep-alive", "30", "wsgi:app"],
            # A process group of its own: a test can kill the master and its workers together.
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_until_up(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.crash()


def wait_until_up(server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.output()}")
        try:
            httpx.get(server.url + "/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer in {timeout} s:\n{server.output()}")


class Browser:
    """One supporter's browser: its own cookies, the form's CSRF token."""

    def __init__(self, base_url: str):
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)

    def open_petition(self, slug: str) -> str:
        page = self.http.get(f"/petitions/{slug}")
        page.raise_for_status()
        return CSRF_INPUT.search(page.text).group(1)

    def sign(self, slug: str, token: str, fields: dict) -> httpx.Response:
        return self.http.post(f"/petitions/{slug}/sign", data={**fields, "csrf_token": token})

    def close(self) -> None:
        self.http.close()
