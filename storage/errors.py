"""Storage failures as domain errors, so the edges can answer without knowing SQLAlchemy."""


class StorageError(Exception):
    """The database could not do what was asked (unreachable, conflict, constraint)."""


class NotFound(StorageError):
    """The object asked for does not exist."""
