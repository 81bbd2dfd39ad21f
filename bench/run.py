"""The benchmark suite: Groundswell against this machine's ceiling, on SQLite and on PostgreSQL.

    make bench                                        # the full run: a million signatures, both databases
    make bench BENCH_ARGS="--signatures 20000 --seconds 3 --rounds 1"   # a try, a minute or two
    .venv/bin/python bench/run.py --help

For each database (SQLite in a temporary folder; PostgreSQL when BENCH_DATABASE_URL, or else
postgresql://postgres@127.0.0.1:5432/test, answers, in a schema bench_<random> made for the run and
dropped after it), the run builds the schema with `flask db upgrade`, loads the demo (`seed-demo`)
and N signatures of the #WeChoose petition (`seed-signatures`), and creates an organizer. Then it
serves Groundswell and the hello-world ceiling (bench/hello.py) with the same gunicorn settings on
loopback, and measures:

* the signatures CSV export, downloaded whole by the organizer: rows per second, and how much a
  worker's memory grows meanwhile (beside the ceiling streaming rows of the same width);
* at each number of wrk connections: the ceiling's GET and POST, signing (every trust feature
  off, each request a new address; rows stored checked against the 303s received), the count API,
  the petition page, and the cities page and API (recorded as not available while they answer 404),
  round after round, each figure beside the same round's ceiling.

The tables go to bench/results/<date>-<database>.md and .json with --write-results, and otherwise
to a temporary folder, so that short runs never mix with the figures kept in the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import psycopg
from common import (
    ROOT,
    SECRET_KEY,
    TRUST_OFF,
    Server,
    download,
    flask,
    http_status,
    log_in,
    require_wrk,
    sign_forms,
    sign_script,
    wrk,
)
from sqlalchemy import create_engine, make_url, text

sys.path.insert(0, str(ROOT))
import config  # the app's own spelling rules for database URLs

SLUG = "wechoose"
ORGANIZER = "bench-organizer@example.org"
DEFAULT_POSTGRESQL = "postgresql://postgres@127.0.0.1:5432/test"
MIN_CITIES = 5_000
EXPORT_GOALS = {"rows_per_second": 100_000, "memory_growth_mb": 50}
CEILINGS = {"GET": "hello world GET /hello (ceiling)", "POST": "hello world POST /hello (ceiling)"}


class Measure:
    """One thing loaded by wrk, the ceiling it is held against and the share of it to reach."""

    def __init__(self, key: str, method: str, path: str, goal: float | None = None):
        self.key, self.method, self.path, self.goal = key, method, path, goal

    @property
    def name(self) -> str:
        return CEILINGS[self.method] if self.key.startswith("ceiling") else f"{self.method} {self.path}"


CEILING_GET = Measure("ceiling_get", "GET", "/hello")
CEILING_POST = Measure("ceiling_post", "POST", "/hello")
MEASURES = (
    Measure("sign", "POST", f"/petitions/{SLUG}/sign", 0.40),
    Measure("count", "GET", f"/api/v1/petitions/{SLUG}/count", 0.70),
    Measure("petition", "GET", f"/petitions/{SLUG}", 0.50),
    Measure("cities", "GET", f"/petitions/{SLUG}/cities", 0.50),
    Measure("api_cities", "GET", f"/api/v1/petitions/{SLUG}/cities", 0.50),
)


# --- Databases ------------------------------------------------------------------------------------


def postgresql_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_POSTGRESQL
    return url.replace("postgresql+psycopg://", "postgresql://", 1).replace("postgres://", "postgresql://", 1)


def reachable(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


@contextmanager
def sqlite_database(scratch: Path) -> Iterator[str]:
    yield f"sqlite:///{scratch / 'bench.sqlite3'}"


@contextmanager
def postgresql_database(url: str) -> Iterator[str]:
    """A schema of its own in the database at ``url``, dropped with everything in it at the end."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    print(f"PostgreSQL: schema {schema} in {make_url(url).render_as_string(hide_password=True)}")
    try:
        yield make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


class Database:
    """The benchmark's own look at the database: counts, and PostgreSQL's statistics after seeding."""

    def __init__(self, url: str):
        self.engine = create_engine(config.database_url(url))

    def scalar(self, sql: str, **params) -> int:
        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar_one()

    def signatures(self) -> int:
        return self.scalar(
            "SELECT count(*) FROM signatures WHERE petition_id = (SELECT id FROM petitions WHERE slug = :slug)",
            slug=SLUG,
        )

    def settled_signatures(self) -> int:
        """The signature count once it stops moving: requests wrk gave up on may still be finishing."""
        count, deadline = self.signatures(), time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.3)
            again = self.signatures()
            if again == count:
                break
            count = again
        return count

    def city_rows(self) -> int:
        return self.scalar(
            "SELECT count(*) FROM city_tallies WHERE petition_id = (SELECT id FROM petitions WHERE slug = :slug)",
            slug=SLUG,
        )

    def analyze(self) -> None:
        """Fresh planner statistics for this schema's tables only (a bulk load leaves none)."""
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            tables = connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
            for table in list(tables):
                connection.execute(text(f'VACUUM ANALYZE "{table}"'))

    def dispose(self) -> None:
        self.engine.dispose()


def prepare(env: dict[str, str], database: Database, signatures: int) -> tuple[int, str]:
    """Schema, demo, signatures and an organizer: the petition's distinct city rows and the organizer's password."""
    flask(env, "db", "upgrade")
    flask(env, "seed-demo")
    print(f"Seeding {signatures:,} signatures...", flush=True)
    print(flask(env, "seed-signatures", SLUG, str(signatures), "--seed", "4").strip().splitlines()[-1])
    database.analyze()
    password = secrets.token_urlsafe(16)
    flask(env, "create-organizer", ORGANIZER, "--coalition", "wechoose-coalition", "--role", "owner",
          "--password-stdin", stdin=password + "\n")  # fmt: skip
    cities = database.city_rows()
    print(f"The petition has {database.signatures():,} signatures; its tallies hold {cities:,} distinct city rows.")
    return cities, password


# --- Measuring ------------------------------------------------------------------------------------


def measure_export(app: Server, hello: Server, password: str) -> dict:
    """The whole signatures CSV as the organizer downloads it, then the ceiling streaming as many rows as wide."""
    path = f"/organize/petitions/{SLUG}/signatures.csv"
    with httpx.Client(base_url=app.url, timeout=600) as client:
        log_in(client, ORGANIZER, password)
        download(client, path + "?state=pending")  # warm up: the same code, next to no rows
        export = download(client, path, app)
    rows = export["lines"] - 1  # the header
    width = round(export["bytes"] / max(1, export["lines"]))
    with httpx.Client(base_url=hello.url, timeout=600) as client:
        ceiling = download(client, f"/rows.csv?rows={max(1, rows)}&width={width}")
    result = {
        "rows": rows,
        "megabytes": export["bytes"] / 1e6,
        "seconds": export["seconds"],
        "rows_per_second": rows / export["seconds"],
        "first_byte_seconds": export["first_byte_seconds"],
        "memory_before_mb": export["memory_before_mb"],
        "memory_growth_mb": export["memory_growth_mb"],
        "ceiling_rows_per_second": ceiling["lines"] / ceiling["seconds"],
        "goals": EXPORT_GOALS,
    }
    result["met"] = {
        "rows_per_second": result["rows_per_second"] > EXPORT_GOALS["rows_per_second"],
        "memory_growth_mb": result["memory_growth_mb"] < EXPORT_GOALS["memory_growth_mb"],
    }
    return result


class Load:
    """wrk runs against both servers, with the same parameters for the app and the ceiling."""

    def __init__(self, app: Server, hello: Server, database: Database, args: argparse.Namespace, scratch: Path):
        self.app, self.hello, self.database, self.args, self.scratch = app, hello, database, args, scratch
        # One browser session per connection at most: cookie, CSRF token and the form's stamp.
        self.forms = sign_forms(app.url, SLUG, max(args.connections))

    def run(self, measure: Measure, connections: int, seconds: float) -> dict:
        server = self.hello if measure.key.startswith("ceiling") else self.app
        script = sign_script(measure.path, self.forms, self.scratch) if measure.method == "POST" else None
        signing = measure.key == "sign"
        before = self.database.settled_signatures() if signing else 0
        result = wrk(server.url + measure.path, connections=connections, seconds=seconds,
                     threads=self.args.threads_wrk, script=script)  # fmt: skip
        if signing:
            result["stored"] = self.database.settled_signatures() - before
        return result


def measure_load(load: Load, args: argparse.Namespace) -> tuple[list[dict], list[dict]]:
    """Every measure at every number of connections, round after round: the figures and the signing checks."""
    available = {}
    for measure in MEASURES:
        answer = http_status(load.app.url + measure.path) if measure.method == "GET" else 200
        available[measure.key] = answer != 404
        if answer == 404:
            print(f"{measure.name}: answers 404, recorded as not available.")
    measures = [CEILING_GET, CEILING_POST, *(m for m in MEASURES if available[m.key])]
    figures, checks = [], []
    for connections in args.connections:
        print(f"Loading with {connections} connections...", flush=True)
        for measure in measures:
            load.run(measure, connections, min(2, args.seconds))  # warm up
        rounds: dict[str, list[dict]] = {measure.key: [] for measure in measures}
        # Round after round, so that a neighbour's load on a shared machine weighs on all alike.
        for number in range(1, args.rounds + 1):
            for measure in measures:
                result = load.run(measure, connections, args.seconds)
                rounds[measure.key].append(result)
                if measure.key == "sign":
                    checks.append(signing_check(result, connections, number))
        for measure in (CEILING_GET, CEILING_POST, *MEASURES):
            figures.append(summary(measure, connections, rounds, available))
    return figures, checks


def signing_check(result: dict, connections: int, number: int) -> dict:
    """Rows stored against 303s received. Requests still in flight when wrk stopped may be stored unanswered."""
    unanswered = max(0, result["sent"] - result["see_other"] - result["other"])
    stored, see_other = result["stored"], result["see_other"]
    return {"connections": connections, "round": number, "see_other": see_other, "other": result["other"],
            "stored": stored, "unanswered": unanswered,
            "met": result["other"] == 0 and see_other <= stored <= see_other + unanswered}  # fmt: skip


def summary(measure: Measure, connections: int, rounds: dict[str, list[dict]], available: dict[str, bool]) -> dict:
    """Medians of the rounds; the share of the ceiling is each round's against the same round's ceiling."""
    row = {"measure": measure.key, "name": measure.name, "connections": connections, "goal": measure.goal}
    if measure.key not in rounds:
        return {**row, "available": False, "met": None}
    runs = rounds[measure.key]
    row.update({key: statistics.median(run[key] for run in runs) for key in ("rps", "p50", "p99")}, available=True)
    if measure.goal is None:
        return {**row, "met": None}
    ceiling = rounds[CEILING_POST.key if measure.method == "POST" else CEILING_GET.key]
    shares = [run["rps"] / top["rps"] for run, top in zip(runs, ceiling, strict=True)]
    return {**row, "ceiling": CEILINGS[measure.method], "ceiling_rps": statistics.median(top["rps"] for top in ceiling),
            "shares": shares, "share": statistics.median(shares),
            "met": statistics.median(shares) >= measure.goal}  # fmt: skip


# --- Reporting ------------------------------------------------------------------------------------


def markdown(result: dict) -> str:
    s = result["settings"]
    lines = [
        f"## {result['database_name']}, {result['date']}",
        "",
        f"{result['signatures']:,} signatures of `{SLUG}` over {result['city_rows']:,} distinct city rows in its "
        f"tallies (goal: at least {MIN_CITIES:,}). gunicorn `--workers {s['workers']} --worker-class gthread "
        f"--threads {s['threads']}` on loopback for the app and the ceiling alike; "
        f"`wrk -t{s['wrk_threads']} -d{s['seconds']}s --timeout 10s`, {rounds_text(s['rounds'])}; "
        f"{s['cpus']} CPUs, load average {' / '.join(f'{n:.1f}' for n in result['load_average'])} at the end. "
        "Signing with every trust feature off (`" + " ".join(f"{k}={v}" for k, v in TRUST_OFF.items()) + "`).",
        "",
        "| measure | connections | req/s | p50 ms | p99 ms | ceiling req/s | of ceiling | goal | met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in result["load"]:
        if not row["available"]:
            lines.append(f"| {row['name']} | {row['connections']} | not available (404) | | | | | "
                         f"≥ {row['goal']:.0%} | — |")  # fmt: skip
            continue
        cells = [row["name"], str(row["connections"]), f"{row['rps']:,.0f}", f"{row['p50']:.1f}", f"{row['p99']:.1f}"]
        if row["goal"] is None:
            cells += ["", "", "", ""]
        else:
            per_round = (
                " (" + ", ".join(f"{share:.0%}" for share in row["shares"]) + ")" if len(row["shares"]) > 1 else ""
            )
            kind = "POST" if row["ceiling"] == CEILINGS["POST"] else "GET"
            cells += [f"{row['ceiling_rps']:,.0f}", f"{percent(row['share'])}{per_round}",
                      f"≥ {row['goal']:.0%} of the {kind} ceiling", yes(row["met"])]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Signing: rows stored against the 303s received (requests in flight when wrk stopped may be "
              "stored without an answer).", "",
              "| connections | round | 303s | other answers | rows stored | unanswered at the end | met |",
              "| ---: | ---: | ---: | ---: | ---: | ---: | --- |"]  # fmt: skip
    for check in result["signing_checks"]:
        lines.append(f"| {check['connections']} | {check['round']} | {check['see_other']:,} | {check['other']:,} | "
                     f"{check['stored']:,} | {check['unanswered']:,} | {yes(check['met'])} |")  # fmt: skip
    e = result["export"]
    lines += [
        "",
        f"Export: `/organize/petitions/{SLUG}/signatures.csv` as a logged-in organizer.",
        "",
        "| rows | MB | seconds | first bytes after | rows/s | ceiling rows/s | worker memory growth | goals | met |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
        f"| {e['rows']:,} | {e['megabytes']:.0f} | {e['seconds']:.1f} | {e['first_byte_seconds']:.2f} s | "
        f"{e['rows_per_second']:,.0f} | {e['ceiling_rows_per_second']:,.0f} | {e['memory_growth_mb']:.1f} MB "
        f"(from {e['memory_before_mb']:.0f} MB) | > {EXPORT_GOALS['rows_per_second']:,} rows/s, "
        f"< {EXPORT_GOALS['memory_growth_mb']} MB | {yes(e['met']['rows_per_second'])}, "
        f"{yes(e['met']['memory_growth_mb'])} |",
        "",
        f"Goals met: {result['goals_met']} of {result['goals']}.",
    ]
    return "\n".join(lines) + "\n"


def rounds_text(count: int) -> str:
    return "one round" if count == 1 else f"median of {count} rounds"


def percent(share: float) -> str:
    return f"{share:.0%}" if share >= 0.1 else f"{share:.1%}"


def yes(met: bool) -> str:
    return "yes" if met else "**no**"


def goals(result: dict) -> list[bool]:
    checked = [result["city_rows"] >= MIN_CITIES]
    checked += [row["met"] for row in result["load"] if row["met"] is not None]
    checked += [check["met"] for check in result["signing_checks"]]
    checked += list(result["export"]["met"].values())
    return checked


# --- The run --------------------------------------------------------------------------------------


def bench(name: str, url: str, args: argparse.Namespace, scratch: Path) -> dict:
    """Everything measured on one database."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(TRUST_OFF, SECRET_KEY=SECRET_KEY, DATABASE_URL=url, FLASK_SKIP_DOTENV="1")
    database = Database(url)
    try:
        city_rows, password = prepare(env, database, args.signatures)
        settings = {"workers": args.workers, "threads": args.threads, "log": scratch / f"gunicorn-{name}.log"}
        with ExitStack() as servers:
            app = servers.enter_context(Server("wsgi:app", env, **settings))
            hello = servers.enter_context(Server("bench.hello:app", env, **settings))
            print("Exporting the signatures...", flush=True)
            export = measure_export(app, hello, password)  # first, while the petition has exactly the seeded signatures
            figures, checks = measure_load(Load(app, hello, database, args, scratch), args)
    finally:
        database.dispose()
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "database": name,
        "database_name": {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[name],
        "signatures": args.signatures,
        "city_rows": city_rows,
        "settings": {
            "workers": args.workers,
            "threads": args.threads,
            "wrk_threads": args.threads_wrk,
            "connections": args.connections,
            "seconds": args.seconds,
            "rounds": args.rounds,
            "cpus": os.cpu_count(),
        },
        "load_average": os.getloadavg(),
        "load": figures,
        "signing_checks": checks,
        "export": export,
    }
    met = goals(result)
    result.update(goals=len(met), goals_met=sum(met))
    return result


def connection_counts(value: str) -> list[int]:
    try:
        counts = [int(part) for part in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"connection counts like 8,32, not {value!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("every connection count must be 1 or more")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signatures", type=int, default=1_000_000, help="seeded on the petition (default 1,000,000)")
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each measure, taken in turn (default 3)")
    parser.add_argument("--connections", type=connection_counts, default=[8, 32], help="wrk connections (8,32)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, every server (2)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker, every server (4)")
    parser.add_argument("--threads-wrk", type=int, default=1, help="wrk threads (1 leaves the servers more CPU)")
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql",
        help="sqlite, postgresql or both (default; PostgreSQL is skipped if it does not answer)",
    )
    parser.add_argument("--write-results", action="store_true",
                        help="write the tables to bench/results/ (else to a temporary folder)")  # fmt: skip
    args = parser.parse_args()
    require_wrk()
    names = [name.strip() for name in args.databases.split(",") if name.strip()]
    if not names or set(names) - {"sqlite", "postgresql"}:
        parser.error("--databases takes sqlite, postgresql or both")
    if "postgresql" in names and not reachable(postgresql_url()):
        message = f"PostgreSQL does not answer at {make_url(postgresql_url()).render_as_string(hide_password=True)}"
        if args.databases != parser.get_default("databases") or os.environ.get("BENCH_DATABASE_URL"):
            sys.exit(message + ".")
        print(message + ": measuring SQLite only (set BENCH_DATABASE_URL to measure PostgreSQL).")
        names.remove("postgresql")

    out = ROOT / "bench" / "results" if args.write_results else Path(tempfile.mkdtemp(prefix="groundswell-results-"))
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="groundswell-bench-"))
    try:
        for name in names:
            print(f"\n=== {name} ===", flush=True)
            opened = sqlite_database(scratch) if name == "sqlite" else postgresql_database(postgresql_url())
            with opened as url:
                result = bench(name, url, args, scratch)
            stem = out / f"{result['date']}-{name}"
            stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
            stem.with_suffix(".md").write_text(markdown(result))
            print("\n" + markdown(result))
            print(f"Written: {stem}.md and {stem}.json")
    except BaseException:
        print(f"Stopped; the servers' logs are kept in {scratch}", file=sys.stderr)
        raise
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
