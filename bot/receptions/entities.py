"""Diary records as the services hand them out, under the domain's names, so that handlers never
import storage."""

from storage.models import Reception
from storage.models.receptions import DiaryKind, DiaryState, ReceptionMatter, ReceptionVisitor

__all__ = ["DiaryKind", "DiaryState", "Reception", "ReceptionMatter", "ReceptionVisitor"]
