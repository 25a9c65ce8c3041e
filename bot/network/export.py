"""The network out of storage: the import format (a re-import of an export is a no-op) and the YAML
text staff read and diff. The counts they check after an import are in `counts`."""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Role
from storage.repos.network_export import StoredNetwork, read_stored
from storage.unit_of_work import UnitOfWork


def _compact(**values: Any) -> dict[str, Any]:
    """A row without empty optional fields, so exports stay as short as hand-written files."""
    return {key: value for key, value in values.items() if value is not None and value != []}


async def export_network(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, list[dict[str, Any]]]:
    """The network in the import format; people without a code (walk-in writers) are left out."""
    async with UnitOfWork(sessionmaker) as uow:
        stored = await read_stored(uow.session)
    deputies, constituents = _people_rows(stored)
    deputy_code = {p.deputy.id: p.code for p in stored.people if p.deputy is not None}
    return {
        "stations": _station_rows(stored),
        "committees": [
            _compact(
                code=c.code,
                name=c.name,
                categories=list(c.categories),
                members=[
                    code
                    for code in (stored.person_code.get(p) for p in stored.committee_members.get(c.id, []))
                    if code is not None
                ],
            )
            for c in stored.committees
        ],
        "deputies": deputies,
        "groups": [
            _compact(
                code=g.code,
                name=g.name,
                field=g.field,
                leader=deputy_code.get(g.leader_id) if g.leader_id else None,
            )
            for g in stored.groups
        ],
        "contacts": [{"from": source, "to": targets} for source, targets in stored.contacts.items()],
        "constituents": constituents,
        "units": [
            _compact(
                code=u.code,
                name=u.name,
                kind=u.kind,
                categories=stored.unit_categories.get(u.id, []),
                leads=stored.unit_leads.get(u.id, []),
                parent=stored.unit_code.get(u.parent_id) if u.parent_id else None,
                officers=stored.unit_officers.get(u.id, []),
            )
            for u in stored.units
        ],
        "sessions": [
            {"code": s.code, "name": s.name, "opens": s.opens, "closes": s.closes} for s in stored.sessions
        ],
    }


def _station_rows(stored: StoredNetwork) -> list[dict[str, Any]]:
    """Stations with their parent, map point, head, liaison officers and inspectors (#24)."""
    station_code = stored.station_code
    return [
        {
            "code": s.code,
            "name": s.name,
            "kind": s.kind,
            "parent": station_code.get(s.parent_id) if s.parent_id else None,
            **_compact(
                latitude=s.latitude,
                longitude=s.longitude,
                head=stored.station_officers.get(s.id, (None, []))[0],
                liaisons=stored.station_officers.get(s.id, (None, []))[1],
                inspectors=stored.station_inspectors.get(s.id, []),
            ),
        }
        for s in stored.stations
    ]


def _people_rows(stored: StoredNetwork) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The deputies' and the constituents' rows; a person with neither role is not in the format."""
    deputies = []
    constituents = []
    for person in stored.people:
        roles = person.role_set
        if Role.DEPUTY in roles and person.deputy is not None:
            deputy = person.deputy
            deputies.append(
                _compact(
                    code=person.code,
                    name=person.name,
                    level=deputy.level,
                    phone=person.phone,
                    telegram_id=person.telegram_id,
                    stations=stored.deputy_stations.get(deputy.id, []),
                    groups=stored.deputy_groups.get(deputy.id, []),
                    fields=list(deputy.fields),
                    roles=[r.value for r in (Role.PRESIDIUM, Role.COMMITTEE_MEMBER) if r in roles],
                )
            )
        elif Role.CONSTITUENT in roles:
            constituents.append(
                _compact(
                    code=person.code,
                    name=person.name,
                    phone=person.phone,
                    telegram_id=person.telegram_id,
                    station=stored.station_code.get(person.station_id) if person.station_id else None,
                )
            )
    return deputies, constituents


class _RowDumper(yaml.SafeDumper):
    """Sections in block style, each row on one line in flow style: readable and diff-friendly."""

    _depth = -1  # nesting of mappings being represented; 0 is the top level

    def ignore_aliases(self, data: Any) -> bool:
        return True  # a shared list must not come out as &id001 anchors staff cannot read

    def represent_data(self, data: Any) -> yaml.Node:
        if not isinstance(data, dict):
            return super().represent_data(data)
        self._depth += 1
        try:
            node = super().represent_data(data)
        finally:
            self._depth -= 1
        if self._depth >= 0:
            node.flow_style = True
        return node


_RowDumper.add_representer(dict, lambda dumper, data: dumper.represent_dict(data.items()))


def dump_yaml(data: dict[str, Any]) -> str:
    """YAML text of an export (or of generated data) that `import_network` reads back."""
    return yaml.dump(data, Dumper=_RowDumper, allow_unicode=True, sort_keys=False, width=4096)
