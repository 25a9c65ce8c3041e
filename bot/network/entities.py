"""The contact network's records as the services hand them out, under the domain's name, so that
handlers never import storage."""

from storage.models import DeputyGroup, SpecialCommittee, Station, Unit, UnitKind

__all__ = ["DeputyGroup", "SpecialCommittee", "Station", "Unit", "UnitKind"]
