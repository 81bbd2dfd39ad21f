from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, attribute_keyed_dict, mapped_column, relationship

from ..extensions import db
from .coalition import Coalition
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .organizer import Organizer


class PetitionState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"


class DemandStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WON = "won"
    LOST = "lost"


class IllegalTransition(ValueError):
    """A petition was asked to move to a state it cannot reach from where it is."""


# Where a petition may go from each state. Closing is reversible; archiving hides a
# finished campaign from listings but keeps its page and its counts.
TRANSITIONS: dict[PetitionState, frozenset[PetitionState]] = {
    PetitionState.DRAFT: frozenset({PetitionState.OPEN}),
    PetitionState.OPEN: frozenset({PetitionState.CLOSED}),
    PetitionState.CLOSED: frozenset({PetitionState.OPEN, PetitionState.ARCHIVED}),
    PetitionState.ARCHIVED: frozenset({PetitionState.CLOSED}),
}


class Translatable:
    """Text written in the petition's own language (``original_locale``), with ``translations``."""

    def text(self, field: str, locale: str | None = None) -> str:
        """``field`` in ``locale`` where a translation gives it, else as originally written."""
        translation = self.translations.get(locale) if locale else None
        return getattr(translation, field, "") or getattr(self, field)

    def text_locale(self, field: str, locale: str | None = None) -> str:
        """The language that text() gives ``field`` in."""
        translation = self.translations.get(locale) if locale else None
        return locale if getattr(translation, field, "") else self.original_locale


class Petition(Translatable, db.Model):
    """A campaign: what the coalition asks for, as an ordered list of demands."""

    __tablename__ = "petitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    coalition_id: Mapped[int] = mapped_column(ForeignKey("coalitions.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered without raw HTML
    goal: Mapped[int] = mapped_column(Integer, default=1000)
    state: Mapped[PetitionState] = mapped_column(enum_column(PetitionState), default=PetitionState.DRAFT)
    default_country: Mapped[str] = mapped_column(String(2), default="US")
    default_locale: Mapped[str] = mapped_column(String(5), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When purge-personal-data anonymised its signers (privacy.py).
    personal_data_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Confirmed signatures already folded into the tallies; tallies.py adds the rest when read.
    signature_count: Mapped[int] = mapped_column(Integer, default=0)
    # When the count readers see last changed, as far as the stored tallies know; readers also
    # look at the signatures not folded yet (tallies.live_count()).
    count_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    coalition: Mapped[Coalition] = relationship(back_populates="petitions")
    demands: Mapped[list[Demand]] = relationship(
        back_populates="petition", order_by="Demand.position", cascade="all, delete-orphan"
    )
    translations: Mapped[dict[str, PetitionTranslation]] = relationship(
        collection_class=attribute_keyed_dict("locale"), cascade="all, delete-orphan", lazy="selectin"
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("state", PetitionState.DRAFT)
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        return f"<Petition {self.slug} {self.state}>"

    @property
    def original_locale(self) -> str:
        return self.default_locale

    @property
    def accepts_signatures(self) -> bool:
        return self.state is PetitionState.OPEN

    @property
    def is_public(self) -> bool:
        return self.state is not PetitionState.DRAFT

    def open(self) -> None:
        self._move_to(PetitionState.OPEN)
        self.opened_at = self.opened_at or utcnow()
        self.closed_at = None

    def close(self) -> None:
        self._move_to(PetitionState.CLOSED)
        self.closed_at = utcnow()

    def archive(self) -> None:
        self._move_to(PetitionState.ARCHIVED)

    def _move_to(self, state: PetitionState) -> None:
        if state not in TRANSITIONS[self.state]:
            raise IllegalTransition(f"a {self.state} petition cannot become {state}")
        self.state = state


class Demand(Translatable, db.Model):
    """One thing the petition asks for, tracked until it is won or lost."""

    __tablename__ = "demands"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    explanation: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[DemandStatus] = mapped_column(enum_column(DemandStatus), default=DemandStatus.OPEN)
    # Folded support, like Petition.signature_count.
    support_count: Mapped[int] = mapped_column(Integer, default=0)

    petition: Mapped[Petition] = relationship(back_populates="demands")
    translations: Mapped[dict[str, DemandTranslation]] = relationship(
        collection_class=attribute_keyed_dict("locale"), cascade="all, delete-orphan", lazy="selectin"
    )
    # The timeline, newest first.
    updates: Mapped[list[DemandUpdate]] = relationship(
        back_populates="demand",
        order_by="(DemandUpdate.happened_on.desc(), DemandUpdate.id.desc())",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"<Demand {self.position}: {self.title}>"

    @property
    def original_locale(self) -> str:
        return self.petition.default_locale

    @property
    def latest_update(self) -> DemandUpdate | None:
        return self.updates[0] if self.updates else None


class DemandUpdate(db.Model):
    """A dated step in a demand's story, written by an organizer: a short text and an optional link."""

    __tablename__ = "demand_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id", ondelete="CASCADE"), index=True)
    happened_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(String(1000))
    link: Mapped[str] = mapped_column(String(500), default="")
    # The demand's status once this happened.
    status: Mapped[DemandStatus] = mapped_column(enum_column(DemandStatus))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("organizers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    demand: Mapped[Demand] = relationship(back_populates="updates")
    author: Mapped[Organizer | None] = relationship()

    def __repr__(self) -> str:
        return f"<DemandUpdate {self.happened_on} {self.status}>"


class PetitionTranslation(db.Model):
    """A petition's title, summary and body in another language."""

    __tablename__ = "petition_translations"

    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True)
    locale: Mapped[str] = mapped_column(String(5), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")


class DemandTranslation(db.Model):
    """A demand's title and explanation in another language."""

    __tablename__ = "demand_translations"

    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id", ondelete="CASCADE"), primary_key=True)
    locale: Mapped[str] = mapped_column(String(5), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    explanation: Mapped[str] = mapped_column(Text, default="")
