"""The station records the services hand out, under the domain's name, so that handlers never import
storage."""

from storage.models import Station
from storage.models.stations import (
    FileKind,
    InspectionKind,
    Rectification,
    RectificationState,
    StandardItem,
    StationFile,
    StationInspection,
)

__all__ = [
    "FileKind",
    "InspectionKind",
    "Rectification",
    "RectificationState",
    "StandardItem",
    "Station",
    "StationFile",
    "StationInspection",
]
