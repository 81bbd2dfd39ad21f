"""What partner sites put on their pages: the widget, embed.js, the badge, oEmbed and the snippets."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from petitions.extensions import db
from petitions.models import PetitionTranslation

MAX_WIDGET_BYTES = 15 * 1024
IFRAME = r'<iframe src="([^"]+)" width="(\d+)" height="(\d+)" title="([^"]+)"[^>]*></iframe>'
PETITION_URL = "http://127.0.0.1:5000/petitions/fund-schools"


@pytest.fixture
def petition(make_petition):
    petition = make_petition(slug="fund-schools", title="Fund our schools", goal=40)
    petition.translations["es"] = PetitionTranslation(locale="es", title="Financien nuestras escuelas")
    db.session.commit()
    return petition


# --- The widget ------------------------------------------------------------------------------


def test_the_widget_shows_title_count_progress_and_a_sign_button(client, petition, sign):
    for city in ["Chicago", "Chicago", "Chicago", "Oakland", "Oakland", "Houston", "Boston"]:
        sign(petition, city=city)

    page = client.get("/petitions/fund-schools/embed").get_data(as_text=True)

    assert ">Fund our schools</a></h1>" in page
    assert '<strong data-count>7</strong> <span data-count-label data-one="signature" data-other="signatures">' in page
    assert '<progress max="40" value="7"' in page
    assert "Goal: 40 signatures" in page
    # The three strongest cities, strongest first; the fourth is left out.
    assert re.search(r"<li>Chicago 3</li><li>Oakland 2</li><li>(Boston|Houston) 1</li></ol>", page)
    assert page.count("<li>") == 3
    sign_link = re.search(r'<a class="sign" href="([^"]+)" target="_blank" rel="noopener"', page).group(1)
    assert sign_link.startswith("http://127.0.0.1:5000/petitions/fund-schools?")
    assert parse_qs(urlsplit(html.unescape(sign_link)).query) == {"source": ["embed"]}


def test_the_widget_is_small_and_self_contained(client, petition, sign):
    sign(petition, city="Chicago")
    for url in ("/petitions/fund-schools/embed", "/petitions/fund-schools/embed?theme=dark&lang=es"):
        response = client.get(url)
        page = response.get_data(as_text=True)

        assert len(response.data) < MAX_WIDGET_BYTES
        # Nothing loaded from anywhere: no src, no stylesheet link, no url() or @import.
        assert not re.search(r"<(script|img|iframe|link)\b[^>]*\b(src|href)=", page)
        assert not re.search(r"url\(|@import", page)
        # The only addresses are links a person follows, and the count it polls on our own site.
        hrefs = re.findall(r'href="([^"]+)"', page)
        assert hrefs
        assert all(href.startswith("http://127.0.0.1:5000/petitions/fund-schools") for href in hrefs)
        assert 'data-count-url="/api/v1/petitions/fund-schools/count"' in page


def digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_widgets_policy_allows_exactly_its_own_inline_style_and_script(client, petition):
    response = client.get("/petitions/fund-schools/embed")
    page = response.get_data(as_text=True)
    policy = response.headers["Content-Security-Policy"]

    (style,) = re.findall(r"<style>(.*?)</style>", page, re.S)
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert f"style-src {digest(style)};" in policy
    assert f"script-src {digest(script)};" in policy
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors *" in policy
    # No inline style attributes, which the hash would not allow.
    assert "style=" not in page


def test_theme_and_compact_options(client, petition, sign):
    sign(petition, city="Chicago")
    light = client.get("/petitions/fund-schools/embed").get_data(as_text=True)
    dark = client.get("/petitions/fund-schools/embed?theme=dark").get_data(as_text=True)
    odd = client.get("/petitions/fund-schools/embed?theme=<b>").get_data(as_text=True)
    compact = client.get("/petitions/fund-schools/embed?compact=1").get_data(as_text=True)
    not_compact = client.get("/petitions/fund-schools/embed?compact=false").get_data(as_text=True)

    assert 'class="light"' in light
    assert 'class="dark"' in dark
    assert 'class="light"' in odd
    assert 'class="light compact"' in compact
    assert "Goal:" not in compact
    assert "Chicago" not in compact
    assert "<progress" in compact
    assert 'class="light"' in not_compact
    assert "Goal:" in not_compact


def test_the_widget_speaks_the_language_asked_for(client, petition, sign):
    sign(petition)
    page = client.get("/petitions/fund-schools/embed?lang=es").get_data(as_text=True)
    assert '<html lang="es"' in page
    assert ">Financien nuestras escuelas</a>" in page
    assert 'data-one="firma" data-other="firmas">firma</span>' in page
    assert ">Firmar<" in page
    assert "Meta: 40 firmas" in page


def test_titles_are_escaped_in_the_widget(client, make_petition):
    petition = make_petition(title='<script>alert("x")</script> & co')
    page = client.get(f"/petitions/{petition.slug}/embed").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in page
    assert '<script>alert("x")' not in page


def test_a_closed_petition_still_shows_its_final_count(client, petition, sign):
    sign(petition)
    petition.close()
    db.session.commit()
    assert "<strong data-count>1</strong>" in client.get("/petitions/fund-schools/embed").get_data(as_text=True)


# --- embed.js ----------------------------------------------------------------------------------


def test_embed_js_is_served_as_script_and_checks_where_messages_come_from(client, app):
    response = client.get("/embed.js")
    script = response.get_data(as_text=True)

    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age=3600" in response.headers["Cache-Control"]
    assert "[data-petition]" in script
    assert "/embed" in script
    # Messages are taken only from our origin, and only for the frame that sent them.
    assert "event.origin !== origin" in script
    assert "contentWindow === event.source" in script


# --- The badge ---------------------------------------------------------------------------------


def badge_texts(svg: str) -> list[str]:
    return re.findall(r"<text [^>]*>([^<]*)</text>", svg)


def test_the_badge_shows_the_count(client, make_petition, sign_many):
    petition = make_petition(slug="big", demands=0)
    sign_many(petition, 12_345)

    english = client.get("/petitions/big/badge.svg")
    spanish = client.get("/petitions/big/badge.svg?lang=es")

    assert english.mimetype == "image/svg+xml"
    assert set(badge_texts(english.get_data(as_text=True))) == {"signatures", "12,345"}
    assert "<title>12,345 signatures</title>" in english.get_data(as_text=True)
    assert set(badge_texts(spanish.get_data(as_text=True))) == {"firmas", "12.345"}
    assert "<title>12.345 firmas</title>" in spanish.get_data(as_text=True)


def test_the_badge_counts_only_confirmed_signatures(client, petition, sign):
    from petitions import signing
    from petitions.models import SignatureState

    sign(petition)
    struck = sign(petition)
    signing.change_state(petition.id, [struck], SignatureState.STRUCK, reason="spam")
    db.session.commit()
    svg = client.get("/petitions/fund-schools/badge.svg").get_data(as_text=True)
    assert set(badge_texts(svg)) == {"signature", "1"}


def test_the_badge_grows_with_its_text(client, petition, sign):
    svg = client.get("/petitions/fund-schools/badge.svg").get_data(as_text=True)
    width = int(re.search(r'<svg [^>]*width="(\d+)"', svg).group(1))
    assert 60 < width < 160
    assert re.search(r'role="img" aria-label="0 signatures"', svg)


def test_an_unknown_petitions_badge_is_a_404_image(client, app):
    response = client.get("/petitions/nope/badge.svg")
    assert response.status_code == 404
    assert response.mimetype == "image/svg+xml"
    assert "?" in badge_texts(response.get_data(as_text=True))


# --- oEmbed ------------------------------------------------------------------------------------


def test_oembed_answers_a_rich_embed_of_the_widget(client, petition):
    response = client.get("/oembed", query_string={"url": "http://127.0.0.1:5000/petitions/fund-schools"})

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    answer = response.json
    assert answer["version"] == "1.0"
    assert answer["type"] == "rich"
    assert answer["title"] == "Fund our schools"
    assert answer["provider_name"] == "Groundswell"
    assert answer["provider_url"] == "http://127.0.0.1:5000/"
    assert answer["author_name"] == "Riverside Parents United"
    assert isinstance(answer["width"], int)
    assert isinstance(answer["height"], int)
    iframe = re.fullmatch(
        r'<iframe src="([^"]+)" width="(\d+)" height="(\d+)" title="([^"]+)"[^>]*></iframe>', answer["html"]
    )
    assert iframe, answer["html"]
    assert iframe.group(1) == "http://127.0.0.1:5000/petitions/fund-schools/embed"
    assert (int(iframe.group(2)), int(iframe.group(3))) == (answer["width"], answer["height"])
    assert iframe.group(4) == "Fund our schools"
    # The frame it points to is the widget, which may be framed.
    assert "frame-ancestors *" in client.get("/petitions/fund-schools/embed").headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:5000/petitions/fund-schools",
        "http://127.0.0.1:5000/petitions/fund-schools/",
        "http://127.0.0.1:5000/petitions/fund-schools?source=newsletter",
        "HTTP://127.0.0.1:5000/petitions/fund-schools#sign",
    ],
)
def test_oembed_takes_the_petition_url_in_its_usual_forms(client, petition, url):
    assert client.get("/oembed", query_string={"url": url, "format": "json"}).json["type"] == "rich"


def test_oembed_respects_the_consumers_size_limits(client, petition):
    url = "http://127.0.0.1:5000/petitions/fund-schools"
    narrow = client.get("/oembed", query_string={"url": url, "maxwidth": "300", "maxheight": "600"}).json
    short = client.get("/oembed", query_string={"url": url, "maxheight": "180"}).json

    assert narrow["width"] == 300
    assert 'width="300"' in narrow["html"]
    assert short["height"] <= 180
    assert "/embed?compact=1" in short["html"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"url": "http://127.0.0.1:5000/petitions/nope"}, 404),
        ({"url": "http://elsewhere.example/petitions/fund-schools"}, 404),
        ({"url": "http://127.0.0.1:5000/"}, 404),
        ({"url": "http://127.0.0.1:5000/petitions/fund-schools/thanks"}, 404),
        ({"url": "javascript:alert(1)"}, 404),
        ({"url": "http://127.0.0.1:5000/petitions/fund-schools", "format": "xml"}, 501),
        ({}, 400),
        ({"url": "http://127.0.0.1:5000/petitions/fund-schools", "maxwidth": "wide"}, 400),
    ],
)
def test_oembed_refuses_what_it_cannot_embed(client, petition, query, status):
    response = client.get("/oembed", query_string=query)
    assert response.status_code == status
    assert response.json["error"]["message"]


def test_the_petition_page_announces_its_oembed(client, petition):
    page = client.get("/petitions/fund-schools").get_data(as_text=True)
    link = re.search(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', page)
    assert link
    href = html.unescape(link.group(1))
    assert href.startswith("http://127.0.0.1:5000/oembed?")
    assert parse_qs(urlsplit(href).query) == {
        "url": ["http://127.0.0.1:5000/petitions/fund-schools"],
        "format": ["json"],
    }
    assert client.get(href.removeprefix("http://127.0.0.1:5000")).json["type"] == "rich"


# --- Embed this petition (the snippets on the petition page) ----------------------------------


def snippets(page: str) -> dict[str, str]:
    """Each labelled, read-only textarea of the embed box: label text -> its content, unescaped."""
    found = {}
    for field_id, content in re.findall(
        r'<textarea id="(embed-[a-z]+)"[^>]* readonly[^>]*>(.*?)</textarea>', page, re.S
    ):
        label = re.search(rf'<label for="{field_id}">([^<]+)</label>', page)
        assert label, field_id
        found[label.group(1)] = html.unescape(content)
    return found


def test_the_petition_page_offers_the_three_snippets_without_javascript(client, petition):
    page = client.get("/petitions/fund-schools").get_data(as_text=True)
    assert '<h2 id="embed-heading">Embed this petition</h2>' in page

    found = snippets(page)

    assert found == {
        "Widget": '<div data-petition="fund-schools"><a href="http://127.0.0.1:5000/petitions/fund-schools">'
        "Fund our schools</a></div>\n"
        '<script src="http://127.0.0.1:5000/embed.js" async></script>',
        "Widget without a script": '<iframe src="http://127.0.0.1:5000/petitions/fund-schools/embed" width="400" '
        'height="250" title="Fund our schools" style="border:0;max-width:100%" loading="lazy"></iframe>',
        "Count badge": '<a href="http://127.0.0.1:5000/petitions/fund-schools"><img '
        'src="http://127.0.0.1:5000/petitions/fund-schools/badge.svg" alt="Signatures: Fund our schools" '
        'height="20"></a>',
    }
    # Every address in them answers.
    for snippet in found.values():
        for address in re.findall(r'(?:src|href)="http://127\.0\.0\.1:5000([^"]+)"', snippet):
            assert client.get(address).status_code == 200, address


def test_the_snippets_are_in_spanish_and_escape_the_title(client, make_petition):
    petition = make_petition(title='Schools "now" <b>&</b>')
    found = snippets(client.get(f"/petitions/{petition.slug}?lang=es").get_data(as_text=True))
    assert set(found) == {"Widget", "Widget sin script", "Insignia con el conteo"}
    assert 'title="Schools &#34;now&#34; &lt;b&gt;&amp;&lt;/b&gt;"' in found["Widget sin script"]
    assert "Firmas: Schools" in found["Insignia con el conteo"]
