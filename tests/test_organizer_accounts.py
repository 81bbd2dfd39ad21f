"""Organizer accounts: logging in and out, sessions, the create-organizer command, the team."""

from __future__ import annotations

import re

import pytest

from petitions import accounts, create_app
from petitions.extensions import db
from petitions.models import Coalition, Membership, Organizer, Role
from tests.conftest import PASSWORD, environment, token_in

WRONG = "That email address and password do not match an account."


def login_page_token(client) -> str:
    return token_in(client.get("/organize/login").get_data(as_text=True))


def try_login(client, email: str, password: str, **kwargs):
    token = login_page_token(client)
    return client.post("/organize/login", data={"email": email, "password": password, "csrf_token": token}, **kwargs)


# --- Logging in -------------------------------------------------------------------------------


def test_olga_logs_in_and_sees_her_coalition(client, make_organizer):
    olga = make_organizer(name="Olga Ortiz")

    response = try_login(client, "olga@example.org", PASSWORD)

    assert response.status_code == 303
    assert response.headers["Location"] == "/organize/"
    page = client.get("/organize/").get_data(as_text=True)
    assert "Riverside Parents United" in page
    assert "Logged in as olga@example.org" in page
    db.session.refresh(olga)
    assert olga.last_login_at is not None


def test_the_login_form_has_the_fields_of_product_md(client, app):
    page = client.get("/organize/login").get_data(as_text=True)
    assert 'name="email"' in page
    assert 'name="password"' in page
    assert 'for="email"' in page
    assert 'for="password"' in page


def test_letter_case_of_the_address_does_not_matter(client, make_organizer):
    make_organizer("Olga.Ortiz@Example.org")
    assert try_login(client, "olga.ortiz@EXAMPLE.ORG", PASSWORD).status_code == 303


def test_wrong_password_and_unknown_address_get_the_same_answer(client, make_organizer, monkeypatch):
    make_organizer()
    checks = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda *args: checks.append(1) or real_check(*args))

    wrong_password = try_login(client, "olga@example.org", "not her password")
    unknown = try_login(client, "nobody@example.org", "not her password")

    assert wrong_password.status_code == unknown.status_code == 401
    assert WRONG in wrong_password.get_data(as_text=True)
    assert WRONG in unknown.get_data(as_text=True)
    # Both cost exactly one password check, so the time taken does not tell them apart either.
    assert checks == [1, 1]
    assert client.get("/organize/").status_code == 302  # still logged out


def test_an_invited_account_without_password_cannot_log_in(client, make_coalition):
    coalition = make_coalition()
    accounts.add_member(coalition, "ivan@example.org", Role.ORGANIZER)
    db.session.commit()
    response = try_login(client, "ivan@example.org", "")
    assert response.status_code == 422  # the password is required
    response = try_login(client, "ivan@example.org", "anything at all")
    assert response.status_code == 401
    assert WRONG in response.get_data(as_text=True)


def test_empty_fields_are_explained(client, app):
    response = try_login(client, "", "")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your email address." in page
    assert "Enter your password." in page


def test_a_visitor_is_sent_to_the_login_page_and_back(client, make_organizer, make_petition):
    make_organizer()
    petition = make_petition()
    path = f"/organize/petitions/{petition.slug}/signatures?state=confirmed"

    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/organize/login?next=")
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Please log in to see that page." in login_page
    token = token_in(login_page)
    back = client.post(
        response.headers["Location"], data={"email": "olga@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert back.headers["Location"] == path


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_login_never_sends_people_to_another_site(client, make_organizer, target):
    make_organizer()
    token = login_page_token(client)
    response = client.post(
        "/organize/login",
        query_string={"next": target},
        data={"email": "olga@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/organize/"


def test_logging_out_takes_a_post_with_the_token(client, make_organizer, log_in):
    log_in(make_organizer())
    token = token_in(client.get("/organize/").get_data(as_text=True))

    assert client.get("/organize/logout").status_code == 405
    assert client.post("/organize/logout").status_code == 400  # no CSRF token
    assert client.get("/organize/").status_code == 200

    response = client.post("/organize/logout", data={"csrf_token": token})

    assert response.status_code == 303
    assert "You have logged out." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get("/organize/").status_code == 302


def test_the_session_survives_a_restart_of_the_server(app, client, database_url, make_organizer, log_in):
    log_in(make_organizer())
    cookies = {cookie.key: cookie.value for cookie in client._cookies.values()}
    assert "remember_token" in cookies

    # A new process: the same settings, nothing shared in memory.
    restarted = create_app(environment(database_url))
    browser = restarted.test_client()
    for name, value in cookies.items():
        browser.set_cookie(name, value)
    assert browser.get("/organize/").status_code == 200

    # Without the session cookie (the browser was closed), the remember-me cookie logs her back in.
    browser = restarted.test_client()
    browser.set_cookie("remember_token", cookies["remember_token"])
    assert browser.get("/organize/").status_code == 200
    with restarted.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_new_password_ends_every_session(client, make_organizer, log_in):
    olga = make_organizer()
    log_in(olga)
    accounts.set_password(olga, "another long password")
    db.session.commit()
    assert client.get("/organize/").status_code == 302


def test_a_tampered_session_id_is_refused(app, make_organizer):
    olga = make_organizer()
    assert accounts.session_organizer(olga.get_id()) == olga
    assert accounts.session_organizer(f"{olga.id}:wrong") is None
    assert accounts.session_organizer(f"{olga.id}") is None
    assert accounts.session_organizer("x:y") is None


# --- The create-organizer command -------------------------------------------------------------


def test_create_organizer_from_standard_input_creates_the_coalition(runner, client):
    result = runner.invoke(
        args=["create-organizer", "Olga@Example.org", "--coalition", "wechoose-coalition", "--password-stdin"],
        input="a long enough password\n",
    )

    assert result.exit_code == 0, result.output
    assert "Created coalition 'wechoose-coalition'" in result.output
    assert "Created organizer Olga@example.org: owner of 'wechoose-coalition'" in result.output
    organizer = accounts.find_organizer("olga@example.org")
    assert organizer.password_hash.startswith("scrypt:")  # werkzeug's scrypt, never the password itself
    assert "a long enough password" not in organizer.password_hash
    [membership] = organizer.memberships
    assert (membership.coalition.slug, membership.role) == ("wechoose-coalition", Role.OWNER)
    assert try_login(client, "olga@example.org", "a long enough password").status_code == 303


def test_create_organizer_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["create-organizer", "oscar@example.org", "--coalition", "riverside", "--role", "viewer"],
        input="typed at the prompt\ntyped at the prompt\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert "typed at the prompt" not in result.output  # hidden input
    organizer = accounts.find_organizer("oscar@example.org")
    assert organizer.memberships[0].role is Role.VIEWER


def test_the_second_organizer_of_a_coalition_is_an_organizer_by_default(runner):
    runner.invoke(args=["create-organizer", "a@example.org", "--coalition", "c1", "--password-stdin"], input="p" * 12)
    result = runner.invoke(
        args=["create-organizer", "b@example.org", "--coalition", "c1", "--password-stdin"], input="p" * 12
    )
    assert "organizer of 'c1'" in result.output
    assert "Created coalition" not in result.output


def test_an_existing_account_joins_another_coalition_without_a_new_password(runner, make_organizer):
    olga = make_organizer()
    old_hash = olga.password_hash
    result = runner.invoke(args=["create-organizer", "olga@example.org", "--coalition", "other-coalition"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert olga.password_hash == old_hash
    assert sorted(m.coalition.slug for m in olga.memberships) == ["other-coalition", "riverside-parents"]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["not-an-email", "--coalition", "c"], "long enough pass", "email address"),
        (["a@example.org", "--coalition", "c"], "short", "at least 10 characters"),
        (["a@example.org", "--coalition", "Bad Slug!"], "long enough pass", "slug"),
    ],
)
def test_create_organizer_refuses_bad_input(runner, args, stdin, message):
    result = runner.invoke(args=["create-organizer", *args, "--password-stdin"], input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.execute(db.select(Organizer)).first() is None
    assert db.session.execute(db.select(Coalition)).first() is None


# --- The team (owners) ------------------------------------------------------------------------


def test_an_owner_adds_an_existing_organizer(client, make_organizer, make_coalition, log_in, organizer_post):
    olga = make_organizer()
    make_organizer("oscar@example.org", coalition=make_coalition("other", "Other coalition"), role=Role.OWNER)
    log_in(olga)

    response = organizer_post(
        "/organize/coalitions/riverside-parents/organizers", {"email": "OSCAR@example.org", "role": "viewer"}
    )

    assert response.status_code == 303
    page = client.get("/organize/coalitions/riverside-parents/organizers").get_data(as_text=True)
    assert "oscar@example.org is in the team now." in page
    oscar = accounts.find_organizer("oscar@example.org")
    membership = db.session.get(Membership, (oscar.id, olga.memberships[0].coalition_id))
    assert membership.role is Role.VIEWER


def test_an_owner_invites_someone_new_who_chooses_a_password(app, client, make_organizer, log_in, organizer_post):
    log_in(make_organizer())

    response = organizer_post(
        "/organize/coalitions/riverside-parents/organizers", {"email": "ines@example.org", "role": "organizer"}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    link = re.search(r'id="invitation-url" type="url" value="http://127.0.0.1:5000(/organize/welcome/[^"]+)"', page)
    assert link, page
    path = link.group(1)

    invited = app.test_client()
    welcome = invited.get(path).get_data(as_text=True)
    assert "Choose a password for ines@example.org" in welcome
    mismatch = invited.post(
        path, data={"password": "ines's password", "confirm": "something else", "csrf_token": token_in(welcome)}
    )
    assert mismatch.status_code == 422
    assert "The two passwords are not the same." in mismatch.get_data(as_text=True)
    done = invited.post(
        path, data={"password": "ines's password", "confirm": "ines's password", "csrf_token": token_in(welcome)}
    )
    assert done.status_code == 303
    assert "Riverside Parents United" in invited.get("/organize/").get_data(as_text=True)
    # The link worked once.
    assert app.test_client().get(path).status_code == 404
    assert try_login(app.test_client(), "ines@example.org", "ines's password").status_code == 303


def test_adding_someone_twice_is_explained(client, make_organizer, log_in, organizer_post):
    log_in(make_organizer())
    make_organizer("oscar@example.org", role=Role.ORGANIZER)
    response = organizer_post(
        "/organize/coalitions/riverside-parents/organizers", {"email": "oscar@example.org", "role": "viewer"}
    )
    assert response.status_code == 422
    assert "This person is in the team already." in response.get_data(as_text=True)


def test_an_owner_changes_a_role_and_removes_a_member(client, make_organizer, log_in, organizer_post):
    olga = make_organizer()
    oscar = make_organizer("oscar@example.org", role=Role.ORGANIZER)
    log_in(olga)

    changed = organizer_post(f"/organize/coalitions/riverside-parents/organizers/{oscar.id}/role", {"role": "viewer"})
    assert changed.status_code == 303
    db.session.expire_all()
    assert oscar.memberships[0].role is Role.VIEWER

    removed = organizer_post(f"/organize/coalitions/riverside-parents/organizers/{oscar.id}/remove")
    assert removed.status_code == 303
    db.session.expire_all()
    assert oscar.memberships == []
    assert db.session.get(Organizer, oscar.id) is not None  # the account stays; it may belong elsewhere


def test_the_last_owner_can_be_neither_removed_nor_demoted(client, make_organizer, log_in, organizer_post):
    olga = make_organizer()
    log_in(olga)

    demoted = organizer_post(f"/organize/coalitions/riverside-parents/organizers/{olga.id}/role", {"role": "viewer"})
    removed = organizer_post(f"/organize/coalitions/riverside-parents/organizers/{olga.id}/remove")

    for response in (demoted, removed):
        assert response.status_code == 409
        assert "The team needs at least one owner." in response.get_data(as_text=True)
    db.session.expire_all()
    assert olga.memberships[0].role is Role.OWNER

    # With a second owner, she may step down.
    make_organizer("otto@example.org", role=Role.OWNER)
    assert organizer_post(f"/organize/coalitions/riverside-parents/organizers/{olga.id}/remove").status_code == 303


@pytest.mark.parametrize("role", [Role.ORGANIZER, Role.VIEWER])
def test_only_owners_manage_the_team_and_see_the_export_log(client, make_organizer, log_in, organizer_post, role):
    owner = make_organizer()
    member = make_organizer("member@example.org", role=role)
    log_in(member)
    assert client.get("/organize/coalitions/riverside-parents/organizers").status_code == 403
    assert client.get("/organize/coalitions/riverside-parents/exports").status_code == 403
    assert organizer_post(f"/organize/coalitions/riverside-parents/organizers/{owner.id}/remove").status_code == 403
    page = client.get("/organize/").get_data(as_text=True)
    assert "/organize/coalitions/riverside-parents/organizers" not in page


def test_removing_an_invited_person_deletes_the_unused_account(make_coalition, app):
    coalition = make_coalition()
    owner, _ = accounts.create_organizer("olga@example.org", coalition, Role.OWNER, "long enough pw")
    invited, is_new = accounts.add_member(coalition, "ines@example.org", Role.VIEWER)
    db.session.commit()
    assert is_new
    accounts.remove_member(coalition, invited.id)
    db.session.commit()
    assert accounts.find_organizer("ines@example.org") is None
    assert accounts.find_organizer("olga@example.org") == owner


def test_organizer_pages_speak_spanish(client, make_organizer, log_in, make_petition):
    log_in(make_organizer())
    petition = make_petition()
    dashboard = client.get("/organize/?lang=es").get_data(as_text=True)
    signatures = client.get(f"/organize/petitions/{petition.slug}/signatures?state=confirmed").get_data(as_text=True)
    assert "Tus campañas" in dashboard
    assert "Sesión iniciada como olga@example.org" in dashboard
    assert "Filtrar y buscar" in signatures
    assert "Confirmada: cuenta" in signatures
    # The switcher keeps the filter.
    assert f"/organize/petitions/{petition.slug}/signatures?state=confirmed&amp;lang=en" in signatures
