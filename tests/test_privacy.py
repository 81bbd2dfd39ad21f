"""Signers' privacy: what the public sees, purging personal data, retention, the privacy page."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from petitions import privacy, signing, tallies
from petitions.extensions import db
from petitions.models import PetitionState, Signature, SignatureState
from petitions.models.types import utcnow


def signatures() -> list[Signature]:
    db.session.expire_all()
    return db.session.execute(db.select(Signature).order_by(Signature.id)).scalars().all()


# --- What the public sees ----------------------------------------------------------------------


def test_only_signers_who_chose_it_are_shown_and_only_by_first_name_and_city(client, make_petition, sign):
    petition = make_petition()
    sign(petition, "ana@example.org", name="Ana Lucía Pérez", city="Chicago", public_name=True)
    sign(petition, "bob@example.org", name="Bobby Private", city="Detroit", public_name=False)
    struck = sign(petition, "eve@example.org", name="Evelyn Struck", city="Oakland", public_name=True)
    signing.change_state(petition.id, [struck], SignatureState.STRUCK, reason="spam")
    sign(petition, "zoe@example.org", name="<b>Zoë</b> O’Brien", city="Springfield", region="IL", public_name=True)
    db.session.commit()

    page = client.get(f"/petitions/{petition.slug}").get_data(as_text=True)
    document = client.get(f"/api/v1/petitions/{petition.slug}").json

    recent = re.search(r'<ul class="recent-signers">(.*?)</ul>', page, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", recent) == ["&lt;b&gt;Zoë&lt;/b&gt; from Springfield", "Ana from Chicago"]
    assert [(s["first_name"], s["city"]) for s in document["recent_signers"]] == [
        ("<b>Zoë</b>", "Springfield"),
        ("Ana", "Chicago"),
    ]
    for text in (page, json.dumps(document, ensure_ascii=False)):
        for private in ("Pérez", "Bobby", "Private", "Evelyn", "O’Brien", "@example.org"):
            assert private not in text, private


@pytest.mark.parametrize("settings", [{"SIGNATURE_CONFIRMATION": "email"}])
def test_a_signer_not_yet_confirmed_is_not_shown(client, make_petition, sign):
    petition = make_petition()
    sign(petition, "ana@example.org", name="Ana Pending", public_name=True)
    assert "Recent signers" not in client.get(f"/petitions/{petition.slug}").get_data(as_text=True)
    assert client.get(f"/api/v1/petitions/{petition.slug}").json["recent_signers"] == []


# --- Purging and retention ---------------------------------------------------------------------


def close(petition, when: datetime) -> None:
    petition.close()
    petition.closed_at = when
    db.session.commit()


def test_purge_removes_personal_data_and_keeps_every_tally(runner, make_petition, sign):
    old, recent, running = make_petition(slug="old-campaign"), make_petition(), make_petition()
    for petition in (old, recent, running):
        sign(petition, "ana@example.org", name="Ana Pérez", postal_code="60601", comment="=HYPERLINK(\"x\")",
             ip_hash="a" * 32, public_name=True, updates_opt_in=True)  # fmt: skip
        sign(petition, "bo@example.org", city="Detroit")
    tallies.recount(old.id)  # fold everything, waiting for the lock
    db.session.commit()
    close(old, datetime(2024, 3, 1, tzinfo=UTC))
    close(recent, datetime(2025, 6, 1, tzinfo=UTC))
    before = tallies.snapshot(old.id)

    result = runner.invoke(args=["purge-personal-data", "--closed-before", "2025-01-01"])

    assert result.exit_code == 0, result.output
    assert "old-campaign: signers' personal data deleted." in result.output
    assert "Purged 2 signatures on 1 petitions closed before 2025-01-01" in result.output
    db.session.expire_all()
    purged = [s for s in signatures() if s.petition_id == old.id]
    for signature in purged:
        assert (signature.name, signature.email, signature.postal_code, signature.comment, signature.ip_hash) == (
            "",
            "",
            "",
            "",
            "",
        )
        assert signature.email_key.startswith("purged:")
        assert (signature.public_name, signature.updates_opt_in) == (False, False)
    assert tallies.snapshot(old.id) == before == tallies.truth(old.id)
    assert tallies.recount(old.id) == []
    assert old.personal_data_purged_at is not None
    kept = [s for s in signatures() if s.petition_id != old.id]
    assert {s.email for s in kept} == {"ana@example.org", "bo@example.org"}
    assert all(s.name for s in kept)
    # Running it again finds nothing more to do.
    assert (
        "Purged 0 signatures on 1 petitions"
        in runner.invoke(args=["purge-personal-data", "--closed-before", "2025-01-01"]).output
    )


def test_purge_needs_a_date(runner, app):
    assert runner.invoke(args=["purge-personal-data"]).exit_code == 2
    bad = runner.invoke(args=["purge-personal-data", "--closed-before", "last year"])
    assert bad.exit_code == 2
    assert "YYYY-MM-DD" in bad.output or "%Y-%m-%d" in bad.output


@pytest.mark.parametrize("settings", [{"RETENTION_DAYS": "100", "RETENTION_WARNING_DAYS": "10"}])
def test_organizers_are_warned_before_the_retention_period_ends(app, make_petition):
    now = utcnow()
    soon = make_petition(slug="soon", state=PetitionState.CLOSED)
    overdue = make_petition(slug="overdue", state=PetitionState.ARCHIVED)
    later = make_petition(slug="later", state=PetitionState.CLOSED)
    purged = make_petition(slug="purged", state=PetitionState.CLOSED)
    make_petition(slug="running")
    soon.closed_at, overdue.closed_at = now - timedelta(days=95), now - timedelta(days=300)
    later.closed_at = purged.closed_at = now - timedelta(days=50)
    purged.closed_at = now - timedelta(days=99)
    purged.personal_data_purged_at = now
    db.session.commit()

    notices = privacy.retention_ending(now=now)

    assert [(n.petition.slug, n.purge_due) for n in notices] == [
        ("overdue", overdue.closed_at + timedelta(days=100)),
        ("soon", soon.closed_at + timedelta(days=100)),
    ]
    assert privacy.retention_ending(coalition_id=soon.coalition_id + 1000, now=now) == []


# --- The privacy page --------------------------------------------------------------------------


def test_the_privacy_page_says_what_who_how_long_and_how_to_withdraw(client, app):
    page = client.get("/privacy").get_data(as_text=True)
    for heading in ("What we keep", "Who sees it", "For how long", "How to withdraw"):
        assert f">{heading}</h2>" in page
    assert "kept for 365 days after the campaign closes" in page
    assert "never keep the address itself" in page
    spanish = client.get("/privacy?lang=es").get_data(as_text=True)
    assert "Cómo retirar tu firma" in spanish


def test_every_page_links_to_the_privacy_page(client, make_petition, post_signature):
    petition = make_petition()
    thanks = post_signature(petition).headers["Location"]
    for path in ("/", f"/petitions/{petition.slug}", thanks, "/privacy", "/petitions/nope"):
        page = client.get(path).get_data(as_text=True)
        assert '<a href="/privacy">Privacy: what we keep and how to withdraw</a>' in page, path
    form = re.search(
        r'<form method="post".*?</form>', client.get(f"/petitions/{petition.slug}").get_data(as_text=True), re.S
    )
    assert 'href="/privacy"' in form.group(0)
