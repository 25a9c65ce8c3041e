"""All models, one metadata. Each lifecycle's tables live in a module of their own."""

from storage.models.broadcasts import *  # noqa: F403
from storage.models.calendar import *  # noqa: F403
from storage.models.console import *  # noqa: F403
from storage.models.core import *  # noqa: F403
from storage.models.core import Base as Base
from storage.models.duty import *  # noqa: F403
from storage.models.invitations import *  # noqa: F403
from storage.models.opinions import *  # noqa: F403
from storage.models.points import *  # noqa: F403
from storage.models.receptions import *  # noqa: F403
from storage.models.stations import *  # noqa: F403
from storage.models.suggestions import *  # noqa: F403
from storage.models.units import *  # noqa: F403
