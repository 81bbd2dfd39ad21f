"""The models, one module per aggregate; importing this package registers them all."""

from .city import City
from .coalition import Coalition
from .petition import (
    Demand,
    DemandStatus,
    DemandTranslation,
    IllegalTransition,
    Petition,
    PetitionState,
    PetitionTranslation,
)
from .signature import Endorsement, Signature, SignatureState
from .tally import CityTally, DailyTally, DemandCityTally

__all__ = [
    "City",
    "CityTally",
    "Coalition",
    "DailyTally",
    "Demand",
    "DemandCityTally",
    "DemandStatus",
    "DemandTranslation",
    "Endorsement",
    "IllegalTransition",
    "Petition",
    "PetitionState",
    "PetitionTranslation",
    "Signature",
    "SignatureState",
]
