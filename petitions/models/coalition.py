from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .petition import Petition


class Coalition(db.Model):
    """The organization that runs petitions."""

    __tablename__ = "coalitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    petitions: Mapped[list[Petition]] = relationship(back_populates="coalition")

    def __repr__(self) -> str:
        return f"<Coalition {self.slug}>"
