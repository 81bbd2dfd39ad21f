"""How fast the signatures CSV streams, and how much the server grows while it does.

    .venv/bin/python bench/export.py [--database-url URL] [--rows 1000000]

Builds the database through the migrations (PostgreSQL by default, in its own database), loads the
demo campaign and, once, ROWS signatures with `flask seed-signatures`, creates an organizer,
serves the app with gunicorn on loopback, logs in and downloads
/organize/petitions/wechoose/signatures.csv whole while sampling the workers' memory. Then the
hello-world Flask app (bench/hello.py, /rows.csv) streams the same number of rows of the same width
with the same gunicorn settings: the ceiling, printed beside the figures. bench/run.py measures the
export too, among the rest, on a database of its own that it drops at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import tempfile
from pathlib import Path

import httpx
import psycopg
from common import Server, download, flask, log_in

SLUG = "wechoose"
ORGANIZER = "bench-export@example.org"
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/groundswell_bench_export"
GOALS = {"rows_per_second": 100_000, "memory_growth_mb": 50}


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in the URL if it does not exist yet."""
    if not url.startswith("postgres"):
        return
    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


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

    settings = {
        "workers": options.workers,
        "threads": options.threads,
        "log": Path(tempfile.mkdtemp(prefix="bench-export-")) / "gunicorn.log",
    }
    with Server("wsgi:app", env, **settings) as server, httpx.Client(base_url=server.url, timeout=600) as client:
        log_in(client, ORGANIZER, password)
        download(client, f"/organize/petitions/{SLUG}/signatures.csv?state=pending")  # warm up
        runs = [download(client, f"/organize/petitions/{SLUG}/signatures.csv", server) for _ in range(options.rounds)]
    export = min(runs, key=lambda run: run["seconds"])
    export["memory_growth_mb"] = max(run["memory_growth_mb"] for run in runs)
    width = round(export["bytes"] / max(1, export["lines"]))
    with Server("bench.hello:app", env, **settings) as server, httpx.Client(base_url=server.url, timeout=600) as client:
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
