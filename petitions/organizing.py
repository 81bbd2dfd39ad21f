"""Writing campaigns: petitions, their demands, states and the demands' timelines.

Plain functions of models and data; the caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import tallies
from .cities import city_key  # folds accents and punctuation, for slugs as for cities
from .extensions import db
from .models import (
    Coalition,
    Demand,
    DemandStatus,
    DemandTranslation,
    DemandUpdate,
    Organizer,
    Petition,
    PetitionState,
    PetitionTranslation,
)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_LENGTH = (3, 80)


class SlugTaken(ValueError):
    """Another petition has this slug."""


class DemandInUse(ValueError):
    """A demand of a petition that has been open cannot be deleted: people signed for it."""


class Move(StrEnum):
    """What an organizer can do with a petition's state, each through the model's named method."""

    OPEN = "open"
    CLOSE = "close"
    ARCHIVE = "archive"


# The moves offered in each state; the model refuses any other (IllegalTransition).
MOVES: dict[PetitionState, tuple[Move, ...]] = {
    PetitionState.DRAFT: (Move.OPEN,),
    PetitionState.OPEN: (Move.CLOSE,),
    PetitionState.CLOSED: (Move.OPEN, Move.ARCHIVE),
    PetitionState.ARCHIVED: (Move.CLOSE,),
}


def slug_problem(slug: str) -> str | None:
    """Why a slug cannot be used, in a few words, or None if its form is right."""
    low, high = SLUG_LENGTH
    if not low <= len(slug) <= high:
        return "length"
    if not SLUG.match(slug):
        return "form"
    return None


def suggest_slug(title: str) -> str:
    """A slug made from a title: "Keep Lincoln Open!" -> "keep-lincoln-open"."""
    return "-".join(city_key(title).split())[: SLUG_LENGTH[1]].strip("-")


def translation_locale(default_locale: str) -> str:
    """The other language of a petition: its texts can be given in it as well."""
    others = [code for code in current_app.config["LANGUAGES"] if code != default_locale]
    return others[0]


@dataclass
class PetitionData:
    """What an organizer writes about a petition; ``translation`` holds the other language's texts."""

    title: str
    slug: str
    summary: str = ""
    body: str = ""
    goal: int = 1000
    default_country: str = "US"
    default_locale: str = "en"
    translation: dict[str, str] = field(default_factory=dict)  # title, summary, body


@dataclass
class DemandData:
    title: str
    explanation: str = ""
    translation: dict[str, str] = field(default_factory=dict)  # title, explanation


def slug_taken(slug: str, petition: Petition | None = None) -> bool:
    query = select(Petition.id).where(Petition.slug == slug)
    if petition is not None and petition.id is not None:
        query = query.where(Petition.id != petition.id)
    return db.session.execute(query).first() is not None


def _flush_slug(slug: str) -> None:
    # The unique index is the last word: two organizers choosing one slug at once get one each way.
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise SlugTaken(slug) from None


def create_petition(coalition: Coalition, data: PetitionData) -> Petition:
    """A new draft petition of the coalition."""
    if slug_taken(data.slug):
        raise SlugTaken(data.slug)
    petition = Petition(coalition=coalition, slug=data.slug, title=data.title)
    _write_petition(petition, data)
    db.session.add(petition)
    _flush_slug(data.slug)
    return petition


def update_petition(petition: Petition, data: PetitionData) -> None:
    """Change a petition's texts and settings. Its slug is fixed once it has been open (links use it)."""
    if petition.state is PetitionState.DRAFT and data.slug != petition.slug:
        if slug_taken(data.slug, petition):
            raise SlugTaken(data.slug)
        petition.slug = data.slug
    _write_petition(petition, data)
    _flush_slug(petition.slug)


def slug_is_fixed(petition: Petition) -> bool:
    return petition.state is not PetitionState.DRAFT


def _write_petition(petition: Petition, data: PetitionData) -> None:
    petition.title = data.title
    petition.summary = data.summary
    petition.body = data.body
    petition.goal = data.goal
    petition.default_country = data.default_country
    petition.default_locale = data.default_locale
    _write_translation(petition, PetitionTranslation, translation_locale(data.default_locale), data.translation)


def _write_translation(item, model, locale: str, texts: dict[str, str]) -> None:
    """Store the texts in ``locale``; drop the translation when every text is empty.

    Translations in any other language than the petition's other one stay as they are.
    """
    for other in list(item.translations):
        if other == item.original_locale:
            del item.translations[other]  # the language changed: the original speaks it now
    if not any(texts.values()):
        item.translations.pop(locale, None)
        return
    translation = item.translations.get(locale)
    if translation is None:
        translation = item.translations[locale] = model(locale=locale)
    for name, value in texts.items():
        setattr(translation, name, value)


def move(petition: Petition, step: Move) -> None:
    """Open, close or archive through the model's named methods (IllegalTransition if not allowed)."""
    {Move.OPEN: petition.open, Move.CLOSE: petition.close, Move.ARCHIVE: petition.archive}[step]()


# --- Demands ----------------------------------------------------------------------------------


def add_demand(petition: Petition, data: DemandData) -> Demand:
    demand = Demand(position=len(petition.demands) + 1, title=data.title)
    petition.demands.append(demand)
    _write_demand(demand, data)
    db.session.flush()
    return demand


def update_demand(demand: Demand, data: DemandData) -> None:
    _write_demand(demand, data)


def _write_demand(demand: Demand, data: DemandData) -> None:
    demand.title = data.title
    demand.explanation = data.explanation
    locale = translation_locale(demand.petition.default_locale)
    _write_translation(demand, DemandTranslation, locale, data.translation)


def move_demand(demand: Demand, offset: int) -> None:
    """Move a demand up (-1) or down (+1) the list; the positions stay 1, 2, 3..."""
    demands = list(demand.petition.demands)
    index = demands.index(demand)
    target = index + offset
    if 0 <= target < len(demands):
        demands[index], demands[target] = demands[target], demands[index]
    for position, item in enumerate(demands, start=1):
        item.position = position


def delete_demand(demand: Demand) -> None:
    """Delete a demand of a draft petition. Once a petition has opened, people signed for its demands."""
    petition = demand.petition
    if petition.opened_at is not None or petition.state is not PetitionState.DRAFT:
        raise DemandInUse(demand.id)
    # Its tallies go with it: take the tally lock as anything changing what is counted does.
    tallies.lock(petition.id)
    petition.demands.remove(demand)
    db.session.flush()
    for position, item in enumerate(petition.demands, start=1):
        item.position = position


def post_update(
    demand: Demand,
    *,
    text: str,
    status: DemandStatus,
    happened_on: date,
    link: str = "",
    author: Organizer | None = None,
) -> DemandUpdate:
    """Add a dated step to the demand's timeline; the demand takes the status given."""
    update = DemandUpdate(text=text, link=link, happened_on=happened_on, status=status, author=author)
    demand.updates.append(update)
    demand.status = status
    db.session.flush()
    _sort_timeline(demand)
    return update


def delete_update(update: DemandUpdate) -> None:
    """Remove a mistaken update; the demand's status stays as the organizer last set it."""
    demand = update.demand
    demand.updates.remove(update)


def _sort_timeline(demand: Demand) -> None:
    # The collection is ordered when loaded; keep it so after an append.
    demand.updates.sort(key=lambda u: (u.happened_on, u.id), reverse=True)
