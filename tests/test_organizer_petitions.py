"""Organizers write petitions and demands, move them through their states and track each demand."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from petitions.extensions import db
from petitions.models import Demand, DemandStatus, Petition, PetitionState, Role
from petitions.models.types import utcnow
from tests.conftest import form_fields
from tests.test_openapi import check


@pytest.fixture
def olga(make_organizer, log_in):
    """Olga, owner of Riverside Parents United, logged in."""
    organizer = make_organizer(name="Olga Ortiz")
    log_in(organizer)
    return organizer


def petition_fields(**overrides) -> dict:
    fields = {
        "title": "Keep Lincoln Elementary open",
        "slug": "keep-lincoln-open",
        "summary": "The board wants to close our school. We say no.",
        "body": "Lincoln has served **three generations**.\n\n<script>alert(1)</script>",
        "goal": "2500",
        "default_country": "US",
        "default_locale": "en",
        "translated_title": "Mantengan abierta la escuela Lincoln",
        "translated_summary": "La junta quiere cerrar nuestra escuela.",
        "translated_body": "Lincoln ha servido a **tres generaciones**.",
    }
    fields.update(overrides)
    return fields


def lincoln() -> Petition | None:
    db.session.expire_all()
    return db.session.execute(db.select(Petition).where(Petition.slug == "keep-lincoln-open")).scalar_one_or_none()


# --- The dashboard ----------------------------------------------------------------------------


def test_the_dashboard_lists_the_coalitions_petitions_with_counts_and_today(
    client, olga, make_petition, make_coalition, sign
):
    mine = make_petition(title="Fund our libraries")
    draft = make_petition(title="A draft in progress", state=PetitionState.DRAFT)
    theirs = make_petition(title="Someone else's campaign", coalition=make_coalition("other", "Other"))
    for _ in range(3):
        sign(mine)
    sign(theirs)
    yesterday = db.session.execute(db.select(Petition).where(Petition.id == mine.id)).scalar_one()
    sign(yesterday, email="early@example.org")
    from petitions.models import Signature

    early = db.session.execute(db.select(Signature).where(Signature.email == "early@example.org")).scalar_one()
    early.signed_at = utcnow() - timedelta(days=2)
    db.session.commit()

    page = client.get("/organize/").get_data(as_text=True)

    assert "Fund our libraries" in page
    assert "A draft in progress" in page
    assert "Someone else's campaign" not in page
    row = re.search(r"Fund our libraries</a></th>(.*?)</tr>", page, re.S).group(1)
    numbers = re.findall(r'<td class="number">(?:<a [^>]*>)?([\d,]+)', row)
    assert numbers == ["4", "3"]  # four signatures, three of them today
    assert f'href="/organize/petitions/{draft.slug}"' in page
    assert 'href="/organize/coalitions/riverside-parents/petitions/new"' in page


# --- Writing a petition -----------------------------------------------------------------------


def test_olga_creates_a_draft_in_two_languages(client, olga, organizer_post):
    response = organizer_post("/organize/coalitions/riverside-parents/petitions/new", petition_fields())

    assert response.status_code == 303
    petition = lincoln()
    assert response.headers["Location"] == "/organize/petitions/keep-lincoln-open"
    assert petition.state is PetitionState.DRAFT
    assert petition.coalition.slug == "riverside-parents"
    assert (petition.goal, petition.default_country, petition.default_locale) == (2500, "US", "en")
    assert petition.translations["es"].title == "Mantengan abierta la escuela Lincoln"
    assert petition.translations["es"].body == "Lincoln ha servido a **tres generaciones**."
    # A draft is not public yet.
    assert client.get("/petitions/keep-lincoln-open").status_code == 404


def test_markdown_is_rendered_and_raw_html_never_runs(client, olga, organizer_post):
    organizer_post("/organize/coalitions/riverside-parents/petitions/new", petition_fields())
    organizer_post("/organize/petitions/keep-lincoln-open/state", {"move": "open"})

    page = client.get("/petitions/keep-lincoln-open").get_data(as_text=True)
    spanish = client.get("/petitions/keep-lincoln-open?lang=es").get_data(as_text=True)

    assert "<strong>three generations</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Mantengan abierta la escuela Lincoln" in spanish
    assert "<strong>tres generaciones</strong>" in spanish


def test_the_preview_shows_the_text_and_saves_nothing(client, olga, organizer_post):
    response = organizer_post(
        "/organize/coalitions/riverside-parents/petitions/new", {**petition_fields(), "preview": "1"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>three generations</strong>" in page
    assert "Nothing is saved yet." in page
    assert 'value="Keep Lincoln Elementary open"' in page
    assert lincoln() is None


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Keep Lincoln", "Use only lowercase letters"),
        ("keep--lincoln", "Use only lowercase letters"),
        ("-keep", "Use only lowercase letters"),
        ("ab", "Use between 3 and 80 characters."),
        ("k" * 81, "Use between 3 and 80 characters."),
        ("", "Choose a web address."),
    ],
)
def test_slug_rules(client, olga, organizer_post, slug, message):
    response = organizer_post("/organize/coalitions/riverside-parents/petitions/new", petition_fields(slug=slug))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.execute(db.select(Petition)).first() is None


def test_a_slug_in_capitals_is_lowered(client, olga, organizer_post):
    organizer_post("/organize/coalitions/riverside-parents/petitions/new", petition_fields(slug="KEEP-Lincoln-Open"))
    assert lincoln() is not None


def test_a_slug_already_used_anywhere_is_refused(client, olga, organizer_post, make_petition, make_coalition):
    make_petition("keep-lincoln-open", coalition=make_coalition("other", "Other"))
    response = organizer_post("/organize/coalitions/riverside-parents/petitions/new", petition_fields())
    assert response.status_code == 422
    assert "Another petition uses this web address." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Give the petition a title."),
        ("goal", "lots", "Give a whole number, like 2500."),
        ("goal", "0", "Give a goal between 1 and 100,000,000."),
        ("default_country", "XX", "Choose a country."),
        ("title", "t" * 201, "Use at most 200 characters."),
    ],
)
def test_bad_petition_fields_are_explained_and_kept(client, olga, organizer_post, field, value, message):
    response = organizer_post("/organize/coalitions/riverside-parents/petitions/new", petition_fields(**{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert f'aria-describedby="{field}-error"' in page or f'aria-describedby="{field}-hint {field}-error"' in page
    assert "La junta quiere cerrar nuestra escuela." in page  # nothing typed is lost


def test_editing_a_draft_can_change_its_slug_but_an_open_petition_keeps_it(client, olga, organizer_post):
    organizer_post("/organize/coalitions/riverside-parents/petitions/new", petition_fields())
    edit = organizer_post("/organize/petitions/keep-lincoln-open/edit", petition_fields(slug="save-lincoln"))
    assert edit.headers["Location"] == "/organize/petitions/save-lincoln"

    organizer_post("/organize/petitions/save-lincoln/state", {"move": "open"})
    page = client.get("/organize/petitions/save-lincoln/edit").get_data(as_text=True)
    assert "stays as it is once a petition has been open" in page
    response = organizer_post(
        "/organize/petitions/save-lincoln/edit", petition_fields(slug="something-else", title="Save Lincoln!")
    )
    assert response.headers["Location"] == "/organize/petitions/save-lincoln"
    db.session.expire_all()
    petition = db.session.execute(db.select(Petition)).scalar_one()
    assert (petition.slug, petition.title) == ("save-lincoln", "Save Lincoln!")


def test_the_edit_form_shows_the_current_texts(client, olga, organizer_post):
    organizer_post("/organize/coalitions/riverside-parents/petitions/new", petition_fields())
    page = client.get("/organize/petitions/keep-lincoln-open/edit").get_data(as_text=True)
    assert 'value="Keep Lincoln Elementary open"' in page
    assert 'value="Mantengan abierta la escuela Lincoln"' in page
    assert '<option selected value="US">' in page
    assert "In Spanish (optional)" in page


def test_clearing_the_translation_removes_it(client, olga, organizer_post):
    organizer_post("/organize/coalitions/riverside-parents/petitions/new", petition_fields())
    organizer_post(
        "/organize/petitions/keep-lincoln-open/edit",
        petition_fields(translated_title="", translated_summary="", translated_body=""),
    )
    assert lincoln().translations == {}


# --- States -----------------------------------------------------------------------------------


def test_open_close_reopen_archive(client, olga, organizer_post, make_petition, post_signature):
    petition = make_petition(state=PetitionState.DRAFT)
    slug = petition.slug

    def move(step):
        return organizer_post(f"/organize/petitions/{slug}/state", {"move": step})

    move("open")
    assert client.get(f"/petitions/{slug}").status_code == 200
    assert post_signature(petition).status_code == 303

    move("close")
    page = client.get(f"/petitions/{slug}").get_data(as_text=True)
    assert "This petition is closed" in page
    assert '<strong class="count__number">1</strong>' in page
    refused = post_signature(petition, email="late@example.org", csrf_token="from-an-old-page")
    assert refused.status_code == 409
    assert "no longer takes signatures" in refused.get_data(as_text=True)

    move("open")
    assert lincoln_state(petition) is PetitionState.OPEN
    move("close")
    move("archive")
    assert lincoln_state(petition) is PetitionState.ARCHIVED
    assert client.get(f"/petitions/{slug}").status_code == 200  # archived pages stay readable
    move("close")
    assert lincoln_state(petition) is PetitionState.CLOSED


def lincoln_state(petition) -> PetitionState:
    db.session.expire_all()
    return db.session.get(Petition, petition.id).state


def test_an_illegal_move_is_refused_with_a_message(client, olga, organizer_post, make_petition):
    petition = make_petition()
    response = organizer_post(f"/organize/petitions/{petition.slug}/state", {"move": "archive"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "That move is not possible" in page
    assert lincoln_state(petition) is PetitionState.OPEN
    assert organizer_post(f"/organize/petitions/{petition.slug}/state", {"move": "explode"}).status_code == 303
    assert lincoln_state(petition) is PetitionState.OPEN


# --- Demands ----------------------------------------------------------------------------------


def demands_of(petition) -> list[Demand]:
    db.session.expire_all()
    return db.session.get(Petition, petition.id).demands


def test_add_edit_and_reorder_demands(client, olga, organizer_post, make_petition):
    petition = make_petition(demands=["Keep Lincoln open", "Hire counselors"])
    slug = petition.slug

    added = organizer_post(
        f"/organize/petitions/{slug}/demands/new",
        {
            "title": "Fix the roof",
            "explanation": "It leaks.",
            "translated_title": "Arreglar el techo",
            "translated_explanation": "Tiene goteras.",
        },
    )
    assert added.status_code == 303
    demands = demands_of(petition)
    assert [d.title for d in demands] == ["Keep Lincoln open", "Hire counselors", "Fix the roof"]
    assert demands[2].translations["es"].title == "Arreglar el techo"

    roof = demands[2]
    organizer_post(f"/organize/petitions/{slug}/demands/{roof.id}/move", {"move": "up"})
    organizer_post(f"/organize/petitions/{slug}/demands/{roof.id}/move", {"move": "up"})
    organizer_post(f"/organize/petitions/{slug}/demands/{roof.id}/move", {"move": "up"})  # already first
    assert [(d.position, d.title) for d in demands_of(petition)] == [
        (1, "Fix the roof"),
        (2, "Keep Lincoln open"),
        (3, "Hire counselors"),
    ]
    organizer_post(f"/organize/petitions/{slug}/demands/{roof.id}/move", {"move": "down"})
    assert [d.title for d in demands_of(petition)] == ["Keep Lincoln open", "Fix the roof", "Hire counselors"]

    edited = organizer_post(
        f"/organize/petitions/{slug}/demands/{roof.id}", {"title": "Fix the roof before winter", "explanation": ""}
    )
    assert edited.status_code == 303
    roof = demands_of(petition)[1]
    assert (roof.title, roof.explanation, roof.translations) == ("Fix the roof before winter", "", {})

    # The public page and the sign form follow the new order.
    page = client.get(f"/petitions/{slug}").get_data(as_text=True)
    titles = re.findall(r'<h3 class="demand__title" lang="en">(.*?)</h3>', page)
    assert titles == ["Keep Lincoln open", "Fix the roof before winter", "Hire counselors"]


def test_reordering_works_without_javascript(client, olga, make_petition):
    petition = make_petition(demands=["First", "Second"])
    page = client.get(f"/organize/petitions/{petition.slug}").get_data(as_text=True)
    assert page.count('name="move" value="down"') == 1
    assert page.count('name="move" value="up"') == 1
    assert f'action="/organize/petitions/{petition.slug}/demands/{petition.demands[0].id}/move"' in page


def test_a_demand_is_deleted_only_while_the_petition_is_a_draft(client, olga, organizer_post, make_petition):
    draft = make_petition(state=PetitionState.DRAFT, demands=["One", "Two"])
    opened = make_petition(demands=["One", "Two"])

    organizer_post(f"/organize/petitions/{draft.slug}/demands/{draft.demands[0].id}/delete")
    refused = organizer_post(f"/organize/petitions/{opened.slug}/demands/{opened.demands[0].id}/delete")

    assert [(d.position, d.title) for d in demands_of(draft)] == [(1, "Two")]
    assert [d.title for d in demands_of(opened)] == ["One", "Two"]
    assert "People have signed for this demand" in client.get(refused.headers["Location"]).get_data(as_text=True)


def test_a_demand_of_another_petition_is_404(client, olga, organizer_post, make_petition):
    one, two = make_petition(), make_petition()
    assert client.get(f"/organize/petitions/{one.slug}/demands/{two.demands[0].id}").status_code == 404


# --- Demand tracking --------------------------------------------------------------------------


def test_an_update_sets_the_status_and_shows_on_the_page_and_in_the_json(client, olga, organizer_post, make_petition):
    petition = make_petition(demands=["A moratorium on school privatization", "Hire counselors"])
    demand = petition.demands[0]
    base = f"/organize/petitions/{petition.slug}/demands/{demand.id}"
    today = utcnow().date()

    organizer_post(
        f"{base}/updates",
        {"status": "in_progress", "happened_on": (today - timedelta(days=3)).isoformat(), "text": "Hearing set."},
    )
    posted = organizer_post(
        f"{base}/updates",
        {
            "status": "won",
            "happened_on": today.isoformat(),
            "text": "The board voted 5–2 for the moratorium. <b>Huge</b>",
            "link": "https://news.example.org/board-vote",
        },
    )

    assert posted.status_code == 303
    db.session.expire_all()
    demand = db.session.get(Demand, demand.id)
    assert demand.status is DemandStatus.WON
    assert [u.text[:12] for u in demand.updates] == ["The board vo", "Hearing set."]
    assert demand.updates[0].author.email == "olga@example.org"

    page = client.get(f"/petitions/{petition.slug}").get_data(as_text=True)
    assert '<span class="status status--won">Won</span>' in page
    assert '<span class="status status--open">Open</span>' in page  # the other demand
    assert "The board voted 5–2 for the moratorium. &lt;b&gt;Huge&lt;/b&gt;" in page
    assert 'href="https://news.example.org/board-vote"' in page
    assert "Hearing set." not in page  # only the latest update on the public page
    spanish = client.get(f"/petitions/{petition.slug}?lang=es").get_data(as_text=True)
    assert "Ganada" in spanish
    assert "Última novedad" in spanish

    answer = client.get(f"/api/v1/petitions/{petition.slug}")
    check(client.get("/api/v1/openapi.json").json, "/petitions/{slug}", answer)  # as documented
    document = answer.json
    first, second = document["demands"]
    assert first["status"] == "won"
    assert first["latest_update"] == {
        "date": today.isoformat(),
        "status": "won",
        "text": "The board voted 5–2 for the moratorium. <b>Huge</b>",
        "link": "https://news.example.org/board-vote",
    }
    assert [u["status"] for u in first["updates"]] == ["won", "in_progress"]
    assert second["status"] == "open"
    assert second["latest_update"] is None
    assert second["updates"] == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("text", "", "Write what happened."),
        ("happened_on", "tomorrow", "Give the date"),
        ("link", "javascript:alert(1)", "Give a full web address"),
        ("link", "news.example.org", "Give a full web address"),
        ("status", "maybe", "Not a valid choice"),
    ],
)
def test_bad_updates_are_refused(client, olga, organizer_post, make_petition, field, value, message):
    petition = make_petition()
    demand = petition.demands[0]
    fields = {"status": "won", "happened_on": utcnow().date().isoformat(), "text": "Won!", field: value}
    response = organizer_post(f"/organize/petitions/{petition.slug}/demands/{demand.id}/updates", fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert demands_of(petition)[0].updates == []


def test_a_future_date_is_refused(client, olga, organizer_post, make_petition):
    petition = make_petition()
    demand = petition.demands[0]
    tomorrow = (utcnow().date() + timedelta(days=2)).isoformat()
    response = organizer_post(
        f"/organize/petitions/{petition.slug}/demands/{demand.id}/updates",
        {"status": "won", "happened_on": tomorrow, "text": "Won!"},
    )
    assert response.status_code == 422
    assert "The date cannot be in the future." in response.get_data(as_text=True)


def test_a_mistaken_update_can_be_deleted(client, olga, organizer_post, make_petition):
    petition = make_petition()
    demand = petition.demands[0]
    base = f"/organize/petitions/{petition.slug}/demands/{demand.id}"
    organizer_post(f"{base}/updates", {"status": "lost", "happened_on": utcnow().date().isoformat(), "text": "Oops"})
    [update] = demands_of(petition)[0].updates
    assert organizer_post(f"{base}/updates/{update.id}/delete").status_code == 303
    assert demands_of(petition)[0].updates == []


def test_an_organizer_edits_but_cannot_manage_the_team(client, make_organizer, log_in, organizer_post, make_petition):
    make_organizer()
    log_in(make_organizer("oscar@example.org", role=Role.ORGANIZER))
    petition = make_petition()
    response = organizer_post(f"/organize/petitions/{petition.slug}/state", {"move": "close"})
    assert response.status_code == 303
    assert lincoln_state(petition) is PetitionState.CLOSED
    assert client.get("/organize/coalitions/riverside-parents/organizers").status_code == 403


def test_the_sign_form_on_a_reopened_petition_still_works(client, olga, organizer_post, make_petition):
    petition = make_petition()
    organizer_post(f"/organize/petitions/{petition.slug}/state", {"move": "close"})
    organizer_post(f"/organize/petitions/{petition.slug}/state", {"move": "open"})
    assert form_fields(petition)["name"]
