"""Where a registrar stands in the diary dialog: a small pure state machine kept in the chat session.

```mermaid
stateDiagram-v2
    [*] --> choose: /reception (several stations, staff)
    [*] --> hub: /reception (one station: today's diary there)
    choose --> hub: a station
    choose --> place: 🏠 Home visit
    hub --> place: 🏠 Home visit
    place --> location: the place, typed
    location --> hub: a shared location, or Skip
    hub --> name: ➕ Visitor
    matter --> name: 👤 Next visitor
    name --> consent: a typed name
    name --> matter: 🙈 Anonymous (registered)
    consent --> phone: 📞 they agree
    consent --> matter: ⏭ No phone (registered)
    phone --> matter: a valid number (registered)
    matter --> decide: the matter, typed (category guessed)
    decide --> decide: another category
    decide --> answer: ✅ Answered on the spot
    answer --> matter: the answer, typed (recorded)
    decide --> matter: 📨 Send as opinion (filed)
    hub --> [*]: 🏁 Close the day / ✖️ Leave
    matter --> [*]: 🏁 Close the day
```
The diary itself lives in the database (bot/receptions/service.py); the cursor only says what the
next message or press means. `key` ties the buttons of one visitor's registration to it: a press from
an earlier visitor's messages is stale. Nothing here knows Telegram or storage.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.network.categories import CATEGORIES
from bot.opinions.category_guess import guess_category
from bot.receptions.rules import (
    MAX_ANSWER,
    MAX_MATTER,
    MAX_NAME,
    MAX_PLACE,
    Invalid,
    Problem,
    clean_line,
    clean_text,
    parse_phone,
)

__all__ = ["DIALOG_TTL", "Cursor", "Step", "new_key"]

# A dialog nobody answered for this long is dropped, so a forgotten one cannot capture later messages.
DIALOG_TTL = timedelta(hours=2)
OTHER = "other"


def new_key() -> str:
    return secrets.token_hex(4)


class Step(enum.StrEnum):
    CHOOSE = "choose"  # which station, or a home visit
    PLACE = "place"  # a home visit's place, typed
    LOCATION = "location"  # a home visit's location, shared (optional)
    HUB = "hub"  # in the diary, between visitors
    NAME = "name"
    CONSENT = "consent"  # may the phone be recorded?
    PHONE = "phone"
    MATTER = "matter"  # what the visitor raised (the next one), typed
    DECIDE = "decide"  # answered on the spot, or sent as an opinion
    ANSWER = "answer"  # the answer given on the spot, typed


# Steps that take a typed text (the others take buttons, or a location).
TYPED = frozenset({Step.CHOOSE, Step.PLACE, Step.NAME, Step.PHONE, Step.MATTER, Step.ANSWER})


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass
class Cursor:
    """One registrar's place in the dialog; `person_id` is whose it is (a chat's data is not trusted)."""

    person_id: int
    touched: datetime
    key: str = field(default_factory=new_key)
    step: Step = Step.CHOOSE
    diary_id: int | None = None
    place: str | None = None
    visitor_id: int | None = None
    name: str | None = None
    consent: bool = False
    matter: str | None = None
    category: str | None = None
    guessed: bool = False

    # -- the chat session's copy ----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "touched": self.touched.isoformat(),
            "key": self.key,
            "step": self.step.value,
            "diary_id": self.diary_id,
            "place": self.place,
            "visitor_id": self.visitor_id,
            "name": self.name,
            "consent": self.consent,
            "matter": self.matter,
            "category": self.category,
            "guessed": self.guessed,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Cursor | None:
        """The cursor kept in the chat session, or None when the data is missing or damaged."""
        if not isinstance(data, dict):
            return None
        try:
            touched = datetime.fromisoformat(data["touched"])
            step = Step(data["step"])
        except (KeyError, TypeError, ValueError):
            return None
        person_id, key = _int(data.get("person_id")), _str(data.get("key"))
        if person_id is None or key is None or touched.tzinfo is None:
            return None
        category = _str(data.get("category"))
        return cls(
            person_id=person_id,
            touched=touched.astimezone(UTC),
            key=key,
            step=step,
            diary_id=_int(data.get("diary_id")),
            place=_str(data.get("place")),
            visitor_id=_int(data.get("visitor_id")),
            name=_str(data.get("name")),
            consent=data.get("consent") is True,
            matter=_str(data.get("matter")),
            category=category if category in CATEGORIES else None,
            guessed=data.get("guessed") is True,
        )

    def expired(self, now: datetime) -> bool:
        return now - self.touched > DIALOG_TTL

    # -- moves ------------------------------------------------------------------------------------

    def _at(self, *steps: Step) -> Invalid | None:
        return None if self.step in steps else Invalid(Problem.WRONG_STEP)

    def _go(self, step: Step, now: datetime) -> None:
        self.step, self.touched = step, now

    def in_diary(self, diary_id: int, now: datetime) -> None:
        """A diary was opened (or resumed): between visitors."""
        self.diary_id, self.place, self.visitor_id = diary_id, None, None
        self._clear_visitor()
        self._go(Step.HUB, now)

    def home_visit(self, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.CHOOSE, Step.HUB, Step.MATTER)) is not None:
            return wrong
        self.diary_id, self.visitor_id = None, None
        self._clear_visitor()
        self._go(Step.PLACE, now)
        return None

    def type_place(self, text: str, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.PLACE)) is not None:
            return wrong
        place = clean_line(text, MAX_PLACE)
        if isinstance(place, Invalid):
            return place
        self.place = place
        self._go(Step.LOCATION, now)
        return None

    def at_location(self) -> Invalid | None:
        """A location (or Skip) is what the location step takes: the service opens the visit next."""
        return self._at(Step.LOCATION)

    def begin_visitor(self, diary_id: int, now: datetime) -> None:
        """➕ Visitor (or the next one): a new key, so the last visitor's buttons go stale."""
        self.key = new_key()
        self.diary_id, self.visitor_id = diary_id, None
        self._clear_visitor()
        self._go(Step.NAME, now)

    def _clear_visitor(self) -> None:
        self.name, self.consent, self.matter, self.category, self.guessed = None, False, None, None, False

    def type_name(self, text: str, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.NAME)) is not None:
            return wrong
        name = clean_line(text, MAX_NAME)
        if isinstance(name, Invalid):
            return name
        self.name = name
        self._go(Step.CONSENT, now)
        return None

    def anonymous(self) -> Invalid | None:
        """🙈 Anonymous: no name, no phone; the service registers the visitor next."""
        return self._at(Step.NAME)

    def agree_phone(self, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.CONSENT)) is not None:
            return wrong
        self.consent = True
        self._go(Step.PHONE, now)
        return None

    def no_phone(self) -> Invalid | None:
        """⏭ No phone: the service registers the visitor without one."""
        return self._at(Step.CONSENT, Step.PHONE)

    def type_phone(self, text: str) -> str | Invalid:
        """The number to register with the visitor (consent was given to reach this step)."""
        if (wrong := self._at(Step.PHONE)) is not None:
            return wrong
        return parse_phone(text)

    def registered(self, visitor_id: int, now: datetime) -> None:
        """The visitor is stored: now their matters, one at a time."""
        self.visitor_id = visitor_id
        self.name, self.consent = None, False  # kept in the diary now, not in the chat
        self._go(Step.MATTER, now)

    def type_matter(self, text: str, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.MATTER)) is not None:
            return wrong
        if self.visitor_id is None:
            return Invalid(Problem.WRONG_STEP)
        matter = clean_text(text, MAX_MATTER)
        if isinstance(matter, Invalid):
            return matter
        guess = guess_category(matter)
        self.matter, self.category, self.guessed = matter, guess or OTHER, guess is not None
        self._go(Step.DECIDE, now)
        return None

    def pick_category(self, code: str, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.DECIDE)) is not None:
            return wrong
        if code not in CATEGORIES:
            return Invalid(Problem.UNKNOWN_CATEGORY)
        self.category, self.guessed, self.touched = code, False, now
        return None

    def to_answer(self, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.DECIDE)) is not None:
            return wrong
        self._go(Step.ANSWER, now)
        return None

    def type_answer(self, text: str) -> str | Invalid:
        """The answer given on the spot, as it will be recorded."""
        if (wrong := self._at(Step.ANSWER)) is not None:
            return wrong
        return clean_text(text, MAX_ANSWER)

    def ready_to_route(self) -> Invalid | None:
        return self._at(Step.DECIDE)

    def matter_done(self, now: datetime) -> None:
        """The matter is recorded (on the spot, or as an opinion): the visitor's next one, if any."""
        self.matter, self.category, self.guessed = None, None, False
        self._go(Step.MATTER, now)
