"""Persistence: SQLAlchemy models, repositories, unit of work and migrations. No Telegram types here."""
