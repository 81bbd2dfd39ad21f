"""The kept tallies always equal a fresh GROUP BY over the signatures."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import update

from petitions import cities, signing, tallies
from petitions.extensions import db
from petitions.models import City, CityTally, Petition, Signature, SignatureState
from tests.conftest import csrf_token, form_fields

CITIES = ["Chicago", "chicago, il", "Detroit", "Oakland", "Springfield", "Smalltown", "Chitown", "Motor City"]


@pytest.fixture
def settings():
    """Fold after every other signature, so that signing folds too."""
    return {"TALLY_FOLD_EVERY": "2"}


def test_tallies_match_a_fresh_count_whatever_happens(app, client, make_petition):
    class Signing(RuleBasedStateMachine):
        """Supporters sign, sign twice, send broken forms; organizers strike, restore and map
        unmatched spellings to canonical cities; folds run."""

        def __init__(self):
            super().__init__()
            self.petition = make_petition(demands=3)
            self.demand_ids = [demand.id for demand in self.petition.demands]
            self.signed: list[int] = []

        @rule(
            who=st.integers(0, 11),
            shout=st.booleans(),
            city=st.sampled_from(CITIES),
            endorse=st.sets(st.integers(0, 2), min_size=1),
        )
        def sign(self, who, shout, city, endorse):
            email = f"person{who}@example.org"
            data = signing.SignatureData(
                name=f"Person {who}",
                email=email.upper() if shout else email,
                city=city,
                country="US",
                demand_ids=frozenset(self.demand_ids[i] for i in endorse),
            )
            signature_id = signing.sign(self.petition, data)
            if signature_id is not None:
                self.signed.append(signature_id)

        @rule(missing=st.sampled_from(["name", "email", "city", "demands"]))
        def send_a_broken_form(self, missing):
            answers = {"email": "broken@example.org", missing: [] if missing == "demands" else ""}
            data = form_fields(self.petition, **answers, csrf_token=csrf_token(client, self.petition.slug))
            assert client.post(f"/petitions/{self.petition.slug}/sign", data=data).status_code == 422

        @precondition(lambda self: self.signed)
        @rule(pick=st.integers(0, 10_000), state=st.sampled_from(list(SignatureState)))
        def moderate(self, pick, state):
            signature_id = self.signed[pick % len(self.signed)]
            signing.change_state(self.petition.id, [signature_id], state, reason="test")
            db.session.commit()

        @rule()
        def fold(self):
            tallies.fold(self.petition.id)
            db.session.commit()

        @rule(pick=st.integers(0, 10), canonical=st.sampled_from(["Chicago", "Detroit"]))
        def map_a_spelling(self, pick, canonical):
            spellings = (
                db.session.execute(
                    db.select(City.id)
                    .join(Signature, Signature.city_id == City.id)
                    .where(Signature.petition_id == self.petition.id, City.geonameid.is_(None))
                    .distinct()
                    .order_by(City.id)
                )
                .scalars()
                .all()
            )
            if spellings:
                city_id = cities.resolve(canonical, "", "US")
                cities.map_unmatched(self.petition.coalition_id, spellings[pick % len(spellings)], city_id)
                db.session.commit()

        @rule()
        def recount_finds_nothing_wrong(self):
            assert tallies.recount(self.petition.id) == []
            db.session.commit()

        @invariant()
        def every_tally_equals_a_fresh_count(self):
            db.session.expire_all()
            assert tallies.snapshot(self.petition.id) == tallies.truth(self.petition.id)

    run_state_machine_as_test(
        Signing,
        settings=hypothesis_settings(
            max_examples=15,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


def test_a_duplicate_changes_no_count(app, make_petition, sign):
    petition = make_petition()
    sign(petition, "ana@example.org")
    assert sign(petition, "ANA@example.org") is None
    assert tallies.signature_count(petition.id) == 1
    assert tallies.truth(petition.id).total == 1


@pytest.mark.parametrize("settings", [{"TALLY_FOLD_EVERY": "1000"}])
def test_counts_are_read_without_scanning_signatures(app, make_petition, sign):
    """Reading a count touches the stored figure and the few signatures not folded yet."""
    petition = make_petition()
    for _ in range(5):
        sign(petition)
    tallies.fold(petition.id)
    db.session.commit()
    sign(petition)

    plan = "\n".join(
        str(row)
        for row in db.session.execute(
            db.text(
                ("EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN ")
                + "SELECT count(*) FROM signatures WHERE petition_id = :p AND "
                + "signatures.state = 'confirmed' AND NOT signatures.counted"
            ),
            {"p": petition.id},
        )
    )
    if db.engine.dialect.name == "sqlite":
        assert "ix_signatures_uncounted" in plan
    assert tallies.signature_count(petition.id) == 6
    assert db.session.get(Petition, petition.id).signature_count == 5


def test_recount_repairs_and_reports(app, runner, make_petition, sign):
    petition = make_petition(slug="repair-me")
    for city in ("Chicago", "Chicago", "Detroit"):
        sign(petition, city=city)
    tallies.fold(petition.id)
    db.session.execute(update(Petition).where(Petition.id == petition.id).values(signature_count=99))
    db.session.execute(update(CityTally).where(CityTally.petition_id == petition.id).values(count=7))
    db.session.commit()

    result = runner.invoke(args=["recount", "repair-me"])

    assert result.exit_code == 0, result.output
    assert "repair-me: total: was 99, now 3" in result.output
    assert "was 7, now 2" in result.output
    assert "was 7, now 1" in result.output
    db.session.expire_all()
    assert tallies.stored(petition.id) == tallies.truth(petition.id)
    assert "every tally was right" in runner.invoke(args=["recount", "repair-me"]).output


def test_recount_of_an_unknown_slug_fails_clearly(runner):
    result = runner.invoke(args=["recount", "nope"])
    assert result.exit_code != 0
    assert "no petition with slug 'nope'" in result.output


def test_striking_takes_a_counted_signature_out_of_every_tally(app, make_petition, sign):
    petition = make_petition()
    kept, struck = sign(petition, city="Oakland"), sign(petition, city="Oakland")
    tallies.fold(petition.id)
    db.session.commit()

    signing.change_state(petition.id, [struck], SignatureState.STRUCK, reason="spam")
    db.session.commit()

    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)
    assert tallies.signature_count(petition.id) == 1
    assert db.session.get(Signature, kept).counted is True
    assert db.session.get(Signature, struck).counted is False


def test_a_tally_lock_held_in_another_schema_is_not_ours(app, make_petition):
    """Test sessions (and apps) in other schemas of one PostgreSQL database never block our folds."""
    petition = make_petition()
    if db.engine.dialect.name != "postgresql":
        assert tallies.lock(petition.id, wait=False) is True  # SQLite: the file's own writer lock
        db.session.rollback()
        return
    from sqlalchemy import create_engine, text

    import config
    from tests.conftest import PG_URL

    take = "SELECT pg_advisory_xact_lock(hashtext(concat(CAST(:schema AS text), '.', CAST(:name AS text))), :id)"
    ours = db.session.execute(text("SELECT current_schema()")).scalar()
    elsewhere = create_engine(config.database_url(PG_URL))
    for schema, free in (("public", True), (ours, False)):
        with elsewhere.begin() as connection:
            connection.execute(text(take), {"schema": schema, "name": tallies.TALLY_LOCK, "id": petition.id})
            assert tallies.lock(petition.id, wait=False) is free, schema
            db.session.rollback()
    elsewhere.dispose()
