"""The /inspect form as a chat holds it, and the chat's other station dialogs' states. Pure: nothing
here reads storage or knows Telegram; the chat session keeps the form as plain data.

```mermaid
stateDiagram-v2
    [*] --> station: /inspect (an inspector with assigned stations)
    station --> kinds: one of their stations
    kinds --> day: kinds ticked, ➡️ Next
    day --> findings: 📅 Today / Yesterday, or a typed day
    findings --> files: typed findings
    files --> item: photos / documents, then ➡️ Next (or Skip)
    item --> due: a typed item to fix
    due --> who: +7 / +14 / +30 days, or a typed day
    who --> item: a deputy of the station (or the inspector, when staff)
    item --> confirm: 🏁 No more items
    confirm --> [*]: ✅ Save (the responsible people are told) or ✖️ Cancel
```
A form nobody answered for `FORM_TTL` is dropped, so a forgotten one cannot capture later messages.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.stations.records import FileDraft, InspectionDraft, ItemDraft
from bot.stations.standards import (
    MAX_FINDINGS,
    MAX_ITEM_TEXT,
    MAX_ITEMS,
    MAX_PHOTOS,
    InspectionKind,
    Invalid,
    Problem,
    check_due,
    check_held_on,
    clean_text,
    parse_day,
)

__all__ = ["FORM_TTL", "InspectionForm", "StationDialog", "Step"]

FORM_TTL = timedelta(hours=2)


class StationDialog(enum.StrEnum):
    """The chat's states while a station dialog waits for a message."""

    INSPECTION = "stn_in"  # the /inspect form; the argument is its step
    EVIDENCE = "stn_ev"  # evidence files for a station's "六有" item: station id, item
    REPORT = "stn_rp"  # the note or photo of an item reported done: item id
    REOPEN = "stn_ro"  # the reason an item is reopened: item id


class Step(enum.StrEnum):
    STATION = "station"
    KINDS = "kinds"
    DAY = "day"
    FINDINGS = "findings"
    FILES = "files"
    ITEM = "item"
    DUE = "due"
    WHO = "who"
    CONFIRM = "confirm"


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _item(value: Any) -> dict[str, Any] | None:
    """A stored item {"text", "due_on", "who"}, or None when damaged."""
    if not isinstance(value, dict):
        return None
    text, due, who = value.get("text"), _day(value.get("due_on")), _int(value.get("who"))
    if not isinstance(text, str) or due is None or who is None:
        return None
    return {"text": text, "due_on": due.isoformat(), "who": who}


@dataclass
class InspectionForm:
    """An inspection being entered in chat; `key` ties the form's buttons to this one form."""

    inspector_person_id: int
    touched: datetime
    key: str = field(default_factory=lambda: secrets.token_hex(4))
    step: Step = Step.STATION
    station_id: int | None = None
    kinds: list[str] = field(default_factory=list)
    held_on: date | None = None
    findings: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    pending_text: str | None = None
    pending_due: date | None = None

    # -- keeping it in the chat session --------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "inspector": self.inspector_person_id,
            "touched": self.touched.isoformat(),
            "key": self.key,
            "step": self.step.value,
            "station_id": self.station_id,
            "kinds": list(self.kinds),
            "held_on": self.held_on.isoformat() if self.held_on else None,
            "findings": self.findings,
            "files": list(self.files),
            "items": list(self.items),
            "pending_text": self.pending_text,
            "pending_due": self.pending_due.isoformat() if self.pending_due else None,
        }

    @classmethod
    def from_dict(cls, data: Any) -> InspectionForm | None:
        """The form kept in the chat session, or None when missing or damaged."""
        if not isinstance(data, dict):
            return None
        try:
            touched = datetime.fromisoformat(data["touched"])
            step = Step(data["step"])
            inspector, key = data["inspector"], data["key"]
        except (KeyError, TypeError, ValueError):
            return None
        if _int(inspector) is None or not isinstance(key, str) or touched.tzinfo is None:
            return None
        kinds = [k for k in data.get("kinds") or [] if k in tuple(InspectionKind)]
        files = [f for f in data.get("files") or [] if FileDraft.from_dict(f) is not None]
        items = [i for i in (_item(v) for v in data.get("items") or []) if i is not None]
        findings, pending = data.get("findings"), data.get("pending_text")
        return cls(
            inspector,
            touched.astimezone(UTC),
            key,
            step,
            _int(data.get("station_id")),
            kinds,
            _day(data.get("held_on")),
            findings if isinstance(findings, str) else None,
            files,
            items,
            pending if isinstance(pending, str) else None,
            _day(data.get("pending_due")),
        )

    def expired(self, now: datetime) -> bool:
        return now - self.touched > FORM_TTL

    # -- the steps -------------------------------------------------------------------------------------

    def _at(self, *steps: Step) -> Invalid | None:
        return None if self.step in steps else Invalid(Problem.WRONG_STEP)

    def _go(self, step: Step, now: datetime) -> None:
        self.step, self.touched = step, now

    def choose_station(self, station_id: int, offered: set[int], now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.STATION)) is not None:
            return wrong
        if station_id not in offered:
            return Invalid(Problem.NOT_OFFERED)
        self.station_id = station_id
        self._go(Step.KINDS, now)
        return None

    def toggle_kind(self, kind: InspectionKind, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.KINDS)) is not None:
            return wrong
        if kind.value in self.kinds:
            self.kinds.remove(kind.value)
        else:
            self.kinds.append(kind.value)
        self.touched = now
        return None

    def kinds_done(self, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.KINDS)) is not None:
            return wrong
        if not self.kinds:
            return Invalid(Problem.NO_KIND)
        self._go(Step.DAY, now)
        return None

    def choose_day(self, day: date, today: date, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.DAY)) is not None:
            return wrong
        checked = check_held_on(day, today)
        if isinstance(checked, Invalid):
            return checked
        self.held_on = checked
        self._go(Step.FINDINGS, now)
        return None

    def type_day(self, text: str, today: date, now: datetime) -> Invalid | None:
        day = parse_day(text)
        return day if isinstance(day, Invalid) else self.choose_day(day, today, now)

    def type_findings(self, text: str, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.FINDINGS)) is not None:
            return wrong
        findings = clean_text(text, MAX_FINDINGS)
        if isinstance(findings, Invalid) or findings is None:
            return findings or Invalid(Problem.EMPTY)
        self.findings = findings
        self._go(Step.FILES, now)
        return None

    def add_file(self, file: FileDraft, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.FILES)) is not None:
            return wrong
        if len(self.files) >= MAX_PHOTOS:
            return Invalid(Problem.TOO_MANY, MAX_PHOTOS, len(self.files))
        self.files.append(file.to_dict())
        self.touched = now
        return None

    def files_done(self, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.FILES)) is not None:
            return wrong
        self._go(Step.ITEM, now)
        return None

    def type_item(self, text: str, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.ITEM)) is not None:
            return wrong
        if len(self.items) >= MAX_ITEMS:
            return Invalid(Problem.TOO_MANY, MAX_ITEMS, len(self.items))
        item = clean_text(text, MAX_ITEM_TEXT)
        if isinstance(item, Invalid) or item is None:
            return item or Invalid(Problem.EMPTY)
        self.pending_text = item
        self._go(Step.DUE, now)
        return None

    def choose_due(self, day: date, today: date, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.DUE)) is not None:
            return wrong
        checked = check_due(day, today)
        if isinstance(checked, Invalid):
            return checked
        self.pending_due = checked
        self._go(Step.WHO, now)
        return None

    def type_due(self, text: str, today: date, now: datetime) -> Invalid | None:
        day = parse_day(text)
        return day if isinstance(day, Invalid) else self.choose_due(day, today, now)

    def choose_who(self, person_id: int, offered: set[int], now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.WHO)) is not None:
            return wrong
        if person_id not in offered or self.pending_text is None or self.pending_due is None:
            return Invalid(Problem.NOT_OFFERED)
        self.items.append(
            {"text": self.pending_text, "due_on": self.pending_due.isoformat(), "who": person_id}
        )
        self.pending_text, self.pending_due = None, None
        self._go(Step.ITEM, now)
        return None

    def items_done(self, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.ITEM)) is not None:
            return wrong
        self._go(Step.CONFIRM, now)
        return None

    def draft(self) -> InspectionDraft | Invalid:
        """What Save stores; the service checks everything again."""
        if self.step != Step.CONFIRM or self.station_id is None or self.held_on is None or not self.findings:
            return Invalid(Problem.WRONG_STEP)
        items = tuple(ItemDraft(i["text"], date.fromisoformat(i["due_on"]), i["who"]) for i in self.items)
        files = tuple(f for f in (FileDraft.from_dict(v) for v in self.files) if f is not None)
        return InspectionDraft(
            self.station_id,
            self.inspector_person_id,
            self.held_on,
            tuple(self.kinds),
            self.findings,
            items,
            files,
            source="chat",
            dialog_key=self.key,
        )
