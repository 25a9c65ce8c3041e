"""A notice's records as the services hand them out, under the domain's name, so that handlers never
import storage."""

from storage.models import Broadcast, BroadcastStatus

__all__ = ["Broadcast", "BroadcastStatus"]
