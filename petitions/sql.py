"""The few places where SQLite and PostgreSQL need different SQL."""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Sequence
from functools import reduce
from typing import Any

from sqlalchemy import Text, and_, case, cast, event, func, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from .extensions import db


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def insert(model: Any):
    """An INSERT that understands ON CONFLICT on both databases."""
    return (postgresql.insert if dialect_name() == "postgresql" else sqlite.insert)(model)


def insert_ignoring_duplicates(model: Any, values: dict[str, Any], key: Sequence[str], where: Any = None):
    """INSERT ... ON CONFLICT (key) DO NOTHING: the unique index decides, not a prior SELECT.

    ``where`` names the predicate of a partial unique index.
    """
    return insert(model).values(**values).on_conflict_do_nothing(index_elements=list(key), index_where=where)


def concatenated(column: Any):
    """An aggregate of a column's values as one comma-separated string ("3,5,7"), in no promised
    order: usually the order of the index read, but callers must treat it as a set.

    An ORDER BY inside PostgreSQL's string_agg() sorts every group: twice the cost of the whole
    aggregate, a million times over in an export.
    """
    if dialect_name() == "postgresql":
        return func.string_agg(cast(column, Text), constant(","))
    return func.group_concat(column, constant(","))


def iso_utc_text(column: Any):
    """A UTC timestamp column as ISO 8601 text to the second, written by the database: "2026-11-22T15:04:05Z"."""
    if dialect_name() == "postgresql":
        return func.to_char(column, constant('YYYY-MM-DD"T"HH24:MI:SS"Z"'))
    # SQLite keeps "2026-11-22 15:04:05.123456": cutting it costs a third of strftime(), which parses it.
    day, time = (func.substr(column, constant(start), constant(length)) for start, length in ((1, 10), (12, 8)))
    return formatted("%sT%sZ", day, time)


def constant(value: str | int):
    """A value written into the statement's text, not bound as a parameter.

    SQLite runs a statement that is evaluated a million times (an export) about 15% faster when
    its patterns and templates are part of the SQL. Only for the program's own strings: the
    dialect quotes them, but a person's text is always a parameter.
    """
    return literal(value, literal_execute=True)


def formatted(template: str, *values: Any):
    """The values written into a template of "%s" places by the database (NULL writes nothing).

    Each database's cheapest way, measured over a million lines: in SQLite one printf() costs a
    third of the same line built with ||; in PostgreSQL || costs two thirds of format().
    """
    texts = template.split("%s")
    if len(texts) != len(values) + 1:
        raise ValueError(f"{template!r} has {len(texts) - 1} places for {len(values)} values")
    if dialect_name() == "sqlite":
        return func.printf(constant("%s".join(text.replace("%", "%%") for text in texts)), *values, type_=Text)
    pieces = [constant(texts[0])] if texts[0] else []
    for value, text in zip(values, texts[1:], strict=True):
        pieces.append(func.coalesce(value, constant(""), type_=Text))
        if text:
            pieces.append(constant(text))
    return reduce(operator.add, pieces)


def quotes_doubled(column: Any):
    """The text with each double quote doubled, as in a quoted CSV cell."""
    doubled = func.replace(column, constant('"'), constant('""'), type_=Text)
    if dialect_name() == "postgresql":
        return doubled
    # SQLite's replace() copies every value; instr() only looks, and most values hold no quote.
    return case((func.instr(column, constant('"')) > constant(0), doubled), else_=column)


def starts_with_one_of(column: Any, characters: str, *, after_spaces: bool = False):
    """Whether the text starts with one of ``characters`` (after any leading spaces, if asked).

    Cheap for the common cell that starts with neither: a first test of one character, in C,
    before the value is trimmed. SQLite's GLOB is several times faster than substr() there.
    """
    first = "".join(sorted(set(characters + (" " if after_spaces else ""))))
    if dialect_name() == "sqlite":
        cheap = column.op("GLOB")(constant(_glob_class(first)))
        exact = func.ltrim(column, constant(" ")).op("GLOB")(constant(_glob_class("".join(sorted(set(characters))))))
    else:
        # Bound values: written into the text with constant() they measured no faster on PostgreSQL.
        cheap = func.substr(column, 1, 1).in_(list(first))
        exact = func.substr(func.ltrim(column, " "), 1, 1).in_(list(characters))
    return and_(cheap, exact) if after_spaces else cheap


def _glob_class(characters: str) -> str:
    # "[-...]*": a "-" first is itself, not a range; "]" and "^" would need the same care.
    if "]" in characters or "^" in characters:
        raise ValueError("a GLOB class here cannot hold ] or ^")
    return "[" + "-" * ("-" in characters) + characters.replace("-", "") + "]*"


def add_counts(model: Any, key: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """Add each row's ``count`` to the counter row with the same key, creating it if needed."""
    if not rows:
        return
    # Sorted, so that two writers lock counter rows in the same order and cannot deadlock.
    rows = sorted(rows, key=lambda row: tuple(row[column] for column in key))
    table = model.__table__  # Core, not the ORM's bulk path: a fold or a bulk load may bring many rows
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={"count": table.c.count + statement.excluded["count"]}
    )
    db.session.execute(statement, rows)


def configure_engine(url: str) -> dict[str, Any]:
    """Engine options for the database in use."""
    if url.startswith("sqlite"):
        # The pysqlite driver opens its transaction at the first write, so a transaction that
        # writes holds SQLite's lock before it reads what it changes; timeout = time to wait for it.
        return {"connect_args": {"timeout": 30}}
    # Check connections before use, so the app recovers by itself after PostgreSQL restarts.
    return {"pool_pre_ping": True}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(connection, _record) -> None:
    if not isinstance(connection, sqlite3.Connection):
        return
    cursor = connection.cursor()
    # WAL lets pages be read while a signature is written; NORMAL sync is crash-safe in WAL mode.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def email_domain(email_key: Any):
    """SQL for the part of an address after its last "@" ("" for an anonymised signature)."""
    if dialect_name() == "postgresql":
        return func.coalesce(func.substring(email_key, "@([^@]*)$"), "")
    # SQLite has no regular expressions: take what follows the first "@" (only a quoted local part,
    # which nobody uses, could hold a second one).
    at = func.instr(email_key, "@")
    return case((at > 0, func.substr(email_key, at + 1)), else_="")
