"""Tallies: confirmed signatures per petition, per demand, per city, per demand per city, per day.

How they stay exact without a hot counter row (the README's architecture section says more):

* Signing only inserts rows. No signer ever updates a shared counter, so simultaneous signers
  never queue behind one row lock.
* The stored tallies (``petitions.signature_count``, ``demands.support_count`` and the
  ``*_tallies`` tables) cover exactly the confirmed signatures whose ``counted`` flag is set.
* Every read adds the confirmed signatures not counted yet, found through a small partial index,
  in the same SQL statement as the stored figure: one statement sees one snapshot, so a fold that
  commits meanwhile can never make a signature count twice or not at all.
* ``fold()`` moves uncounted signatures into the stored tallies in one transaction. Every N-th
  signer runs it after its own commit (``TALLY_FOLD_EVERY``), so the uncounted rest stays small.
* Whatever touches stored tallies holds the petition's tally lock: a transaction-scoped advisory
  lock on PostgreSQL (a fold that finds it taken just skips), the database's single writer on
  SQLite. A signature that stops being confirmed leaves the stored tallies in the same
  transaction as its change of state (``remove_counted()``).
* ``recount()`` rebuilds every tally from the signatures and reports what it corrected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    bindparam,
    case,
    cast,
    func,
    or_,
    select,
    text,
    true,
    type_coerce,
    union_all,
    update,
)

from .extensions import db
from .models import City, CityTally, DailyTally, Demand, DemandCityTally, Endorsement, Petition, Signature
from .models.signature import UNCOUNTED
from .models.types import utcnow
from .sql import add_counts, dialect_name

# Namespace of the PostgreSQL advisory locks taken on a petition's tallies. Advisory locks belong
# to the whole database, so the namespace is hashed with the schema: apps (or test sessions) in
# other schemas of one database never wait for, or skip a fold because of, each other's locks.
TALLY_LOCK = "groundswell tallies"
# Rows per IN (...) list: far below SQLite's limit on bound parameters.
CHUNK = 2000


# --- Changing the stored tallies -------------------------------------------------------------


@dataclass
class TallyDelta:
    """What a set of signatures adds to (or, negated, takes from) the stored tallies."""

    total: int = 0
    demands: Counter[int] = field(default_factory=Counter)
    cities: Counter[int] = field(default_factory=Counter)
    demand_cities: Counter[tuple[int, int]] = field(default_factory=Counter)
    days: Counter[date] = field(default_factory=Counter)

    @classmethod
    def of(
        cls, signatures: Sequence[tuple[int, int, object]], endorsements: Iterable[tuple[int, int]] | None = None
    ) -> TallyDelta:
        """The delta of signatures given as (id, city_id, signed_at) rows.

        Their endorsements, as (signature id, demand id) pairs, are read from the database unless given.
        """
        delta = cls(total=len(signatures))
        city_of = {}
        for signature_id, city_id, signed_at in signatures:
            city_of[signature_id] = city_id
            delta.cities[city_id] += 1
            delta.days[signed_at.date()] += 1
        for signature_id, demand_id in _endorsements(list(city_of)) if endorsements is None else endorsements:
            delta.demands[demand_id] += 1
            delta.demand_cities[demand_id, city_of[signature_id]] += 1
        return delta

    def add(self, other: TallyDelta) -> None:
        self.total += other.total
        for attribute in ("demands", "cities", "demand_cities", "days"):
            getattr(self, attribute).update(getattr(other, attribute))

    def negated(self) -> TallyDelta:
        return TallyDelta(
            total=-self.total,
            demands=Counter({key: -n for key, n in self.demands.items()}),
            cities=Counter({key: -n for key, n in self.cities.items()}),
            demand_cities=Counter({key: -n for key, n in self.demand_cities.items()}),
            days=Counter({key: -n for key, n in self.days.items()}),
        )


def _endorsements(signature_ids: list[int]) -> Iterable[tuple[int, int]]:
    for start in range(0, len(signature_ids), CHUNK):
        chunk = signature_ids[start : start + CHUNK]
        yield from db.session.execute(
            select(Endorsement.signature_id, Endorsement.demand_id).where(Endorsement.signature_id.in_(chunk))
        )


def apply(petition_id: int, delta: TallyDelta) -> None:
    """Add a delta to the stored tallies. Call under the petition's tally lock."""
    if not delta.total:
        return
    db.session.execute(
        update(Petition)
        .where(Petition.id == petition_id)
        .values(signature_count=Petition.signature_count + delta.total)
        .execution_options(synchronize_session=False)
    )
    if delta.demands:
        db.session.execute(
            update(Demand.__table__)
            .where(Demand.__table__.c.id == bindparam("demand_id"))
            .values(support_count=Demand.__table__.c.support_count + bindparam("n")),
            [{"demand_id": demand_id, "n": n} for demand_id, n in sorted(delta.demands.items())],
        )
    add_counts(
        CityTally,
        ("petition_id", "city_id"),
        [{"petition_id": petition_id, "city_id": city_id, "count": n} for city_id, n in delta.cities.items()],
    )
    add_counts(
        DemandCityTally,
        ("demand_id", "city_id"),
        [
            {"petition_id": petition_id, "demand_id": demand_id, "city_id": city_id, "count": n}
            for (demand_id, city_id), n in delta.demand_cities.items()
        ],
    )
    add_counts(
        DailyTally,
        ("petition_id", "day"),
        [{"petition_id": petition_id, "day": day, "count": n} for day, n in delta.days.items()],
    )


def move_city(petition_id: int, from_id: int, to_id: int) -> None:
    """Move a city's stored tallies of a petition to another city. Call under the petition's tally lock,
    in the transaction that points the counted signatures at the other city."""
    city_rows = db.session.execute(
        select(CityTally.count).where(CityTally.petition_id == petition_id, CityTally.city_id == from_id)
    ).scalars()
    add_counts(
        CityTally,
        ("petition_id", "city_id"),
        [{"petition_id": petition_id, "city_id": to_id, "count": n} for n in city_rows if n],
    )
    demand_rows = db.session.execute(
        select(DemandCityTally.demand_id, DemandCityTally.count).where(
            DemandCityTally.petition_id == petition_id, DemandCityTally.city_id == from_id
        )
    ).all()
    add_counts(
        DemandCityTally,
        ("demand_id", "city_id"),
        [
            {"petition_id": petition_id, "demand_id": demand_id, "city_id": to_id, "count": n}
            for demand_id, n in demand_rows
            if n
        ],
    )
    for model in (CityTally, DemandCityTally):
        table = model.__table__
        db.session.execute(table.delete().where(table.c.petition_id == petition_id, table.c.city_id == from_id))


def lock(petition_id: int, *, wait: bool = True) -> bool:
    """Take the petition's tally lock for the rest of this transaction; False if taken and not waiting.

    On SQLite the lock is the database's single writer lock, taken by a harmless write.
    """
    if dialect_name() != "postgresql":
        # A write takes SQLite's database lock (waiting for it); reads after it see the latest data.
        db.session.execute(
            update(Petition)
            .where(Petition.id == petition_id)
            .values(signature_count=Petition.signature_count)
            .execution_options(synchronize_session=False)
        )
        return True
    take = func.pg_advisory_xact_lock if wait else func.pg_try_advisory_xact_lock
    namespace = func.hashtext(func.concat(func.current_schema(), ".", TALLY_LOCK))
    result = db.session.execute(select(take(namespace, petition_id))).scalar()
    return wait or bool(result)


def fold(petition_id: int, *, batch: int = 10_000) -> int:
    """Add confirmed signatures that are not counted yet to the stored tallies; return how many.

    Runs in the caller's transaction. Skips (returns 0) when another fold of this petition holds
    the lock: that one will take these signatures, or the next fold will.
    """
    if not lock(petition_id, wait=False):
        return 0
    waiting = (
        select(Signature.id)
        .where(Signature.petition_id == petition_id, text(UNCOUNTED))
        .order_by(Signature.id)
        .limit(batch)
    )
    # The UPDATE re-checks the condition on every row it locks, so a signature struck out
    # meanwhile is left alone.
    rows = db.session.execute(
        update(Signature)
        .where(Signature.id.in_(waiting.scalar_subquery()), text(UNCOUNTED))
        .values(counted=True)
        .returning(Signature.id, Signature.city_id, Signature.signed_at, Signature.confirmed_at)
        .execution_options(synchronize_session=False)
    ).all()
    apply(petition_id, TallyDelta.of([(id_, city_id, signed_at) for id_, city_id, signed_at, _ in rows]))
    # Readers found these signatures' confirmation times among the uncounted ones until now.
    confirmed = [confirmed_at or signed_at for _, _, signed_at, confirmed_at in rows]
    if confirmed:
        mark_count_changed(petition_id, max(confirmed))
    return len(rows)


def mark_count_changed(petition_id: int, at: datetime) -> None:
    """Record that the count readers see changed at ``at`` (never moving the record backwards).

    Call under the petition's tally lock: from a fold (for the signatures it folds, which readers
    stop seeing as uncounted), and wherever signatures enter or leave the confirmed count.
    """
    changed = Petition.count_changed_at
    db.session.execute(
        update(Petition)
        .where(Petition.id == petition_id)
        .values(count_changed_at=case((or_(changed.is_(None), changed < at), at), else_=changed))
        .execution_options(synchronize_session=False)
    )


def remove_counted(petition_id: int, signature_ids: Sequence[int]) -> int:
    """Take signatures that are no longer confirmed out of the stored tallies; return how many.

    Call in the transaction that changed their state, after the change and under lock().
    """
    rows = []
    for start in range(0, len(signature_ids), CHUNK):
        rows += db.session.execute(
            update(Signature)
            .where(
                Signature.id.in_(signature_ids[start : start + CHUNK]),
                Signature.petition_id == petition_id,
                Signature.counted,
                text("signatures.state <> 'confirmed'"),
            )
            .values(counted=False)
            .returning(Signature.id, Signature.city_id, Signature.signed_at)
            .execution_options(synchronize_session=False)
        ).all()
    apply(petition_id, TallyDelta.of(rows).negated())
    return len(rows)


# --- Reading ---------------------------------------------------------------------------------
# Each reader is one statement: the stored figure plus what is not folded yet.


# The unfolded signatures are always found through their partial index, as a subquery of ids:
# otherwise a planner may read a petition's signatures whole through another index, to save
# itself a sort (SQLite does, for GROUP BY city_id, without statistics).
_WAITING = Signature.__table__.alias("waiting")


def waiting_ids(petition_ids: int | Sequence[int]):
    """The ids of the confirmed signatures not folded yet of one petition (or several)."""
    column = _WAITING.c.petition_id
    which = column == petition_ids if isinstance(petition_ids, int) else column.in_(list(petition_ids))
    return select(_WAITING.c.id).where(which, text(UNCOUNTED.replace("signatures.", "waiting."))).scalar_subquery()


def uncounted(petition_id: int):
    """The condition on ``signatures`` that picks a petition's unfolded signatures."""
    return (Signature.id.in_(waiting_ids(petition_id)),)


def signature_counts(petition_ids: Sequence[int]) -> dict[int, int]:
    """Confirmed signatures of each petition."""
    if not petition_ids:
        return {}
    waiting = (
        select(Signature.petition_id, func.count().label("n"))
        .where(Signature.id.in_(waiting_ids(petition_ids)))
        .group_by(Signature.petition_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Petition.id, Petition.signature_count + func.coalesce(waiting.c.n, 0))
        .outerjoin(waiting, waiting.c.petition_id == Petition.id)
        .where(Petition.id.in_(petition_ids))
    )
    return dict(rows.all())


def signature_count(petition_id: int) -> int:
    return signature_counts([petition_id]).get(petition_id, 0)


@dataclass(frozen=True)
class LiveCount:
    """A petition's count and the moment it last changed."""

    signature_count: int
    updated_at: datetime


def live_count(petition_id: int) -> LiveCount:
    """The count and when it last changed: one statement over the petition row and the partial index.

    The stored moment covers the folded signatures (fold() and mark_count_changed() keep it); the
    latest confirmation among the uncounted ones covers the rest. A petition whose count never
    changed reports when it opened.
    """
    waiting = (
        select(func.count().label("n"), func.max(Signature.confirmed_at).label("latest"))
        .where(*uncounted(petition_id))
        .subquery()
    )
    count, stored_at, latest, opened_at, created_at = db.session.execute(
        select(
            Petition.signature_count + waiting.c.n,
            Petition.count_changed_at,
            waiting.c.latest,
            Petition.opened_at,
            Petition.created_at,
        )
        .join(waiting, true())
        .where(Petition.id == petition_id)
    ).one()
    changes = [moment for moment in (stored_at, latest) if moment is not None]
    return LiveCount(count, max(changes) if changes else opened_at or created_at)


def demand_support(petition_id: int) -> dict[int, int]:
    """Confirmed signatures endorsing each demand of the petition, by demand id."""
    waiting = (
        select(Endorsement.demand_id, func.count().label("n"))
        .join(Signature, Signature.id == Endorsement.signature_id)
        .where(*uncounted(petition_id))
        .group_by(Endorsement.demand_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Demand.id, Demand.support_count + func.coalesce(waiting.c.n, 0))
        .outerjoin(waiting, waiting.c.demand_id == Demand.id)
        .where(Demand.petition_id == petition_id)
    )
    return dict(rows.all())


def whole_sum(column):
    """SUM as a whole number: PostgreSQL sums bigints as numeric, which would reach JSON as a string."""
    return cast(func.sum(column), BigInteger)


def city_counts_subquery(petition_id: int, city_ids: Collection[int] | None = None):
    """Confirmed signatures per city (``city_id``, ``n``), of the given cities only if given."""
    stored = select(CityTally.city_id, CityTally.count.label("n")).where(CityTally.petition_id == petition_id)
    waiting = select(Signature.city_id, func.count().label("n")).where(*uncounted(petition_id))
    if city_ids is not None:
        stored = stored.where(CityTally.city_id.in_(city_ids))
        waiting = waiting.where(Signature.city_id.in_(city_ids))
    both = union_all(stored, waiting.group_by(Signature.city_id)).subquery()
    return (
        select(both.c.city_id, whole_sum(both.c.n).label("n"))
        .group_by(both.c.city_id)
        .having(func.sum(both.c.n) > 0)
        .subquery()
    )


def demand_counts_subquery(petition_id: int, demand_id: int, city_ids: Collection[int] | None = None):
    """Confirmed signatures endorsing one demand per city (``city_id``, ``n``)."""
    stored = select(DemandCityTally.city_id, DemandCityTally.count.label("n")).where(
        DemandCityTally.demand_id == demand_id, DemandCityTally.petition_id == petition_id
    )
    waiting = (
        select(Signature.city_id, func.count().label("n"))
        .join(Endorsement, Endorsement.signature_id == Signature.id)
        .where(*uncounted(petition_id), Endorsement.demand_id == demand_id)
    )
    if city_ids is not None:
        stored = stored.where(DemandCityTally.city_id.in_(city_ids))
        waiting = waiting.where(Signature.city_id.in_(city_ids))
    both = union_all(stored, waiting.group_by(Signature.city_id)).subquery()
    return select(both.c.city_id, whole_sum(both.c.n).label("n")).group_by(both.c.city_id).subquery()


# Past this many candidates a ranking reads every city of the petition instead (see ranked_cities()).
MAX_CANDIDATES = 5000


def ranked_cities(
    petition_id: int,
    *,
    demand_id: int | None = None,
    where: Sequence = (),
    limit: int | None = None,
    offset: int = 0,
) -> list[tuple[City, int, int]]:
    """Cities with confirmed signatures as (city, signatures, value), most first by value: support
    for the demand if given, else signatures; ties by signatures, then name. ``where`` filters on City.

    A page near the top reads only the cities that can be on it. Stored figures only grow by the
    unfolded signatures, so when the (offset + limit)-th biggest stored figure is t, a city whose
    stored figure is below t and that has no unfolded signature cannot reach the page: the
    candidates are the stored figures of at least t (read through an index) and the cities of the
    unfolded signatures.
    """
    candidates = None
    if limit is not None:
        threshold = _rank_threshold(petition_id, demand_id, where, offset + limit)
        if threshold:
            candidates = _candidates(petition_id, demand_id, where, threshold)
    totals = city_counts_subquery(petition_id, candidates)
    statement = select(City, totals.c.n).join(totals, totals.c.city_id == City.id).where(*where)
    if demand_id is None:
        value = totals.c.n
    else:
        support = demand_counts_subquery(petition_id, demand_id, candidates)
        statement = statement.outerjoin(support, support.c.city_id == City.id)
        value = func.coalesce(support.c.n, 0)
    statement = statement.add_columns(value).order_by(value.desc(), totals.c.n.desc(), City.name, City.id)
    return [tuple(row) for row in db.session.execute(statement.offset(offset).limit(limit))]


def _stored_figures(petition_id: int, demand_id: int | None):
    if demand_id is None:
        return CityTally, CityTally.petition_id == petition_id
    return DemandCityTally, DemandCityTally.demand_id == demand_id


def _rank_threshold(petition_id: int, demand_id: int | None, where: Sequence, rank: int) -> int | None:
    model, condition = _stored_figures(petition_id, demand_id)
    statement = select(model.count).where(condition, *where)
    if where:
        statement = statement.join(City, City.id == model.city_id)
    return db.session.execute(statement.order_by(model.count.desc()).offset(rank - 1).limit(1)).scalar()


def _candidates(petition_id: int, demand_id: int | None, where: Sequence, threshold: int) -> list[int] | None:
    model, condition = _stored_figures(petition_id, demand_id)
    stored = select(model.city_id).where(condition, model.count >= threshold, *where)
    if where:
        stored = stored.join(City, City.id == model.city_id)
    ids = set(db.session.execute(stored).scalars())
    ids.update(db.session.execute(select(Signature.city_id).where(*uncounted(petition_id)).distinct()).scalars())
    return sorted(ids) if len(ids) <= MAX_CANDIDATES else None


def cities_with_signatures(petition_id: int, where: Sequence = ()) -> int:
    """How many cities have confirmed signatures (that pass ``where``, on City).

    The stored figures are counted through their index; the unfolded few add the cities they
    bring that have no stored figure yet.
    """
    stored = (
        select(func.count()).select_from(CityTally).where(CityTally.petition_id == petition_id, CityTally.count > 0)
    )
    known = select(CityTally.city_id).where(
        CityTally.petition_id == petition_id, CityTally.city_id == Signature.city_id, CityTally.count > 0
    )
    new = select(func.count(Signature.city_id.distinct())).where(*uncounted(petition_id), ~known.exists())
    if where:
        stored = stored.join(City, City.id == CityTally.city_id).where(*where)
        new = new.join(City, City.id == Signature.city_id).where(*where)
    return db.session.execute(select(stored.scalar_subquery() + new.scalar_subquery())).scalar_one()


def city_counts(petition_id: int, *, limit: int | None = None, offset: int = 0) -> list[tuple[City, int]]:
    """Cities with confirmed signatures, most first (ties by name)."""
    return [(city, n) for city, n, _ in ranked_cities(petition_id, limit=limit, offset=offset)]


def demand_city_counts(petition_id: int, city_ids: Sequence[int]) -> dict[tuple[int, int], int]:
    """Support per (demand id, city id) for the given cities."""
    if not city_ids:
        return {}
    both = union_all(
        select(DemandCityTally.demand_id, DemandCityTally.city_id, DemandCityTally.count.label("n")).where(
            DemandCityTally.petition_id == petition_id, DemandCityTally.city_id.in_(city_ids)
        ),
        select(Endorsement.demand_id, Signature.city_id, func.count().label("n"))
        .join(Signature, Signature.id == Endorsement.signature_id)
        .where(*uncounted(petition_id), Signature.city_id.in_(city_ids))
        .group_by(Endorsement.demand_id, Signature.city_id),
    ).subquery()
    rows = db.session.execute(
        select(both.c.demand_id, both.c.city_id, whole_sum(both.c.n)).group_by(both.c.demand_id, both.c.city_id)
    )
    return {(demand_id, city_id): n for demand_id, city_id, n in rows if n}


def daily_counts(petition_id: int) -> list[tuple[date, int]]:
    """Confirmed signatures per day of signing (UTC), oldest first, days without any left out."""
    day = type_coerce(func.date(Signature.signed_at), Date)
    both = union_all(
        select(DailyTally.day.label("day"), DailyTally.count.label("n")).where(DailyTally.petition_id == petition_id),
        select(day.label("day"), func.count().label("n")).where(*uncounted(petition_id)).group_by(day),
    ).subquery()
    rows = db.session.execute(
        select(both.c.day, whole_sum(both.c.n)).group_by(both.c.day).having(func.sum(both.c.n) > 0).order_by(both.c.day)
    )
    return [(_as_date(d), n) for d, n in rows]


def _as_date(value) -> date:
    # SQLite hands back date() results as text even through a Date-typed union.
    return value if isinstance(value, date) else date.fromisoformat(value)


# --- Rebuilding ------------------------------------------------------------------------------

TALLY_NAMES = {"demands": "demand", "cities": "city", "demand_cities": "demand_city", "days": "day"}


@dataclass(frozen=True)
class Difference:
    """A stored tally that read ``was`` where its signatures say ``now``."""

    tally: str  # "total", "demand", "city", "demand_city" or "day"
    key: object
    was: int
    now: int


def stored(petition_id: int) -> TallyDelta:
    """The stored tallies alone, without the signatures not folded yet."""

    def rows(*columns, where):
        return db.session.execute(select(*columns).where(where))

    return TallyDelta(
        total=db.session.execute(select(Petition.signature_count).where(Petition.id == petition_id)).scalar_one(),
        demands=_nonzero(rows(Demand.id, Demand.support_count, where=Demand.petition_id == petition_id)),
        cities=_nonzero(rows(CityTally.city_id, CityTally.count, where=CityTally.petition_id == petition_id)),
        demand_cities=_nonzero(
            ((d, c), n)
            for d, c, n in rows(
                DemandCityTally.demand_id,
                DemandCityTally.city_id,
                DemandCityTally.count,
                where=DemandCityTally.petition_id == petition_id,
            )
        ),
        days=_nonzero(rows(DailyTally.day, DailyTally.count, where=DailyTally.petition_id == petition_id)),
    )


def truth(petition_id: int, *, counted_only: bool = False) -> TallyDelta:
    """Every tally of a petition computed afresh from its confirmed signatures (GROUP BY).

    ``counted_only`` limits it to the signatures marked counted: what the stored tallies must say.
    """
    where = [Signature.petition_id == petition_id, text("signatures.state = 'confirmed'")]
    if counted_only:
        where.append(Signature.counted)
    day = type_coerce(func.date(Signature.signed_at), Date)
    endorsed = select(Endorsement.demand_id, Signature.city_id, func.count()).join(
        Signature, Signature.id == Endorsement.signature_id
    )
    return TallyDelta(
        total=db.session.execute(select(func.count()).select_from(Signature).where(*where)).scalar_one(),
        demands=_nonzero(
            db.session.execute(
                select(Endorsement.demand_id, func.count())
                .join(Signature, Signature.id == Endorsement.signature_id)
                .where(*where)
                .group_by(Endorsement.demand_id)
            )
        ),
        cities=_nonzero(
            db.session.execute(select(Signature.city_id, func.count()).where(*where).group_by(Signature.city_id))
        ),
        demand_cities=_nonzero(
            ((d, c), n)
            for d, c, n in db.session.execute(endorsed.where(*where).group_by(Endorsement.demand_id, Signature.city_id))
        ),
        days=_nonzero(
            (_as_date(d), n) for d, n in db.session.execute(select(day, func.count()).where(*where).group_by(day))
        ),
    )


def snapshot(petition_id: int) -> TallyDelta:
    """Every tally of a petition as readers see it: stored plus not yet folded."""
    cities = {city.id: n for city, n in city_counts(petition_id)}
    return TallyDelta(
        total=signature_count(petition_id),
        demands=_nonzero(demand_support(petition_id).items()),
        cities=Counter(cities),
        demand_cities=Counter(demand_city_counts(petition_id, list(cities))),
        days=Counter(dict(daily_counts(petition_id))),
    )


def _nonzero(pairs) -> Counter:
    return Counter({key: n for key, n in pairs if n})


def differences(was: TallyDelta, now: TallyDelta) -> list[Difference]:
    found = []
    if was.total != now.total:
        found.append(Difference("total", None, was.total, now.total))
    for attribute, name in TALLY_NAMES.items():
        before, after = getattr(was, attribute), getattr(now, attribute)
        for key in sorted(set(before) | set(after), key=str):
            if before[key] != after[key]:
                found.append(Difference(name, key, before[key], after[key]))
    return found


def recount(petition_id: int) -> list[Difference]:
    """Rebuild every stored tally of a petition from its signatures; return what was wrong.

    Only fold(), remove_counted(), recount() and bulk loads (seeding.py) set or clear ``counted``,
    all under the tally lock, so
    while it is held the stored tallies and the counted signatures can be compared exactly even
    as people keep signing.
    """
    lock(petition_id)
    found = differences(stored(petition_id), truth(petition_id, counted_only=True))
    # Counted signatures that are no longer confirmed should have left the tallies.
    strays = db.session.execute(
        update(Signature)
        .where(Signature.petition_id == petition_id, Signature.counted, text("signatures.state <> 'confirmed'"))
        .values(counted=False)
        .execution_options(synchronize_session=False)
    ).rowcount
    if strays:
        found.append(Difference("counted_but_not_confirmed", None, strays, 0))
    folded = db.session.execute(
        update(Signature)
        .where(*uncounted(petition_id))
        .values(counted=True)
        .returning(func.coalesce(Signature.confirmed_at, Signature.signed_at))
        .execution_options(synchronize_session=False)
    ).scalars()
    # As in fold(): readers stop seeing these as uncounted. A corrected total is a change of its own.
    changes = [*folded, *([utcnow()] if any(difference.tally == "total" for difference in found) else [])]
    if changes:
        mark_count_changed(petition_id, max(changes))
    for model in (CityTally, DemandCityTally, DailyTally):
        db.session.execute(model.__table__.delete().where(model.__table__.c.petition_id == petition_id))
    for model in (Petition, Demand):
        column = model.id if model is Petition else model.petition_id
        counter = "signature_count" if model is Petition else "support_count"
        db.session.execute(
            update(model).where(column == petition_id).values({counter: 0}).execution_options(synchronize_session=False)
        )
    apply(petition_id, truth(petition_id, counted_only=True))
    return found
