"""The opinion records the services hand out, under the domain's name.

They are storage's mapped classes; handlers and views import them from here, so that nothing
outside bot/ reaches into storage (the import contracts in pyproject.toml).
"""

from storage.models import FINAL_STATES, Opinion, OpinionAttachment, OpinionEvent, OpinionState

__all__ = ["FINAL_STATES", "Opinion", "OpinionAttachment", "OpinionEvent", "OpinionState"]
