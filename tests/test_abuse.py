"""Abuse resistance: bot traps, the hourly cap per address, rate limits, and what organizers do about floods."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

import httpx
import pytest
import redis

from petitions import abuse, addresses, signing, tallies, tokens
from petitions.extensions import db
from petitions.models import Signature, SignatureState
from petitions.models.types import utcnow
from tests.conftest import csrf_token, form_fields
from tests.servers import free_port, gunicorn

SHOWN = re.compile(r'name="shown" type="hidden" value="([^"]+)"')


def signatures() -> list[Signature]:
    db.session.expire_all()
    return db.session.execute(db.select(Signature).order_by(Signature.id)).scalars().all()


def form_page(client, petition) -> tuple[str, str]:
    """The CSRF token and the signed stamp of a freshly shown sign form."""
    page = client.get(f"/petitions/{petition.slug}").get_data(as_text=True)
    return csrf_token(client, petition.slug), SHOWN.search(page).group(1)


# --- Bot traps -------------------------------------------------------------------------------------


def test_the_honeypot_is_out_of_sight_and_labelled(client, make_petition):
    petition = make_petition()
    page = client.get(f"/petitions/{petition.slug}").get_data(as_text=True)

    trap = re.search(r'<div class="trap" aria-hidden="true">(.*?)</div>', page, re.S).group(1)
    assert '<label for="website">Leave this field empty</label>' in trap
    assert re.search(r'<input[^>]*name="website"[^>]*tabindex="-1"', trap)
    assert 'autocomplete="off"' in trap
    css = client.get("/static/css/site.css").get_data(as_text=True)
    assert re.search(r"\.trap \{[^}]*left: -999rem", css)
    assert 'name="shown" type="hidden"' in page


def test_a_filled_honeypot_is_struck_out_and_never_counted(client, make_petition, post_signature):
    petition = make_petition()

    caught = post_signature(petition, email="bot@example.org", website="http://cheap-pills.example")
    person = post_signature(petition, email="ana@example.org")

    # The bot gets exactly what a person gets.
    assert caught.status_code == person.status_code == 303
    assert caught.headers["Location"] == person.headers["Location"]
    bot, ana = signatures()
    assert bot.state == SignatureState.STRUCK
    assert bot.struck_reason == "bot trap: hidden field filled in"
    assert ana.state == SignatureState.CONFIRMED
    assert tallies.signature_count(petition.id) == 1
    tallies.recount(petition.id)  # fold everything, waiting for the lock
    db.session.commit()
    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)


@pytest.mark.parametrize("settings", [{"SIGN_FORM_MIN_SECONDS": "3"}])
def test_a_form_sent_faster_than_a_person_types_is_struck_out(client, make_petition):
    petition = make_petition()
    token, shown = form_page(client, petition)

    fast = client.post(f"/petitions/{petition.slug}/sign", data=form_fields(petition, csrf_token=token, shown=shown))
    unstamped = client.post(
        f"/petitions/{petition.slug}/sign", data=form_fields(petition, csrf_token=token, email="b@example.org")
    )
    forged = client.post(
        f"/petitions/{petition.slug}/sign",
        data=form_fields(petition, csrf_token=token, email="c@example.org", shown="MTc2MzgwMDAwMC4w.forged"),
    )
    with client.application.app_context():
        patient_stamp = tokens.form_stamp(now=time.time() - 20)
    patient = client.post(
        f"/petitions/{petition.slug}/sign",
        data=form_fields(petition, csrf_token=token, email="d@example.org", shown=patient_stamp),
    )

    assert [r.status_code for r in (fast, unstamped, forged, patient)] == [303] * 4
    states = [(s.email, s.state, s.struck_reason) for s in signatures()]
    assert states[0][1] == SignatureState.STRUCK
    assert re.fullmatch(r"bot trap: sent \d\.\d s after the form was shown", states[0][2])
    assert states[1] == ("b@example.org", SignatureState.STRUCK, "bot trap: form stamp missing or forged")
    assert states[2] == ("c@example.org", SignatureState.STRUCK, "bot trap: form stamp missing or forged")
    assert states[3] == ("d@example.org", SignatureState.CONFIRMED, "")
    assert tallies.signature_count(petition.id) == 1


@pytest.mark.parametrize("settings", [{"SIGN_FORM_MIN_SECONDS": "3"}])
def test_a_form_given_back_with_errors_keeps_its_first_stamp(client, make_petition):
    petition = make_petition()
    token, _ = form_page(client, petition)
    with client.application.app_context():
        stamp = tokens.form_stamp(now=time.time() - 20)

    mistake = client.post(
        f"/petitions/{petition.slug}/sign", data=form_fields(petition, csrf_token=token, shown=stamp, city="")
    )
    assert mistake.status_code == 422
    kept = SHOWN.search(mistake.get_data(as_text=True)).group(1)
    fixed = client.post(f"/petitions/{petition.slug}/sign", data=form_fields(petition, csrf_token=token, shown=kept))

    assert kept == stamp
    assert fixed.status_code == 303
    assert signatures()[0].state == SignatureState.CONFIRMED


def test_the_timer_is_off_at_zero(client, make_petition, post_signature):
    petition = make_petition()
    post_signature(petition)  # no stamp at all, posted at once
    assert signatures()[0].state == SignatureState.CONFIRMED


@pytest.mark.parametrize("settings", [{"SIGNATURE_CONFIRMATION": "email"}])
def test_a_trap_never_takes_an_address_from_its_owner(app, make_petition, sign):
    petition = make_petition()
    sign(petition, "ana@example.org", bot_trap="hidden field filled in", name="Bot")

    # Ana's own signature takes the trapped one's place ...
    assert sign(petition, "Ana@example.org", name="Ana") is not None
    [ana] = signatures()
    assert (ana.name, ana.state) == ("Ana", SignatureState.PENDING)
    # ... and a trapped attempt never replaces hers.
    assert sign(petition, "ana@example.org", bot_trap="hidden field filled in") is None
    assert [s.name for s in signatures()] == ["Ana"]


@pytest.mark.parametrize("settings", [{"SIGNATURE_CONFIRMATION": "email"}])
def test_trapped_attempts_get_no_email(app, make_petition, sign):
    from petitions.models import OutboxMessage

    petition = make_petition()
    sign(petition, "victim@example.org", bot_trap="hidden field filled in")
    sign(petition, "victim@example.org", bot_trap="hidden field filled in")
    assert db.session.execute(db.select(OutboxMessage)).first() is None


# --- The hourly cap per address ----------------------------------------------------------------


@pytest.mark.parametrize("settings", [{"SIGNATURE_IP_CAP_PER_HOUR": "3"}])
def test_over_the_hourly_cap_signatures_are_held_until_released(client, make_petition, post_signature):
    petition = make_petition()
    for n in range(5):
        assert post_signature(petition, email=f"class{n}@example.org").status_code == 303
    # Another address is not held back by this one.
    elsewhere = client.post(
        f"/petitions/{petition.slug}/sign",
        data=form_fields(petition, email="home@example.org", csrf_token=csrf_token(client, petition.slug)),
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert elsewhere.status_code == 303

    assert [s.state for s in signatures()] == ["confirmed"] * 3 + ["suspicious"] * 2 + ["confirmed"]
    assert tallies.signature_count(petition.id) == 4

    released = abuse.release(petition.id)
    db.session.commit()

    assert released == 2
    assert tallies.signature_count(petition.id) == 6
    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)


@pytest.mark.parametrize("settings", [{"SIGNATURE_IP_CAP_PER_HOUR": "2"}])
def test_the_cap_counts_the_last_hour_only(app, make_petition, sign):
    petition = make_petition()
    address = addresses.ip_hash("203.0.113.9")
    now = utcnow()
    sign(petition, ip_hash=address, now=now - timedelta(minutes=70))
    sign(petition, ip_hash=address, now=now - timedelta(minutes=65))
    # An hour later the address starts afresh.
    sign(petition, ip_hash=address, now=now)
    sign(petition, ip_hash=address, now=now)
    held = sign(petition, ip_hash=address, now=now)
    assert [s.state for s in signatures()] == ["confirmed"] * 4 + ["suspicious"]
    assert signing.signatures_from(petition.id, address, since=now - timedelta(hours=1)) == 3
    assert signing.signatures_from(petition.id, address, since=now - timedelta(hours=1), up_to=2) == 2
    assert db.session.get(Signature, held).state == SignatureState.SUSPICIOUS


def test_the_cap_is_off_at_zero(app, make_petition, sign):
    petition = make_petition()
    kiosk = addresses.ip_hash("203.0.113.9")
    for _ in range(25):
        sign(petition, ip_hash=kiosk)
    assert {s.state for s in signatures()} == {SignatureState.CONFIRMED}


def test_counting_by_address_reads_one_index_range(app, make_petition, sign):
    petition = make_petition()
    sign(petition, ip_hash=addresses.ip_hash("203.0.113.9"))
    if db.engine.dialect.name != "sqlite":
        return
    plan = db.session.execute(
        db.text(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM (SELECT signed_at FROM signatures "
            "WHERE petition_id = :p AND ip_hash = :h AND signed_at >= :t LIMIT 20)"
        ),
        {"p": petition.id, "h": "x", "t": "2020-01-01"},
    ).all()
    assert "COVERING INDEX ix_signatures_petition_id_ip_hash_signed_at" in str(plan)


@pytest.mark.parametrize("settings", [{"SIGNATURE_CONFIRMATION": "email", "SIGNATURE_IP_CAP_PER_HOUR": "1"}])
def test_a_held_signer_who_confirms_counts_once_released(client, make_petition, sign):
    petition = make_petition()
    address = addresses.ip_hash("203.0.113.9")
    sign(petition, "first@example.org", ip_hash=address)
    held_confirmed = db.session.get(Signature, sign(petition, "second@example.org", ip_hash=address))
    held_silent = sign(petition, "third@example.org", ip_hash=address)

    page = client.get(
        f"/petitions/{petition.slug}/confirm/{tokens.signature_token(held_confirmed, tokens.CONFIRM)}"
    ).get_data(as_text=True)
    assert "the campaign team checks them" in page
    assert tallies.signature_count(petition.id) == 0

    assert abuse.release(petition.id) == 2
    db.session.commit()

    states = {s.email: s.state for s in signatures()}
    assert states == {"first@example.org": "pending", "second@example.org": "confirmed", "third@example.org": "pending"}
    assert tallies.signature_count(petition.id) == 1
    assert held_silent in confirmation_recipients()


def confirmation_recipients() -> list[int]:
    from petitions.models import MailKind, OutboxMessage

    rows = db.session.execute(db.select(OutboxMessage.signature_id).where(OutboxMessage.kind == MailKind.CONFIRM))
    return list(rows.scalars())


# --- Addresses, hashed ---------------------------------------------------------------------------


def test_addresses_are_stored_only_as_keyed_hashes(client, make_petition, post_signature, app):
    petition = make_petition()
    post_signature(petition)

    [signature] = signatures()
    assert re.fullmatch(r"[0-9a-f]{32}", signature.ip_hash)
    assert signature.ip_hash == addresses.ip_hash("127.0.0.1")
    row = db.session.execute(db.text("SELECT * FROM signatures")).mappings().one()
    assert not any("127.0.0.1" in str(value) for value in row.values())
    # Keyed: without SECRET_KEY nobody can recompute it.
    app.config["SECRET_KEY"] = "another-secret-key-of-sufficient-length-42"
    assert addresses.ip_hash("127.0.0.1") != signature.ip_hash


def test_an_ipv6_household_is_one_address(app):
    same = {addresses.ip_hash(a) for a in ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:DB8:1:2::77")}
    assert len(same) == 1
    assert addresses.ip_hash("2001:db8:1:3::1") not in same
    assert addresses.ip_hash("::ffff:198.51.100.7") == addresses.ip_hash("198.51.100.7")
    assert addresses.ip_hash("not an address") == ""


@pytest.mark.parametrize("settings", [{"TRUSTED_PROXIES": "1"}])
def test_behind_a_proxy_the_forwarded_address_is_hashed(client, make_petition, post_signature):
    petition = make_petition()
    token = csrf_token(client, petition.slug)
    client.post(
        f"/petitions/{petition.slug}/sign",
        data=form_fields(petition, csrf_token=token),
        headers={"X-Forwarded-For": "198.51.100.23"},
    )
    assert signatures()[0].ip_hash == addresses.ip_hash("198.51.100.23")


# --- Rate limits ---------------------------------------------------------------------------------

LIMITED = {"RATELIMIT_ENABLED": "true", "SIGN_RATE_LIMIT": "2 per hour", "API_RATE_LIMIT": "3 per hour"}


@pytest.mark.parametrize("settings", [LIMITED])
def test_signing_too_often_gets_a_human_429(client, make_petition, post_signature):
    petition = make_petition()
    assert post_signature(petition, email="a@example.org").status_code == 303
    assert post_signature(petition, email="b@example.org").status_code == 303

    third = post_signature(petition, email="c@example.org")

    assert third.status_code == 429
    assert 0 < int(third.headers["Retry-After"]) <= 3600
    page = third.get_data(as_text=True)
    assert "<h1>Slow down</h1>" in page
    assert "Too many tries in a short time. Please wait a little and try again." in page
    assert len(signatures()) == 2
    # Reading the campaign is not limited.
    assert client.get(f"/petitions/{petition.slug}").status_code == 200


@pytest.mark.parametrize("settings", [LIMITED])
def test_the_api_over_its_limit_answers_json_with_retry_after(client, make_petition):
    petition = make_petition()
    for _ in range(3):
        assert client.get(f"/api/v1/petitions/{petition.slug}").status_code == 200

    over = client.get(f"/api/v1/petitions/{petition.slug}")

    assert over.status_code == 429
    assert over.json["error"]["code"] == "too_many_requests"
    assert "Please wait" in over.json["error"]["message"]
    assert int(over.headers["Retry-After"]) > 0
    # A partner's script may read the answer and the wait.
    assert over.headers["Access-Control-Allow-Origin"] == "*"
    assert "Retry-After" in over.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("settings", [{**LIMITED, "RATELIMIT_ENABLED": "false"}])
def test_rate_limits_switch_off(client, make_petition, post_signature):
    petition = make_petition()
    for n in range(5):
        assert post_signature(petition, email=f"{n}@example.org").status_code == 303
        assert client.get(f"/api/v1/petitions/{petition.slug}").status_code == 200


def test_two_app_servers_share_their_limits_through_redis(app, database_url, make_petition, tmp_path):
    petition = make_petition()
    prefix = f"groundswell-test-{uuid.uuid4().hex}"
    shared = {
        "RATELIMIT_ENABLED": "true",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RATELIMIT_KEY_PREFIX": prefix,
        "API_RATE_LIMIT": "4 per hour",
    }
    path = f"/api/v1/petitions/{petition.slug}"
    store = redis.Redis.from_url(shared["REDIS_URL"])
    try:
        with (
            gunicorn(database_url, tmp_path, workers=1, threads=2, **shared) as one,
            gunicorn(database_url, tmp_path, workers=1, threads=2, **shared) as two,
        ):
            answers = [httpx.get(server.url + path, timeout=10) for server in (one, two, one, two, one, two)]
        keys = [key.decode() for key in store.scan_iter(f"*{prefix}*")]
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)
        store.close()

    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 429, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert keys, "the limits live in Redis"
    assert not any("127.0.0.1" in key for key in keys)  # keyed by the hashed address


@pytest.mark.parametrize("settings", [{**LIMITED, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}])
def test_while_redis_is_unreachable_the_limits_hold_in_memory(client, make_petition, post_signature):
    petition = make_petition()  # nothing listens on the Redis port

    answers = [post_signature(petition, email=f"{n}@example.org").status_code for n in range(3)]
    api = [client.get(f"/api/v1/petitions/{petition.slug}").status_code for _ in range(4)]

    assert answers == [303, 303, 429]  # "2 per hour", counted by this process, not a 500
    assert api == [200, 200, 200, 429]
    db.session.expire_all()
    assert tallies.signature_count(petition.id) == 2


# --- What organizers do about a flood --------------------------------------------------------------


def test_organizers_see_the_busiest_addresses_and_domains(app, make_petition, sign):
    petition = make_petition()
    flood, home = addresses.ip_hash("203.0.113.9"), addresses.ip_hash("198.51.100.7")
    for n in range(4):
        sign(petition, f"bot{n}@spam.example", ip_hash=flood)
    sign(petition, "ana@Example.org", ip_hash=home)
    sign(petition, "bo@example.org", ip_hash=home)
    sign(petition, "cy@spam.example", ip_hash=home)
    sign(petition, "kiosk@example.net")  # no address: signed at a kiosk
    other = make_petition()
    sign(other, "elsewhere@spam.example", ip_hash=flood)

    by_address = abuse.busiest_ip_hashes(petition.id)
    by_domain = abuse.busiest_email_domains(petition.id)

    assert [(s.key, s.signatures, s.confirmed) for s in by_address] == [(flood, 4, 4), (home, 3, 3)]
    assert [(s.key, s.signatures) for s in by_domain] == [("spam.example", 5), ("example.org", 2), ("example.net", 1)]
    assert abuse.busiest_ip_hashes(petition.id, since=utcnow() + timedelta(minutes=1)) == []


def test_striking_out_a_group_keeps_every_tally_exact(app, make_petition, sign):
    petition = make_petition()
    flood = addresses.ip_hash("203.0.113.9")
    for n in range(4):
        sign(petition, f"bot{n}@spam.example", ip_hash=flood)
    sign(petition, "ana@example.org")
    sign(petition, "cy@SPAM.example")
    tallies.recount(petition.id)  # fold everything, waiting for the lock
    db.session.commit()

    assert abuse.strike_group(petition.id, "flood from one address", ip_hash=flood) == 4
    db.session.commit()
    assert tallies.signature_count(petition.id) == 2
    assert abuse.strike_group(petition.id, "throwaway domain", email_domain="Spam.Example") == 1
    db.session.commit()

    assert tallies.signature_count(petition.id) == 1
    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)
    assert tallies.recount(petition.id) == []
    assert {s.struck_reason for s in signatures() if s.state == "struck"} == {
        "flood from one address",
        "throwaway domain",
    }
    with pytest.raises(ValueError, match="exactly one"):
        abuse.strike_group(petition.id, "both", ip_hash=flood, email_domain="spam.example")


def test_organizers_remove_a_signature_on_request(app, make_petition, sign):
    petition = make_petition()
    keep = sign(petition, "keep@example.org", city="Detroit")
    gone = sign(petition, "gone@example.org", city="Oakland")
    tallies.recount(petition.id)  # fold everything, waiting for the lock
    db.session.commit()

    assert abuse.remove_on_request(petition.id, gone) is True
    db.session.commit()

    assert [s.id for s in signatures()] == [keep]
    assert tallies.signature_count(petition.id) == 1
    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)
    assert tallies.recount(petition.id) == []
    assert abuse.remove_on_request(petition.id, gone) is False


@pytest.mark.parametrize("settings", [{"SIGNATURE_CONFIRMATION": "email", "SIGNATURE_IP_CAP_PER_HOUR": "1"}])
def test_an_organizer_restoring_an_unconfirmed_signature_asks_its_owner_first(app, make_petition, sign):
    from petitions import moderation
    from petitions.models import MailKind, OutboxMessage

    petition = make_petition()
    address = addresses.ip_hash("203.0.113.9")
    sign(petition, "first@example.org", ip_hash=address)
    held = db.session.get(Signature, sign(petition, "held@example.org", ip_hash=address))
    trapped = db.session.get(Signature, sign(petition, "trapped@example.org", bot_trap="hidden field filled in"))
    confirmed_then_struck = db.session.get(Signature, sign(petition, "real@example.org", ip_hash="b" * 32))
    signing.confirm(confirmed_then_struck)
    signing.change_state(petition.id, [confirmed_then_struck.id], SignatureState.STRUCK, "mistake")
    db.session.commit()

    for signature in (held, trapped, confirmed_then_struck):
        assert moderation.restore(petition, signature, "checked by phone", None) == 1
    db.session.commit()

    states = {s.email: s.state for s in signatures()}
    assert states["held@example.org"] == states["trapped@example.org"] == SignatureState.PENDING
    assert states["real@example.org"] == SignatureState.CONFIRMED
    asked = db.session.execute(
        db.select(OutboxMessage.signature_id).where(
            OutboxMessage.kind == MailKind.CONFIRM, OutboxMessage.signature_id.in_([held.id, trapped.id])
        )
    ).scalars()
    # Each owner has a confirmation email waiting (the held one's, queued when signing, still is).
    assert sorted(asked) == sorted([held.id, trapped.id])
    assert tallies.signature_count(petition.id) == 1
    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)
