"""The organizers' trust pages: floods and held signatures, removal on request, retention, failed mail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from petitions import addresses, outbox, tallies
from petitions.extensions import db
from petitions.models import (
    MailKind,
    MailStatus,
    ModerationAction,
    OutboxMessage,
    PetitionState,
    Role,
    Signature,
    SignatureState,
)
from petitions.models.types import utcnow

FLOOD_IP, HOME_IP = "203.0.113.9", "198.51.100.7"


@pytest.fixture
def olga(make_organizer, log_in):
    """Olga, owner of Riverside Parents United, logged in."""
    organizer = make_organizer(name="Olga Ortiz")
    log_in(organizer)
    return organizer


@pytest.fixture
def flooded(make_petition, sign):
    """A petition with four signatures from one address at spam.example, and three people at home."""
    petition = make_petition()
    flood, home = addresses.ip_hash(FLOOD_IP), addresses.ip_hash(HOME_IP)
    for n in range(4):
        sign(petition, f"bot{n}@spam.example", ip_hash=flood)
    sign(petition, "ana@example.org", ip_hash=home)
    sign(petition, "bo@example.org", ip_hash=home)
    sign(petition, "cy@spam.example", ip_hash=home)
    tallies.recount(petition.id)  # fold everything, waiting for the lock
    db.session.commit()
    return petition


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def text_of(html: str) -> str:
    """What a reader sees: the page without its tags and attributes."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def counted(petition) -> tuple[int, dict[int, int]]:
    db.session.expire_all()
    return tallies.signature_count(petition.id), tallies.demand_support(petition.id)


def assert_exact(petition) -> None:
    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)
    assert tallies.recount(petition.id) == []


# --- Floods ----------------------------------------------------------------------------------


def test_the_trust_page_lists_a_flood_from_one_address_and_one_domain(client, olga, flooded, sign):
    flood = addresses.ip_hash(FLOOD_IP)
    sign(flooded, "old@spam.example", ip_hash=flood, now=utcnow() - timedelta(days=3))

    html = page(client.get(f"/organize/petitions/{flooded.slug}/trust"))
    seen = text_of(html)

    # The hash is shortened where it is read; the full one is only in the links that filter by it.
    assert f"{flood[:10]}…" in seen
    assert flood not in seen
    assert re.search(rf"{flood[:10]}… 5 5 0 0", seen)  # signatures, confirmed, held back, struck out
    assert re.search(r"spam\.example 6 6 0 0", seen)
    assert re.search(r"example\.org 2 2 0 0", seen)
    assert FLOOD_IP not in html
    assert HOME_IP not in html
    # Over the last day, the old signature drops out.
    assert re.search(rf"{flood[:10]}… 4 4 0 0", text_of(page(client.get(f"{flooded_url(flooded)}?since=day"))))
    assert client.get(f"{flooded_url(flooded)}?since=fortnight").status_code == 400

    # Each source links to its signatures.
    listed = page(client.get(f"/organize/petitions/{flooded.slug}/signatures?ip={flood}"))
    assert "Showing 1–5 of 5" in listed
    assert "ana@example.org" not in listed
    listed = page(client.get(f"/organize/petitions/{flooded.slug}/signatures?domain=SPAM.example"))
    assert "Showing 1–6 of 6" in listed
    assert client.get(f"/organize/petitions/{flooded.slug}/signatures?ip=not-a-hash").status_code == 422


def flooded_url(petition) -> str:
    return f"/organize/petitions/{petition.slug}/trust"


def test_the_petition_and_signatures_pages_link_to_the_trust_page(client, olga, flooded):
    for path in (f"/organize/petitions/{flooded.slug}", f"/organize/petitions/{flooded.slug}/signatures"):
        assert f'href="/organize/petitions/{flooded.slug}/trust"' in page(client.get(path))


def test_striking_out_an_address_moves_the_count_exactly(client, olga, flooded, organizer_post):
    flood = addresses.ip_hash(FLOOD_IP)
    before, support = counted(flooded)
    assert before == 7
    url = f"/organize/petitions/{flooded.slug}/trust/strike?ip={flood}"

    confirm = page(client.get(url))
    assert "This strikes out 4 signatures" in confirm
    assert "Give a reason" in organizer_post(url, {"reason": ""}).get_data(as_text=True)
    assert counted(flooded)[0] == 7

    response = organizer_post(url, {"reason": "flood from one address"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/organize/petitions/{flooded.slug}/trust")
    assert "4 signatures are struck out." in page(client.get(response.headers["Location"]))

    after, support_after = counted(flooded)
    assert after == 3
    assert support_after == {demand_id: n - 4 for demand_id, n in support.items()}
    assert_exact(flooded)
    [action] = db.session.execute(db.select(ModerationAction)).scalars()
    assert (action.state, action.count, action.reason, action.by) == ("struck", 4, "flood from one address", olga.email)
    assert action.filters == f"ip={flood}"


def test_striking_out_a_domain_takes_the_rest_of_it(client, olga, flooded, organizer_post):
    url = f"/organize/petitions/{flooded.slug}/trust/strike?domain=spam.example"
    assert "This strikes out 5 signatures" in page(client.get(url))

    assert organizer_post(url, {"reason": "throwaway domain"}).status_code == 303

    assert counted(flooded)[0] == 2
    db.session.expire_all()
    assert {s.email for s in db.session.execute(db.select(Signature)).scalars() if s.state == "confirmed"} == {
        "ana@example.org",
        "bo@example.org",
    }
    assert_exact(flooded)
    # Nothing left to strike: the page says so.
    assert "No signature of this source is left" in page(client.get(url))


@pytest.mark.parametrize(
    "query", ["", "?ip=zz", "?domain=a@b", "?ip=abcd&domain=spam.example", "?domain=spam.example&state=confirmed"]
)
def test_a_strike_needs_exactly_one_source(client, olga, flooded, organizer_post, query):
    url = f"/organize/petitions/{flooded.slug}/trust/strike{query}"
    assert client.get(url).status_code == 400
    assert organizer_post(url, {"reason": "x"}).status_code == 400
    assert counted(flooded)[0] == 7


@pytest.mark.parametrize("settings", [{"SIGNATURE_IP_CAP_PER_HOUR": "2"}])
def test_releasing_makes_the_held_signatures_count(client, olga, make_petition, sign, organizer_post):
    petition = make_petition()
    lab = addresses.ip_hash(FLOOD_IP)
    for n in range(4):
        sign(petition, f"pupil{n}@school.example", ip_hash=lab)
    assert counted(petition)[0] == 2

    trust = page(client.get(flooded_url(petition)))
    assert "2 signatures are held back" in trust
    assert re.search(rf"{lab[:10]}… 4 2 2 0", text_of(trust))
    assert "Release all 2 held signatures" in trust
    assert "2 held" in page(client.get(f"/organize/petitions/{petition.slug}"))
    up_to = re.search(r'name="up_to" value="(\d+)"', trust).group(1)
    # One more is held after the page was shown: the organizer has not seen it, so it stays held.
    late = sign(petition, "late@school.example", ip_hash=lab)

    response = organizer_post(f"/organize/petitions/{petition.slug}/trust/release", {"up_to": up_to})

    assert response.status_code == 303
    assert "2 held signatures are released" in page(client.get(response.headers["Location"]))
    count, support = counted(petition)
    assert count == 4
    assert set(support.values()) == {4}
    assert db.session.get(Signature, late).state == SignatureState.SUSPICIOUS
    assert_exact(petition)
    assert "1 signature is held back" in page(client.get(flooded_url(petition)))


# --- Removal on the signer's request -------------------------------------------------------------


def test_removal_on_request_deletes_the_signature_and_keeps_tallies_exact(client, olga, flooded, organizer_post):
    ana = db.session.execute(db.select(Signature.id).where(Signature.email == "ana@example.org")).scalar_one()
    url = f"/organize/petitions/{flooded.slug}/signatures/{ana}"
    assert "Remove on request" in page(client.get(url))
    _, support = counted(flooded)

    unticked = organizer_post(f"{url}/remove", {})
    assert unticked.status_code == 422
    assert "Tick the box" in unticked.get_data(as_text=True)
    assert db.session.get(Signature, ana) is not None

    response = organizer_post(f"{url}/remove", {"confirm": "y", "back": "q=example"})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/organize/petitions/{flooded.slug}/signatures?q=example")
    listed = page(client.get(response.headers["Location"]))
    assert "deleted with its signer&#39;s personal data" in listed
    assert "ana@example.org" not in listed
    db.session.expire_all()
    assert db.session.get(Signature, ana) is None
    count, support_after = counted(flooded)
    assert count == 6
    assert support_after == {demand_id: n - 1 for demand_id, n in support.items()}
    assert_exact(flooded)
    # The log says a signature went, and who removed it; nothing about the signer.
    [action] = db.session.execute(db.select(ModerationAction)).scalars()
    assert (action.count, action.signature_id, action.by) == (1, None, olga.email)
    assert client.get(url).status_code == 404
    assert organizer_post(f"{url}/remove", {"confirm": "y"}).status_code == 404


# --- Retention ---------------------------------------------------------------------------------


@pytest.mark.parametrize("settings", [{"RETENTION_DAYS": "100", "RETENTION_WARNING_DAYS": "10"}])
def test_the_retention_notice_appears_when_due_and_not_before(client, olga, make_petition):
    petition = make_petition(title="Save the pool", state=PetitionState.CLOSED)
    petition.closed_at = utcnow() - timedelta(days=85)
    db.session.commit()
    paths = ("/organize/", f"/organize/petitions/{petition.slug}")

    for path in paths:
        assert "will be deleted on" not in page(client.get(path)), path

    petition.closed_at = utcnow() - timedelta(days=95)
    db.session.commit()
    for path in paths:
        html = page(client.get(path))
        assert "The personal data of the signers of “Save the pool” will be deleted on" in html, path
        assert "100 days after the petition closed" in html

    petition.closed_at = utcnow() - timedelta(days=120)
    db.session.commit()
    assert "was due for deletion on" in page(client.get(paths[1]))

    petition.personal_data_purged_at = utcnow()
    db.session.commit()
    for path in paths:
        assert "personal data of the signers" not in page(client.get(path)), path


# --- Failed mail -------------------------------------------------------------------------------

# A mail server nobody listens on: retried mail stays queued for the sender, never sent by the request.
MAIL_SETTINGS = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": "9", "MAIL_USE_TLS": "false"}


def failed_confirmation(petition, sign, email: str, error: str = "SMTPRecipientsRefused: 550 No such mailbox") -> int:
    """A signature whose confirmation email failed for good."""
    signature_id = sign(petition, email)
    outbox.queue(MailKind.CONFIRM, signature_id)
    message = db.session.execute(
        db.select(OutboxMessage).where(OutboxMessage.signature_id == signature_id)
    ).scalar_one()
    message.status, message.attempts, message.last_error = MailStatus.FAILED, 5, error
    db.session.commit()
    return message.id


@pytest.mark.parametrize("settings", [MAIL_SETTINGS])
def test_retry_puts_a_failed_message_back_in_the_queue(app, make_petition, sign):
    petition = make_petition()
    failed = failed_confirmation(petition, sign, "pat@example.org")

    assert outbox.retry(failed) is True
    db.session.commit()

    db.session.expire_all()
    message = db.session.get(OutboxMessage, failed)
    assert (message.status, message.attempts) == (MailStatus.QUEUED, 0)
    assert message.next_attempt_at <= utcnow()
    assert outbox.claim(utcnow()) == [failed]
    # Only a message that failed goes back: a queued, sent or cancelled one is left alone.
    assert outbox.retry(failed) is False
    assert outbox.retry(failed + 1000) is False


@pytest.mark.parametrize("settings", [MAIL_SETTINGS])
def test_organizers_see_failed_mail_masked_and_retry_it(
    client, olga, make_petition, make_coalition, sign, organizer_post
):
    petition = make_petition(title="Fund <b>our</b> schools")
    failed = failed_confirmation(petition, sign, "patricia@example.org", "SMTPDataError: <script>alert(1)</script>")
    elsewhere = failed_confirmation(make_petition(coalition=make_coalition("other", "Other")), sign, "zed@example.net")
    url = "/organize/coalitions/riverside-parents/mail"
    assert url in page(client.get("/organize/"))

    html = page(client.get(url))

    assert "p…@example.org" in html
    assert "patricia" not in html
    assert "zed@" not in html
    assert "example.net" not in html
    assert "Please confirm your signature" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "Fund &lt;b&gt;our&lt;/b&gt; schools" in html

    response = organizer_post(f"{url}/{failed}/retry")
    assert response.status_code == 303
    assert "back in the queue" in page(client.get(response.headers["Location"]))
    db.session.expire_all()
    assert db.session.get(OutboxMessage, failed).status == MailStatus.QUEUED
    assert "p…@example.org" not in page(client.get(url))
    assert "not waiting for a retry" in page(client.get(organizer_post(f"{url}/{failed}/retry").headers["Location"]))
    # Another coalition's message is not found from here.
    assert organizer_post(f"{url}/{elsewhere}/retry").status_code == 404
    assert db.session.get(OutboxMessage, elsewhere).status == MailStatus.FAILED


# --- Who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize("settings", [MAIL_SETTINGS])
def test_a_viewer_reads_the_trust_page_and_changes_nothing(
    client, make_organizer, log_in, flooded, sign, organizer_post
):
    failed = failed_confirmation(flooded, sign, "pat@example.org")
    log_in(make_organizer("vera@example.org", role=Role.VIEWER))
    flood = addresses.ip_hash(FLOOD_IP)
    ana = db.session.execute(db.select(Signature).where(Signature.email == "ana@example.org")).scalar_one()
    slug = flooded.slug

    trust = page(client.get(f"/organize/petitions/{slug}/trust"))
    assert f"{flood[:10]}…" in trust
    assert "Strike out all" not in trust
    assert "Remove on request" not in page(client.get(f"/organize/petitions/{slug}/signatures/{ana.id}"))
    assert "/organize/coalitions/riverside-parents/mail" not in page(client.get("/organize/"))
    for path in (f"/organize/petitions/{slug}/trust/strike?ip={flood}", "/organize/coalitions/riverside-parents/mail"):
        assert client.get(path).status_code == 403, path
    for path, data in (
        (f"/organize/petitions/{slug}/trust/strike?ip={flood}", {"reason": "x"}),
        (f"/organize/petitions/{slug}/trust/release", {"up_to": "999"}),
        (f"/organize/petitions/{slug}/signatures/{ana.id}/remove", {"confirm": "y"}),
        (f"/organize/coalitions/riverside-parents/mail/{failed}/retry", {}),
    ):
        assert organizer_post(path, data).status_code == 403, path

    db.session.expire_all()
    assert counted(flooded)[0] == 8  # the flood, the three at home, and pat
    assert db.session.get(Signature, ana.id) is not None
    assert db.session.get(OutboxMessage, failed).status == MailStatus.FAILED


def test_another_coalitions_trust_pages_are_404(
    client, make_organizer, make_coalition, log_in, flooded, organizer_post
):
    log_in(make_organizer("mallory@example.org", coalition=make_coalition("elsewhere", "Elsewhere")))
    flood = addresses.ip_hash(FLOOD_IP)
    slug = flooded.slug
    ana = db.session.execute(db.select(Signature).where(Signature.email == "ana@example.org")).scalar_one()

    assert client.get(f"/organize/petitions/{slug}/trust").status_code == 404
    assert client.get(f"/organize/petitions/{slug}/trust/strike?ip={flood}").status_code == 404
    assert client.get("/organize/coalitions/riverside-parents/mail").status_code == 404
    for path, data in (
        (f"/organize/petitions/{slug}/trust/strike?ip={flood}", {"reason": "x"}),
        (f"/organize/petitions/{slug}/trust/release", {"up_to": "999"}),
        (f"/organize/petitions/{slug}/signatures/{ana.id}/remove", {"confirm": "y"}),
    ):
        assert organizer_post(path, data).status_code == 404, path
    assert counted(flooded)[0] == 7


def test_html_in_sources_is_escaped(client, olga, make_petition, sign):
    petition = make_petition()
    sign(petition, "x@<img src=x onerror=alert(1)>.example")

    html = page(client.get(flooded_url(petition)))

    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.example" in html
