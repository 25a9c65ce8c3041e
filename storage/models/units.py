"""Handling units (承办单位) that answer deputies' suggestions: the 归口 table of the categories each
unit handles, and the officers who work for a unit in chat."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.core import Base, utcnow

__all__ = ["Unit", "UnitCategory", "UnitKind", "UnitOfficer"]


class UnitKind(enum.StrEnum):
    """What kind of body a handling unit is (labels: bot.network.units.UNIT_KIND_LABELS)."""

    GOVERNMENT = "government"  # 政府部门
    COURT = "court"  # 人民法院
    PROCURATORATE = "procuratorate"  # 人民检察院
    STATE_ENTERPRISE = "state_enterprise"  # 国有企业
    OTHER = "other"


class Unit(Base):
    """A government department, court, procuratorate or state enterprise that handles suggestions."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"), index=True)


class UnitCategory(Base):
    """One row of the 归口 table: this unit handles suggestions of this category.

    A table, not a JSON column as committees have: `units_for_category` is an indexed equality
    lookup that reads the same on SQLite and PostgreSQL (JSON containment differs between them).
    """

    __tablename__ = "unit_category"
    __table_args__ = (UniqueConstraint("unit_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    # This unit is proposed to lead (主办) suggestions of the category; at most one unit per category
    # (the import refuses a second). Without a lead the category's units are proposed by code.
    lead: Mapped[bool] = mapped_column(default=False, server_default="0")


class UnitOfficer(Base):
    """A person working for a unit in chat (several per unit); the head is reminded when officers are late."""

    __tablename__ = "unit_officer"
    __table_args__ = (UniqueConstraint("unit_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    head: Mapped[bool] = mapped_column(default=False, server_default="0")
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
