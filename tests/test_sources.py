"""Where signers come from: the ``source`` of the link they followed, kept with their signature."""

from __future__ import annotations

import re

import pytest

from petitions import signing
from petitions.extensions import db
from petitions.models import Signature, SignatureState
from petitions.models.signature import SOURCE_MAX_LENGTH
from petitions.sources import clean_source, embed_source, signatures_by_source


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("newsletter", "newsletter"),
        ("Newsletter-March", "newsletter-march"),
        ("embed:Partner.ORG", "embed:partner.org"),
        ("  spring rally  ", "spring-rally"),
        ('=HYPERLINK("http://evil.example")', "hyperlink-http://evil.example"),
        ("+1-555", "1-555"),
        ("@everyone", "everyone"),
        ("<script>alert(1)</script>", "script-alert-1-/script"),
        ("Boletín de Mayo", "boletín-de-mayo"),
        ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ("tab\there\x00nul", "tab-here-nul"),
        ("---", ""),
        ("", ""),
        (None, ""),
        (["list"], ""),
    ],
)
def test_sources_are_reduced_to_plain_labels(given, stored):
    assert clean_source(given) == stored


def test_sources_are_bounded():
    assert len(clean_source("a" * 10_000)) == SOURCE_MAX_LENGTH
    assert len(clean_source("ab-" * 1_000)) <= SOURCE_MAX_LENGTH
    assert not clean_source("ab-" * 1_000).endswith("-")


def test_the_embed_names_the_host():
    assert embed_source("www.Partner.org") == "embed:www.partner.org"
    assert embed_source("") == "embed"


def stored_sources(petition) -> list[str]:
    return list(
        db.session.execute(
            db.select(Signature.source).where(Signature.petition_id == petition.id).order_by(Signature.id)
        ).scalars()
    )


def test_the_source_travels_from_the_link_through_the_form_to_the_signature(client, make_petition, post_signature):
    petition = make_petition()

    page = client.get(f"/petitions/{petition.slug}?source=embed:Partner.org").get_data(as_text=True)
    hidden = re.search(r'<input id="source" name="source" type="hidden" value="([^"]*)">', page)
    assert hidden.group(1) == "embed:partner.org"

    response = post_signature(petition, source=hidden.group(1))

    assert response.status_code == 303
    assert stored_sources(petition) == ["embed:partner.org"]


def test_a_form_error_keeps_the_source(client, make_petition, post_signature):
    petition = make_petition()
    response = post_signature(petition, name="", source="newsletter")
    assert response.status_code == 422
    assert 'name="source" type="hidden" value="newsletter"' in response.get_data(as_text=True)


def test_a_tampered_source_is_cleaned_before_it_is_stored(client, make_petition, post_signature):
    petition = make_petition()
    post_signature(petition, email="a@example.org", source='=cmd|" /C calc"!A0' + "x" * 500)
    post_signature(petition, email="b@example.org")

    first, second = stored_sources(petition)
    assert first.startswith("cmd-/c-calc-a0x")
    assert len(first) == SOURCE_MAX_LENGTH
    assert second == ""


def test_no_source_is_stored_as_empty(client, make_petition, post_signature):
    petition = make_petition()
    client.get(f"/petitions/{petition.slug}")
    post_signature(petition)
    assert stored_sources(petition) == [""]


def test_signatures_per_source_count_confirmed_signatures_most_first(make_petition, sign):
    petition = make_petition()
    other = make_petition()
    for source in ["newsletter", "embed:partner.org", "newsletter", "", "newsletter", "embed:partner.org"]:
        sign(petition, source=source)
    struck = sign(petition, source="embed:partner.org")
    sign(other, source="newsletter")
    signing.change_state(petition.id, [struck], SignatureState.STRUCK, reason="spam")
    db.session.commit()

    counts = [(count.source, count.signature_count) for count in signatures_by_source(petition.id)]

    assert counts == [("newsletter", 3), ("embed:partner.org", 2), ("", 1)]


def test_the_sources_command(runner, make_petition, sign):
    petition = make_petition(slug="fund-schools")
    for source in ["newsletter", "newsletter", ""]:
        sign(petition, source=source)

    result = runner.invoke(args=["sources", "fund-schools"])

    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert re.fullmatch(r"newsletter\s+2", lines[0])
    assert re.fullmatch(r"\(none\)\s+1", lines[1])
    assert lines[2] == "2 sources, 3 confirmed signatures."
    missing = runner.invoke(args=["sources", "nope"])
    assert missing.exit_code != 0
    assert "no petition with slug 'nope'" in missing.output


def test_organizers_see_signatures_per_source(client, make_petition, sign, make_organizer, log_in):
    petition = make_petition(slug="fund-schools")
    for source in ["newsletter", "embed:partner.org", "newsletter", ""]:
        sign(petition, source=source)
    log_in(make_organizer(coalition=petition.coalition))

    page = client.get("/organize/petitions/fund-schools").get_data(as_text=True)

    section = page[page.index('id="sources-heading"') :]
    rows = re.findall(r"<tr><td>(.*?)</td><td class=\"number\">(\d+)</td></tr>", section)
    assert rows == [("newsletter", "2"), ("(no source: the campaign page itself)", "1"), ("embed:partner.org", "1")]
