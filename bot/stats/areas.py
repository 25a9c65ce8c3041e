"""The report by area: a province's figures per prefecture and per county beneath it.

Stations form a tree (home → township → village; `parent`). At a province's size the top-level homes
(no parent) are the prefectures' and the homes right beneath them the counties'; a prefecture's network has
one level of homes, its counties'. An opinion counts for the area of the station it was sent to: its
top-level ancestor (**level 1**) and the home right under that on its path (**level 2**, when there is
one). The opinions are grouped by station in SQL (`by_station` of the report, every station); the ≤ 12,000
stations' tree is walked by one recursive query (storage/repos/opinion_figures.py `stations`) and the
station rows are added up here — stations only, never opinions.

Rows: every top-level home, with its level-2 homes right after it, then any other top-level station that
received opinions, then opinions sent to no station (key None). The level-1 rows add up to the totals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from storage.models.core import StationKind
from storage.repos.opinion_figures import StationNode

__all__ = ["AREA_FIELDS", "area_rows"]

AREA_FIELDS = (
    "received",
    "handled",
    "resolved",
    "accepted",
    "accepted_on_time",
    "answered",
    "answered_on_time",
)


def _row(key: int | None, code: str, name: str, level: int, parent: int | None) -> dict[str, Any]:
    return {
        "key": key,
        "code": code,
        "name": name,
        "level": level,
        "parent": parent,
        **dict.fromkeys(AREA_FIELDS, 0),
    }


def _add(row: dict[str, Any], counts: Mapping[str, Any]) -> None:
    for field in AREA_FIELDS:
        row[field] += counts.get(field, 0)


def area_rows(tree: Sequence[StationNode], by_station: Mapping[Any, Mapping[str, Any]]) -> dict[str, Any]:
    """The areas' rows (see the module docstring) from each station's counts and the station tree."""
    node = {n.id: n for n in tree}
    tops = {n.id: _row(n.id, n.code, n.name, 1, None) for n in tree if n.parent_id is None}
    seconds = {
        n.id: _row(n.id, n.code, n.name, 2, n.top_id)
        for n in tree
        if n.second_id == n.id and n.kind == StationKind.HOME.value
    }
    nowhere = _row(None, "", "", 1, None)
    for station_id, counts in by_station.items():
        place = node.get(station_id) if station_id is not None else None
        if place is None:
            _add(nowhere, counts)
            continue
        _add(tops[place.top_id], counts)
        if place.second_id is not None:
            _add(seconds[place.second_id], counts)
    rows: list[dict[str, Any]] = []
    for top in sorted(tops.values(), key=lambda r: r["code"]):
        if node[top["key"]].kind != StationKind.HOME.value and not top["received"]:
            continue
        rows.append(top)
        rows += sorted((s for s in seconds.values() if s["parent"] == top["key"]), key=lambda r: r["code"])
    if nowhere["received"]:
        rows.append(nowhere)
    return {"levels": 2 if seconds else 1, "rows": rows}
