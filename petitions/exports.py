"""Signers out of the database: the CSV export, the delivery document, and the record of both.

Rows are read from a server-side cursor (``yield_per``) and written out in small batches, so a
million signatures never sit in memory, on the web as on the command line. No cell can run as a
spreadsheet formula: see neutralize().
"""

from __future__ import annotations

import csv
import io
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice

from sqlalchemy import String, case, cast, select, update

from .extensions import db
from .filters import SignatureFilter
from .models import City, Demand, Endorsement, Export, ExportKind, Organizer, Petition, Signature, SignatureState
from .models.types import utcnow
from .sql import concatenated, constant, dialect_name, formatted, iso_utc_text, quotes_doubled, starts_with_one_of

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP,
# "CSV Injection"); full-width forms too, since some spreadsheets fold them to the ASCII ones.
FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")
BATCH = 2000  # rows read from the cursor, and written out as one chunk of the response, at a time
YES, NO = "yes", "no"
LINE_END = "\r\n"

# The CSV columns, documented in the README. One "demand_N: title" column follows "country" for
# each demand, in the order of the campaign page.
SIGNATURE_COLUMNS_BEFORE = ("name", "email", "city", "canonical_city", "region", "postal_code", "country")
SIGNATURE_COLUMNS_AFTER = ("comment", "updates_opt_in", "signed_at", "state")
DELIVERY_COLUMNS = ("city", "region", "country", "name", "signed_on")


def neutralize(value: str) -> str:
    """Make a cell that a spreadsheet would run as a formula plain text, by a leading apostrophe.

    Leading spaces do not hide a formula: some spreadsheets drop them before looking.
    """
    if value and (value[0] in FORMULA_STARTS or (value[0] == " " and value.lstrip(" ")[:1] in FORMULA_STARTS)):
        return "'" + value
    return value


def demand_column(position: int, title: str) -> str:
    return f"demand_{position}: {title}"


def signature_header(petition: Petition) -> list[str]:
    demands = [demand_column(demand.position, demand.title) for demand in petition.demands]
    return [*SIGNATURE_COLUMNS_BEFORE, *demands, *SIGNATURE_COLUMNS_AFTER]


def formula_mark(column):
    """A leading apostrophe for a cell that a spreadsheet would run as a formula, "" for any other:
    neutralize(), worked out by the database, where it costs least."""
    formula = starts_with_one_of(column, "".join(FORMULA_STARTS), after_spaces=True)
    return case((formula, constant("'")), else_=constant(""))


def typed_cell(column) -> tuple:
    """What fills a '"%s%s"' cell of text a person typed, which may hold anything: the formula
    mark, then the text with its quotes doubled."""
    return formula_mark(column), quotes_doubled(column)


def signature_lines(petition_id: int, signature_filter: SignatureFilter) -> Iterator[list[str]]:
    """The CSV lines of the signatures passing the filter, oldest first, BATCH at a time.

    The database writes each line (every cell quoted, its quotes doubled, RFC 4180; formulas
    neutralized; the date as ISO 8601 text), around the demands' marks, which are worked out once
    per combination of demands: a few strings per row are all that Python handles, so a million
    rows cost the app's process about a second and the database does the rest. Takes ids, not
    models: a streamed response runs after its view's session has closed.
    """
    demand_keys = [
        str(demand_id)
        for demand_id in db.session.execute(
            select(Demand.id).where(Demand.petition_id == petition_id).order_by(Demand.position, Demand.id)
        ).scalars()
    ]
    endorsed = (
        select(concatenated(Endorsement.demand_id))
        .where(Endorsement.signature_id == Signature.id)
        .correlate(Signature)
        .scalar_subquery()
    )
    typed = (
        Signature.name,
        Signature.email,
        Signature.city_as_typed,
        City.name,
        Signature.region,
        Signature.postal_code,
        Signature.country,
    )
    # Text that people typed may hold anything: mark formulas, double quotes. The rest is ours.
    start = formatted(
        ",".join(['"%s%s"'] * len(typed)),
        *(part for column in typed for part in typed_cell(column)),
    )
    end = formatted(
        ',"%s%s","%s","%s","%s"' + LINE_END,
        *typed_cell(Signature.comment),
        case((Signature.updates_opt_in, constant(YES)), else_=constant(NO)),
        iso_utc_text(Signature.signed_at),
        cast(Signature.state, String),
    )
    statement = (
        select(start, endorsed, end)
        .join(City, City.id == Signature.city_id)
        .where(*signature_filter.conditions(petition_id))
        .order_by(Signature.id)
    )
    marks_of: dict[str | None, str] = {}

    def marks(endorsed: str | None) -> str:
        chosen = set(endorsed.split(",")) if endorsed else set()
        marks_of[endorsed] = "".join(f',"{YES}"' if key in chosen else f',"{NO}"' for key in demand_keys)
        return marks_of[endorsed]

    for rows in _partitions(statement):
        yield [
            start + (marks_of[endorsed] if endorsed in marks_of else marks(endorsed)) + end
            for start, endorsed, end in rows
        ]


@dataclass(frozen=True)
class Signer:
    """A line of the delivery document: no email, nothing but what a school board needs to see."""

    city: str
    city_id: int
    region: str
    country: str
    name: str
    signed_on: date


def delivery_signers(petition_id: int) -> Iterator[Signer]:
    """The confirmed signers, grouped by city (cities by name), oldest first within a city."""
    statement = (
        select(City.name, City.id, City.region, City.country, Signature.name, Signature.signed_at)
        .join(City, City.id == Signature.city_id)
        .where(Signature.petition_id == petition_id, Signature.state == SignatureState.CONFIRMED)
        .order_by(City.name, City.id, Signature.signed_at, Signature.id)
    )
    for city, city_id, region, country, name, signed_at in _stream(statement):
        yield Signer(city, city_id, region, country, name, signed_at.date())


def delivery_rows(signers: Iterable[Signer]) -> Iterator[list[str]]:
    for signer in signers:
        yield [
            neutralize(signer.city),
            neutralize(signer.region),
            neutralize(signer.country),
            neutralize(signer.name),
            signer.signed_on.isoformat(),
        ]


def _partitions(statement) -> Iterator[list]:
    """Rows from a server-side cursor, BATCH at a time; the cursor closes with the generator.

    Executed on the session's connection, without the ORM: plain tuples, nothing per row to track.
    On PostgreSQL a thread reads the next batches while this one is written out, so that the
    database and Python work at the same time; until the generator ends, only that thread uses the
    connection. SQLite works inside this process: a second thread would only wait for the GIL
    (15% slower at a million rows).
    """
    result = db.session.connection().execute(statement.execution_options(yield_per=BATCH))
    if dialect_name() == "sqlite":
        with result:
            yield from result.partitions(BATCH)
        return
    ahead: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def read() -> None:
        try:
            for rows in result.partitions(BATCH):
                if not _hand_over(ahead, rows, stop):
                    return
            _hand_over(ahead, _END, stop)
        except Exception as error:  # handed to the consumer, which raises it
            _hand_over(ahead, error, stop)

    reader = threading.Thread(target=read, name="export-reader", daemon=True)
    reader.start()
    try:
        while (item := ahead.get()) is not _END:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()
        result.close()


_END = object()


def _hand_over(ahead: queue.Queue, item, stop: threading.Event) -> bool:
    """Queue an item for the consumer unless it has stopped listening; False if it has."""
    while not stop.is_set():
        try:
            ahead.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _stream(statement) -> Iterator:
    for rows in _partitions(statement):
        yield from rows


def csv_header(header: Sequence[str], *, bom: bool = False) -> str:
    """The header line; with ``bom``, after the byte-order mark spreadsheet programs want."""
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")  # spreadsheet programs read the file as UTF-8 only with it
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator=LINE_END).writerow([neutralize(cell) for cell in header])
    return buffer.getvalue()


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[str]], *, bom: bool = False) -> Iterator[str]:
    """CSV text (RFC 4180, every cell quoted) in chunks: the header at once, then BATCH rows at a time."""
    yield csv_header(header, bom=bom)
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator=LINE_END)
    rows = iter(rows)
    while batch := list(islice(rows, BATCH)):
        writer.writerows(batch)
        yield _drain(buffer)


def line_chunks(header: Sequence[str], batches: Iterable[list[str]], *, bom: bool = False) -> Iterator[str]:
    """The same text from lines already written (signature_lines()): the header, then a chunk a batch."""
    yield csv_header(header, bom=bom)
    for lines in batches:
        yield "".join(lines)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def batched_text(pieces: Iterable[str], size: int = 64 * 1024) -> Iterator[str]:
    """Join many small pieces (a streamed template) into chunks of about ``size`` characters."""
    parts, length = [], 0
    for piece in pieces:
        parts.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(parts)
            parts, length = [], 0
    if parts:
        yield "".join(parts)


# --- The export log ---------------------------------------------------------------------------

COMMAND_LINE = "command line"


def start(
    petition: Petition, kind: ExportKind, organizer: Organizer | None, signature_filter: SignatureFilter | None = None
) -> Export:
    """Record an export as it begins, and commit: even one cut short stays in the log."""
    export = Export(
        petition_id=petition.id,
        organizer_id=organizer.id if organizer else None,
        by=organizer.email if organizer else COMMAND_LINE,
        kind=kind,
        filters=signature_filter.query_string() if signature_filter else "",
    )
    db.session.add(export)
    db.session.commit()
    return export


def recorded(export_id: int, rows: Iterator, *, batches: bool = False) -> Iterator:
    """Pass rows (or, with ``batches``, lists of rows) through, then write how many went out, and
    whether all did, to the export's record.

    The count is written once the stream ends: after the last row, or when the person downloading
    goes away (the server closes this generator) or the database fails midway.
    """
    written, complete = 0, False
    try:
        for item in rows:
            written += len(item) if batches else 1  # handed on; a stream cut short may not have sent the last few
            yield item
        complete = True
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
        _finish(export_id, written, complete)


def _finish(export_id: int, written: int, complete: bool) -> None:
    db.session.rollback()  # end the reading transaction (and its cursor) before writing
    db.session.execute(
        update(Export)
        .where(Export.id == export_id)
        .values(rows=written, complete=complete, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def export_log(petition_ids: Sequence[int], *, limit: int = 50, offset: int = 0) -> list[Export]:
    """Exports of these petitions, newest first."""
    if not petition_ids:
        return []
    return (
        db.session.execute(
            select(Export)
            .where(Export.petition_id.in_(petition_ids))
            .order_by(Export.started_at.desc(), Export.id.desc())
            .offset(offset)
            .limit(limit)
        )
        .scalars()
        .all()
    )
