"""Signing through the public form: what a supporter sees and what lands in the database."""

from __future__ import annotations

import html

import pytest

from petitions.extensions import db
from petitions.models import Endorsement, PetitionState, Signature
from tests.conftest import form_fields


def signatures():
    db.session.expire_all()
    return db.session.execute(db.select(Signature).order_by(Signature.id)).scalars().all()


def test_a_good_signature_is_stored_and_thanked(client, make_petition, post_signature):
    petition = make_petition(demands=["Keep schools open", "Fund libraries", "Hire counselors"])

    response = post_signature(
        petition,
        email="Ana.Perez@Example.ORG",
        demands=[str(petition.demands[0].id), str(petition.demands[2].id)],
        comment="My kids go to Lincoln Elementary.",
        public_name="y",
        updates_opt_in="y",
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/petitions/{petition.slug}/thanks"
    [signature] = signatures()
    assert signature.name == "Ana Lucía Pérez"
    assert signature.email == "Ana.Perez@example.org"  # email-validator lowercases the domain only
    assert signature.email_key == "ana.perez@example.org"
    assert signature.city_as_typed == "Chicago"
    assert (signature.region, signature.postal_code, signature.country) == ("IL", "60601", "US")
    assert signature.comment == "My kids go to Lincoln Elementary."
    assert signature.public_name is True
    assert signature.updates_opt_in is True
    assert signature.state == "confirmed"
    endorsed = db.session.execute(db.select(Endorsement.demand_id).order_by(Endorsement.demand_id)).scalars().all()
    assert endorsed == [petition.demands[0].id, petition.demands[2].id]

    thanks = client.get(response.headers["Location"])
    page = thanks.get_data(as_text=True)
    assert thanks.status_code == 200
    assert "Thank you for signing" in page
    assert f"http://127.0.0.1:5000/petitions/{petition.slug}" in page
    for network in ("mailto:", "https://wa.me/", "https://www.facebook.com/sharer/", "https://bsky.app/intent/"):
        assert network in page
    assert '<script src="http' not in page  # no third-party scripts


def test_unticked_checkboxes_mean_no(make_petition, post_signature):
    petition = make_petition()
    post_signature(petition)
    [signature] = signatures()
    assert signature.public_name is False
    assert signature.updates_opt_in is False


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("name", "Enter your name."),
        ("email", "Enter your email address."),
        ("city", "Enter your city or town."),
        ("country", "Choose your country."),
    ],
)
def test_each_required_field_missing(make_petition, post_signature, field, message):
    petition = make_petition()

    response = post_signature(petition, **{field: ""}, comment="I typed this carefully.")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    # The message stands beside its field, tied to it for screen readers.
    assert f'id="{field}-error"' in page
    assert message in page
    assert f'aria-describedby="{field}-error"' in page or f'aria-describedby="{field}-hint {field}-error"' in page
    # Nothing typed is lost, nothing is stored.
    assert "I typed this carefully." in page
    if field != "name":
        assert 'value="Ana Lucía Pérez"' in page
    assert signatures() == []


def test_whitespace_is_not_a_name(make_petition, post_signature):
    petition = make_petition()
    response = post_signature(petition, name="   \t ")
    assert response.status_code == 422
    assert "Enter your name." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "email", ["ana", "ana@", "@example.org", "ana@example", "ana @example.org", "a" * 330 + "@x.org"]
)
def test_a_bad_email_is_refused_and_kept(make_petition, post_signature, email):
    petition = make_petition()

    response = post_signature(petition, email=email)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page
    assert f'value="{html.escape(email)}"' in page
    assert signatures() == []


def test_no_demand_chosen(make_petition, post_signature):
    petition = make_petition()
    response = post_signature(petition, demands=[])
    assert response.status_code == 422
    assert "Choose at least one demand you support." in response.get_data(as_text=True)
    assert signatures() == []


def test_demands_of_another_petition_are_ignored(make_petition, post_signature):
    petition, other = make_petition(), make_petition()
    post_signature(petition, demands=[str(petition.demands[0].id), str(other.demands[0].id)])
    endorsed = db.session.execute(db.select(Endorsement.demand_id)).scalars().all()
    assert endorsed == [petition.demands[0].id]


def test_a_demand_that_is_not_a_number_is_an_error_not_a_crash(make_petition, post_signature):
    petition = make_petition()
    response = post_signature(petition, demands=["drop table", str(petition.demands[0].id)])
    assert response.status_code == 422
    assert signatures() == []


def test_an_unknown_country_is_refused(make_petition, post_signature):
    petition = make_petition()
    response = post_signature(petition, country="XX")
    assert response.status_code == 422
    assert "Choose your country." in response.get_data(as_text=True)


def test_the_same_email_in_other_letter_case_is_not_a_second_signature(client, make_petition, post_signature):
    petition = make_petition()

    first = post_signature(petition, email="maria.lopez@example.org")
    second = post_signature(petition, email="MARIA.Lopez@EXAMPLE.org", name="Someone Else")

    # A stranger cannot tell from the answer whether the address had signed.
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    [signature] = signatures()
    assert signature.name == "Ana Lucía Pérez"
    assert client.get(f"/api/v1/petitions/{petition.slug}").json["signature_count"] == 1


def test_the_same_email_may_sign_another_petition(make_petition, post_signature):
    first, second = make_petition(), make_petition()
    post_signature(first, email="ana@example.org")
    post_signature(second, email="ana@example.org")
    assert len(signatures()) == 2


def test_a_missing_csrf_token_stores_nothing_and_keeps_the_form(client, make_petition):
    petition = make_petition()

    response = client.post(f"/petitions/{petition.slug}/sign", data=form_fields(petition, comment="Keep this."))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "this form had expired" in page
    assert "Keep this." in page
    assert 'value="ana@example.org"' in page
    assert 'name="csrf_token"' in page  # a fresh token to send it again with
    assert signatures() == []


def test_a_forged_csrf_token_is_refused(client, make_petition):
    petition = make_petition()
    response = client.post(
        f"/petitions/{petition.slug}/sign", data=form_fields(petition, csrf_token="not-a-real-token")
    )
    assert response.status_code == 400
    assert signatures() == []


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.mark.parametrize("field", ["name", "city", "region", "postal_code", "comment", "email"])
def test_html_in_every_text_field_is_escaped_on_the_way_out(make_petition, post_signature, field):
    petition = make_petition()

    # Paired with a missing city (or name) so the form comes back with the value in it.
    missing = "name" if field == "city" else "city"
    response = post_signature(petition, **{field: HOSTILE, missing: ""})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_html_typed_into_a_field_is_stored_as_text(make_petition, post_signature):
    petition = make_petition()
    post_signature(petition, name=HOSTILE, comment=HOSTILE)
    [signature] = signatures()
    assert signature.name == HOSTILE  # stored as typed; escaping is the job of every page that shows it
    assert signature.comment == HOSTILE


def test_html_written_by_organizers_is_escaped_too(client, make_petition):
    petition = make_petition(
        title="<b>Bold</b> title", summary="<i>sum</i>", body="Hello <script>x()</script> [js](javascript:alert(1))"
    )
    page = client.get(f"/petitions/{petition.slug}").get_data(as_text=True)
    assert "&lt;b&gt;Bold&lt;/b&gt; title" in page
    assert "<script>x()" not in page
    assert 'href="javascript:' not in page


@pytest.mark.parametrize(
    "name",
    [
        "José Ñúñez-Müller",
        "Nguyễn Thị Minh Khai",
        "山田 花子",
        "Заур Гасанов",
        "عائشة الحسيني",
        "Zoë 👩🏽‍🏫 O’Brien",
        "e\u0301cole (decomposed accent)",
    ],
)
def test_unicode_names_are_kept_exactly(make_petition, post_signature, name):
    petition = make_petition()
    assert post_signature(petition, name=name, city="São Paulo", country="BR").status_code == 303
    [signature] = signatures()
    assert signature.name == name
    assert signature.city_as_typed == "São Paulo"


def test_control_characters_are_dropped_not_crashed_on(make_petition, post_signature):
    petition = make_petition()
    response = post_signature(petition, name="Ana\x00 Pérez\x07", comment="line one\r\nline two\x00")
    assert response.status_code == 303
    [signature] = signatures()
    assert signature.name == "Ana Pérez"
    assert signature.comment == "line one\nline two"


@pytest.mark.parametrize(("field", "limit"), [("name", 200), ("city", 100), ("postal_code", 20), ("comment", 1000)])
def test_overlong_answers_are_refused(make_petition, post_signature, field, limit):
    petition = make_petition()
    response = post_signature(petition, **{field: "x" * (limit + 1)})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert signatures() == []


def test_an_oversized_body_gets_413(client, make_petition):
    petition = make_petition()
    response = client.post(f"/petitions/{petition.slug}/sign", data=form_fields(petition, comment="x" * (70 * 1024)))
    assert response.status_code == 413
    assert "shorten what you wrote" in response.get_data(as_text=True)
    assert signatures() == []


def test_a_closed_petition_refuses_signatures(client, make_petition, post_signature):
    petition = make_petition()
    token_page = client.get(f"/petitions/{petition.slug}")
    assert token_page.status_code == 200
    petition.close()
    db.session.commit()

    response = client.post(f"/petitions/{petition.slug}/sign", data=form_fields(petition))

    assert response.status_code == 409
    assert "This petition is closed" in response.get_data(as_text=True)
    assert signatures() == []


@pytest.mark.parametrize("path", ["/petitions/no-such-thing", "/petitions/no-such-thing/thanks"])
def test_unknown_slugs_are_404(client, app, path):
    assert client.get(path).status_code == 404
    assert client.post("/petitions/no-such-thing/sign", data={}).status_code == 404


def test_a_draft_is_not_public(client, make_petition):
    petition = make_petition(state=PetitionState.DRAFT)
    assert client.get(f"/petitions/{petition.slug}").status_code == 404
    assert client.post(f"/petitions/{petition.slug}/sign", data=form_fields(petition)).status_code == 404
