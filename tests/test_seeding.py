"""seed-signatures: many realistic signatures, every tally exact when it is done."""

from __future__ import annotations

from datetime import timedelta

from petitions import tallies
from petitions.extensions import db
from petitions.models import City, Signature


def test_seeded_signatures_are_realistic_and_counted_exactly(app, runner, make_petition, sign):
    petition = make_petition(slug="big-campaign", demands=4)
    sign(petition, city="Oakland")  # a real signer before the seed: the seed adds to the tallies

    result = runner.invoke(args=["seed-signatures", "big-campaign", "600", "--seed", "7"])

    assert result.exit_code == 0, result.output
    assert "Added 600 signatures to 'big-campaign'" in result.output
    db.session.expire_all()
    assert tallies.signature_count(petition.id) == 601
    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)
    assert tallies.stored(petition.id) == tallies.truth(petition.id, counted_only=True)
    assert tallies.recount(petition.id) == []

    seeded = db.session.execute(db.select(Signature).where(Signature.email.like("%.%.%.%@example.org"))).scalars().all()
    assert len(seeded) == 600
    assert len({signature.email_key for signature in seeded}) == 600
    assert {signature.state for signature in seeded} == {"confirmed"}
    # Cities drawn by population, typed in more ways than there are cities, mostly at home.
    city_ids = {signature.city_id for signature in seeded}
    assert len(city_ids) > 50
    assert len({signature.city_as_typed for signature in seeded}) > len(city_ids) / 2
    assert sum(signature.country == "US" for signature in seeded) > 500
    assert db.session.execute(db.select(City).where(City.id.in_(city_ids))).scalars().all()
    # Demands endorsed at different rates, over weeks.
    support = sorted(tallies.demand_support(petition.id).values())
    assert support[0] < support[-1] <= 601
    days = [signature.signed_at for signature in seeded]
    assert max(days) - min(days) > timedelta(weeks=3)


def test_seeding_twice_adds_up(app, runner, make_petition):
    petition = make_petition(slug="twice")
    for _ in range(2):
        assert runner.invoke(args=["seed-signatures", "twice", "150", "--seed", "1"]).exit_code == 0
    db.session.expire_all()
    assert tallies.signature_count(petition.id) == 300
    assert tallies.snapshot(petition.id) == tallies.truth(petition.id)


def test_seeding_an_unknown_petition_or_nothing_fails_clearly(app, runner, make_petition):
    make_petition(slug="real")
    unknown = runner.invoke(args=["seed-signatures", "nope", "10"])
    assert unknown.exit_code != 0
    assert "no petition with slug 'nope'" in unknown.output
    nothing = runner.invoke(args=["seed-signatures", "real", "0"])
    assert nothing.exit_code != 0
    assert "0 is not in the range x>=1" in nothing.output
