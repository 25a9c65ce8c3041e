"""The people records the services hand out (storage's mapped classes and the person brief), under
the domain's name, so that handlers never import storage."""

from storage.models import Deputy, Person, Role
from storage.repos.people import PersonBrief

__all__ = ["Deputy", "Person", "PersonBrief", "Role"]
