"""Paper signatures: a CSV with the export's columns, each row checked exactly like the sign form.

The whole file is stored in one transaction. A bad row stops everything unless the organizer
chose to skip bad rows; a dry run does all the work, unique index included, then rolls it back,
so what it reports is what a real import would do.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from . import signing, tallies
from .exports import FORMULA_STARTS
from .extensions import db
from .forms import SignForm
from .models import Petition, Signature
from .models.types import utcnow

REQUIRED = ("name", "email", "city")
OPTIONAL = ("region", "postal_code", "country", "comment", "updates_opt_in", "public_name", "signed_at")
DEMAND_COLUMN = re.compile(r"^demand_(\d+)\b")
YES = {"yes", "y", "1", "true", "x", "sí", "si"}
NO = {"no", "n", "0", "false", ""}
MAX_REPORTED = 200  # problems listed one by one; beyond that, only counted


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, header)."""


@dataclass(frozen=True)
class Problem:
    line: int
    messages: tuple[str, ...]


@dataclass(frozen=True)
class Duplicate:
    line: int
    email: str
    first_line: int | None  # the earlier line of this file with the address; None: signed before


@dataclass
class ImportReport:
    dry_run: bool
    skip_bad: bool
    rows: int = 0
    imported: int = 0
    problems: list[Problem] = field(default_factory=list)
    bad_rows: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        """Whether the signatures are in the database now."""
        return not self.dry_run and self.imported > 0 and (self.skip_bad or not self.bad_rows)

    @property
    def refused(self) -> bool:
        """A real import that stored nothing because of bad rows."""
        return not self.dry_run and bool(self.bad_rows) and not self.skip_bad


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8” and try again.")
        ) from None


def _reader(text: str):
    """A CSV reader; the delimiter is what the header line uses most (spreadsheets in many
    languages write ";", some write tabs). Quoting is always RFC 4180's."""
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    return csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)


@dataclass(frozen=True)
class Layout:
    """Which column holds what."""

    columns: dict[str, int]
    demands: dict[int, int]  # column -> demand id
    ignored: list[str]


def layout(header: list[str], petition: Petition) -> Layout:
    names = [cell.strip().lower() for cell in header]
    columns, demands, ignored = {}, {}, []
    by_position = {demand.position: demand.id for demand in petition.demands}
    for index, name in enumerate(names):
        match = DEMAND_COLUMN.match(name)
        if match:
            position = int(match.group(1))
            if position not in by_position:
                raise ImportFileError(
                    _("The column “%(column)s” does not match a demand of this petition.", column=header[index])
                )
            demands[index] = by_position[position]
        elif name in REQUIRED or name in OPTIONAL:
            columns.setdefault(name, index)
        elif name:
            ignored.append(header[index].strip())
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        columns = ", ".join(missing)
        raise ImportFileError(_("The first line must name the columns; missing: %(columns)s.", columns=columns))
    return Layout(columns, demands, ignored)


def _plain(value: str) -> str:
    """Undo the export's formula neutralizing, so that an exported file imports as it was signed."""
    if len(value) > 1 and value[0] == "'" and value[1:].lstrip(" ")[:1] in FORMULA_STARTS:
        return value[1:]
    return value


def rows(text: str, petition: Petition) -> tuple[Layout, Iterator[tuple[int, list[str]]]]:
    """The layout of the file and its data rows with their line numbers; empty rows left out."""
    reader = _reader(text)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ImportFileError(_("The file is empty.")) from None
    found = layout(header, petition)

    def data() -> Iterator[tuple[int, list[str]]]:
        line = reader.line_num
        try:
            for row in reader:
                if any(cell.strip() for cell in row):
                    yield line + 1, [_plain(cell) for cell in row]
                line = reader.line_num
        except csv.Error as error:
            raise ImportFileError(_("Line %(line)s cannot be read: %(error)s", line=line + 1, error=error)) from None

    return found, data()


def _cell(found: Layout, row: list[str], name: str) -> str:
    index = found.columns.get(name)
    return row[index] if index is not None and index < len(row) else ""


def form_data(found: Layout, row: list[str], petition: Petition) -> MultiDict:
    """A row as the sign form would receive it from a browser."""

    def cell(name: str) -> str:
        return _cell(found, row, name)

    fields = MultiDict({name: cell(name) for name in ("name", "email", "city", "region", "postal_code", "comment")})
    fields["country"] = cell("country").strip().upper() or petition.default_country
    for name in ("updates_opt_in", "public_name"):
        if _yes(cell(name), name):
            fields[name] = "y"
    if found.demands:
        for index, demand_id in found.demands.items():
            if _yes(row[index] if index < len(row) else "", "demand"):
                fields.add("demands", str(demand_id))
    else:
        # Without demand columns, a paper signer backs every demand, as the web form proposes.
        for demand in petition.demands:
            fields.add("demands", str(demand.id))
    return fields


class CellError(ValueError):
    pass


def _yes(value: str, column: str) -> bool:
    value = value.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise CellError(_("“%(value)s” in %(column)s: write yes or no.", value=value, column=column))


def signed_at(value: str) -> datetime | None:
    """A date (2026-03-31) or a moment in ISO 8601 (2026-03-31T18:30:00Z, UTC if no zone); not in the future."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = (
            datetime.fromisoformat(value)
            if "T" in value or " " in value
            else datetime.combine(date.fromisoformat(value), datetime.min.time())
        )
    except ValueError:
        raise CellError(_("“%(value)s” in signed_at: write a date like 2026-03-31.", value=value)) from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment > utcnow():
        raise CellError(_("“%(value)s” in signed_at is in the future.", value=value))
    return moment


def import_signatures(petition: Petition, data: bytes, *, dry_run: bool, skip_bad: bool) -> ImportReport:
    """Check every row of the file like the sign form and store the good ones, all in one transaction.

    Needs a request context (the sign form reads the page's language). Commits, or rolls back
    for a dry run and for a refused import.
    """
    report = ImportReport(dry_run=dry_run, skip_bad=skip_bad)
    found, lines = rows(decode(data), petition)
    report.ignored_columns = found.ignored
    first_line_of: dict[str, int] = {}
    try:
        for line, row in lines:
            report.rows += 1
            _import_row(petition, found, line, row, report, first_line_of)
    except Exception:
        db.session.rollback()
        raise
    if dry_run or report.refused or not report.imported:
        db.session.rollback()
        return report
    db.session.commit()
    # Fold the new signatures into the stored tallies now, so that readers do not add them up each time.
    while tallies.fold(petition.id):
        db.session.commit()
    db.session.commit()
    return report


def _import_row(
    petition: Petition, found: Layout, line: int, row: list[str], report: ImportReport, first_line_of: dict[str, int]
) -> None:
    try:
        fields = form_data(found, row, petition)
        when = signed_at(_cell(found, row, "signed_at"))
    except CellError as error:
        _bad(report, line, (str(error),))
        return
    form = SignForm(petition, formdata=fields, meta={"csrf": False})
    if not form.validate():
        messages = tuple(
            f"{form[name].label.text}: {' '.join(str(error) for error in errors)}"
            for name, errors in form.errors.items()
        )
        _bad(report, line, messages)
        return
    signature = form.signature_data(petition.default_locale)
    key = Signature.email_key_for(signature.email)
    if key in first_line_of:
        report.duplicates.append(Duplicate(line, signature.email, first_line_of[key]))
        return
    first_line_of[key] = line
    if signing.store(petition, signature, signed_at=when) is None:
        report.duplicates.append(Duplicate(line, signature.email, None))
        return
    report.imported += 1


def _bad(report: ImportReport, line: int, messages: tuple[str, ...]) -> None:
    report.bad_rows += 1
    if len(report.problems) < MAX_REPORTED:
        report.problems.append(Problem(line, messages))
