"""Commands: ``flask --app wsgi <command>``."""

from __future__ import annotations

import click
from flask import Flask

from . import demo, sources, tallies
from .extensions import db
from .models import Petition


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(recount)
    app.cli.add_command(signatures_by_source)


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
