"""The models, one module per aggregate; importing this package registers them all."""

from .city import City
from .coalition import Coalition
from .petition import Demand, DemandStatus, IllegalTransition, Petition, PetitionState
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
    "Endorsement",
    "IllegalTransition",
    "Petition",
    "PetitionState",
    "Signature",
    "SignatureState",
]
