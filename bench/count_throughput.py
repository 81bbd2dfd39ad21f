"""Throughput of GET /api/v1/petitions/<slug>/count under gunicorn, beside a hello-world Flask app.

Both servers run with the same gunicorn settings on loopback and are loaded by wrk in turn; the
count endpoint should reach at least 70% of the hello-world figure. Usage:

    make bench-count                       # SQLite in a temporary folder, 10,000 signatures
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test make bench-count
    .venv/bin/python bench/count_throughput.py --signatures 100000 --seconds 20 --workers 4

With DATABASE_URL set, the benchmark brings that database's schema up to date, adds its petition
and removes it at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import urllib.request
import uuid
from pathlib import Path

from common import ROOT, SECRET_KEY, Server, require_wrk, wrk

sys.path.insert(0, str(ROOT))


def seed(database_url: str, signatures: int) -> str:
    """A petition with ``signatures`` confirmed signatures, most folded, a few waiting: its slug."""
    import flask_migrate
    from sqlalchemy import insert

    from petitions import cities, create_app, tallies
    from petitions.extensions import db
    from petitions.models import Coalition, Demand, Petition, Signature, SignatureState
    from petitions.models.types import utcnow

    app = create_app({"SECRET_KEY": SECRET_KEY, "DATABASE_URL": database_url})
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    with app.app_context():
        flask_migrate.upgrade()
        coalition = Coalition(slug=slug, name="Benchmark coalition")
        petition = Petition(coalition=coalition, slug=slug, title="Benchmark petition", goal=signatures * 2)
        petition.demands.append(Demand(position=1, title="One demand"))
        petition.open()
        db.session.add(petition)
        db.session.commit()
        city_id = cities.resolve("Chicago", "IL", "US")
        now = utcnow()
        for start in range(0, signatures, 10_000):
            rows = [
                {"petition_id": petition.id, "name": f"Signer {n}", "email": f"s{n}@example.org",
                 "email_key": f"s{n}@example.org", "city_as_typed": "Chicago", "city_id": city_id, "country": "US",
                 "state": SignatureState.CONFIRMED, "counted": False, "signed_at": now, "confirmed_at": now}
                for n in range(start, min(start + 10_000, signatures))
            ]  # fmt: skip
            db.session.execute(insert(Signature), rows)
            db.session.commit()
        waiting = min(20, signatures)
        while tallies.signature_count(petition.id) - petition.signature_count > waiting:
            tallies.fold(petition.id, batch=min(50_000, signatures - waiting))
            db.session.commit()
            db.session.refresh(petition)
        count = tallies.signature_count(petition.id)
        print(f"Seeded {slug}: {count:,} signatures ({count - petition.signature_count} not folded yet).")
        db.session.remove()
        db.engine.dispose()
    return slug


def remove(database_url: str, slug: str) -> None:
    from petitions import create_app
    from petitions.extensions import db
    from petitions.models import Coalition, Petition

    app = create_app({"SECRET_KEY": SECRET_KEY, "DATABASE_URL": database_url})
    with app.app_context():
        petition = db.session.execute(db.select(Petition).where(Petition.slug == slug)).scalar_one()
        db.session.execute(db.delete(Petition).where(Petition.id == petition.id))
        db.session.execute(db.delete(Coalition).where(Coalition.slug == slug))
        db.session.commit()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signatures", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each endpoint, taken in turn")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (both servers)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (both servers)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--threads-wrk", type=int, default=1, help="wrk threads (one leaves the servers more CPU)")
    args = parser.parse_args()
    require_wrk()

    scratch = Path(tempfile.mkdtemp(prefix="groundswell-bench-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{scratch / 'bench.sqlite3'}"
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(SECRET_KEY=SECRET_KEY, DATABASE_URL=database_url, RATELIMIT_ENABLED="false")
    slug = seed(database_url, args.signatures)
    log = scratch / "gunicorn.log"
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in NAMES}
    try:
        settings = {"workers": args.workers, "threads": args.threads, "log": log}
        with Server("bench.hello:app", env, **settings) as hello, Server("wsgi:app", env, **settings) as ours:
            count_url = f"{ours.url}/api/v1/petitions/{slug}/count"
            etag = urllib.request.urlopen(count_url).headers["ETag"]
            runs = {
                NAMES[0]: (hello.url + "/hello",),
                NAMES[1]: (count_url,),
                NAMES[2]: (count_url, f"If-None-Match: {etag}"),
            }
            load = {"connections": args.connections, "threads": args.threads_wrk}
            for url, *headers in runs.values():
                wrk(url, seconds=2, headers=tuple(headers), **load)  # warm up
            # Round after round, so that a neighbour's load on a shared machine weighs on all alike.
            for _ in range(args.rounds):
                for name, (url, *headers) in runs.items():
                    rounds[name].append(wrk(url, seconds=args.seconds, headers=tuple(headers), **load))
    finally:
        if os.environ.get("DATABASE_URL"):
            remove(database_url, slug)
        shutil.rmtree(scratch, ignore_errors=True)
    report(rounds, args, database_url, env.get("COUNT_CACHE_SECONDS", "1"))


NAMES = ("hello world (ceiling)", "count, 200", "count, 304 (If-None-Match)")


def report(rounds: dict[str, list[dict[str, float]]], args: argparse.Namespace, database_url: str, cache: str) -> None:
    """Median figures of the rounds, side by side, each as a share of the same run's ceiling."""
    results = {
        name: {key: statistics.median(run[key] for run in runs) for key in ("rps", "p50", "p99")}
        for name, runs in rounds.items()
    }
    ceiling = results[NAMES[0]]["rps"]
    backend = database_url.split(":", 1)[0].split("+", 1)[0]
    print(f"\n{backend}, {args.signatures:,} signatures, COUNT_CACHE_SECONDS={cache}; "
          f"gunicorn --workers {args.workers} --threads {args.threads} (gthread); "
          f"wrk -t{args.threads_wrk} -c{args.connections} -d{args.seconds}s, median of {args.rounds} rounds; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end")  # fmt: skip
    print(f"{'endpoint':<30} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'of ceiling':>11}")
    for name, figures in results.items():
        share = figures["rps"] / ceiling
        print(f"{name:<30} {figures['rps']:>9.0f} {figures['p50']:>8.2f} {figures['p99']:>8.2f} {share:>10.0%}")
    # Each round's count against the same round's ceiling: on a shared machine the load drifts
    # between rounds more than between the runs of one round.
    per_round = [count["rps"] / hello["rps"] for hello, count in zip(rounds[NAMES[0]], rounds[NAMES[1]], strict=True)]
    print("count / ceiling, round by round: " + ", ".join(f"{share:.0%}" for share in per_round))
    print(f"Goal: the count at 70% of the ceiling or more. Median of the rounds: {statistics.median(per_round):.0%}.")


if __name__ == "__main__":
    main()
