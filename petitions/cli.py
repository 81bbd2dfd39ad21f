"""Commands: ``flask --app wsgi <command>``."""

from __future__ import annotations

import click
from flask import Flask

from . import demo, tallies
from .extensions import db
from .models import Petition


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(recount)


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
