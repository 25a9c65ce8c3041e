"""The officers' and the deputy's 办理 dialogs as a chat holds them: plain data, no Telegram.

An officer's dialog is a `Work` kept in the chat session (state `sgh_contact:<id>`, `sgh_answer:<id>`
or `sgh_opinion:<id>`, data {"work": …}): a 三见面 contact (stage → form → day → summary), an answer
(class → text → B's planned day or C's reason → attachments → Send) or a co-unit's opinion (text →
attachments → Send). The reasons the deputy and staff type (a disputed contact, a dissatisfied rating,
a decision on a unit's request) are one-message dialogs whose arguments name the object. A dialog
nobody answered for `WORK_TTL` is dropped, so a forgotten one cannot capture later messages. Every
value is checked again by the service when the dialog completes.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.kit.dialogs import at
from bot.suggestions.handling import (
    MAX_REASON,
    MAX_SUMMARY,
    AnswerInput,
    ContactForm,
    ContactInput,
    ContactStage,
    text_problem,
)
from bot.suggestions.results import ResultClass
from bot.suggestions.service import MAX_ATTACHMENTS, MAX_TEXT
from storage.unit_of_work import UnitOfWork

__all__ = [
    "WORK_TTL",
    "HandlingDialog",
    "Kind",
    "Step",
    "Work",
    "end",
    "held",
    "keep",
    "open_reason",
    "parse_day",
]

WORK_TTL = timedelta(hours=24)  # an answer can take a while to write
_DAY = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


class HandlingDialog(enum.StrEnum):
    CONTACT = "sgh_contact"  # a lead officer records a 三见面 contact on suggestion <arg>
    ANSWER = "sgh_answer"  # a lead officer writes the answer to suggestion <arg>
    OPINION = "sgh_opinion"  # a co-unit's officer writes its opinion on suggestion <arg>
    DISPUTE = "sgh_dispute"  # the filer: the next message is why contact <arg> is disputed
    RATE = "sgh_rate"  # the filer: the next message is why answer <arg> is unsatisfactory
    DECIDE = "sgh_decide"  # staff: the next message is the reason for <arg 2> on <arg 1> (term <arg 3>)


class Kind(enum.StrEnum):
    CONTACT = "contact"
    ANSWER = "answer"
    OPINION = "opinion"


DIALOG_OF = {
    Kind.CONTACT: HandlingDialog.CONTACT,
    Kind.ANSWER: HandlingDialog.ANSWER,
    Kind.OPINION: HandlingDialog.OPINION,
}


class Step(enum.StrEnum):
    STAGE = "stage"
    FORM = "form"
    DAY = "day"
    SUMMARY = "summary"
    CLASS = "class"
    TEXT = "text"
    PLANNED = "planned"
    REASON = "reason"
    ATTACH = "attach"
    DONE = "done"  # complete: the handler sends it to the service


FIRST = {Kind.CONTACT: Step.STAGE, Kind.ANSWER: Step.CLASS, Kind.OPINION: Step.TEXT}


def parse_day(text: str) -> date | None:
    """A typed day: 2026-03-05, 2026/3/5, 2026.3.5 or 2026年3月5日; None for anything else."""
    found = _DAY.match(text)
    if found is None:
        return None
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


@dataclass
class Work:
    """One officer's dialog in progress; `problem` codes are the service's (`empty`, `too_long`, `date`)."""

    kind: Kind
    suggestion_id: int
    touched: str  # ISO time of the last step
    step: Step = Step.STAGE
    stage: str = ""
    form: str = ""
    held_on: str = ""
    result_class: str = ""
    text: str = ""
    planned_on: str = ""
    reason: str = ""
    attachments: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def start(cls, kind: Kind, suggestion_id: int, now: datetime) -> Work:
        return cls(kind, suggestion_id, now.isoformat(), FIRST[kind])

    def expired(self, now: datetime) -> bool:
        return now - datetime.fromisoformat(self.touched) > WORK_TTL

    def _to(self, step: Step, now: datetime) -> None:
        self.step, self.touched = step, now.isoformat()

    def choose(self, step: Step, value: str, now: datetime) -> str | None:
        """A button of the stage, form or class step; "wrong_step" when the dialog is elsewhere."""
        if step is not self.step:
            return "wrong_step"
        if step is Step.STAGE and value in set(ContactStage):
            self.stage = value
            self._to(Step.FORM, now)
        elif step is Step.FORM and value in set(ContactForm):
            self.form = value
            self._to(Step.DAY, now)
        elif step is Step.CLASS and value in set(ResultClass):
            self.result_class = value
            self._to(Step.TEXT, now)
        else:
            return "wrong_step"
        return None

    def type(self, typed: str, today: date, now: datetime) -> str | None:
        """A typed message at the current step; the problem with it, or None (the dialog moved on)."""
        if self.step in (Step.DAY, Step.PLANNED):
            return self._day(typed, today, now)
        limits = {Step.SUMMARY: MAX_SUMMARY, Step.TEXT: MAX_TEXT, Step.REASON: MAX_REASON}
        if self.step not in limits:
            return "wrong_step"
        problem = text_problem(typed, limits[self.step])
        if problem is not None:
            return problem
        if self.step is Step.SUMMARY:
            self.text = typed.strip()
            self._to(Step.DONE, now)
        elif self.step is Step.REASON:
            self.reason = typed.strip()
            self._to(Step.ATTACH, now)
        else:
            self.text = typed.strip()
            after = {ResultClass.B.value: Step.PLANNED, ResultClass.C.value: Step.REASON}
            self._to(after.get(self.result_class, Step.ATTACH), now)
        return None

    def _day(self, typed: str, today: date, now: datetime) -> str | None:
        day = parse_day(typed)
        if day is None:
            return "date_format"
        if self.step is Step.DAY:
            return self.held_today(today, now, day)
        if day < today:
            return "date"  # a B answer's plan lies ahead
        self.planned_on = day.isoformat()
        self._to(Step.ATTACH, now)
        return None

    def held_today(self, today: date, now: datetime, day: date | None = None) -> str | None:
        """The contact's day (today when pressed): not in the future."""
        if self.step is not Step.DAY:
            return "wrong_step"
        day = day or today
        if day > today:
            return "date"
        self.held_on = day.isoformat()
        self._to(Step.SUMMARY, now)
        return None

    def attach(self, kind: str, file_id: str, now: datetime) -> str | None:
        if self.step is not Step.ATTACH:
            return "wrong_step"
        if len(self.attachments) >= MAX_ATTACHMENTS:
            return "attachments"
        self.attachments.append({"kind": kind, "file_id": file_id})
        self.touched = now.isoformat()
        return None

    def contact(self) -> ContactInput:
        return ContactInput(self.stage, self.form, date.fromisoformat(self.held_on), self.text)

    def answer(self) -> AnswerInput:
        planned = date.fromisoformat(self.planned_on) if self.planned_on else None
        return AnswerInput(
            self.result_class, self.text, planned, self.reason, tuple(dict(a) for a in self.attachments)
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Work | None:
        try:
            work = cls(**data)
            work.kind, work.step = Kind(work.kind), Step(work.step)
            datetime.fromisoformat(work.touched)
        except (TypeError, ValueError):
            return None
        return work


async def keep(uow: UnitOfWork, chat_id: int, work: Work) -> None:
    await uow.chats.set(chat_id, at(DIALOG_OF[work.kind], work.suggestion_id), {"work": work.to_dict()})


async def held(uow: UnitOfWork, chat_id: int, suggestion_id: int | None = None) -> Work | None:
    """The officer's dialog this chat holds (for `suggestion_id`, when given); None when it moved on."""
    session = await uow.chats.get(chat_id)
    prefixes = tuple(f"{d.value}:" for d in DIALOG_OF.values())
    if not session.state or not session.state.startswith(prefixes):
        return None
    work = Work.from_dict((session.data or {}).get("work"))
    if work is None or (suggestion_id is not None and work.suggestion_id != suggestion_id):
        return None
    return work


async def open_reason(uow: UnitOfWork, chat_id: int, dialog: HandlingDialog, *args: int | str) -> None:
    """The next message in this chat is the reason the dialog's arguments name."""
    await uow.chats.set(chat_id, at(dialog, *args), {})


async def end(uow: UnitOfWork, chat_id: int) -> None:
    await uow.chats.set(chat_id, None, None)
