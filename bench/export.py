"""How fast the signatures CSV streams, and how much the server grows while it does.

    .venv/bin/python bench/export.py [--database-url URL] [--rows 1000000]

Builds the database through the migrations (PostgreSQL by default, in its own database), loads the
demo campaign and, once, ROWS signatures with `flask seed-signatures`, creates an organizer,
serves the app with gunicorn on loopback, logs in and downloads
/organize/petitions/wechoose/signatures.csv whole while sampling the workers' memory. Then a
hello-world Flask app (bench/export_ceiling.py) streams the same number of rows of the same width
with the same gunicorn settings: the ceiling, printed beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
SLUG = "wechoose"
ORGANIZER = "bench-export@example.org"
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/groundswell_bench_export"
GOALS = {"rows_per_second": 100_000, "memory_growth_mb": 50}
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in the URL if it does not exist yet."""
    if not url.startswith("postgres"):
        return
    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def flask(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def signature_count(url: str) -> int:
    if url.startswith("postgres"):
        with psycopg.connect(url) as connection:
            row = connection.execute(
                "SELECT count(*) FROM signatures s JOIN petitions p ON p.id = s.petition_id WHERE p.slug = %s", (SLUG,)
            ).fetchone()
            return row[0]
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        return connection.execute(
            "SELECT count(*) FROM signatures s JOIN petitions p ON p.id = s.petition_id WHERE p.slug = ?", (SLUG,)
        ).fetchone()[0]


def prepare(url: str, rows: int, env: dict[str, str]) -> str:
    """Schema, demo, signatures (only the missing ones) and an organizer; returns the password."""
    ensure_database(url)
    flask(env, "db", "upgrade")
    flask(env, "seed-demo")
    missing = rows - signature_count(url)
    if missing > 0:
        print(f"Seeding {missing:,} signatures (once; later runs reuse them)...", flush=True)
        print(flask(env, "seed-signatures", SLUG, str(missing), "--seed", "4").strip().splitlines()[-1])
        if url.startswith("postgres"):
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute("VACUUM ANALYZE")
    password = secrets.token_urlsafe(16)
    flask(env, "create-organizer", ORGANIZER, "--coalition", "wechoose-coalition", "--role", "owner",
          "--password-stdin", stdin=password + "\n")  # fmt: skip
    return password


class Server:
    """gunicorn on loopback with the benchmark's settings, for the app and for the ceiling alike."""

    def __init__(self, app: str, env: dict[str, str], workers: int, threads: int, pythonpath: str | None = None):
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = tempfile.NamedTemporaryFile(prefix="bench-export-", suffix=".log", delete=False)  # noqa: SIM115
        command = [sys.executable, "-m", "gunicorn", app, "--bind", self.url.removeprefix("http://"),
                   "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
                   "--timeout", "300", "--log-level", "warning"]  # fmt: skip
        if pythonpath:
            command += ["--pythonpath", pythonpath]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(Path(self.log.name).read_text())
            try:
                httpx.get(self.url + "/", timeout=2)
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def rss_mb(self) -> dict[int, float]:
        sizes = {}
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[pid] = int(line.split()[1]) / 1024
        return sizes


def download(client: httpx.Client, path: str, server: Server | None = None) -> dict[str, float]:
    """Stream a CSV to the end, counting rows; sample the workers' memory meanwhile if given a server."""
    before = server.rss_mb() if server else {}
    peak = dict(before)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            for pid, size in server.rss_mb().items():
                peak[pid] = max(peak.get(pid, 0), size)

    sampler = threading.Thread(target=sample)
    if server:
        sampler.start()
    started = time.perf_counter()
    first_byte, lines, size, last = None, 0, 0, b""
    with client.stream("GET", path) as response:
        response.raise_for_status()
        for chunk in response.iter_raw(256 * 1024):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            # Rows end in CRLF (line breaks inside comments are bare LF); a CRLF may straddle two chunks.
            lines += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            last = chunk[-1:]
            size += len(chunk)
    seconds = time.perf_counter() - started
    done.set()
    if server:
        sampler.join()
    growth = max((peak[pid] - before.get(pid, peak[pid]) for pid in peak), default=0.0)
    return {"lines": lines, "bytes": size, "seconds": seconds, "first_byte_seconds": first_byte or 0.0,
            "memory_before_mb": max(before.values(), default=0.0), "memory_growth_mb": growth}  # fmt: skip


def log_in(client: httpx.Client, password: str) -> None:
    token = TOKEN.search(client.get("/organize/login").text).group(1)
    answer = client.post("/organize/login", data={"email": ORGANIZER, "password": password, "csrf_token": token})
    if answer.status_code != 303:
        raise RuntimeError(f"organizer login failed: {answer.status_code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1, help="download this many times; the fastest counts")
    parser.add_argument("--json", help="also write the figures to this file")
    options = parser.parse_args()

    env = {**os.environ, "DATABASE_URL": options.database_url, "SECRET_KEY": secrets.token_urlsafe(32),
           "RATELIMIT_ENABLED": "false"}  # fmt: skip
    password = prepare(options.database_url, options.rows, env)
    rows = signature_count(options.database_url)

    app = Server("wsgi:app", env, options.workers, options.threads)
    with app as server, httpx.Client(base_url=server.url, timeout=600) as client:
        log_in(client, password)
        download(client, f"/organize/petitions/{SLUG}/signatures.csv?state=pending")  # warm up
        runs = [download(client, f"/organize/petitions/{SLUG}/signatures.csv", server) for _ in range(options.rounds)]
    export = min(runs, key=lambda run: run["seconds"])
    export["memory_growth_mb"] = max(run["memory_growth_mb"] for run in runs)
    width = round(export["bytes"] / max(1, export["lines"]))
    ceiling = Server("export_ceiling:app", env, options.workers, options.threads, pythonpath="bench")
    with ceiling as server, httpx.Client(base_url=server.url, timeout=600) as client:
        top = download(client, f"/rows.csv?rows={rows + 1}&width={width}")

    exported = export["lines"] - 1  # the header
    rate, ceiling_rate = exported / export["seconds"], top["lines"] / top["seconds"]
    load = os.getloadavg()
    result = {
        "database": options.database_url.split(":", 1)[0],
        "rows": exported,
        "seconds": export["seconds"],
        "rows_per_second": rate,
        "first_byte_seconds": export["first_byte_seconds"],
        "megabytes": export["bytes"] / 1e6,
        "worker_memory_before_mb": export["memory_before_mb"],
        "memory_growth_mb": export["memory_growth_mb"],
        "ceiling_rows_per_second": ceiling_rate,
        "load_average": load,
        "goals": GOALS,
    }
    print(f"CSV export of {exported:,} signatures ({result['megabytes']:.0f} MB), {result['database']}, "
          f"gunicorn {options.workers} workers x {options.threads} threads on loopback")  # fmt: skip
    print(
        f"  export : {rate:,.0f} rows/s ({export['seconds']:.1f} s, first bytes after "
        f"{export['first_byte_seconds']:.2f} s); goal > {GOALS['rows_per_second']:,} rows/s"
    )
    if options.rounds > 1:
        print("  rounds : " + ", ".join(f"{(run['lines'] - 1) / run['seconds']:,.0f}" for run in runs) + " rows/s")
    print(f"  ceiling: {ceiling_rate:,.0f} rows/s (hello-world Flask streaming rows of the same width)")
    print(
        f"  memory : worker grew {export['memory_growth_mb']:.1f} MB (from {export['memory_before_mb']:.0f} MB); "
        f"goal < {GOALS['memory_growth_mb']} MB"
    )
    print(f"  load average while measuring: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} on {os.cpu_count()} cores")
    if options.json:
        Path(options.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
