"""English and Spanish: catalogs complete, the language chosen the way people expect."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "petitions" / "translations"


def marked_strings() -> set[str]:
    """Every string marked for translation in the code and the templates, extracted afresh."""
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
    found = set()
    # Pages are .html, the plain-text parts of emails .txt.
    for folder, pattern, method in (
        ("petitions", "**.py", "python"),
        ("templates", "**.html", "jinja2"),
        ("templates", "**.txt", "jinja2"),
    ):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder,
            method_map=[(pattern, method)],
            options_map={pattern: {"extensions": "jinja2.ext.do"}},
            keywords=keywords,
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_marked_string_is_translated(language):
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    translated = {
        (message.id[0] if isinstance(message.id, tuple) else message.id)
        for message in catalog
        if message.id
        and not message.fuzzy
        and all(message.string if isinstance(message.string, tuple) else [message.string])
    }
    missing = sorted(marked_strings() - translated)
    assert not missing, f"run `make messages` and translate into {language}: {missing}"


def test_lang_parameter_switches_and_is_remembered(client, make_petition):
    petition = make_petition()

    spanish = client.get(f"/petitions/{petition.slug}?lang=es")

    page = spanish.get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Firma esta petición" in page
    assert "lang=es" in spanish.headers["Set-Cookie"]
    # The next page, without the parameter, stays in Spanish.
    assert '<html lang="es">' in client.get("/").get_data(as_text=True)
    # Switching back is remembered too.
    client.get("/?lang=en")
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_the_browser_language_is_used_without_a_choice(client, make_petition):
    petition = make_petition()
    page = client.get(f"/petitions/{petition.slug}", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert '<html lang="es">' in page.get_data(as_text=True)


def test_the_petition_language_is_the_last_resort(client, make_petition):
    petition = make_petition(default_locale="es")
    assert '<html lang="es">' in client.get(f"/petitions/{petition.slug}").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_an_unknown_language_is_ignored(client, app):
    assert '<html lang="en">' in client.get("/?lang=xx").get_data(as_text=True)


def test_the_switcher_keeps_the_person_on_the_same_page(client, make_petition):
    petition = make_petition()
    page = client.get(f"/petitions/{petition.slug}?lang=en").get_data(as_text=True)
    assert f'href="/petitions/{petition.slug}?lang=es" lang="es" hreflang="es"' in page


def test_the_switcher_after_a_form_error_goes_to_the_petition_page(client, make_petition, post_signature):
    petition = make_petition()
    page = post_signature(petition, name="").get_data(as_text=True)
    assert f'href="/petitions/{petition.slug}?lang=es"' in page


# --- A Spanish reader -------------------------------------------------------------------------

SPANISH_LABELS = [
    "Tu nombre",
    "Correo electrónico",
    "Ciudad o pueblo",
    "Estado o región",
    "Código postal",
    "País",
    "Las demandas que apoyas",
    "¿Por qué firmas? (opcional)",
    "Mostrar públicamente mi nombre de pila y mi ciudad",
    "Quiero recibir noticias de esta campaña por correo",
    "Firmar",
]
ENGLISH_LABELS = ["Your name", "Email address", "City or town", "The demands you support", ">Sign<"]


@pytest.fixture
def demo(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    from petitions.extensions import db
    from petitions.models import Petition

    return db.session.execute(db.select(Petition).where(Petition.slug == "wechoose")).scalar_one()


def test_a_spanish_supporter_signs_in_spanish_throughout(client, demo):
    form_page = client.get("/petitions/wechoose?lang=es").get_data(as_text=True)
    for label in SPANISH_LABELS:
        assert label in form_page, label
    for label in ENGLISH_LABELS:
        assert label not in form_page, label
    assert '<option selected value="US">Estados Unidos</option>' in form_page
    assert "Una moratoria a la privatización de las escuelas" in form_page  # the demand, in the form too
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form_page).group(1)
    demands = [str(demand.id) for demand in demo.demands]
    fields = {
        "csrf_token": token,
        "name": "",
        "email": "maria@",
        "city": "Chicago",
        "country": "US",
        "demands": demands,
    }

    errors = client.post("/petitions/wechoose/sign", data=fields)

    page = errors.get_data(as_text=True)
    assert errors.status_code == 422
    assert '<html lang="es">' in page
    assert "Revisa el formulario" in page
    assert "Escribe tu nombre." in page
    assert "Escribe un correo electrónico como nombre@ejemplo.org." in page

    signed = client.post("/petitions/wechoose/sign", data={**fields, "name": "María", "email": "maria@example.org"})
    thanks = client.get(signed.headers["Location"]).get_data(as_text=True)
    assert "Gracias por firmar" in thanks
    assert "Pide a otras personas que firmen" in thanks
    assert "#WeChoose: justicia educativa para cada niño y niña" in thanks
    assert "Thank you" not in thanks


def test_numbers_and_dates_follow_the_language(client, make_petition, app):
    from datetime import UTC, datetime

    from petitions.extensions import db

    petition = make_petition(goal=12345)
    petition.opened_at = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
    db.session.commit()

    english = client.get(f"/petitions/{petition.slug}?lang=en").get_data(as_text=True)
    spanish = client.get(f"/petitions/{petition.slug}?lang=es").get_data(as_text=True)

    assert "Goal: 12,345 signatures" in english
    assert "Meta: 12.345 firmas" in spanish
    assert "Open since November 22, 2026" in english
    assert "Abierta desde el 22 de noviembre de 2026" in spanish


def test_untranslated_text_falls_back_to_the_original_and_says_so(client, make_petition):
    petition = make_petition(title="Keep Lincoln open")
    page = client.get(f"/petitions/{petition.slug}?lang=es").get_data(as_text=True)
    assert '<h1 lang="en">Keep Lincoln open</h1>' in page
    assert "Firma esta petición" in page


def test_the_api_carries_both_languages(client, demo):
    document = client.get("/api/v1/petitions/wechoose").json
    assert document["language"] == "en"
    assert document["title"] == "#WeChoose: education justice for every child"
    assert document["translations"]["es"]["title"] == "#WeChoose: justicia educativa para cada niño y niña"
    assert document["translations"]["es"]["body"].startswith("En 2017")
    first = document["demands"][0]
    assert first["title"] == "A moratorium on school privatization"
    assert first["translations"]["es"]["title"] == "Una moratoria a la privatización de las escuelas"
    assert first["translations"]["es"]["explanation"]


def test_the_demo_reads_entirely_in_spanish(client, demo):
    page = client.get("/petitions/wechoose?lang=es").get_data(as_text=True)
    for demand in demo.demands:
        assert demand.translations["es"].title in page
        assert demand.translations["es"].explanation in page
    assert "<strong>#WeChoose</strong> («Nosotros elegimos»)" in page
