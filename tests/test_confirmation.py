"""Double opt-in: a signature counts once its address is confirmed, exactly once, through a real SMTP server."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import itsdangerous
import pytest

from petitions import tallies, tokens
from petitions.extensions import db
from petitions.models import (
    Endorsement,
    MailKind,
    MailStatus,
    OutboxMessage,
    PetitionTranslation,
    Signature,
    SignatureState,
)
from petitions.models.types import utcnow
from tests.mailserver import html_part, text_part
from tests.servers import gunicorn

LINK = re.compile(
    r"http://127\.0\.0\.1:5000(/petitions/[^/\s]+/(confirm|withdraw|unsubscribe)/[^\s?\"<]+)(\?lang=\w+)?"
)


@pytest.fixture
def settings(mailbox):
    return {"SIGNATURE_CONFIRMATION": "email", **mailbox.settings}


def send_mail(runner) -> str:
    result = runner.invoke(args=["send-mail", "--once"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def links(message) -> dict[str, str]:
    """The links of an email's text part, by kind: the path, as a browser would request it."""
    return {kind: path + (lang or "") for path, kind, lang in LINK.findall(text_part(message))}


def only_signature() -> Signature:
    db.session.expire_all()
    [signature] = db.session.execute(db.select(Signature)).scalars().all()
    return signature


def test_a_signature_counts_once_its_address_is_confirmed(client, runner, make_petition, post_signature, mailbox):
    petition = make_petition(title="Keep Lincoln Elementary open")

    response = post_signature(petition, email="Ana.Perez@Example.org", name="Ana Lucía Pérez")

    assert response.status_code == 303
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "please check your email" in thanks
    assert only_signature().state == SignatureState.PENDING
    assert tallies.signature_count(petition.id) == 0

    assert "sent 1" in send_mail(runner)
    [message] = mailbox.messages
    assert message["To"] == "Ana Lucía Pérez <Ana.Perez@example.org>"
    assert message["Subject"] == "Please confirm your signature: Keep Lincoln Elementary open"
    assert message.get_content_type() == "multipart/alternative"
    for part in (text_part(message), html_part(message)):
        assert "Keep Lincoln Elementary open" in part
        assert f"http://127.0.0.1:5000/petitions/{petition.slug}/confirm/" in part
        assert f"http://127.0.0.1:5000/petitions/{petition.slug}/withdraw/" in part
        assert "Hello Ana," in part
    assert mailbox.envelopes[0].rcpt_tos == ["Ana.Perez@example.org"]

    first = client.get(links(message)["confirm"])

    assert first.status_code == 200
    assert "Thank you: your signature counts" in first.get_data(as_text=True)
    assert only_signature().state == SignatureState.CONFIRMED
    assert only_signature().confirmed_at is not None
    assert tallies.signature_count(petition.id) == 1

    second = client.get(links(message)["confirm"])

    assert second.status_code == 200
    assert "Your signature is already confirmed" in second.get_data(as_text=True)
    assert tallies.signature_count(petition.id) == 1
    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)


def test_a_pending_signer_who_signs_again_gets_the_email_again(client, runner, make_petition, post_signature, mailbox):
    petition = make_petition()
    post_signature(petition, email="maria@example.org")
    send_mail(runner)

    again = post_signature(petition, email="MARIA@example.org", name="María again")

    assert again.status_code == 303
    send_mail(runner)
    first, second = mailbox.messages
    assert first["Subject"] == second["Subject"]
    assert only_signature().name == "Ana Lucía Pérez"  # the second attempt stored nothing
    assert client.get(links(second)["confirm"]).status_code == 200
    assert "already confirmed" in client.get(links(first)["confirm"]).get_data(as_text=True)
    assert tallies.signature_count(petition.id) == 1


def test_signing_twice_before_the_mail_goes_out_sends_one_email(runner, make_petition, post_signature, mailbox):
    petition = make_petition()
    post_signature(petition, email="maria@example.org")
    post_signature(petition, email="maria@example.org")
    send_mail(runner)
    assert len(mailbox.messages) == 1


def test_a_flood_of_attempts_sends_a_handful_of_emails(runner, make_petition, sign, mailbox):
    petition = make_petition()
    for _ in range(12):
        sign(petition, "victim@example.org")
        send_mail(runner)
    assert len(mailbox.to("victim@example.org")) == 5


def test_the_owner_of_a_confirmed_address_hears_of_a_second_signature(
    client, runner, make_petition, post_signature, mailbox
):
    petition = make_petition(title="Fund the libraries")
    post_signature(petition, email="ana@example.org")
    send_mail(runner)
    client.get(links(mailbox.messages[0])["confirm"])

    stranger = post_signature(petition, email="ANA@example.org", name="Someone Else")

    assert stranger.status_code == 303
    assert stranger.headers["Location"] == f"/petitions/{petition.slug}/thanks"
    send_mail(runner)
    notice = mailbox.messages[-1]
    assert notice["Subject"] == "You have already signed: Fund the libraries"
    assert "nothing has changed" in text_part(notice)
    assert "confirm" not in links(notice)
    assert "withdraw" in links(notice)
    assert only_signature().name == "Ana Lucía Pérez"
    assert tallies.signature_count(petition.id) == 1


def test_without_confirmation_the_owner_still_hears_of_a_second_signature(app, runner, make_petition, sign, mailbox):
    app.config["SIGNATURE_CONFIRMATION"] = "none"  # a kiosk, with a mail server configured
    petition = make_petition()
    sign(petition, "ana@example.org")
    send_mail(runner)
    assert mailbox.messages == []  # signing sends nothing when nothing needs confirming

    assert sign(petition, "Ana@Example.org") is None
    send_mail(runner)

    [notice] = mailbox.messages
    assert notice["Subject"].startswith("You have already signed")


def test_a_confirmation_link_expires(client, runner, make_petition, sign, mailbox, monkeypatch, app):
    petition = make_petition()
    signature = db.session.get(Signature, sign(petition, "late@example.org"))
    days = app.config["CONFIRMATION_LINK_DAYS"]
    with monkeypatch.context() as past:
        past.setattr(
            itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: int(time.time()) - days * 86400 - 60
        )
        old_token = tokens.signature_token(signature, tokens.CONFIRM)

    expired = client.get(f"/petitions/{petition.slug}/confirm/{old_token}")

    assert expired.status_code == 410
    assert "This link has expired" in expired.get_data(as_text=True)
    assert only_signature().state == SignatureState.PENDING
    # Signing again brings a fresh link that works.
    sign(petition, "late@example.org")
    send_mail(runner)
    assert client.get(links(mailbox.messages[-1])["confirm"]).status_code == 200
    assert only_signature().state == SignatureState.CONFIRMED


def test_forged_links_lead_nowhere(client, make_petition, sign, app):
    petition, other = make_petition(), make_petition()
    signature = db.session.get(Signature, sign(petition, "ana@example.org"))
    token = tokens.signature_token(signature, tokens.CONFIRM)
    withdraw_token = tokens.signature_token(signature, tokens.WITHDRAW)

    assert client.get(f"/petitions/{petition.slug}/confirm/{token[:-3]}xyz").status_code == 404
    assert client.get(f"/petitions/{petition.slug}/confirm/{withdraw_token}").status_code == 404
    assert client.get(f"/petitions/{petition.slug}/confirm/not-a-token").status_code == 404
    # A real link on another petition's address.
    assert client.get(f"/petitions/{other.slug}/confirm/{token}").status_code == 404
    assert only_signature().state == SignatureState.PENDING


def test_a_link_never_reaches_a_later_signature_with_the_same_id(client, make_petition, sign, app):
    petition = make_petition()
    first = db.session.get(Signature, sign(petition, "first@example.org"))
    token = tokens.signature_token(first, tokens.CONFIRM)
    # As if SQLite handed the id of a deleted signature to someone else.
    db.session.execute(db.update(Signature).where(Signature.id == first.id).values(email_key="other@example.org"))
    db.session.commit()

    assert client.get(f"/petitions/{petition.slug}/confirm/{token}").status_code == 404
    assert only_signature().state == SignatureState.PENDING


def test_a_spanish_signer_gets_the_email_in_spanish(client, runner, make_petition, post_signature, mailbox):
    petition = make_petition(title="Keep our schools open")
    petition.translations["es"] = PetitionTranslation(locale="es", title="Que no cierren nuestras escuelas")
    db.session.commit()
    client.get("/?lang=es")

    post_signature(petition, name="María José", email="mj@example.org")
    send_mail(runner)

    [message] = mailbox.messages
    assert message["Subject"] == "Confirma tu firma: Que no cierren nuestras escuelas"
    text, html = text_part(message), html_part(message)
    assert "Hola, María:" in text
    assert "Confirmar mi firma" in html
    assert '<html lang="es">' in html
    for part in (text, html):
        assert "Que no cierren nuestras escuelas" in part
        assert "Retira tu firma" in part
        assert "Please confirm" not in part
        assert "Keep our schools open" not in part
    confirm = links(message)["confirm"]
    assert confirm.endswith("?lang=es")
    page = client.get(confirm).get_data(as_text=True)
    assert "Gracias: tu firma cuenta" in page


def test_mail_sent_from_the_command_line_links_to_base_url(runner, make_petition, sign, mailbox, app):
    petition = make_petition()
    sign(petition, "ana@example.org")
    app.config["BASE_URL"] = "https://sign.example.org"

    send_mail(runner)

    text = text_part(mailbox.messages[0])
    assert f"https://sign.example.org/petitions/{petition.slug}/confirm/" in text
    assert "127.0.0.1" not in text


def test_stale_pending_signatures_are_removed(runner, make_petition, sign, app):
    petition = make_petition()
    now = utcnow()
    stale = sign(petition, "stale@example.org", now=now - timedelta(days=15))
    recent = sign(petition, "recent@example.org", now=now - timedelta(days=13))
    db.session.execute(db.update(Signature).where(Signature.id == recent).values(state=SignatureState.PENDING))
    confirmed_long_ago = sign(petition, "old-but-confirmed@example.org", now=now - timedelta(days=40))
    db.session.execute(
        db.update(Signature).where(Signature.id == confirmed_long_ago).values(state=SignatureState.CONFIRMED)
    )
    db.session.commit()

    result = runner.invoke(args=["remove-pending-signatures"])

    assert result.exit_code == 0, result.output
    assert "Removed 1 unconfirmed signatures older than 14 days." in result.output
    db.session.expire_all()
    remaining = set(db.session.execute(db.select(Signature.id)).scalars())
    assert remaining == {recent, confirmed_long_ago}
    # Its endorsements and its mail went with it.
    assert not db.session.execute(db.select(Endorsement).where(Endorsement.signature_id == stale)).first()
    assert not db.session.execute(db.select(OutboxMessage).where(OutboxMessage.signature_id == stale)).first()
    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)

    assert "Removed 1 " in runner.invoke(args=["remove-pending-signatures", "--older-than-days", "10"]).output


def test_a_mail_about_a_signature_confirmed_meanwhile_is_not_sent(client, runner, make_petition, sign, mailbox):
    petition = make_petition()
    signature = db.session.get(Signature, sign(petition, "quick@example.org"))
    client.get(f"/petitions/{petition.slug}/confirm/{tokens.signature_token(signature, tokens.CONFIRM)}")

    assert "no longer needed 1" in send_mail(runner)

    assert mailbox.messages == []
    [message] = db.session.execute(db.select(OutboxMessage)).scalars().all()
    assert (message.kind, message.status) == (MailKind.CONFIRM, MailStatus.CANCELLED)


def test_two_clicks_at_the_same_instant_confirm_once(app, database_url, make_petition, sign, tmp_path, settings):
    petition = make_petition()
    signature = db.session.get(Signature, sign(petition, "twice@example.org"))
    path = f"/petitions/{petition.slug}/confirm/{tokens.signature_token(signature, tokens.CONFIRM)}"
    clicks = 12

    with gunicorn(database_url, tmp_path, workers=2, threads=6, **settings, TALLY_FOLD_EVERY="1") as server:
        start = threading.Barrier(clicks)

        def click(_: int) -> str:
            with httpx.Client(base_url=server.url, timeout=30) as http:
                start.wait()
                response = http.get(path)
                assert response.status_code == 200, response.text
                return response.text

        with ThreadPoolExecutor(clicks) as pool:
            pages = list(pool.map(click, range(clicks)))
        log = server.output()

    assert "Traceback" not in log
    assert sum("Thank you: your signature counts" in page for page in pages) == 1
    assert sum("Your signature is already confirmed" in page for page in pages) == clicks - 1
    db.session.expire_all()
    assert tallies.signature_count(petition.id) == 1
    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)
