"""Checks of a whole file against itself and the database: repeated codes, unknown references,
cycles, telegram ids that belong to someone else, each contact link's tier, one lead unit per category
and sessions that share no day. Pure: the database rows come in as `Known`, loaded by storage's
`load_known`; nothing here queries or writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, Protocol

from bot.network.categories import CATEGORIES
from bot.network.schema import Constituent, Deputy, Parsed
from storage.models import (
    CongressSession,
    ContactTier,
    DeputyGroup,
    Role,
    SpecialCommittee,
    Station,
    Unit,
)


class Holder(Protocol):
    """The stored person holding a telegram id the file gives."""

    id: int
    code: str | None
    name: str


class Known(Protocol):
    """The stored rows the file may refer to or update, by code (storage's `load_known` fills them)."""

    stations: dict[str, Station]
    committees: dict[str, SpecialCommittee]
    groups: dict[str, DeputyGroup]
    # code → roles held (`deputy` for a deputy record too) of the stored people the file names outside
    # its people's rows, and of those rows whose telegram id a person without a code holds: the other
    # rows' own roles are what the file gives them
    people: dict[str, frozenset[Role]]
    by_telegram: dict[int, Holder]
    station_parent: dict[str, str | None]
    units: dict[str, Unit]
    unit_parent: dict[str, str | None]
    unit_leads: dict[str, str]  # category → the code of the unit marked to lead it
    sessions: dict[str, CongressSession]
    committee_members: set[str]  # codes of the named people who sit on a special committee


@dataclass(frozen=True)
class _Codes:
    """The codes a row may refer to: known to the database or named by the file.

    Stations and groups include codes of rows refused by their schema, so a reference to one is not
    reported a second time as unknown.
    """

    stations: set[str]
    committees: set[str]
    groups: set[str]
    people: set[str]
    units: set[str]

    @classmethod
    def of(cls, parsed: Parsed, known: Known) -> _Codes:
        broken = parsed.broken
        file_people = {r.code for _, r in [*parsed.deputies, *parsed.constituents]}
        return cls(
            stations=set(known.stations) | {r.code for _, r in parsed.stations} | broken,
            committees=set(known.committees) | {r.code for _, r in parsed.committees},
            groups=set(known.groups) | {r.code for _, r in parsed.groups} | broken,
            people=set(known.people) | file_people,
            units=set(known.units) | {r.code for _, r in parsed.units} | broken,
        )


def _first_seen(rows: Sequence[tuple[str, Any]], key: Callable[[Any], Any], what: str) -> list[str]:
    """One problem per repeated value, naming the row where it was first used."""
    seen: dict[Any, str] = {}
    problems: list[str] = []
    for label, row in rows:
        value = key(row)
        if value is None:
            continue
        if value in seen:
            problems.append(f"{label}: {what} {value!r} is already used by {seen[value]}")
        else:
            seen[value] = label
    return problems


def _person_roles(parsed: Parsed, known: Known) -> dict[str, frozenset[Role]]:
    """The roles each named person will have once the file is written (tiers derive from them)."""
    roles = dict(known.people)
    shared: dict[frozenset[Role], frozenset[Role]] = {}  # a few sets of roles, for a million people
    for _, d in parsed.deputies:
        held = frozenset({Role.DEPUTY, *(Role(r) for r in d.roles)})
        roles[d.code] = shared.setdefault(held, held)
    constituent = frozenset({Role.CONSTITUENT})
    for _, c in parsed.constituents:
        roles[c.code] = constituent
    return roles


def derive_tier(source_roles: frozenset[Role] | None, target_roles: frozenset[Role]) -> ContactTier | None:
    """The tier of a link from a person (or, with `None`, a special committee) to a person.

    Presidium → committee member wins over committee member → deputy, since presidium members
    are committee members too.
    """
    if source_roles is None:
        return ContactTier.SPECIAL_COMMITTEE_DEPUTY if Role.DEPUTY in target_roles else None
    if Role.PRESIDIUM in source_roles and Role.COMMITTEE_MEMBER in target_roles:
        return ContactTier.PRESIDIUM_COMMITTEE
    if Role.COMMITTEE_MEMBER in source_roles and Role.DEPUTY in target_roles:
        return ContactTier.COMMITTEE_DEPUTY
    if Role.DEPUTY in source_roles and Role.CONSTITUENT in target_roles:
        return ContactTier.DEPUTY_CONSTITUENT
    return None


def _role_word(roles: frozenset[Role]) -> str:
    for role in (Role.PRESIDIUM, Role.COMMITTEE_MEMBER, Role.DEPUTY, Role.CONSTITUENT):
        if role in roles:
            return role.value.replace("_", " ")
    return "person without a network role"


class Edge(NamedTuple):
    """A contact link the file asks for, with the tier its two ends give it (a tuple: a province's
    half million are made in a fraction of a frozen dataclass's time)."""

    label: str
    source: str
    committee: bool
    target: str
    tier: ContactTier


def _cycles(edges: Sequence[Edge]) -> list[str]:
    """A problem per contact cycle among person→person links (iterative DFS, back edges)."""
    out: dict[str, list[Edge]] = defaultdict(list)
    for edge in edges:
        if not edge.committee:
            out[edge.source].append(edge)
    state: dict[str, int] = {}
    problems: list[str] = []
    for start in list(out):
        if state.get(start):
            continue
        state[start] = 1
        path: list[Edge] = []
        stack: list[tuple[str, Iterator[Edge]]] = [(start, iter(out[start]))]
        while stack:
            node, children = stack[-1]
            edge = next(children, None)
            if edge is None:
                state[node] = 2
                stack.pop()
                if path:
                    path.pop()
                continue
            seen = state.get(edge.target, 0)
            if seen == 1:
                nodes = [e.source for e in path] + [node]
                loop = [*nodes[nodes.index(edge.target) :], edge.target]
                problems.append(f"{edge.label}: contact cycle {' → '.join(loop)}")
            elif seen == 0:
                state[edge.target] = 1
                path.append(edge)
                stack.append((edge.target, iter(out.get(edge.target, ()))))
    return problems


def _parent_cycles(
    rows: Sequence[tuple[str, Any]], stored_parent: dict[str, str | None], what: str
) -> list[str]:
    """A problem per cycle of `parent` links (stations, units), each cycle reported once."""
    parent = dict(stored_parent)
    parent.update({row.code: row.parent for _, row in rows})
    problems: list[str] = []
    reported: set[str] = set()
    for label, row in rows:
        chain = [row.code]
        node = parent.get(row.code)
        while node is not None and node not in chain and node in parent:
            chain.append(node)
            node = parent.get(node)
        if node is not None and node in chain and row.code not in reported:
            loop = [*chain[chain.index(node) :], node]
            if row.code in loop:
                reported.update(loop)
                problems.append(f"{label}: {what} parent cycle {' → '.join(loop)}")
    return problems


def check_network(parsed: Parsed, known: Known) -> tuple[list[str], list[Edge]]:
    """Every cross-row and database problem of a parsed file, and the contact edges with their tiers."""
    codes = _Codes.of(parsed, known)
    roles = _person_roles(parsed, known)
    problems = _duplicates(parsed)
    problems += _station_problems(parsed, known, codes)
    problems += _committee_problems(parsed, codes, roles)
    problems += _reference_problems(parsed, codes)
    problems += _leader_problems(parsed, codes, roles)
    problems += _telegram_problems(parsed, known)
    problems += _unit_problems(parsed, known, codes)
    problems += _session_problems(parsed, known)
    problems += _inspector_problems(parsed, known, codes, roles)
    edge_problems, edges = _contact_edges(parsed, codes, roles)
    problems += edge_problems
    problems += _cycles(edges)
    return problems, edges


def _duplicates(parsed: Parsed) -> list[str]:
    """Codes used twice in a section; telegram ids and phones used twice among people."""
    people_rows: list[tuple[str, Deputy | Constituent]] = [*parsed.deputies, *parsed.constituents]
    problems = _first_seen(parsed.stations, lambda r: r.code, "code")
    problems += _first_seen(parsed.committees, lambda r: r.code, "code")
    problems += _first_seen(parsed.groups, lambda r: r.code, "code")
    problems += _first_seen(parsed.units, lambda r: r.code, "code")
    problems += _first_seen(parsed.sessions, lambda r: r.code, "code")
    problems += _first_seen(people_rows, lambda r: r.code, "code")
    problems += _first_seen(people_rows, lambda r: r.telegram_id, "telegram_id")
    problems += _first_seen(people_rows, lambda r: r.phone, "phone")
    return problems


def _station_problems(parsed: Parsed, known: Known, codes: _Codes) -> list[str]:
    problems: list[str] = []
    for label, station in parsed.stations:
        if station.parent is not None and station.parent not in codes.stations:
            problems.append(f"{label}: unknown parent station {station.parent!r}")
        if (station.latitude is None) != (station.longitude is None):
            problems.append(f"{label}: give both latitude and longitude, or neither")
        problems += _station_officer_problems(label, station.head, station.liaisons, codes, parsed.broken)
    return problems + _parent_cycles(parsed.stations, known.station_parent, "station")


def _station_officer_problems(
    label: str, head: str | None, liaisons: Sequence[str], codes: _Codes, broken: set[str]
) -> list[str]:
    """A station's head and liaison officers are people of the file or the database, each once (#24)."""
    problems = _repeats(label, "liaison", liaisons)
    if head is not None and head not in codes.people and head not in broken:
        problems.append(f"{label}: unknown head {head!r}")
    problems += [
        f"{label}: unknown liaison {code!r}"
        for code in dict.fromkeys(liaisons)
        if code not in codes.people and code not in broken
    ]
    return problems


def _committee_problems(parsed: Parsed, codes: _Codes, roles: dict[str, frozenset[Role]]) -> list[str]:
    problems: list[str] = []
    for label, committee in parsed.committees:
        if committee.code in codes.people:
            problems.append(f"{label}: committee code {committee.code!r} is also a person's code")
        problems += _repeats(label, "member", committee.members)
        for member in dict.fromkeys(committee.members):
            if member in parsed.broken:
                continue
            if Role.DEPUTY not in roles.get(member, frozenset()):
                what = "unknown" if member not in codes.people else "not a deputy"
                problems.append(f"{label}: member {what} {member!r}")
    return problems


def _unit_problems(parsed: Parsed, known: Known, codes: _Codes) -> list[str]:
    """Units: categories the opinions know (the 归口 table routes by them), known parents, no cycles."""
    problems: list[str] = []
    for label, unit in parsed.units:
        for field, what in ((unit.categories, "category"), (unit.leads, "lead category")):
            problems += [
                f"{label}: unknown {what} {c!r} (expected one of {', '.join(CATEGORIES)})"
                for c in dict.fromkeys(field)
                if c not in CATEGORIES
            ]
            problems += _repeats(label, what, field)
        problems += _repeats(label, "officer", unit.officers)
        problems += [
            f"{label}: unknown officer {code!r}"
            for code in dict.fromkeys(unit.officers)
            if code not in codes.people and code not in parsed.broken
        ]
        if unit.parent is not None and unit.parent not in codes.units:
            problems.append(f"{label}: unknown parent unit {unit.parent!r}")
    problems += _lead_problems(parsed, known)
    return problems + _parent_cycles(parsed.units, known.unit_parent, "unit")


def _lead_problems(parsed: Parsed, known: Known) -> list[str]:
    """One lead unit per category: among the file's units, and against a stored unit the file does not
    name (the file's units' stored leads are replaced by what their rows say)."""
    in_file = {unit.code for _, unit in parsed.units}
    holder = {
        category: f"{code} (in the database; list {code} in this file without that lead to move it)"
        for category, code in known.unit_leads.items()
        if code not in in_file
    }
    problems: list[str] = []
    for label, unit in parsed.units:
        for category in dict.fromkeys(unit.leads):
            if category in holder:
                problems.append(
                    f"{label}: {category!r} already has a lead unit, {holder[category]}; one lead unit per "
                    "category"
                )
            else:
                holder[category] = f"{unit.code} ({label})"
    return problems


def _session_problems(parsed: Parsed, known: Known) -> list[str]:
    """Each session closes on or after the day it opens, and no two share a day (a day has one series):
    the file's sessions against each other and against stored ones it does not name."""
    problems: list[str] = []
    calendar: dict[str, tuple[date, date, str | None]] = {
        code: (stored.opens, stored.closes, None) for code, stored in known.sessions.items()
    }
    for label, session in parsed.sessions:
        if session.closes < session.opens:
            problems.append(
                f"{label}: closes {session.closes.isoformat()} before it opens {session.opens.isoformat()}"
            )
            calendar.pop(session.code, None)
        else:
            calendar[session.code] = (session.opens, session.closes, label)
    ordered = sorted(calendar.items(), key=lambda item: (item[1][0], item[0]))
    for index, (code, (opens, closes, label)) in enumerate(ordered):
        for other, (other_opens, other_closes, other_label) in ordered[index + 1 :]:
            if other_opens > closes:
                break  # sorted by opening day: none later overlaps this one either
            if other_label is not None:  # the later one is the file's: name it, and the earlier
                problems.append(_overlap(other_label, code, opens, closes, label))
            elif label is not None:  # a stored one opens within the file's
                problems.append(_overlap(label, other, other_opens, other_closes, None))
    return problems


def _overlap(label: str, other: str, opens: date, closes: date, other_label: str | None) -> str:
    where = other_label if other_label is not None else "in the database"
    return (
        f"{label}: overlaps session {other} ({where}, {opens.isoformat()} – {closes.isoformat()}); "
        "sessions must not share a day"
    )


# Who may inspect a station (分片包抓): staff, standing-committee members, special-committee members.
INSPECTOR_ROLES = frozenset({Role.STAFF, Role.COMMITTEE_MEMBER, Role.PRESIDIUM})


def _inspector_problems(
    parsed: Parsed, known: Known, codes: _Codes, roles: dict[str, frozenset[Role]]
) -> list[str]:
    """A station's inspectors: known people, each once, who may inspect."""
    on_committee = set(known.committee_members) | {m for _, c in parsed.committees for m in c.members}
    problems: list[str] = []
    for label, station in parsed.stations:
        problems += _repeats(label, "inspector", station.inspectors)
        for code in dict.fromkeys(station.inspectors):
            if code in parsed.broken:
                continue
            if code not in codes.people:
                problems.append(f"{label}: unknown inspector {code!r}")
            elif not roles.get(code, frozenset()) & INSPECTOR_ROLES and code not in on_committee:
                problems.append(
                    f"{label}: inspector {code!r} is neither staff, a committee member nor on a special committee"
                )
    return problems


def _reference_problems(parsed: Parsed, codes: _Codes) -> list[str]:
    """Stations and groups a person's row names that neither the file nor the database has."""
    problems: list[str] = []
    for label, deputy in parsed.deputies:
        problems += [f"{label}: unknown station {s!r}" for s in deputy.stations if s not in codes.stations]
        problems += [f"{label}: unknown group {g!r}" for g in deputy.groups if g not in codes.groups]
        problems += _repeats(label, "station", deputy.stations) + _repeats(label, "group", deputy.groups)
    for label, constituent in parsed.constituents:
        if constituent.station is not None and constituent.station not in codes.stations:
            problems.append(f"{label}: unknown station {constituent.station!r}")
    return problems


def _leader_problems(parsed: Parsed, codes: _Codes, roles: dict[str, frozenset[Role]]) -> list[str]:
    problems: list[str] = []
    for label, group in parsed.groups:
        if group.leader in parsed.broken:
            continue
        if group.leader is not None and Role.DEPUTY not in roles.get(group.leader, frozenset()):
            what = "unknown" if group.leader not in codes.people else "not a deputy:"
            problems.append(f"{label}: group leader {what} {group.leader!r}".replace(": '", " '"))
    return problems


def _telegram_problems(parsed: Parsed, known: Known) -> list[str]:
    """A telegram_id in the database must belong to this person, to someone the file renumbers, or
    to a person without a code who wrote to the bot before the roster named them (adopted)."""
    people_rows: list[tuple[str, Deputy | Constituent]] = [*parsed.deputies, *parsed.constituents]
    clashes = [
        (label, row, holder)
        for label, row in people_rows
        if row.telegram_id is not None
        and (holder := known.by_telegram.get(row.telegram_id)) is not None
        and holder.code != row.code
    ]
    if not clashes:  # the usual case: no need for the set of a province's million codes
        return []
    in_file = {r.code for _, r in people_rows}
    problems: list[str] = []
    for label, row, holder in clashes:
        if holder.code is None:
            if row.code in known.people:
                problems.append(
                    f"{label}: telegram_id {row.telegram_id} belongs to another person (#{holder.id} "
                    f"{holder.name}) who has no code"
                )
        elif holder.code not in in_file:
            problems.append(
                f"{label}: telegram_id {row.telegram_id} belongs to {holder.code} ({holder.name}), "
                "who is not in this file"
            )
    return problems


def _contact_edges(
    parsed: Parsed, codes: _Codes, roles: dict[str, frozenset[Role]]
) -> tuple[list[str], list[Edge]]:
    """The contact links of the file with their tiers, and a problem per link that cannot be one."""
    problems: list[str] = []
    edges: list[Edge] = []
    seen_edges: dict[tuple[str, str], str] = {}
    for label, contact in parsed.contacts:
        if contact.source in parsed.broken:
            continue
        is_committee = contact.source in codes.committees
        if not is_committee and contact.source not in codes.people:
            problems.append(f"{label}: unknown contact source {contact.source!r}")
            continue
        source_roles = None if is_committee else roles.get(contact.source, frozenset())
        for target in contact.to:
            if target in parsed.broken:
                continue
            if target not in codes.people:
                problems.append(f"{label}: unknown person {target!r}")
                continue
            if (contact.source, target) in seen_edges:
                problems.append(
                    f"{label}: duplicate contact {contact.source} → {target} "
                    f"(also {seen_edges[(contact.source, target)]})"
                )
                continue
            seen_edges[(contact.source, target)] = label
            target_roles = roles.get(target, frozenset())
            tier = derive_tier(source_roles, target_roles)
            if tier is None:
                problems.append(_tier_problem(label, contact.source, source_roles, target, target_roles))
                continue
            edges.append(Edge(label, contact.source, is_committee, target, tier))
    return problems, edges


def _tier_problem(
    label: str, source: str, source_roles: frozenset[Role] | None, target: str, target_roles: frozenset[Role]
) -> str:
    source_word = "special committee" if source_roles is None else _role_word(source_roles)
    return (
        f"{label}: wrong tier: {source} ({source_word}) cannot contact {target} "
        f"({_role_word(target_roles)}); links go presidium → committee member → deputy → "
        "constituent, or special committee → deputy"
    )


def _repeats(label: str, what: str, values: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        if value in seen:
            out.append(f"{label}: {what} {value!r} listed twice")
        seen.add(value)
    return out
