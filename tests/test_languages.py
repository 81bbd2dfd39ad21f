"""English and Spanish: catalogs complete, the language chosen the way people expect."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "petitions" / "translations"


def marked_strings() -> set[str]:
    """Every string marked for translation in the code and the templates, extracted afresh."""
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
    found = set()
    for folder, method in (("petitions", "python"), ("templates", "jinja2")):
        pattern = "**.py" if method == "python" else "**.html"
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
