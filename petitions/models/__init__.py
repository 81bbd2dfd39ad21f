"""The models, one module per aggregate; importing this package registers them all."""

from .audit import Export, ExportKind, ModerationAction
from .city import City, CityMapping, CityName
from .coalition import Coalition
from .organizer import GRANTS, Membership, Organizer, Permission, Role
from .outbox import MailKind, MailStatus, OutboxMessage
from .petition import (
    Demand,
    DemandStatus,
    DemandTranslation,
    DemandUpdate,
    IllegalTransition,
    Petition,
    PetitionState,
    PetitionTranslation,
)
from .signature import Endorsement, Signature, SignatureState
from .tally import CityTally, DailyTally, DemandCityTally

__all__ = [
    "GRANTS",
    "City",
    "CityMapping",
    "CityName",
    "CityTally",
    "Coalition",
    "DailyTally",
    "Demand",
    "DemandCityTally",
    "DemandStatus",
    "DemandTranslation",
    "DemandUpdate",
    "Endorsement",
    "Export",
    "ExportKind",
    "IllegalTransition",
    "MailKind",
    "MailStatus",
    "Membership",
    "ModerationAction",
    "Organizer",
    "OutboxMessage",
    "Permission",
    "Petition",
    "PetitionState",
    "PetitionTranslation",
    "Role",
    "Signature",
    "SignatureState",
]
