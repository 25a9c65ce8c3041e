"""Import, export and count the contact network (四联系) kept by staff in spreadsheets.

The file format is documented in `examples/README.md`: six sections (stations, committees, deputies,
groups, contacts, constituents) as one YAML file, a folder of `<section>.csv` sheets or an .xlsx
workbook. An import is all or nothing: every problem is collected and reported by section and row
before anything is written, and a good file is written in one transaction.
"""

from __future__ import annotations

import asyncio
import csv
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import (
    ContactLink,
    ContactTier,
    Deputy,
    DeputyGroup,
    DeputyLevel,
    DeputyStation,
    GroupMembership,
    Person,
    PersonRole,
    Role,
    SpecialCommittee,
    SpecialCommitteeMember,
    Station,
    StationKind,
)
from storage.unit_of_work import UnitOfWork

__all__ = [
    "EXAMPLE_NETWORK",
    "SECTIONS",
    "ImportSummary",
    "NetworkFileError",
    "dump_yaml",
    "export_network",
    "import_network",
    "network_counts",
    "normalise_phone",
    "read_source",
]

EXAMPLE_NETWORK = Path(__file__).resolve().parent / "data" / "network.yaml"
"""The fictional example network shipped with the package (the demo loads it)."""
SECTIONS = ("stations", "committees", "deputies", "groups", "contacts", "constituents")
# Roles an import owns for the people it names; staff, admin and unit-officer roles are left alone.
MANAGED_ROLES = frozenset({Role.CONSTITUENT, Role.DEPUTY, Role.COMMITTEE_MEMBER, Role.PRESIDIUM})
# SQLite allows 32,766 bound parameters, asyncpg 32,767: stay well below both.
CHUNK = 5000

T = TypeVar("T")


class NetworkFileError(Exception):
    """The file was refused; `problems` lists every one, each naming its section and row."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s):\n" + "\n".join(problems))


@dataclass
class ImportSummary:
    """What an import did, per section; a re-import of the same file reports only `unchanged`."""

    source: str
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_ROW_SECTIONS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_ROW_SECTIONS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_ROW_SECTIONS, 0))
    links_added: int = 0
    links_removed: int = 0
    links_retiered: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            sum(self.created.values()) + sum(self.updated.values())
            or self.links_added + self.links_removed + self.links_retiered
        )

    def __str__(self) -> str:
        parts = [
            f"{name}: {self.created[name]} new, {self.updated[name]} updated, {self.unchanged[name]} unchanged"
            for name in _ROW_SECTIONS
        ]
        parts.append(
            f"contact links: {self.links_added} added, {self.links_removed} removed, "
            f"{self.links_retiered} re-tiered"
        )
        return f"{self.source}: " + "; ".join(parts)


_ROW_SECTIONS = ("stations", "committees", "deputies", "groups", "constituents")


# --- phone numbers -------------------------------------------------------------------------------

_PHONE_NOISE = re.compile(r"[\s\-().·/]")


def normalise_phone(value: str) -> str:
    """E.164-ish: strip spaces and dashes; 00 becomes +; a bare 11-digit Chinese mobile gets +86.

    Raises:
        ValueError: not a phone number.
    """
    text = _PHONE_NOISE.sub("", value)
    if text.startswith("00"):
        text = "+" + text[2:]
    if re.fullmatch(r"1\d{10}", text):
        text = "+86" + text
    if not re.fullmatch(r"\+?\d{5,15}", text):
        raise ValueError(f"not a phone number: {value!r}")
    return text


# --- row schemas -------------------------------------------------------------------------------


def _scalar_to_str(value: Any) -> Any:
    """Spreadsheets turn codes like 1001 into numbers; codes are text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return str(value)
    return value


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _split_list(value: Any) -> Any:
    """A list cell in a sheet is `a;b` or `a|b`; YAML may give a list or the same string."""
    if value is None:
        return []
    value = _scalar_to_str(value)
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;|]", value) if part.strip()]
    return value


def _phone(value: Any) -> Any:
    value = _blank_to_none(_scalar_to_str(value))
    return None if value is None else normalise_phone(str(value))


Code = Annotated[
    str,
    BeforeValidator(_scalar_to_str),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[^\s;|,]+$"),
]
OptCode = Annotated[Code | None, BeforeValidator(_blank_to_none)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Slug = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,63}$")]
OptSlug = Annotated[Slug | None, BeforeValidator(_blank_to_none)]
CodeList = Annotated[list[Code], BeforeValidator(_split_list)]
SlugList = Annotated[list[Slug], BeforeValidator(_split_list)]
Phone = Annotated[str | None, BeforeValidator(_phone)]
TelegramId = Annotated[int | None, BeforeValidator(_blank_to_none), Field(gt=0)]
Latitude = Annotated[float | None, BeforeValidator(_blank_to_none), Field(ge=-90, le=90)]
Longitude = Annotated[float | None, BeforeValidator(_blank_to_none), Field(ge=-180, le=180)]
RoleName = Literal["presidium", "committee_member", "deputy"]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class StationRow(_Row):
    code: Code
    name: Name
    kind: StationKind
    parent: OptCode = None
    latitude: Latitude = None
    longitude: Longitude = None


class CommitteeRow(_Row):
    code: Code
    name: Name
    categories: SlugList = []
    # Person codes; when the field is absent the committee keeps the members it has.
    members: CodeList = []

    @property
    def members_given(self) -> bool:
        """Whether the row says who the members are (an empty list clears them)."""
        return "members" in self.model_fields_set


class DeputyRow(_Row):
    code: Code
    name: Name
    level: DeputyLevel
    phone: Phone = None
    telegram_id: TelegramId = None
    stations: CodeList = []
    groups: CodeList = []
    fields: SlugList = []
    roles: Annotated[list[RoleName], BeforeValidator(_split_list)] = []


class GroupRow(_Row):
    code: Code
    name: Name
    field: OptSlug = None
    leader: OptCode = None


class ContactRow(_Row):
    source: Code = Field(alias="from")
    to: Annotated[CodeList, Field(min_length=1)]


class ConstituentRow(_Row):
    code: Code
    name: Name
    phone: Phone = None
    telegram_id: TelegramId = None
    station: OptCode = None


_SCHEMAS: dict[str, type[_Row]] = {
    "stations": StationRow,
    "committees": CommitteeRow,
    "deputies": DeputyRow,
    "groups": GroupRow,
    "contacts": ContactRow,
    "constituents": ConstituentRow,
}

R = TypeVar("R", bound=_Row)


@dataclass
class _Parsed:
    """Rows that passed their schema, each with its label (`deputies[3] (D0004)`)."""

    stations: list[tuple[str, StationRow]] = field(default_factory=list)
    committees: list[tuple[str, CommitteeRow]] = field(default_factory=list)
    deputies: list[tuple[str, DeputyRow]] = field(default_factory=list)
    groups: list[tuple[str, GroupRow]] = field(default_factory=list)
    contacts: list[tuple[str, ContactRow]] = field(default_factory=list)
    constituents: list[tuple[str, ConstituentRow]] = field(default_factory=list)
    # Codes of rows refused by their schema: references to them are not reported again as unknown.
    broken: set[str] = field(default_factory=set)


def _loc(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(err: Any) -> str:
    loc = _loc(err["loc"])
    kind = err["type"]
    if kind == "missing":
        return f"missing {loc}"
    if kind == "extra_forbidden":
        return f"unknown field '{loc}'"
    shown = err.get("input")
    suffix = f" (got {shown!r})" if isinstance(shown, str | int | float) and kind != "value_error" else ""
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{loc}: {message}{suffix}"


def _label(section: str, index: int, row: Any) -> str:
    code = row.get("from" if section == "contacts" else "code") if isinstance(row, dict) else None
    code = _scalar_to_str(code)
    return f"{section}[{index}] ({code})" if isinstance(code, str) and code.strip() else f"{section}[{index}]"


def parse_sections(raw: dict[str, Any]) -> tuple[_Parsed, list[str]]:
    """Check each row against its schema; returns the good rows and a problem per bad row field."""
    parsed = _Parsed()
    problems: list[str] = []
    for section, rows in raw.items():
        if section not in _SCHEMAS:
            problems.append(f"{section}: unknown section (expected one of {', '.join(SECTIONS)})")
            continue
        if rows is None:
            continue
        if not isinstance(rows, list):
            problems.append(f"{section}: expected a list of rows, got {type(rows).__name__}")
            continue
        target: list[tuple[str, Any]] = getattr(parsed, section)
        for index, row in enumerate(rows):
            label = _label(section, index, row)
            if not isinstance(row, dict):
                problems.append(f"{label}: expected a mapping of fields, got {type(row).__name__}")
                continue
            try:
                target.append((label, _SCHEMAS[section].model_validate(row)))
            except ValidationError as exc:
                code = _scalar_to_str(row.get("from" if section == "contacts" else "code"))
                if isinstance(code, str):
                    parsed.broken.add(code.strip())
                problems.extend(f"{label}: {_describe(err)}" for err in exc.errors())
    return parsed, problems


# --- reading the three file shapes --------------------------------------------------------------


# Larger files are refused before parsing: a 50 MB file kept the importer busy past 75 s, holding
# memory for every row. The prefecture's network is about 2 MB as YAML.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# A workbook is a zip: its sheets may unpack to far more than the file's size (a zip bomb).
XLSX_UNPACKED_RATIO = 10
_MB = 1024 * 1024


def check_size(source: Path, max_bytes: int) -> None:
    """Refuse a file (or a folder's CSV sheets) larger than `max_bytes`, before anything is parsed.

    Raises:
        NetworkFileError: one line naming the size and the limit.
    """
    limit = f"the import limit of {max_bytes / _MB:g} MB (setting NETWORK_IMPORT_MAX_MB)"
    if source.is_dir():
        size = sum(path.stat().st_size for path in source.glob("*.csv"))
    elif source.is_file():
        size = source.stat().st_size
    else:
        return
    if size > max_bytes:
        raise NetworkFileError([f"{source.name}: {size / _MB:.1f} MB is over {limit}; nothing was read"])
    if source.is_file() and source.suffix.lower() in {".xlsx", ".xlsm"}:
        try:
            with zipfile.ZipFile(source) as book:
                unpacked = sum(info.file_size for info in book.infolist())
        except (zipfile.BadZipFile, OSError):
            return  # the reader says what is wrong with it
        if unpacked > max_bytes * XLSX_UNPACKED_RATIO:
            size_text = f"{unpacked / _MB:.0f} MB"
            raise NetworkFileError(
                [f"{source.name}: unpacks to {size_text}, over {XLSX_UNPACKED_RATIO} times {limit}"]
            )


def read_source(source: Path, max_bytes: int | None = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """The raw sections of a YAML file, a folder of CSV sheets or an .xlsx workbook.

    Args:
        source: the file or folder.
        max_bytes: larger input is refused before it is parsed (None: no limit).

    Raises:
        NetworkFileError: the file cannot be read, is too large or is not shaped as sections of rows.
    """
    if max_bytes is not None:
        check_size(source, max_bytes)
    if source.is_dir():
        return _read_csv_folder(source)
    if not source.is_file():
        raise NetworkFileError([f"{source}: no such file or folder"])
    if source.suffix.lower() in {".xlsx", ".xlsm"}:
        return _read_workbook(source)
    return _read_yaml(source)


def _read_yaml(source: Path) -> dict[str, Any]:
    try:
        text = source.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NetworkFileError([f"{source.name}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise NetworkFileError([f"{source.name}: bad YAML syntax{where}: {exc.problem}"]) from exc
    except yaml.YAMLError as exc:
        raise NetworkFileError([f"{source.name}: bad YAML syntax: {exc}"]) from exc
    if data is None:
        raise NetworkFileError([f"{source.name}: the file is empty"])
    if not isinstance(data, dict):
        raise NetworkFileError(
            [
                f"{source.name}: top level: expected a mapping of sections ({', '.join(SECTIONS)}), "
                f"got {type(data).__name__}"
            ]
        )
    return {str(key): value for key, value in data.items()}


def _cell(value: Any) -> Any:
    """A spreadsheet cell as the YAML loader would give it; blanks become absent."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _table(
    section: str, header: Sequence[Any], rows: Iterable[Sequence[Any]], problems: list[str]
) -> list[Any]:
    names = [str(_cell(h)) if _cell(h) is not None else None for h in header]
    out: list[Any] = []
    for values in rows:
        cells = [_cell(v) for v in values]
        if all(c is None for c in cells):
            continue
        row: dict[str, Any] = {}
        for index, value in enumerate(cells):
            if value is None:
                continue
            name = names[index] if index < len(names) else None
            if name is None:
                problems.append(
                    f"{_label(section, len(out), row)}: a value in column {index + 1} has no header"
                )
                continue
            row[name] = value
        out.append(row)
    return out


def _read_csv_folder(folder: Path) -> dict[str, Any]:
    problems: list[str] = []
    data: dict[str, Any] = {}
    sheets = sorted(folder.glob("*.csv"))
    if not sheets:
        raise NetworkFileError([f"{folder}: no <section>.csv sheets (expected {', '.join(SECTIONS)})"])
    for path in sheets:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                lines = list(csv.reader(handle))
        except (UnicodeDecodeError, csv.Error) as exc:
            problems.append(f"{path.name}: cannot read the sheet: {exc}")
            continue
        data[path.stem] = _table(path.stem, lines[0], lines[1:], problems) if lines else []
    if problems:
        raise NetworkFileError(problems)
    return data


def _read_workbook(source: Path) -> dict[str, Any]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML errors... for a damaged file
        raise NetworkFileError([f"{source.name}: not a readable .xlsx workbook: {exc}"]) from exc
    problems: list[str] = []
    data: dict[str, Any] = {}
    try:
        for sheet in book.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            data[sheet.title.strip()] = (
                _table(sheet.title.strip(), rows[0], rows[1:], problems) if rows else []
            )
    finally:
        book.close()
    if problems:
        raise NetworkFileError(problems)
    return data


# --- checks against the file and the database ---------------------------------------------------


@dataclass
class _Known:
    """Database rows the file may refer to or update, loaded once by code."""

    stations: dict[str, Station]
    committees: dict[str, SpecialCommittee]
    groups: dict[str, DeputyGroup]
    people: dict[str, Person]
    by_telegram: dict[int, Person]
    station_parent: dict[str, str | None]


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def _load_known(session: AsyncSession, parsed: _Parsed) -> _Known:
    stations = {s.code: s for s in (await session.scalars(select(Station))).all()}
    by_id = {s.id: s.code for s in stations.values()}
    committees = {c.code: c for c in (await session.scalars(select(SpecialCommittee))).all()}
    groups = {g.code: g for g in (await session.scalars(select(DeputyGroup))).all()}
    codes: set[str] = {row.code for _, row in parsed.deputies} | {row.code for _, row in parsed.constituents}
    codes |= {row.leader for _, row in parsed.groups if row.leader}
    codes |= {code for _, row in parsed.committees for code in row.members}
    for _, contact in parsed.contacts:
        codes.add(contact.source)
        codes.update(contact.to)
    people: dict[str, Person] = {}
    for chunk in _chunks(sorted(codes)):
        for person in (await session.scalars(select(Person).where(Person.code.in_(chunk)))).all():
            people[person.code or ""] = person
    telegram_ids = sorted(
        {
            row.telegram_id
            for _, row in [*parsed.deputies, *parsed.constituents]
            if row.telegram_id is not None
        }
    )
    by_telegram: dict[int, Person] = {}
    for chunk in _chunks(telegram_ids):
        for person in (await session.scalars(select(Person).where(Person.telegram_id.in_(chunk)))).all():
            by_telegram[person.telegram_id or 0] = person
    parent = {s.code: (by_id.get(s.parent_id) if s.parent_id else None) for s in stations.values()}
    return _Known(stations, committees, groups, people, by_telegram, parent)


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


def _person_roles(parsed: _Parsed, known: _Known) -> dict[str, frozenset[Role]]:
    """The roles each named person will have once the file is written (tiers derive from them)."""
    roles: dict[str, frozenset[Role]] = {}
    for code, person in known.people.items():
        held = set(person.role_set)
        if person.deputy is not None:
            held.add(Role.DEPUTY)
        roles[code] = frozenset(held)
    for _, d in parsed.deputies:
        roles[d.code] = frozenset({Role.DEPUTY, *(Role(r) for r in d.roles)})
    for _, c in parsed.constituents:
        roles[c.code] = frozenset({Role.CONSTITUENT})
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


@dataclass(frozen=True)
class _Edge:
    label: str
    source: str
    committee: bool
    target: str
    tier: ContactTier


def _cycles(edges: Sequence[_Edge]) -> list[str]:
    """A problem per contact cycle among person→person links (iterative DFS, back edges)."""
    out: dict[str, list[_Edge]] = defaultdict(list)
    for edge in edges:
        if not edge.committee:
            out[edge.source].append(edge)
    state: dict[str, int] = {}
    problems: list[str] = []
    for start in list(out):
        if state.get(start):
            continue
        state[start] = 1
        path: list[_Edge] = []
        stack: list[tuple[str, Iterator[_Edge]]] = [(start, iter(out[start]))]
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


def _station_cycles(parsed: _Parsed, known: _Known) -> list[str]:
    parent = dict(known.station_parent)
    parent.update({row.code: row.parent for _, row in parsed.stations})
    problems: list[str] = []
    reported: set[str] = set()
    for label, row in parsed.stations:
        chain = [row.code]
        node = parent.get(row.code)
        while node is not None and node not in chain and node in parent:
            chain.append(node)
            node = parent.get(node)
        if node is not None and node in chain and row.code not in reported:
            loop = [*chain[chain.index(node) :], node]
            if row.code in loop:
                reported.update(loop)
                problems.append(f"{label}: station parent cycle {' → '.join(loop)}")
    return problems


def check_network(parsed: _Parsed, known: _Known) -> tuple[list[str], list[_Edge]]:
    """Every cross-row and database problem of a parsed file, and the contact edges with their tiers."""
    problems: list[str] = []
    people_rows: list[tuple[str, DeputyRow | ConstituentRow]] = [*parsed.deputies, *parsed.constituents]
    problems += _first_seen(parsed.stations, lambda r: r.code, "code")
    problems += _first_seen(parsed.committees, lambda r: r.code, "code")
    problems += _first_seen(parsed.groups, lambda r: r.code, "code")
    problems += _first_seen(people_rows, lambda r: r.code, "code")
    problems += _first_seen(people_rows, lambda r: r.telegram_id, "telegram_id")
    problems += _first_seen(people_rows, lambda r: r.phone, "phone")

    broken = parsed.broken
    station_codes = set(known.stations) | {r.code for _, r in parsed.stations} | broken
    committee_codes = set(known.committees) | {r.code for _, r in parsed.committees}
    group_codes = set(known.groups) | {r.code for _, r in parsed.groups} | broken
    file_people = {r.code for _, r in people_rows}
    person_codes = set(known.people) | file_people
    roles = _person_roles(parsed, known)

    for label, station in parsed.stations:
        if station.parent is not None and station.parent not in station_codes:
            problems.append(f"{label}: unknown parent station {station.parent!r}")
        if (station.latitude is None) != (station.longitude is None):
            problems.append(f"{label}: give both latitude and longitude, or neither")
    problems += _station_cycles(parsed, known)

    for label, committee in parsed.committees:
        if committee.code in person_codes:
            problems.append(f"{label}: committee code {committee.code!r} is also a person's code")
        problems += _repeats(label, "member", committee.members)
        for member in dict.fromkeys(committee.members):
            if member in broken:
                continue
            if Role.DEPUTY not in roles.get(member, frozenset()):
                what = "unknown" if member not in person_codes else "not a deputy"
                problems.append(f"{label}: member {what} {member!r}")

    for label, deputy in parsed.deputies:
        problems += [f"{label}: unknown station {s!r}" for s in deputy.stations if s not in station_codes]
        problems += [f"{label}: unknown group {g!r}" for g in deputy.groups if g not in group_codes]
        problems += _repeats(label, "station", deputy.stations) + _repeats(label, "group", deputy.groups)
    for label, constituent in parsed.constituents:
        if constituent.station is not None and constituent.station not in station_codes:
            problems.append(f"{label}: unknown station {constituent.station!r}")

    for label, group in parsed.groups:
        if group.leader in broken:
            continue
        if group.leader is not None and Role.DEPUTY not in roles.get(group.leader, frozenset()):
            what = "unknown" if group.leader not in person_codes else "not a deputy:"
            problems.append(f"{label}: group leader {what} {group.leader!r}".replace(": '", " '"))

    # A telegram_id in the database must belong to this person, to someone the file renumbers, or
    # to a person without a code who wrote to the bot before the roster named them (adopted).
    new_ids = {r.code: r.telegram_id for _, r in people_rows}
    for label, row in people_rows:
        holder = known.by_telegram.get(row.telegram_id) if row.telegram_id is not None else None
        if holder is None or holder.code == row.code:
            continue
        if holder.code is None:
            if row.code in known.people:
                problems.append(
                    f"{label}: telegram_id {row.telegram_id} belongs to another person (#{holder.id} "
                    f"{holder.name}) who has no code"
                )
        elif holder.code not in new_ids:
            problems.append(
                f"{label}: telegram_id {row.telegram_id} belongs to {holder.code} ({holder.name}), "
                "who is not in this file"
            )

    edges: list[_Edge] = []
    seen_edges: dict[tuple[str, str], str] = {}
    for label, contact in parsed.contacts:
        if contact.source in broken:
            continue
        is_committee = contact.source in committee_codes
        if not is_committee and contact.source not in person_codes:
            problems.append(f"{label}: unknown contact source {contact.source!r}")
            continue
        source_roles = None if is_committee else roles.get(contact.source, frozenset())
        for target in contact.to:
            if target in broken:
                continue
            if target not in person_codes:
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
                source_word = "special committee" if source_roles is None else _role_word(source_roles)
                problems.append(
                    f"{label}: wrong tier: {contact.source} ({source_word}) cannot contact {target} "
                    f"({_role_word(target_roles)}); links go presidium → committee member → deputy → "
                    "constituent, or special committee → deputy"
                )
                continue
            edges.append(_Edge(label, contact.source, is_committee, target, tier))
    problems += _cycles(edges)
    return problems, edges


def _repeats(label: str, what: str, values: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        if value in seen:
            out.append(f"{label}: {what} {value!r} listed twice")
        seen.add(value)
    return out


# --- writing -----------------------------------------------------------------------------------


def _assign(obj: Any, **values: Any) -> bool:
    """Set the attributes that differ; True when something changed (so re-imports stay no-ops)."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


class _Writer:
    """Applies a checked file inside one session; callers commit."""

    def __init__(self, session: AsyncSession, parsed: _Parsed, known: _Known, summary: ImportSummary) -> None:
        self.session = session
        self.parsed = parsed
        self.known = known
        self.summary = summary
        # Deputies are counted last: a changed station or group list is an update of the deputy too.
        self.deputy_state: dict[str, tuple[bool, bool]] = {}
        # Committees likewise, once their members are synced.
        self.committee_state: dict[str, tuple[bool, bool]] = {}

    def _count(self, section: str, created: bool, changed: bool) -> None:
        bucket = (
            self.summary.created if created else self.summary.updated if changed else self.summary.unchanged
        )
        bucket[section] += 1

    async def write(self, edges: Sequence[_Edge]) -> None:
        await self._stations()
        await self._committees()
        await self._people()
        await self._committee_members()
        await self._groups()
        await self._deputy_stations()
        await self._memberships()
        await self._links(edges)
        for created, changed in self.committee_state.values():
            self._count("committees", created, changed)
        for created, changed in self.deputy_state.values():
            self._count("deputies", created, changed)

    async def _stations(self) -> None:
        stations = self.known.stations
        fresh: set[str] = set()
        for _, row in self.parsed.stations:
            if row.code not in stations:
                stations[row.code] = Station(code=row.code, name=row.name, kind=row.kind.value)
                self.session.add(stations[row.code])
                fresh.add(row.code)
        await self.session.flush()
        for _, row in self.parsed.stations:
            parent_id = stations[row.parent].id if row.parent else None
            changed = _assign(
                stations[row.code],
                name=row.name,
                kind=row.kind.value,
                parent_id=parent_id,
                latitude=row.latitude,
                longitude=row.longitude,
            )
            self._count("stations", row.code in fresh, changed)

    async def _committees(self) -> None:
        for _, row in self.parsed.committees:
            committee = self.known.committees.get(row.code)
            if committee is None:
                committee = SpecialCommittee(code=row.code, name=row.name, categories=list(row.categories))
                self.known.committees[row.code] = committee
                self.session.add(committee)
                self.committee_state[row.code] = (True, False)
            else:
                changed = _assign(committee, name=row.name, categories=list(row.categories))
                self.committee_state[row.code] = (False, changed)

    async def _committee_members(self) -> None:
        """Set the members of each committee whose row lists them (people are written by now)."""
        rows = [row for _, row in self.parsed.committees if row.members_given]
        wanted = {
            self.known.committees[row.code].id: [self.known.people[m].id for m in dict.fromkeys(row.members)]
            for row in rows
        }
        touched = await self._sync_pairs(SpecialCommitteeMember, "person_id", wanted, owner="committee_id")
        for row in rows:
            if self.known.committees[row.code].id in touched:
                created, _ = self.committee_state[row.code]
                self.committee_state[row.code] = (created, True)

    async def _people(self) -> None:
        people = self.known.people
        file_rows = [*self.parsed.deputies, *self.parsed.constituents]
        # Free telegram ids that move between people of this file before any is given out again.
        moving = [
            people[row.code]
            for _, row in file_rows
            if row.code in people
            and people[row.code].telegram_id is not None
            and people[row.code].telegram_id != row.telegram_id
        ]
        for person in moving:
            person.telegram_id = None
        if moving:
            await self.session.flush()
        for _, deputy in self.parsed.deputies:
            person, created = self._person(deputy.code, deputy.telegram_id)
            first_station = self.known.stations[deputy.stations[0]].id if deputy.stations else None
            changed = person in moving
            changed |= _assign(
                person,
                name=deputy.name,
                phone=deputy.phone,
                telegram_id=deputy.telegram_id,
                station_id=first_station,
            )
            changed |= self._set_roles(person, {Role.DEPUTY, *(Role(r) for r in deputy.roles)})
            if created or person.deputy is None:
                person.deputy = Deputy(level=deputy.level.value, fields=list(deputy.fields))
                changed = True
            else:
                changed |= _assign(person.deputy, level=deputy.level.value, fields=list(deputy.fields))
            self.deputy_state[deputy.code] = (created, changed)
        for _, constituent in self.parsed.constituents:
            person, created = self._person(constituent.code, constituent.telegram_id)
            station_id = self.known.stations[constituent.station].id if constituent.station else None
            changed = person in moving
            changed |= _assign(
                person,
                name=constituent.name,
                phone=constituent.phone,
                telegram_id=constituent.telegram_id,
                station_id=station_id,
            )
            changed |= self._set_roles(person, {Role.CONSTITUENT})
            self._count("constituents", created, changed)
        await self.session.flush()

    def _person(self, code: str, telegram_id: int | None) -> tuple[Person, bool]:
        person = self.known.people.get(code)
        if person is not None:
            return person, False
        holder = self.known.by_telegram.get(telegram_id) if telegram_id is not None else None
        if holder is not None and holder.code is None:
            holder.code = code  # adopt the account that wrote to the bot before the roster named it
            self.known.people[code] = holder
            return holder, False
        person = Person(code=code, name="")
        person.roles = []
        self.session.add(person)
        self.known.people[code] = person
        return person, True

    @staticmethod
    def _set_roles(person: Person, wanted: set[Role]) -> bool:
        changed = False
        for held in list(person.roles):
            if Role(held.role) in MANAGED_ROLES and Role(held.role) not in wanted:
                person.roles.remove(held)
                changed = True
        have = person.role_set
        for role in sorted(wanted - have):
            person.roles.append(PersonRole(role=role.value))
            changed = True
        return changed

    async def _groups(self) -> None:
        for _, row in self.parsed.groups:
            leader = self.known.people[row.leader].deputy if row.leader else None
            leader_id = leader.id if leader is not None else None
            group = self.known.groups.get(row.code)
            if group is None:
                group = DeputyGroup(code=row.code, name=row.name, field=row.field, leader_id=leader_id)
                self.known.groups[row.code] = group
                self.session.add(group)
                self._count("groups", True, False)
            else:
                self._count(
                    "groups", False, _assign(group, name=row.name, field=row.field, leader_id=leader_id)
                )
        await self.session.flush()

    def _deputy_ids(self) -> dict[str, int]:
        out = {}
        for _, row in self.parsed.deputies:
            deputy = self.known.people[row.code].deputy
            assert deputy is not None  # written by _people
            out[row.code] = deputy.id
        return out

    async def _sync_pairs(
        self,
        model: type[DeputyStation] | type[GroupMembership] | type[SpecialCommitteeMember],
        column: str,
        wanted: dict[int, list[int]],
        owner: str = "deputy_id",
    ) -> set[int]:
        """Make each owner's rows of `model` exactly `wanted[owner_id]`; returns the owners touched."""
        table = model.__table__
        own = table.c[owner]
        other = table.c[column]
        existing: dict[tuple[int, int], int] = {}
        for chunk in _chunks(sorted(wanted)):
            rows = await self.session.execute(select(table.c.id, own, other).where(own.in_(chunk)))
            existing.update({(r[1], r[2]): r[0] for r in rows})
        want = [(owner_id, ref) for owner_id, refs in wanted.items() for ref in refs]
        wanted_keys = set(want)
        gone = {key: row_id for key, row_id in existing.items() if key not in wanted_keys}
        new = [(d, ref) for d, ref in want if (d, ref) not in existing]
        for chunk in _chunks(list(gone.values())):
            await self.session.execute(delete(table).where(table.c.id.in_(chunk)))
        if new:
            await self.session.execute(insert(table), [{owner: d, column: ref} for d, ref in new])
        return {d for d, _ in gone} | {d for d, _ in new}

    def _mark_changed(self, deputy_ids: set[int]) -> None:
        for code, deputy_id in self._deputy_ids().items():
            if deputy_id in deputy_ids:
                self.deputy_state[code] = (self.deputy_state[code][0], True)

    async def _deputy_stations(self) -> None:
        ids = self._deputy_ids()
        wanted = {
            ids[row.code]: [self.known.stations[s].id for s in row.stations]
            for _, row in self.parsed.deputies
        }
        self._mark_changed(await self._sync_pairs(DeputyStation, "station_id", wanted))

    async def _memberships(self) -> None:
        ids = self._deputy_ids()
        wanted = {
            ids[row.code]: [self.known.groups[g].id for g in row.groups] for _, row in self.parsed.deputies
        }
        self._mark_changed(await self._sync_pairs(GroupMembership, "group_id", wanted))

    async def _links(self, edges: Sequence[_Edge]) -> None:
        people = self.known.people
        committees = self.known.committees
        source_people = {people[r.code].id for _, r in [*self.parsed.deputies, *self.parsed.constituents]}
        source_committees = {committees[r.code].id for _, r in self.parsed.committees}
        for _, contact in self.parsed.contacts:
            if contact.source in committees:
                source_committees.add(committees[contact.source].id)
            else:
                source_people.add(people[contact.source].id)
        existing: dict[tuple[int | None, int | None, int], tuple[int, str]] = {}
        for column, ids in (
            (ContactLink.from_person_id, source_people),
            (ContactLink.from_committee_id, source_committees),
        ):
            for chunk in _chunks(sorted(ids)):
                rows = await self.session.execute(
                    select(
                        ContactLink.id,
                        ContactLink.from_person_id,
                        ContactLink.from_committee_id,
                        ContactLink.to_person_id,
                        ContactLink.tier,
                    ).where(column.in_(chunk))
                )
                existing.update({(r[1], r[2], r[3]): (r[0], r[4]) for r in rows})
        wanted: dict[tuple[int | None, int | None, int], str] = {}
        for edge in edges:
            source = committees[edge.source].id if edge.committee else people[edge.source].id
            key = (
                (None, source, people[edge.target].id)
                if edge.committee
                else (source, None, people[edge.target].id)
            )
            wanted[key] = edge.tier.value
        gone = [row_id for key, (row_id, _) in existing.items() if key not in wanted]
        for chunk in _chunks(gone):
            await self.session.execute(delete(ContactLink).where(ContactLink.id.in_(chunk)))
        for key, tier in wanted.items():
            if key in existing and existing[key][1] != tier:
                await self.session.execute(
                    ContactLink.__table__.update().where(ContactLink.id == existing[key][0]).values(tier=tier)
                )
                self.summary.links_retiered += 1
        new = [
            {"from_person_id": fp, "from_committee_id": fc, "to_person_id": to, "tier": tier}
            for (fp, fc, to), tier in wanted.items()
            if (fp, fc, to) not in existing
        ]
        if new:
            await self.session.execute(insert(ContactLink.__table__), new)
        self.summary.links_added += len(new)
        self.summary.links_removed += len(gone)


async def import_network(
    sessionmaker: async_sessionmaker[AsyncSession], source: Path, *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> ImportSummary:
    """Create or update the network from a file, in one transaction, by code.

    Args:
        sessionmaker: the process's session factory.
        source: a .yaml file, a folder of `<section>.csv` sheets or an .xlsx workbook.
        max_bytes: a larger file is refused before it is parsed (NETWORK_IMPORT_MAX_MB).

    Raises:
        NetworkFileError: with every problem found; nothing has been written.
    """
    raw = await asyncio.to_thread(read_source, source, max_bytes)
    parsed, problems = parse_sections(raw)
    summary = ImportSummary(source=source.name)
    async with UnitOfWork(sessionmaker) as uow:
        known = await _load_known(uow.session, parsed)
        more, edges = check_network(parsed, known)
        problems += more
        if problems:
            raise NetworkFileError(problems)
        await _Writer(uow.session, parsed, known, summary).write(edges)
        await uow.commit()
    return summary


# --- export and counts -------------------------------------------------------------------------


def _compact(**values: Any) -> dict[str, Any]:
    """A row without empty optional fields, so exports stay as short as hand-written files."""
    return {key: value for key, value in values.items() if value is not None and value != []}


async def export_network(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, list[dict[str, Any]]]:
    """The network in the import format; people without a code (walk-in writers) are left out."""
    async with UnitOfWork(sessionmaker) as uow:
        session = uow.session
        stations = (await session.scalars(select(Station).order_by(Station.id))).all()
        station_code = {s.id: s.code for s in stations}
        committees = (await session.scalars(select(SpecialCommittee).order_by(SpecialCommittee.id))).all()
        committee_code = {c.id: c.code for c in committees}
        committee_members: dict[int, list[int]] = defaultdict(list)
        for committee_id, person_id in await session.execute(
            select(SpecialCommitteeMember.committee_id, SpecialCommitteeMember.person_id).order_by(
                SpecialCommitteeMember.id
            )
        ):
            committee_members[committee_id].append(person_id)
        groups = (await session.scalars(select(DeputyGroup).order_by(DeputyGroup.id))).all()
        group_code = {g.id: g.code for g in groups}
        people = (
            await session.scalars(select(Person).where(Person.code.is_not(None)).order_by(Person.id))
        ).all()
        person_code = {p.id: p.code for p in people}
        deputy_code = {p.deputy.id: p.code for p in people if p.deputy is not None}
        deputy_stations: dict[int, list[str]] = defaultdict(list)
        for deputy_id, station_id in await session.execute(
            select(DeputyStation.deputy_id, DeputyStation.station_id).order_by(DeputyStation.id)
        ):
            deputy_stations[deputy_id].append(station_code[station_id])
        deputy_groups: dict[int, list[str]] = defaultdict(list)
        for deputy_id, group_id in await session.execute(
            select(GroupMembership.deputy_id, GroupMembership.group_id).order_by(GroupMembership.id)
        ):
            deputy_groups[deputy_id].append(group_code[group_id])
        contacts: dict[str, list[str]] = {}
        for from_person, from_committee, to_person in await session.execute(
            select(
                ContactLink.from_person_id, ContactLink.from_committee_id, ContactLink.to_person_id
            ).order_by(ContactLink.id)
        ):
            source = (
                committee_code[from_committee] if from_committee is not None else person_code.get(from_person)
            )
            target = person_code.get(to_person)
            if source is not None and target is not None:
                contacts.setdefault(source, []).append(target)

    deputies = []
    constituents = []
    for person in people:
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
                    stations=deputy_stations.get(deputy.id, []),
                    groups=deputy_groups.get(deputy.id, []),
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
                    station=station_code.get(person.station_id) if person.station_id else None,
                )
            )
    return {
        "stations": [
            {
                "code": s.code,
                "name": s.name,
                "kind": s.kind,
                "parent": station_code.get(s.parent_id) if s.parent_id else None,
                **_compact(latitude=s.latitude, longitude=s.longitude),
            }
            for s in stations
        ],
        "committees": [
            _compact(
                code=c.code,
                name=c.name,
                categories=list(c.categories),
                members=[
                    code
                    for code in (person_code.get(p) for p in committee_members.get(c.id, []))
                    if code is not None
                ],
            )
            for c in committees
        ],
        "deputies": deputies,
        "groups": [
            _compact(
                code=g.code,
                name=g.name,
                field=g.field,
                leader=deputy_code.get(g.leader_id) if g.leader_id else None,
            )
            for g in groups
        ],
        "contacts": [{"from": source, "to": targets} for source, targets in contacts.items()],
        "constituents": constituents,
    }


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


async def network_counts(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """Figures staff check after an import: stations by kind, deputies by level, links by tier."""
    async with UnitOfWork(sessionmaker) as uow:
        session = uow.session

        async def grouped(column: Any) -> dict[str, int]:
            rows = await session.execute(select(column, func.count()).group_by(column))
            return {str(key): int(n) for key, n in rows}

        async def count(stmt: Any) -> int:
            return int(await session.scalar(stmt) or 0)

        by_kind = await grouped(Station.kind)
        by_level = await grouped(Deputy.level)
        by_tier = await grouped(ContactLink.tier)
        by_role = await grouped(PersonRole.role)
        committees = await count(select(func.count()).select_from(SpecialCommittee))
        committee_members = await count(select(func.count()).select_from(SpecialCommitteeMember))
        groups = await count(select(func.count()).select_from(DeputyGroup))

    stations = {kind.value: by_kind.get(kind.value, 0) for kind in StationKind}
    levels = {level.value: by_level.get(level.value, 0) for level in DeputyLevel}
    tiers = {tier.value: by_tier.get(tier.value, 0) for tier in ContactTier}
    return {
        "stations": {**stations, "total": sum(by_kind.values())},
        "deputies": {
            "by_level": levels,
            "total": sum(by_level.values()),
            "presidium": by_role.get(Role.PRESIDIUM.value, 0),
            "committee_members": by_role.get(Role.COMMITTEE_MEMBER.value, 0),
        },
        "contact_links": {**tiers, "total": sum(by_tier.values())},
        "committees": committees,
        "committee_members": committee_members,
        "groups": groups,
        "constituents": by_role.get(Role.CONSTITUENT.value, 0),
    }
