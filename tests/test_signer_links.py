"""A signer's own links: withdrawing, and news on demands with a one-click unsubscribe."""

from __future__ import annotations

import json
import re

import pytest

from petitions import notifications, signing, tallies, tokens
from petitions.extensions import db
from petitions.models import DemandStatus, Endorsement, MailKind, MailStatus, OutboxMessage, Signature, SignatureState
from petitions.models.types import utcnow
from tests.mailserver import html_part, text_part

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def settings(mailbox):
    return {"SIGNATURE_CONFIRMATION": "email", **mailbox.settings}


def signatures() -> list[Signature]:
    db.session.expire_all()
    return db.session.execute(db.select(Signature).order_by(Signature.id)).scalars().all()


def send_mail(runner) -> None:
    result = runner.invoke(args=["send-mail", "--once"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()


@pytest.fixture
def sign_confirmed(sign):
    """Sign and confirm at once, as a signer who followed the link."""

    def sign_(petition, email, **fields) -> int:
        signature_id = sign(petition, email, **fields)
        assert signing.confirm(db.session.get(Signature, signature_id)) is signing.Confirmation.CONFIRMED
        return signature_id

    return sign_


def path_of(message, kind: str) -> str:
    match = re.search(rf"http://127\.0\.0\.1:5000(/petitions/\S+/{kind}/\S+)", text_part(message))
    return match.group(1)


# --- Withdrawing -------------------------------------------------------------------------------


@pytest.fixture
def confirmed_signer(client, runner, make_petition, post_signature, mailbox):
    """Ana signed, got her email and confirmed; her signature is folded into the stored tallies."""
    petition = make_petition(demands=["Keep schools open", "Fund libraries"])
    post_signature(petition, email="ana@example.org", comment="My kids go there.", updates_opt_in="y")
    post_signature(petition, email="bo@example.org", city="Detroit")
    send_mail(runner)
    for message in mailbox.messages:
        assert client.get(path_of(message, "confirm")).status_code == 200
    tallies.recount(petition.id)  # fold everything, waiting for the lock
    db.session.commit()
    ana = next(s for s in signatures() if s.email == "ana@example.org")
    return petition, ana.id, path_of(mailbox.to("ana@example.org")[0], "withdraw")


def test_following_the_withdrawal_link_withdraws_nothing(client, confirmed_signer):
    petition, _, withdraw = confirmed_signer

    page = client.get(withdraw)

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Withdraw your signature?" in text
    assert '<button type="submit" class="button">Withdraw my signature</button>' in text
    assert "ana@example.org" not in text
    assert len(signatures()) == 2
    assert tallies.signature_count(petition.id) == 2


def test_withdrawing_deletes_the_signature_and_keeps_tallies_exact(client, confirmed_signer):
    petition, ana_id, withdraw = confirmed_signer
    page = client.get(withdraw).get_data(as_text=True)
    token = CSRF_INPUT.search(page).group(1)

    forged = client.post(withdraw, data={})
    assert forged.status_code == 400
    assert len(signatures()) == 2

    done = client.post(withdraw, data={"csrf_token": token})

    assert done.status_code == 303
    assert done.headers["Location"] == f"/petitions/{petition.slug}/withdrawn"
    assert "Your signature has been withdrawn" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert [s.email for s in signatures()] == ["bo@example.org"]
    assert not db.session.execute(db.select(Endorsement).where(Endorsement.signature_id == ana_id)).first()
    assert not db.session.execute(db.select(OutboxMessage).where(OutboxMessage.signature_id == ana_id)).first()
    rows = db.session.execute(db.text("SELECT * FROM signatures"))
    everything = json.dumps([list(row) for row in rows], default=str)
    assert "ana@example.org" not in everything
    assert "My kids go there." not in everything
    assert tallies.signature_count(petition.id) == 1
    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)
    assert tallies.recount(petition.id) == []

    again = client.post(withdraw, data={"csrf_token": token})
    assert again.status_code == 404
    assert "There is no signature to withdraw" in again.get_data(as_text=True)


def test_a_withdrawal_link_is_tied_to_its_petition(client, confirmed_signer, make_petition):
    petition, _, withdraw = confirmed_signer
    other = make_petition()
    assert client.get(withdraw.replace(petition.slug, other.slug)).status_code == 404
    path = withdraw.partition("?")[0]
    assert client.get(path[:-4] + "abcd").status_code == 404


# --- News on demands ---------------------------------------------------------------------------


def test_news_on_a_demand_reaches_opted_in_confirmed_signers(
    client, runner, make_petition, sign, sign_confirmed, mailbox
):
    petition = make_petition(demands=["Keep schools open", "Fund libraries"])
    demand = petition.demands[1]
    demand.status = DemandStatus.WON
    sign_confirmed(petition, "news@example.org", name="Nora News", updates_opt_in=True)
    sign_confirmed(petition, "quiet@example.org", updates_opt_in=False)
    sign(petition, "pending@example.org", updates_opt_in=True)  # never confirmed
    struck = sign_confirmed(petition, "struck@example.org", updates_opt_in=True)
    signing.change_state(petition.id, [struck], SignatureState.STRUCK, reason="spam")
    sign_confirmed(petition, "spanish@example.org", name="Sol", updates_opt_in=True, locale="es")
    sign_confirmed(make_petition(), "other@example.org", updates_opt_in=True)

    send_mail(runner)  # the confirmation emails, out of the way
    mailbox.messages.clear()
    mailbox.envelopes.clear()

    queued = notifications.notify_demand_update(
        petition, demand, "The board voted 5-2 to fund every branch library.\nThank you!", link="https://example.org/v"
    )
    db.session.commit()
    send_mail(runner)

    assert queued == 2
    assert sorted(envelope.rcpt_tos[0] for envelope in mailbox.envelopes) == [
        "news@example.org",
        "spanish@example.org",
    ]
    [news] = mailbox.to("news@example.org")
    assert news["Subject"] == "News on “Fund libraries”"
    assert news["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.search(r"<http://127\.0\.0\.1:5000(/petitions/\S+/unsubscribe/\S+)>", news["List-Unsubscribe"])
    for part in (text_part(news), html_part(news)):
        assert "The board voted 5-2" in part
        assert "Status: Won" in part
        assert "https://example.org/v" in part
        assert "/withdraw/" in part
        assert "/unsubscribe/" in part
    [spanish] = mailbox.to("spanish@example.org")
    assert spanish["Subject"].startswith("Novedades sobre")
    assert "Estado: Ganada" in text_part(spanish)

    # One click from the mail program (RFC 8058): a POST with no CSRF token.
    one_click = client.post(unsubscribe.group(1), data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert "You will get no more news" in one_click.get_data(as_text=True)
    nora = next(s for s in signatures() if s.email == "news@example.org")
    assert nora.updates_opt_in is False
    assert nora.state == SignatureState.CONFIRMED  # still counts


def test_opening_the_unsubscribe_link_alone_changes_nothing(client, make_petition, sign_confirmed, app):
    petition = make_petition()
    signature = db.session.get(Signature, sign_confirmed(petition, "news@example.org", updates_opt_in=True))
    path = f"/petitions/{petition.slug}/unsubscribe/{tokens.signature_token(signature, tokens.UNSUBSCRIBE)}"
    notifications.notify_demand_update(petition, petition.demands[0], "First news")
    db.session.commit()

    page = client.get(path)

    assert page.status_code == 200
    assert "Stop emails about this campaign?" in page.get_data(as_text=True)
    assert signatures()[0].updates_opt_in is True

    client.post(path)

    assert signatures()[0].updates_opt_in is False
    news = db.session.execute(db.select(OutboxMessage).where(OutboxMessage.kind == MailKind.DEMAND_UPDATE))
    assert [message.status for message in news.scalars()] == [MailStatus.CANCELLED]


def test_a_demand_of_another_petition_is_refused(app, make_petition):
    petition, other = make_petition(), make_petition()
    with pytest.raises(ValueError, match="is not a demand of petition"):
        notifications.notify_demand_update(petition, other.demands[0], "Wrong campaign")


# --- What organizers do, by email ---------------------------------------------------------------


@pytest.fixture
def olga(make_organizer, log_in):
    """Olga, owner of the coalition, logged in."""
    organizer = make_organizer(name="Olga Ortiz")
    log_in(organizer)
    return organizer


def test_an_organizer_chooses_to_email_a_demand_update(
    client, runner, olga, organizer_post, make_petition, sign, sign_confirmed, mailbox
):
    petition = make_petition(demands=["Keep schools open", "Fund libraries"])
    demand = petition.demands[0]
    sign_confirmed(petition, "news@example.org", updates_opt_in=True)
    sign_confirmed(petition, "quiet@example.org")
    sign(petition, "pending@example.org", updates_opt_in=True)
    send_mail(runner)
    mailbox.messages.clear()
    path = f"/organize/petitions/{petition.slug}/demands/{demand.id}/updates"
    today = utcnow().date().isoformat()

    quiet = organizer_post(path, {"status": "in_progress", "happened_on": today, "text": "A first hearing."})
    news_form = {"status": "won", "happened_on": today, "text": "The board voted yes!", "notify": "y"}
    told = organizer_post(path, news_form, follow_redirects=True)
    send_mail(runner)

    assert quiet.status_code == 303
    assert "It is on its way to 1 signer." in told.get_data(as_text=True)
    [news] = mailbox.messages
    assert news["To"].addresses[0].addr_spec == "news@example.org"
    assert "The board voted yes!" in text_part(news)
    assert "A first hearing." not in text_part(news)
    assert "Status: Won" in text_part(news)


def test_the_update_form_offers_to_email_signers(client, olga, make_petition):
    petition = make_petition()
    page = client.get(f"/organize/petitions/{petition.slug}/demands/{petition.demands[0].id}").get_data(as_text=True)
    assert re.search(
        r'<input aria-describedby="notify-hint" id="notify" name="notify" type="checkbox" value="y">', page
    )
    assert '<label for="notify">Email this update to the signers who asked for news</label>' in page
