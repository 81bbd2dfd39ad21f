"""What the trust features cost a signer: POST /petitions/<slug>/sign with them off and on, beside a hello-world app.

Three gunicorn servers with the same settings on loopback, loaded by wrk in turn, round after
round: the hello-world ceiling (bench/hello.py), Groundswell with every trust feature off
(SIGNATURE_CONFIRMATION=none, no rate limits, no cap, no form timer), and Groundswell as it ships
(confirmation by email, so every signature also queues an email; rate limits checked on every
request; the hourly cap per address counted on every signature; the form stamp checked). Every
request signs with a new address. Usage:

    make bench-signing                      # SQLite in a temporary folder
    DATABASE_URL=postgresql://postgres@127.0.0.1/groundswell_bench make bench-signing
    .venv/bin/python bench/signing_throughput.py --seconds 20 --rounds 5 --workers 4

With DATABASE_URL set, the benchmark brings that database's schema up to date, adds its petitions
and removes them (with their signatures and mail) at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

from common import ROOT, SECRET_KEY, TRUST_OFF, Server, require_wrk, sign_forms, sign_script, wrk

sys.path.insert(0, str(ROOT))

# As shipped, except for a rate limit no benchmark reaches (it is still checked on every request)
# and a mail server nobody listens on (mail is only queued: sending is send-mail's job).
TRUST_ON = {
    "SIGNATURE_CONFIRMATION": "email",
    "RATELIMIT_ENABLED": "true",
    "SIGN_RATE_LIMIT": "1000000 per minute",
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": "9",
}
NAMES = ("hello world (ceiling)", "sign, trust features off", "sign, as shipped")


def seed(database_url: str, count: int) -> list[str]:
    """``count`` open petitions with three demands each: their slugs."""
    import flask_migrate

    from petitions import create_app
    from petitions.extensions import db
    from petitions.models import Coalition, Demand, Petition

    app = create_app({"SECRET_KEY": SECRET_KEY, "DATABASE_URL": database_url})
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    slugs = [f"{prefix}-{n}" for n in range(count)]
    with app.app_context():
        flask_migrate.upgrade()
        coalition = Coalition(slug=prefix, name="Benchmark coalition")
        for slug in slugs:
            petition = Petition(coalition=coalition, slug=slug, title="Benchmark petition", goal=1_000_000)
            for position in (1, 2, 3):
                petition.demands.append(Demand(position=position, title=f"Demand {position}"))
            petition.open()
            db.session.add(petition)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return slugs


def outcome(database_url: str, slugs: list[str]) -> None:
    """What the signing left behind: signatures by state, and mail queued."""
    from sqlalchemy import func

    from petitions import create_app
    from petitions.extensions import db
    from petitions.models import OutboxMessage, Petition, Signature

    app = create_app({"SECRET_KEY": SECRET_KEY, "DATABASE_URL": database_url})
    with app.app_context():
        for name, slug in zip(NAMES[1:], slugs, strict=True):
            petition_id = db.session.execute(db.select(Petition.id).where(Petition.slug == slug)).scalar_one()
            states = db.session.execute(
                db.select(Signature.state, func.count())
                .where(Signature.petition_id == petition_id)
                .group_by(Signature.state)
            ).all()
            mail = db.session.execute(
                db.select(func.count())
                .select_from(OutboxMessage)
                .join(Signature, Signature.id == OutboxMessage.signature_id)
                .where(Signature.petition_id == petition_id)
            ).scalar_one()
            signed = ", ".join(f"{n:,} {state}" for state, n in sorted(states))
            print(f"{name}: {signed}; {mail:,} emails queued")
        db.engine.dispose()


def remove(database_url: str, slugs: list[str]) -> None:
    from petitions import create_app
    from petitions.extensions import db
    from petitions.models import Coalition, Petition

    app = create_app({"SECRET_KEY": SECRET_KEY, "DATABASE_URL": database_url})
    with app.app_context():
        db.session.execute(db.delete(Petition).where(Petition.slug.in_(slugs)))
        db.session.execute(db.delete(Coalition).where(Coalition.slug == slugs[0].rsplit("-", 1)[0]))
        db.session.commit()
        db.engine.dispose()


def signing(server: str, slug: str, scratch: Path) -> Path:
    """A wrk script that signs ``slug`` with the form and session of one browser."""
    forms = sign_forms(server, slug)
    time.sleep(2.1)  # older than the default SIGN_FORM_MIN_SECONDS: these are people, not bots
    return sign_script(f"/petitions/{slug}/sign", forms, scratch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each server, taken in turn")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (every server)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (every server)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--threads-wrk", type=int, default=1, help="wrk threads (one leaves the servers more CPU)")
    args = parser.parse_args()
    require_wrk()

    scratch = Path(tempfile.mkdtemp(prefix="groundswell-bench-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{scratch / 'bench.sqlite3'}"
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(SECRET_KEY=SECRET_KEY, DATABASE_URL=database_url)
    slugs = seed(database_url, 2)
    log = scratch / "gunicorn.log"
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in NAMES}
    try:
        with ExitStack() as servers:
            settings = {"workers": args.workers, "threads": args.threads, "log": log}
            hello = servers.enter_context(Server("bench.hello:app", env, **settings)).url
            off = servers.enter_context(Server("wsgi:app", {**env, **TRUST_OFF}, **settings)).url
            on = servers.enter_context(Server("wsgi:app", {**env, **TRUST_ON}, **settings)).url
            runs = {
                NAMES[0]: (hello + "/hello", None),
                NAMES[1]: (off, slugs[0]),
                NAMES[2]: (on, slugs[1]),
            }
            load = {"connections": args.connections, "threads": args.threads_wrk}
            for url, slug in runs.values():
                wrk(url, seconds=2, script=slug and signing(url, slug, scratch), **load)  # warm up
            # Round after round, so that a neighbour's load on a shared machine weighs on all alike.
            for _ in range(args.rounds):
                for name, (url, slug) in runs.items():
                    script = slug and signing(url, slug, scratch)
                    rounds[name].append(wrk(url, seconds=args.seconds, script=script, **load))
        outcome(database_url, slugs)
    finally:
        if os.environ.get("DATABASE_URL"):
            remove(database_url, slugs)
        shutil.rmtree(scratch, ignore_errors=True)
    report(rounds, args, database_url)


def report(rounds: dict[str, list[dict[str, float]]], args: argparse.Namespace, database_url: str) -> None:
    """Median figures of the rounds, side by side, each as a share of the same run's ceiling."""
    results = {
        name: {key: statistics.median(run[key] for run in runs) for key in ("rps", "p50", "p99")}
        for name, runs in rounds.items()
    }
    ceiling = results[NAMES[0]]["rps"]
    backend = database_url.split(":", 1)[0].split("+", 1)[0]
    print(f"\n{backend}; gunicorn --workers {args.workers} --threads {args.threads} (gthread); "
          f"wrk -t{args.threads_wrk} -c{args.connections} -d{args.seconds}s, median of {args.rounds} rounds; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end")  # fmt: skip
    print(f"{'endpoint':<30} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'of ceiling':>11}")
    for name, figures in results.items():
        share = figures["rps"] / ceiling
        print(f"{name:<30} {figures['rps']:>9.0f} {figures['p50']:>8.2f} {figures['p99']:>8.2f} {share:>10.0%}")
    # Each round's "as shipped" against the same round's "off": the price of the trust features.
    per_round = [on["rps"] / off["rps"] for off, on in zip(rounds[NAMES[1]], rounds[NAMES[2]], strict=True)]
    print("as shipped / trust off, round by round: " + ", ".join(f"{share:.0%}" for share in per_round))


if __name__ == "__main__":
    main()
