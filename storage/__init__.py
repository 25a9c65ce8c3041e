"""Persistence: SQLAlchemy models (`models/`), repositories one per aggregate (`repos/`), the unit of work
(`unit_of_work`) and Alembic migrations. Imports neither `bot`, `handlers` nor `telegram`."""
