"""The import format's rows as pydantic models, and the first pass that checks each row on its own.

The format is documented in `examples/README.md`. A refused row adds one problem per bad field, named
by section, row and code (`deputies[3] (D0004): phone: ...`); cross-row checks are in `checks`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from storage.models import DeputyLevel, StationKind, UnitKind

SECTIONS = ("stations", "committees", "deputies", "groups", "contacts", "constituents", "units", "sessions")


class NetworkFileError(Exception):
    """The file was refused; `problems` lists every one, each naming its section and row."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s):\n" + "\n".join(problems))


# --- phone numbers -------------------------------------------------------------------------------

PHONE_REGION = "CN"
"""Numbers written without a country code are read as Chinese: `138 0000 0001`, `0886-3622222`."""


# A Chinese mobile number in E.164, `+86` and eleven digits from 13 to 19, but none that China's rule
# for parsing national numbers would strip a carrier prefix from (11, 12 and 179 begin those).
_CN_MOBILE = re.compile(r"\+86(1(?:[3-689]\d|7[0-8])\d{8})")


def _desc_pattern(desc: Any) -> tuple[re.Pattern[str], frozenset[int]]:
    return re.compile(desc.national_number_pattern), frozenset(desc.possible_length)


_CN_METADATA = phonenumbers.PhoneMetadata.metadata_for_region(PHONE_REGION)
_CN_MOBILE_DESCS = (_desc_pattern(_CN_METADATA.general_desc), _desc_pattern(_CN_METADATA.mobile))


def _in_mobile_ranges(national: str) -> bool:
    """True when libphonenumber's Chinese ranges hold the national number as a mobile one: it matches
    the country's general and mobile patterns and lengths, which is what makes `is_valid_number` true
    for it (its type is then known). The same test on patterns compiled once: `is_valid_number`
    compiles and tries up to ten number types first, two fifths of a province's parsing (#25).
    False sends the number through `is_valid_number` itself."""
    return all(
        (not lengths or len(national) in lengths) and pattern.fullmatch(national) is not None
        for pattern, lengths in _CN_MOBILE_DESCS
    )


def normalise_phone(value: str, *, international: bool = False) -> str:
    """The number in E.164 (`+8613800000001`), or ValueError naming what was wrong.

    A number without `+` or `00` is read as a Chinese one (a mobile `1xxxxxxxxxx`, a landline with its
    area code `0886-3622222`, or with `86` in front); `international=True` reads bare digits as a full
    international number instead, as Telegram sends a shared contact's (`8613900000002`). The number
    must be a valid one (Google's libphonenumber ranges), not just have plausibly many digits, so a
    typo like `12345` or `1380000001` is refused rather than stored where no one can call it.

    Raises:
        ValueError: not a valid phone number.
    """
    text = str(value).strip()
    if international and text[:1].isdigit() and not text.startswith("00"):
        text = "+" + text
    mobile = _CN_MOBILE.fullmatch(text)
    if mobile is not None:
        # Already E.164: what `parse` would make of it, built directly (parsing cost three quarters of
        # the time a province's million numbers took); the same check of the ranges follows.
        if _in_mobile_ranges(mobile[1]):
            return text
        number = phonenumbers.PhoneNumber(country_code=86, national_number=int(mobile[1]))
        if phonenumbers.is_valid_number(number):
            return text
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {value!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(
            f"not a valid phone number: {value!r} (a Chinese mobile has 11 digits, 1xxxxxxxxxx; a landline "
            "starts with its area code, 0xxx; numbers of other countries start with + and their code)"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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


_DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T ]00:00(?::00)?)?")


def _day(value: Any) -> Any:
    """A day as staff write it: `2026-01-10`, `2026/1/10`, `2026年1月10日`, or a spreadsheet's date cell.

    Raises:
        ValueError: anything else, a moment with a time of day, or a day the calendar has not.
    """
    if isinstance(value, datetime):
        if value.time() != time(0):
            raise ValueError(f"a day without a time is expected, got {value.isoformat(sep=' ')!r}")
        return value.date()
    if isinstance(value, date):
        return value
    match = _DAY.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"not a date: {value!r} (write it as YYYY-MM-DD, e.g. 2026-01-10)")
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError as exc:
        raise ValueError(f"no such day: {value!r} ({exc})") from exc


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
Day = Annotated[date, BeforeValidator(_day)]
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
    # Person codes (rows of `deputies` or `constituents`, in the file or the database) of the station's
    # head (站长) and liaison officers (联络员) (#24). A given head replaces the one before; liaison officers
    # are added and never removed by an import (they also join by invitation, without a code).
    head: OptCode = None
    liaisons: CodeList = []
    # Person codes of the station's inspectors (分片包抓); absent: the inspectors it has are kept.
    inspectors: CodeList = []

    @property
    def inspectors_given(self) -> bool:
        """Whether the row says who inspects the station (an empty list clears those with a code)."""
        return "inspectors" in self.model_fields_set


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


class UnitRow(_Row):
    """A handling unit (承办单位) and the categories it handles (its rows of the 归口 table)."""

    code: Code
    name: Name
    kind: UnitKind
    categories: SlugList = []
    # The categories whose suggestions this unit is proposed to lead (主办): part of its 归口 whether or
    # not `categories` repeats them; one lead unit per category. A column of its own rather than a mark
    # inside `categories` (`transport*`): a spreadsheet's header says what it means.
    leads: SlugList = []
    parent: OptCode = None
    # Person codes (deputies' or constituents' rows) of the unit's officers, the first its head. An
    # import adds them and never removes one: officers also join by invitation, without a code.
    officers: CodeList = []

    @property
    def handled(self) -> list[str]:
        """Its whole 归口: the categories, then the lead categories not listed there, each once."""
        return list(dict.fromkeys([*self.categories, *self.leads]))


class SessionRow(_Row):
    """One sitting of the congress (届次/会议): suggestions filed from `opens` to `closes` (inclusive, the
    congress's local days) are numbered in its series, the others in their year's recess series."""

    code: Code
    name: Name
    opens: Day
    closes: Day


SHEET_ROW = "\x00sheet_row"
"""Key under which a sheet reader (`sources`) puts a row's line in its sheet; never a field."""


# --- the three big sections, light -------------------------------------------------------------
# A province's file has a million constituents: as pydantic models (a dict and a field set each) they
# held gigabytes, and validating each through pydantic's error machinery cost more than its phone
# number. A plain row that is clearly valid is checked here directly and kept as a slotted record; any
# other row goes through its model, which names every problem as before (and is then kept light too).


@dataclass(slots=True)
class Deputy:
    """A checked `deputies` row."""

    code: str
    name: str
    level: DeputyLevel
    phone: str | None
    telegram_id: int | None
    stations: list[str]
    groups: list[str]
    fields: list[str]
    roles: list[str]


@dataclass(slots=True)
class Constituent:
    """A checked `constituents` row."""

    code: str
    name: str
    phone: str | None
    telegram_id: int | None
    station: str | None


@dataclass(slots=True)
class Contact:
    """A checked `contacts` row: links from `source` to each of `to`."""

    source: str
    to: list[str]


_CODE = re.compile(r"[^\s;|,]{1,32}")  # Python's \s is wider than pydantic's: a match passes both
_SLUG = re.compile(r"[a-z][a-z0-9_]{0,63}")
_TELEGRAM_ID = re.compile(r"[1-9][0-9]{0,17}")
_LEVELS = {level.value: level for level in DeputyLevel}
_ROLES = frozenset({"presidium", "committee_member", "deputy"})


class _NotPlain(Exception):
    """The row needs its model: something in it is not plainly valid (the model says what)."""


def _text(row: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = row.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or value != value.strip() or not value:
        raise _NotPlain
    return value


def _code(row: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = _text(row, key, required=required)
    if value is not None and not _CODE.fullmatch(value):
        raise _NotPlain
    return value


def _name(row: dict[str, Any]) -> str:
    value = _text(row, "name")
    assert value is not None
    if len(value) > 200:
        raise _NotPlain
    return value


def _items(row: dict[str, Any], key: str, pattern: re.Pattern[str]) -> list[str]:
    value = row.get(key)
    if value is None:
        return []
    if not isinstance(value, str):
        raise _NotPlain
    items = [part.strip() for part in re.split(r"[;|]", value) if part.strip()]
    if not all(pattern.fullmatch(item) for item in items):
        raise _NotPlain
    return items


def _plain_phone(row: dict[str, Any]) -> str | None:
    value = row.get("phone")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _NotPlain
    try:
        return normalise_phone(value)
    except ValueError:
        raise _NotPlain from None


def _plain_telegram_id(row: dict[str, Any]) -> int | None:
    value = row.get("telegram_id")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and _TELEGRAM_ID.fullmatch(value):
        return int(value)
    raise _NotPlain


def _only(row: dict[str, Any], fields: frozenset[str]) -> None:
    if not fields.issuperset(row):
        raise _NotPlain


_DEPUTY_FIELDS = frozenset({*DeputyRow.model_fields, SHEET_ROW})
_CONSTITUENT_FIELDS = frozenset({*ConstituentRow.model_fields, SHEET_ROW})
_CONTACT_FIELDS = frozenset({"from", "to", SHEET_ROW})


def _plain_deputy(row: dict[str, Any]) -> Deputy:
    _only(row, _DEPUTY_FIELDS)
    value = row.get("level")
    level = _LEVELS.get(value) if isinstance(value, str) else None
    if level is None:
        raise _NotPlain
    roles = _items(row, "roles", _SLUG)
    if not _ROLES.issuperset(roles):
        raise _NotPlain
    return Deputy(
        _code(row, "code") or "",
        _name(row),
        level,
        _plain_phone(row),
        _plain_telegram_id(row),
        _items(row, "stations", _CODE),
        _items(row, "groups", _CODE),
        _items(row, "fields", _SLUG),
        roles,
    )


def _plain_constituent(row: dict[str, Any]) -> Constituent:
    _only(row, _CONSTITUENT_FIELDS)
    return Constituent(
        _code(row, "code") or "",
        _name(row),
        _plain_phone(row),
        _plain_telegram_id(row),
        _code(row, "station", required=False),
    )


def _plain_contact(row: dict[str, Any]) -> Contact:
    _only(row, _CONTACT_FIELDS)
    to = _items(row, "to", _CODE)
    if not to:
        raise _NotPlain
    return Contact(_code(row, "from") or "", to)


def _light(section: str, model: Any) -> Any:
    """A validated model of a big section as its light record."""
    if section == "deputies":
        return Deputy(
            model.code,
            model.name,
            model.level,
            model.phone,
            model.telegram_id,
            model.stations,
            model.groups,
            model.fields,
            list(model.roles),
        )
    if section == "constituents":
        return Constituent(model.code, model.name, model.phone, model.telegram_id, model.station)
    if section == "contacts":
        return Contact(model.source, model.to)
    return model


_PLAIN: dict[str, Callable[[dict[str, Any]], Any]] = {
    "deputies": _plain_deputy,
    "constituents": _plain_constituent,
    "contacts": _plain_contact,
}


_SCHEMAS: dict[str, type[_Row]] = {
    "stations": StationRow,
    "committees": CommitteeRow,
    "deputies": DeputyRow,
    "groups": GroupRow,
    "contacts": ContactRow,
    "constituents": ConstituentRow,
    "units": UnitRow,
    "sessions": SessionRow,
}


@dataclass
class Parsed:
    """Rows that passed their schema, each with its label (`deputies[3] (D0004)`)."""

    stations: list[tuple[str, StationRow]] = field(default_factory=list)
    committees: list[tuple[str, CommitteeRow]] = field(default_factory=list)
    deputies: list[tuple[str, Deputy]] = field(default_factory=list)
    groups: list[tuple[str, GroupRow]] = field(default_factory=list)
    contacts: list[tuple[str, Contact]] = field(default_factory=list)
    constituents: list[tuple[str, Constituent]] = field(default_factory=list)
    units: list[tuple[str, UnitRow]] = field(default_factory=list)
    sessions: list[tuple[str, SessionRow]] = field(default_factory=list)
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


Progress = Callable[[str, int, int], None]
"""(what, done, total or 0 when unknown): called as a step advances, for a terminal's progress bar."""
PROGRESS_EVERY = 50_000


def row_label(section: str, index: int, row: Any) -> str:
    """How a problem names its row: `deputies[3] (D0004)`, or `deputies[3]` when it has no code.

    A row read from a CSV or XLSX sheet also names its line there, `deputies[3] (D0004, sheet row 5)`,
    so a clerk finds it without counting (blank lines are skipped, so the index alone can mislead).
    """
    if not isinstance(row, dict):
        return f"{section}[{index}]"
    code = _scalar_to_str(row.get("from" if section == "contacts" else "code"))
    details = [code.strip()] if isinstance(code, str) and code.strip() else []
    if isinstance(row.get(SHEET_ROW), int):
        details.append(f"sheet row {row[SHEET_ROW]}")
    return f"{section}[{index}] ({', '.join(details)})" if details else f"{section}[{index}]"


def parse_sections(
    raw: dict[str, Any] | Iterable[tuple[str, Any]], progress: Progress | None = None
) -> tuple[Parsed, list[str]]:
    """Check each row against its schema; returns the good rows and a problem per bad row field.

    `raw` is the sections by name, or (name, rows) pairs whose rows may be an iterator (a sheet read
    as it is parsed, so its raw rows are not all held at once).
    """
    parsed = Parsed()
    problems: list[str] = []
    for section, rows in raw.items() if isinstance(raw, dict) else raw:
        if section not in _SCHEMAS:
            problems.append(f"{section}: unknown section (expected one of {', '.join(SECTIONS)})")
            continue
        if rows is None:
            continue
        if not isinstance(rows, list | Iterator):
            problems.append(f"{section}: expected a list of rows, got {type(rows).__name__}")
            continue
        target: list[tuple[str, Any]] = getattr(parsed, section)
        schema = _SCHEMAS[section]
        plain = _PLAIN.get(section)
        for index, row in enumerate(rows):
            if progress is not None and index % PROGRESS_EVERY == 0:
                progress(f"reading {section}", index, 0)
            label = row_label(section, index, row)
            if not isinstance(row, dict):
                problems.append(f"{label}: expected a mapping of fields, got {type(row).__name__}")
                continue
            if plain is not None:
                try:
                    target.append((label, plain(row)))
                    continue
                except _NotPlain:
                    pass
            if SHEET_ROW in row:
                row = {key: value for key, value in row.items() if key != SHEET_ROW}
            try:
                target.append((label, _light(section, schema.model_validate(row))))
            except ValidationError as exc:
                code = _scalar_to_str(row.get("from" if section == "contacts" else "code"))
                if isinstance(code, str):
                    parsed.broken.add(code.strip())
                problems.extend(f"{label}: {_describe(err)}" for err in exc.errors())
        if progress is not None:
            progress(f"reading {section}", len(target), 0)
    return parsed, problems
