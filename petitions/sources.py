"""Where signers come from: the ``source`` parameter of a petition's URL, kept with the signature.

Partners and organizers tag the links they share (``?source=newsletter``); the embedded widget's
button sets ``source=embed:<host>``. The value comes from anyone's URL, so it is reduced to a
short, plain label before it is stored: letters, digits and ``. : _ / @ + -``, nothing that a
spreadsheet would run as a formula, at most ``SOURCE_MAX_LENGTH`` characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select, text

from .extensions import db
from .models import Signature
from .models.signature import CONFIRMED, SOURCE_MAX_LENGTH

_KEPT = set("._:/@+-")
_DASHES = re.compile(r"-{2,}")


def clean_source(value: object) -> str:
    """A stored form of a ``source`` parameter: lower case, plain characters, bounded; "" if none."""
    if not isinstance(value, str):
        return ""
    value = unicodedata.normalize("NFKC", value[: SOURCE_MAX_LENGTH * 4]).lower()
    kept = "".join(ch if ch.isalnum() or ch in _KEPT else "-" for ch in value)
    # Nothing that starts like a formula (= + - @) or a path; no runs of filler.
    kept = _DASHES.sub("-", kept).lstrip("._:/@+-")
    return kept[:SOURCE_MAX_LENGTH].rstrip("-")


def embed_source(host: str) -> str:
    """The source of signatures that came through the widget embedded on ``host``."""
    return clean_source(f"embed:{host}" if host else "embed")


@dataclass(frozen=True)
class SourceCount:
    source: str  # "" for signatures that came without one
    signature_count: int


def signatures_by_source(petition_id: int) -> list[SourceCount]:
    """Confirmed signatures of a petition per source, most first (ties by source).

    An organizer's report, not a public read: it counts entries of a partial index (confirmed
    signatures by petition and source) rather than a stored tally, so its cost grows with the
    petition's signatures. The literal SQL condition lets SQLite match the partial index.
    """
    rows = db.session.execute(
        select(Signature.source, func.count().label("n"))
        .where(Signature.petition_id == petition_id, text(CONFIRMED))
        .group_by(Signature.source)
        .order_by(func.count().desc(), Signature.source)
    )
    return [SourceCount(source, n) for source, n in rows]
