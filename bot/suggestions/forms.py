"""The /suggest form as a chat holds it: state `sgf` with data {"form": …}; plain data, no Telegram.

Steps: title → text → category (buttons) → co-signers (deputy codes typed, one of the filer's deputy
groups pressed, or Skip) → attachments (photos and documents sent, then Done, or Skip) → preview (File /
Cancel). A form opened from an opinion (转为建议) starts with its text and category filled in and the
opinion linked. Staff filing a deputy's paper suggestion start one step earlier, at the deputy (code or
name); a returned suggestion's filer revises it in a form filled from it (`Form.for_revision`). Neither
has a co-signer step: paper co-signers signed already, and a revision keeps its co-signers. A form
nobody answered for `FORM_TTL` is dropped, so a forgotten one cannot capture later messages.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.kit.text_limits import utf16_len
from bot.opinions.drafts import CATEGORIES
from bot.suggestions.service import (
    MAX_ATTACHMENTS,
    MAX_COSIGNERS,
    MAX_GROUP_COSIGNERS,
    MAX_TEXT,
    MAX_TITLE,
    Draft,
    Suggestion,
)
from storage.unit_of_work import UnitOfWork

__all__ = [
    "FORM_TTL",
    "Form",
    "GroupChoice",
    "Problem",
    "Step",
    "SuggestDialog",
    "end",
    "held",
    "keep",
    "open_in",
    "split_codes",
]

FORM_TTL = timedelta(hours=2)
_CODES = re.compile(r"[\s,，、;；]+")


class SuggestDialog(enum.StrEnum):
    FORM = "sgf"  # the chat is in a /suggest form (its step is in the data)
    RETURN = "sgr"  # staff: the next message is the reason suggestion <arg> goes back to its filer
    ASSIGN = "sga"  # staff: choosing units for suggestion <arg> (the choice is in the data)
    UNIT_REQUEST = "sgu"  # a lead officer: the next message is the reason for request <arg 2> on <arg 1>
    MERGE = "sgm"  # staff: the next message is the number of the suggestion <arg> is merged into


class Step(enum.StrEnum):
    DEPUTY = "dep"  # staff filing from paper: on whose behalf
    TITLE = "title"
    TEXT = "text"
    CATEGORY = "cat"
    COSIGNERS = "cos"
    ATTACH = "att"
    PREVIEW = "pre"


NEXT = {
    Step.DEPUTY: Step.TITLE,
    Step.TITLE: Step.TEXT,
    Step.TEXT: Step.CATEGORY,
    Step.CATEGORY: Step.COSIGNERS,
    Step.COSIGNERS: Step.ATTACH,
    Step.ATTACH: Step.PREVIEW,
}


class Problem(enum.StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    CATEGORY = "category"
    WRONG_STEP = "wrong_step"
    TOO_MANY = "too_many"


def split_codes(text: str) -> list[str]:
    """Deputy codes typed in one message ("D2 D3", "D2，D3"), each once, in order."""
    codes: list[str] = []
    for code in _CODES.split(text.strip()):
        if code and code.upper() not in codes:
            codes.append(code.upper())
    return codes


@dataclass(frozen=True)
class GroupChoice:
    """A deputy group the filer may file jointly with: its other members become the co-signers."""

    group_id: int
    name: str
    person_ids: tuple[int, ...]
    names: tuple[str, ...]


@dataclass
class Form:
    person_id: int
    touched: datetime
    key: str = field(default_factory=lambda: secrets.token_hex(4))
    step: Step = Step.TITLE
    title: str = ""
    text: str = ""
    category: str | None = None
    cosigner_ids: list[int] = field(default_factory=list)
    cosigner_names: list[str] = field(default_factory=list)
    attachments: list[dict[str, str]] = field(default_factory=list)
    opinion_id: int | None = None
    paper: bool = False  # staff type in a deputy's paper suggestion (`on_behalf_of` is the deputy)
    on_behalf_of: int | None = None
    on_behalf_name: str = ""
    refile_id: int | None = None  # the returned suggestion this form revises (filed again, same number)
    refile_number: str = ""
    group_id: int | None = None  # filed jointly by this deputy group (专业小组联名)
    group_name: str = ""

    def expired(self, now: datetime) -> bool:
        return now - self.touched > FORM_TTL

    def _next(self, now: datetime) -> None:
        step = NEXT[self.step]
        if step is Step.COSIGNERS and (self.paper or self.refile_id is not None):
            step = NEXT[step]  # paper co-signers signed already; a revision keeps its co-signers
        self.step, self.touched = step, now

    def choose_deputy(self, person_id: int, name: str, now: datetime) -> Problem | None:
        """Staff filing from paper: the deputy it is filed for."""
        if self.step is not Step.DEPUTY or not self.paper:
            return Problem.WRONG_STEP
        self.on_behalf_of, self.on_behalf_name = person_id, name
        self._next(now)
        return None

    def type_title(self, text: str, now: datetime) -> Problem | None:
        title = " ".join(text.split())
        if not title:
            return Problem.EMPTY
        if utf16_len(title) > MAX_TITLE:
            return Problem.TOO_LONG
        self.title = title
        self._next(now)
        return None

    def type_text(self, text: str, now: datetime) -> Problem | None:
        body = text.strip()
        if not body:
            return Problem.EMPTY
        if utf16_len(body) > MAX_TEXT:
            return Problem.TOO_LONG
        self.text = body
        self._next(now)
        return None

    def choose_category(self, code: str, now: datetime) -> Problem | None:
        if self.step != Step.CATEGORY:
            return Problem.WRONG_STEP
        if code not in CATEGORIES:
            return Problem.CATEGORY
        self.category = code
        self._next(now)
        return None

    def set_cosigners(self, ids: list[int], names: list[str], now: datetime) -> Problem | None:
        if len(ids) > MAX_COSIGNERS:
            return Problem.TOO_MANY
        self.cosigner_ids, self.cosigner_names = ids, names
        self.group_id, self.group_name = None, ""
        self._next(now)
        return None

    def set_group(
        self, group_id: int, group_name: str, ids: list[int], names: list[str], now: datetime
    ) -> Problem | None:
        """A deputy group files jointly: all its other members are invited (a group may exceed
        `MAX_COSIGNERS`, up to `MAX_GROUP_COSIGNERS`)."""
        if self.step is not Step.COSIGNERS:
            return Problem.WRONG_STEP
        if not ids or len(ids) > MAX_GROUP_COSIGNERS:
            return Problem.TOO_MANY if ids else Problem.EMPTY
        self.cosigner_ids, self.cosigner_names = ids, names
        self.group_id, self.group_name = group_id, group_name
        self._next(now)
        return None

    def attach(self, kind: str, file_id: str, now: datetime) -> Problem | None:
        if len(self.attachments) >= MAX_ATTACHMENTS:
            return Problem.TOO_MANY
        self.attachments.append({"kind": kind, "file_id": file_id})
        self.touched = now
        return None

    @classmethod
    def for_paper(cls, staff_person_id: int, now: datetime) -> Form:
        """Staff type in a deputy's paper suggestion: first on whose behalf."""
        return cls(person_id=staff_person_id, touched=now, step=Step.DEPUTY, paper=True)

    @classmethod
    def for_revision(cls, person_id: int, now: datetime, s: Suggestion, cosigner_names: list[str]) -> Form:
        """A returned suggestion's form, filled from it: each step offers to keep what it holds."""
        return cls(
            person_id=person_id,
            touched=now,
            title=s.title,
            text=s.text,
            category=s.category if s.category in CATEGORIES else None,
            cosigner_names=list(cosigner_names),
            attachments=[dict(a) for a in s.attachments or ()],
            refile_id=s.id,
            refile_number=s.number or "",
        )

    @classmethod
    def from_opinion(cls, person_id: int, now: datetime, opinion_id: int, text: str, category: str) -> Form:
        """A form made from an opinion the deputy holds (转为建议): its text offered, its category kept."""
        body = text.strip()
        while utf16_len(body) > MAX_TEXT:
            body = body[:-1]
        known = category if category in CATEGORIES else None
        return cls(person_id=person_id, touched=now, text=body, category=known, opinion_id=opinion_id)

    def keeps(self) -> bool:
        """Whether the current step holds a value that Keep carries on (an opinion's text, a revision's)."""
        held = {Step.TITLE: self.title, Step.TEXT: self.text, Step.CATEGORY: self.category}
        return bool(held.get(self.step)) and (self.step is Step.TEXT or self.refile_id is not None)

    def skip(self, now: datetime) -> Problem | None:
        """Skip the co-signers, finish the attachments, or keep what the step holds already (an
        opinion's text; a revision's title, text and category)."""
        if self.step not in (Step.COSIGNERS, Step.ATTACH) and not self.keeps():
            return Problem.WRONG_STEP
        self._next(now)
        return None

    def draft(self) -> Draft:
        return Draft(
            title=self.title,
            text=self.text,
            category=self.category or "",
            cosigner_person_ids=tuple(self.cosigner_ids),
            attachments=tuple(self.attachments),
            source_opinion_ids=(self.opinion_id,) if self.opinion_id is not None else (),
            dialog_key=self.key,
            group_id=self.group_id,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "touched": self.touched.isoformat(),
            "key": self.key,
            "step": self.step.value,
            "title": self.title,
            "text": self.text,
            "category": self.category,
            "cosigner_ids": self.cosigner_ids,
            "cosigner_names": self.cosigner_names,
            "attachments": self.attachments,
            "opinion_id": self.opinion_id,
            "paper": self.paper,
            "on_behalf_of": self.on_behalf_of,
            "on_behalf_name": self.on_behalf_name,
            "refile_id": self.refile_id,
            "refile_number": self.refile_number,
            "group_id": self.group_id,
            "group_name": self.group_name,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Form | None:
        """The form stored in a chat, or None when the data is damaged (the form is then dropped)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                person_id=int(data["person_id"]),
                touched=datetime.fromisoformat(str(data["touched"])),
                key=str(data["key"]),
                step=Step(data["step"]),
                title=str(data.get("title") or ""),
                text=str(data.get("text") or ""),
                category=data.get("category"),
                cosigner_ids=[int(i) for i in data.get("cosigner_ids") or []],
                cosigner_names=[str(n) for n in data.get("cosigner_names") or []],
                attachments=[dict(a) for a in data.get("attachments") or []],
                opinion_id=data.get("opinion_id"),
                paper=bool(data.get("paper")),
                on_behalf_of=_optional_int(data.get("on_behalf_of")),
                on_behalf_name=str(data.get("on_behalf_name") or ""),
                refile_id=_optional_int(data.get("refile_id")),
                refile_number=str(data.get("refile_number") or ""),
                group_id=_optional_int(data.get("group_id")),
                group_name=str(data.get("group_name") or ""),
            )
        except (KeyError, ValueError, TypeError):
            return None


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


async def held(uow: UnitOfWork, chat_id: int) -> Form | None:
    """The chat's /suggest form, or None (no form, or damaged data)."""
    session = await uow.chats.get(chat_id)
    if session.state != SuggestDialog.FORM:
        return None
    return Form.from_dict((session.data or {}).get("form"))


async def _saved(uow: UnitOfWork, chat_id: int, draft_state: str | None = None) -> dict[str, Any] | None:
    """What the chat held that must survive the form: an unsent opinion draft (`draft_state` names its
    state; this module never reads its contents), or what an open form already kept."""
    session = await uow.chats.get(chat_id)
    data = dict(session.data or {})
    if session.state == SuggestDialog.FORM:
        kept = data.get("saved")
        return kept if isinstance(kept, dict) else None
    if draft_state is not None and session.state == draft_state:
        return {"state": draft_state, "data": data}
    return None


async def open_in(uow: UnitOfWork, chat_id: int, form: Form, draft_state: str) -> None:
    """Put a new form in the chat, keeping an unsent opinion draft for when it ends."""
    saved = await _saved(uow, chat_id, draft_state)
    await uow.chats.set(chat_id, SuggestDialog.FORM.value, {"form": form.to_dict(), "saved": saved})


async def keep(uow: UnitOfWork, chat_id: int, form: Form) -> None:
    saved = await _saved(uow, chat_id)
    await uow.chats.set(chat_id, SuggestDialog.FORM.value, {"form": form.to_dict(), "saved": saved})


async def end(uow: UnitOfWork, chat_id: int) -> bool:
    """Close the form; an opinion draft it kept comes back (True when one did)."""
    saved = await _saved(uow, chat_id)
    if saved is not None and isinstance(saved.get("state"), str) and isinstance(saved.get("data"), dict):
        await uow.chats.set(chat_id, saved["state"], saved["data"])
        return True
    await uow.chats.set(chat_id, None)
    return False
