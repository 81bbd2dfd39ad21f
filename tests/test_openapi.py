"""The OpenAPI document: valid, complete, and true to what the API really answers."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from petitions.extensions import db
from petitions.models import PetitionState

DOCUMENT_URI = "urn:groundswell:openapi"


@pytest.fixture
def document(client, app) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def api_routes(app) -> dict[str, str]:
    """Every GET route of the API, as the document writes its path: {"/petitions/{slug}": endpoint}."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and "GET" in rule.methods:
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes[path] = rule.endpoint
    return routes


def response_schema(document: dict, path: str, status: int) -> dict:
    """A reference to the schema the document declares for this answer, resolved within the document."""
    responses = document["paths"][path]["get"]["responses"]
    assert str(status) in responses, f"{path} does not document status {status}"
    pointer = "/".join(
        part.replace("~", "~0").replace("/", "~1")
        for part in ("paths", path, "get", "responses", str(status), "content", "application/json", "schema")
    )
    return {"$ref": f"{DOCUMENT_URI}#/{pointer}"}


def check(document: dict, path: str, response) -> None:
    """Validate a real answer against the schema the document declares for it."""
    schema = response_schema(document, path, response.status_code)
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    validator = Draft202012Validator(
        schema,
        registry=Registry().with_resource(DOCUMENT_URI, resource),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    errors = sorted(validator.iter_errors(response.json), key=str)
    assert not errors, f"{path} {response.status_code}: {[error.message for error in errors]}"


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "http://127.0.0.1:5000/api/v1"}]


def test_every_api_route_is_documented_with_its_parameters(app, document):
    for path, endpoint in api_routes(app).items():
        assert path in document["paths"], f"{endpoint} ({path}) is not in the OpenAPI document"
        operation = document["paths"][path]["get"]
        documented = {parameter["name"] for parameter in operation.get("parameters", [])}
        assert set(re.findall(r"{([^}]+)}", path)) <= documented, path
        assert {"200", "304"} <= set(operation["responses"]), path


def test_every_api_answer_matches_the_document(client, document, app, runner, sign):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    from petitions.models import Petition

    demo = db.session.execute(db.select(Petition).where(Petition.slug == "wechoose")).scalar_one()
    sign(demo, city="Chicago")
    sign(demo, city="Springfield", region="IL")

    for path in api_routes(app):
        response = client.get("/api/v1" + path.replace("{slug}", "wechoose"))
        assert response.status_code in (200, 400), path
        if path != "/openapi.json":
            check(document, path, response)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/api/v1/petitions?limit=1&offset=1", "/petitions"),
        ("/api/v1/petitions?limit=500", "/petitions"),
        ("/api/v1/petitions/nope", "/petitions/{slug}"),
        ("/api/v1/petitions/nope/count", "/petitions/{slug}/count"),
    ],
)
def test_pages_and_errors_match_the_document(client, document, make_petition, sign, url, path):
    for n in range(3):
        sign(make_petition(slug=f"campaign-{n}"))
    make_petition(state=PetitionState.CLOSED)
    check(document, path, client.get(url))


def test_a_closed_petition_and_its_translations_match_the_document(client, document, make_petition, sign):
    from petitions.models import PetitionTranslation

    petition = make_petition(slug="cerrada", default_locale="es", title="Escuelas abiertas")
    petition.translations["en"] = PetitionTranslation(locale="en", title="Open schools", summary="", body="")
    sign(petition)
    petition.close()
    db.session.commit()

    check(document, "/petitions/{slug}", client.get("/api/v1/petitions/cerrada"))
    check(document, "/petitions/{slug}/count", client.get("/api/v1/petitions/cerrada/count"))
