"""The figures staff check after an import (`liaison network show`), each with one definition.

Every figure is named for what it counts, and `DEFINITIONS` says it in words: the table prints
them beside the numbers and the README quotes them. Two used to share the name `committee_members`
(37 and 27): the standing committee's members (常委会组成人员, a role) and the people sitting on
special committees (专委会, a membership), now `standing_committee_members` and
`special_committee_members`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import ContactTier, DeputyLevel, Role, StationKind
from storage.repos.network_export import count_network
from storage.unit_of_work import UnitOfWork

DEFINITIONS: dict[str, str] = {
    "stations": "stations of every kind",
    "stations.home": "代表之家, one per county",
    "stations.township": "township work stations (代表工作站)",
    "stations.village": "village liaison stations (代表联络站)",
    "stations.professional": "professional stations",
    "deputies": "people with a deputy record, of every level",
    "deputies.national": "deputies to the National People's Congress",
    "deputies.provincial": "deputies to the provincial congress",
    "deputies.prefecture": "deputies to the prefecture congress",
    "deputies.county": "deputies to a county congress",
    "deputies.township": "deputies to a township congress",
    "deputies.contacting_constituents": "deputies with at least one constituent to contact",
    "presidium_members": "people with the presidium role (主任会议成员), usually standing committee members too",
    "standing_committee_members": "people with the committee_member role (常委会组成人员), presidium included",
    "special_committees": "special committees (专委会 / 工委)",
    "special_committee_members": "people sitting on at least one special committee (each counted once)",
    "deputy_groups": "deputy groups (代表小组), professional ones included",
    "constituents": "people with the constituent role: imported, and those who wrote to the bot",
    "contact_links": "contact links (四联系) of every tier",
    "contact_links.presidium_committee": "presidium member → standing committee member",
    "contact_links.committee_deputy": "standing committee member → deputy",
    "contact_links.special_committee_deputy": "special committee → deputy",
    "contact_links.deputy_constituent": "deputy → constituent",
    "units": "handling units (承办单位) of every kind",
    "unit_officers": "people who are an officer of at least one handling unit (each counted once)",
    "sessions": "sessions of the congress (届次/会议) in the calendar suggestions are numbered by",
}


async def network_counts(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """The figures by key of `DEFINITIONS`: a section's parts nested under it with its `total`."""
    async with UnitOfWork(sessionmaker) as uow:
        counts = await count_network(uow.session)
    by_kind, by_level, by_tier, by_role = counts.by_kind, counts.by_level, counts.by_tier, counts.by_role
    return {
        "stations": {
            **{kind.value: by_kind.get(kind.value, 0) for kind in StationKind},
            "total": sum(by_kind.values()),
        },
        "deputies": {
            "by_level": {level.value: by_level.get(level.value, 0) for level in DeputyLevel},
            "total": sum(by_level.values()),
            "contacting_constituents": counts.contacting_constituents,
        },
        "presidium_members": by_role.get(Role.PRESIDIUM.value, 0),
        "standing_committee_members": by_role.get(Role.COMMITTEE_MEMBER.value, 0),
        "special_committees": counts.committees,
        "special_committee_members": counts.special_committee_people,
        "deputy_groups": counts.groups,
        "constituents": by_role.get(Role.CONSTITUENT.value, 0),
        "contact_links": {
            **{tier.value: by_tier.get(tier.value, 0) for tier in ContactTier},
            "total": sum(by_tier.values()),
        },
        "units": counts.units,
        "unit_officers": counts.unit_officers,
        "sessions": counts.sessions,
    }


def count_rows(counts: dict[str, Any]) -> list[tuple[str, int]]:
    """The figures flattened to (definition key, number), a section's total first, then its parts."""
    rows: list[tuple[str, int]] = []
    for key, value in counts.items():
        if not isinstance(value, dict):
            rows.append((key, value))
            continue
        rows.append((key, value["total"]))
        parts = {
            **value.get("by_level", {}),
            **{k: v for k, v in value.items() if k not in {"total", "by_level"}},
        }
        rows += [(f"{key}.{part}", number) for part, number in parts.items()]
    return rows


def render_counts(counts: dict[str, Any]) -> str:
    """A plain-text table for the terminal (an operator's tool, in English like `liaison stats`)."""
    rows = [
        ("  " + key.split(".", 1)[1] if "." in key else key, f"{number:,}", DEFINITIONS[key])
        for key, number in count_rows(counts)
    ]
    header = ("figure", "count", "what it counts")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(2)]
    lines = [f"{header[0]:<{widths[0]}}  {header[1]:>{widths[1]}}  {header[2]}"]
    lines.append(f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * len(header[2])}")
    lines += [f"{name:<{widths[0]}}  {number:>{widths[1]}}  {meaning}" for name, number, meaning in rows]
    return "\n".join(lines) + "\n"
