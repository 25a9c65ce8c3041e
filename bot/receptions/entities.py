"""A reception record as the services hand it out, under the domain's name, so that handlers never
import storage."""

from storage.models import Reception

__all__ = ["Reception"]
