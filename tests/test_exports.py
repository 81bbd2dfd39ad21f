"""The CSV export, the delivery document and the export log."""

from __future__ import annotations

import csv
import io

import pytest

from petitions import exports
from petitions.extensions import db
from petitions.models import Export, Role, SignatureState
from petitions.signing import change_state

FORMULAS = {
    "equals": '=HYPERLINK("https://evil.example","click")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "carriage return": "\r=1+1",
    "space first": "  =1+1",
    "full-width": "＝1+1",
}


@pytest.fixture
def olga(make_organizer, log_in):
    organizer = make_organizer()
    log_in(organizer)
    return organizer


def parse(data: bytes, *, bom: bool = False) -> list[dict[str, str]]:
    text = data.decode("utf-8-sig" if bom else "utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def export(client, petition, **query):
    response = client.get(f"/organize/petitions/{petition.slug}/signatures.csv", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    response.get_data()  # read to the end, as a browser does
    return response


def test_the_export_has_the_documented_columns(client, olga, make_petition, sign):
    petition = make_petition(demands=["Keep Lincoln open", "Fund libraries"])
    _first, second = (d.id for d in petition.demands)
    sign(
        petition,
        "Zoë@Example.org",
        name="Zoë Ñúñez-O'Brien",
        city="new york",
        region="NY",
        postal_code="10001",
        comment='Line one, "quoted", 100% %s\nline two',  # the database writes lines with printf()
        demand_ids=[second],
        updates_opt_in=True,
    )

    response = export(client, petition)

    assert response.mimetype == "text/csv"
    assert response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="{petition.slug}-signatures-')
    assert response.headers["Cache-Control"] == "no-store"
    assert not response.data.startswith(b"\xef\xbb\xbf")
    [row] = parse(response.data)
    assert list(row) == [
        "name", "email", "city", "canonical_city", "region", "postal_code", "country",
        "demand_1: Keep Lincoln open", "demand_2: Fund libraries",
        "comment", "updates_opt_in", "signed_at", "state",
    ]  # fmt: skip
    assert row["name"] == "Zoë Ñúñez-O'Brien"
    assert row["email"] == "Zoë@Example.org"
    assert (row["city"], row["canonical_city"]) == ("new york", "New York City")
    assert (row["region"], row["postal_code"], row["country"]) == ("NY", "10001", "US")
    assert (row["demand_1: Keep Lincoln open"], row["demand_2: Fund libraries"]) == ("no", "yes")
    assert row["comment"] == 'Line one, "quoted", 100% %s\nline two'
    assert row["updates_opt_in"] == "yes"
    assert row["signed_at"].endswith("Z")
    assert "T" in row["signed_at"]
    assert row["state"] == "confirmed"


def test_the_byte_order_mark_is_an_option(client, olga, make_petition, sign):
    petition = make_petition()
    sign(petition, name="Łukasz")
    data = export(client, petition, bom="1").data
    assert data.startswith(b'\xef\xbb\xbf"name"')
    assert parse(data, bom=True)[0]["name"] == "Łukasz"


@pytest.mark.parametrize("case", sorted(FORMULAS))
def test_no_cell_can_run_as_a_formula(client, olga, make_petition, sign, case):
    value = FORMULAS[case]
    petition = make_petition(demands=[f"{value} demand"])
    sign(
        petition,
        f"formula.{case.replace(' ', '-')}@example.org",
        name=value,
        city=value,
        region=value,
        postal_code=value[:20],
        comment=value,
    )
    data = export(client, petition).data
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))

    header, row = rows
    assert header[7] == "demand_1: " + value + " demand"  # a header never starts with the organizer's text
    for column in ("name", "city", "region", "comment"):
        cell = row[header.index(column)]
        assert cell == "'" + value, (column, cell)
    assert row[header.index("postal_code")] == "'" + value[:20]
    for cell in [*header, *row]:
        assert cell[:1] not in exports.FORMULA_STARTS, cell
        assert cell.lstrip(" ")[:1] not in exports.FORMULA_STARTS or cell.startswith("'"), cell


def test_harmless_values_are_left_alone():
    for value in ("Ana", "O'Brien", "100 - 5", "a=b", "", "-", "'already quoted"):
        assert exports.neutralize(value) == (value if value[:1] != "-" else "'" + value)
    assert exports.neutralize("=1") == "'=1"


def test_filters_apply_and_opted_in_only_keeps_other_emails_out(client, olga, make_petition, sign):
    petition = make_petition()
    sign(petition, "yes1@example.org", city="Chicago", updates_opt_in=True)
    sign(petition, "no1@example.org", city="Chicago", updates_opt_in=False)
    sign(petition, "yes2@example.org", city="Detroit", updates_opt_in=True)
    struck = sign(petition, "yes3@example.org", city="Chicago", updates_opt_in=True)
    change_state(petition.id, [struck], SignatureState.STRUCK, "spam")
    db.session.commit()

    mailing = export(client, petition, opted_in="1", state="confirmed").data

    assert [row["email"] for row in parse(mailing)] == ["yes1@example.org", "yes2@example.org"]
    assert b"no1@example.org" not in mailing
    assert [row["email"] for row in parse(export(client, petition, state="struck").data)] == ["yes3@example.org"]
    assert len(parse(export(client, petition).data)) == 4


def test_every_export_is_recorded_and_owners_see_the_log(client, olga, make_petition, sign):
    petition = make_petition(title="Keep Lincoln open")
    for n in range(3):
        sign(petition, f"s{n}@example.org", updates_opt_in=n != 1)

    export(client, petition, opted_in="1")
    client.get(f"/organize/petitions/{petition.slug}/delivery").get_data()
    client.get(f"/organize/petitions/{petition.slug}/delivery.csv").get_data()

    db.session.expire_all()
    records = db.session.execute(db.select(Export).order_by(Export.id)).scalars().all()
    assert [(r.kind, r.by, r.filters, r.rows, r.complete) for r in records] == [
        ("signatures", "olga@example.org", "opted_in=1", 2, True),
        ("delivery", "olga@example.org", "", 3, True),
        ("delivery_csv", "olga@example.org", "", 3, True),
    ]
    assert all(r.finished_at >= r.started_at for r in records)
    log = client.get("/organize/coalitions/riverside-parents/exports").get_data(as_text=True)
    assert log.count("<td>olga@example.org</td>") == 3
    assert "<code>opted_in=1</code>" in log
    assert "Keep Lincoln open" in log


def test_an_export_cut_short_is_recorded_as_interrupted(client, olga, make_petition, sign, monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 2)
    petition = make_petition()
    for n in range(7):
        sign(petition, f"s{n}@example.org")

    response = client.get(f"/organize/petitions/{petition.slug}/signatures.csv", buffered=False)
    chunks = iter(response.response)
    next(chunks)  # the header
    next(chunks)  # two rows
    response.close()  # the person goes away

    db.session.expire_all()
    [record] = db.session.execute(db.select(Export)).scalars().all()
    assert record.complete is False
    assert 2 <= record.rows < 7
    log = client.get("/organize/coalitions/riverside-parents/exports").get_data(as_text=True)
    assert "interrupted" in log


def test_a_viewer_exports_too(client, make_organizer, log_in, make_petition, sign):
    make_organizer()
    log_in(make_organizer("vera@example.org", role=Role.VIEWER))
    petition = make_petition()
    sign(petition)
    assert len(parse(export(client, petition).data)) == 1


# --- From the command line --------------------------------------------------------------------


def test_the_command_writes_the_same_csv(client, olga, runner, make_petition, sign):
    petition = make_petition()
    for n, city in enumerate(["Chicago", "Detroit", "Chicago"]):
        sign(petition, f"s{n}@example.org", name=f"=Signer {n}", city=city, updates_opt_in=n != 1)

    web = export(client, petition, opted_in="1", bom="1").data
    result = runner.invoke(args=["export-signatures", petition.slug, "--opted-in", "--bom"])

    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == web
    db.session.expire_all()
    records = db.session.execute(db.select(Export).order_by(Export.id)).scalars().all()
    assert [(r.by, r.filters, r.rows) for r in records] == [
        ("olga@example.org", "opted_in=1", 2),
        ("command line", "opted_in=1", 2),
    ]


def test_the_command_takes_every_filter_and_explains_bad_ones(runner, make_petition, sign):
    petition = make_petition()
    sign(petition, "a@example.org", city="Chicago", region="IL")
    sign(petition, "b@example.org", city="Detroit", region="MI")

    result = runner.invoke(
        args=["export-signatures", petition.slug, "--region", "il", "--state", "confirmed", "--country", "us",
              "--demand", str(petition.demands[0].id), "--search", "example", "--city-match", "canonical"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [row["email"] for row in parse(result.stdout_bytes)] == ["a@example.org"]

    bad = runner.invoke(args=["export-signatures", petition.slug, "--signed-from", "yesterday", "--city", "x"])
    assert bad.exit_code == 2
    assert "--signed-from: Give a date as YYYY-MM-DD" in bad.output
    assert "--city: Choose one of the options." in bad.output
    assert runner.invoke(args=["export-signatures", "nope"]).exit_code == 1


def test_the_command_writes_the_delivery_list(runner, make_petition, sign):
    petition = make_petition()
    sign(petition, "a@example.org", name="Ana", city="Chicago")
    result = runner.invoke(args=["export-signatures", petition.slug, "--delivery"])
    assert result.exit_code == 0
    assert [row["name"] for row in parse(result.stdout_bytes)] == ["Ana"]
    assert b"a@example.org" not in result.stdout_bytes


# --- Delivery ---------------------------------------------------------------------------------


def test_the_delivery_document_groups_signers_by_city_without_emails(client, olga, make_petition, sign):
    petition = make_petition(title="Keep Lincoln open", demands=["Keep the school", "Hire counselors"])
    sign(petition, "ana@example.org", name="Ana Pérez", city="Chicago")
    sign(petition, "ben@example.org", name="Ben <b>Okafor</b>", city="Detroit", demand_ids=[petition.demands[1].id])
    sign(petition, "cy@example.org", name="Cy Young", city="chicago")
    gone = sign(petition, "dee@example.org", name="Dee Struck", city="Chicago")
    change_state(petition.id, [gone], SignatureState.STRUCK, "spam")
    db.session.commit()

    response = client.get(f"/organize/petitions/{petition.slug}/delivery")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "@example.org" not in page.replace("olga@example.org", "")
    assert "3 people signed this petition." in page
    assert "Keep the school" in page
    assert "Hire counselors" in page
    assert "— 2 supporters" in page
    assert "— 3 supporters" in page
    assert '<tr><th scope="row">Chicago, IL (US)</th><td class="number">2</td></tr>' in page
    chicago = page.index("<h3>Chicago, IL (US) — 2</h3>")
    detroit = page.index("<h3>Detroit, MI (US) — 1</h3>")
    assert chicago < page.index("Ana Pérez") < page.index("Cy Young") < detroit < page.index("Ben &lt;b&gt;Okafor")
    assert "Dee Struck" not in page
    assert "@media print" in client.get("/static/css/site.css").get_data(as_text=True)

    rows = parse(client.get(f"/organize/petitions/{petition.slug}/delivery.csv").data)
    assert [(r["city"], r["name"]) for r in rows] == [
        ("Chicago", "Ana Pérez"),
        ("Chicago", "Cy Young"),
        ("Detroit", "Ben <b>Okafor</b>"),
    ]
    assert list(rows[0]) == ["city", "region", "country", "name", "signed_on"]
