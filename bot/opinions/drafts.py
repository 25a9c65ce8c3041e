"""A constituent's draft opinion, kept in the chat session until Submit (pure, no Telegram types).

Several messages in a row join the same draft; the card shows what will be sent. Stored as JSON in
`chat_session.data`, so a restart resumes the draft where it was.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bot.kit.text_limits import MAX_INPUT, utf16_len
from bot.network.categories import CATEGORIES  # the codes opinions, committees and units share
from bot.opinions.category_guess import guess_category

MAX_TEXT = MAX_INPUT  # UTF-16 units, as Telegram counts: leaves room on the card within its 4096
MAX_ATTACHMENTS = 10


@dataclass
class Attachment:
    kind: str  # photo | voice | document
    file_id: str
    file_unique_id: str
    caption: str | None = None


@dataclass
class Draft:
    parts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    location: tuple[float, float] | None = None
    category: str | None = None
    # True once the sender chose the category; until then it is the guess from the text (or None).
    category_picked: bool = False
    anonymous: bool = False
    # "Others may see and follow this": off by default, and never with anonymous.
    public: bool = False
    # The Telegram message each part came from (0: not from a message), so an edit can replace it.
    part_ids: list[int] = field(default_factory=list)
    # The open opinion the bot itself offered to join from this draft: the only one a join accepts.
    offered: int | None = None
    # Token of the newest card showing this draft ("" before the first): refs must never repeat,
    # or an edit meant for this draft's card would land on an older draft's card.
    card: str = ""

    @property
    def text(self) -> str:
        return "\n".join(self.parts)

    @property
    def empty(self) -> bool:
        return not self.parts and not self.attachments and self.location is None

    def add_text(self, text: str, message_id: int = 0) -> bool:
        """Append a message's text; False when the draft would grow past MAX_TEXT."""
        if not text:
            return True
        if utf16_len(self.text) + utf16_len(text) + (1 if self.parts else 0) > MAX_TEXT:
            return False
        self.parts.append(text)
        self.part_ids.append(message_id)
        return True

    def add_attachment(self, item: Attachment, message_id: int = 0) -> bool:
        if len(self.attachments) >= MAX_ATTACHMENTS:
            return False
        if item.caption and not self.add_text(item.caption, message_id):
            return False
        self.attachments.append(item)
        return True

    def holds(self, message_id: int) -> bool:
        return bool(message_id) and message_id in self.part_ids

    def replace_text(self, message_id: int, text: str) -> bool:
        """An edited message's new text in place of its old part; False when it no longer fits."""
        index = self.part_ids.index(message_id)
        rest = utf16_len(self.text) - utf16_len(self.parts[index])
        if text and rest + utf16_len(text) > MAX_TEXT:
            return False
        if text:
            self.parts[index] = text
        else:
            del self.parts[index], self.part_ids[index]
        return True

    @property
    def message_ids(self) -> list[int]:
        return [m for m in self.part_ids if m]

    def pick_category(self, category: str) -> None:
        """The sender's own choice: no guess replaces it."""
        self.category, self.category_picked = category, True

    def guess_category(self) -> None:
        """Guess the category from the text again, unless the sender chose one."""
        if not self.category_picked:
            self.category = guess_category(self.text)

    @property
    def category_guessed(self) -> bool:
        return self.category is not None and not self.category_picked

    def set_anonymous(self, on: bool) -> None:
        self.anonymous = on
        if on:
            self.public = False

    def set_public(self, on: bool) -> None:
        """An anonymous opinion is never public: making it public signs it."""
        self.public = on
        if on:
            self.anonymous = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["location"] = list(self.location) if self.location else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Draft:
        if not data:
            return cls()
        loc = data.get("location")
        category = data.get("category")
        parts = [str(p) for p in data.get("parts", [])]
        part_ids = [int(m) for m in data.get("part_ids", [])]
        if len(part_ids) != len(parts):  # a draft saved before parts had ids
            part_ids = [0] * len(parts)
        offered = data.get("offered")
        return cls(
            parts=parts,
            part_ids=part_ids,
            public=bool(data.get("public", False)) and not bool(data.get("anonymous", False)),
            offered=int(offered) if isinstance(offered, int) else None,
            attachments=[Attachment(**a) for a in data.get("attachments", [])],
            location=(float(loc[0]), float(loc[1])) if loc else None,
            category=category if category in CATEGORIES else None,
            # A draft saved before guesses: a category it holds was the sender's choice.
            category_picked=bool(data.get("category_picked", category in CATEGORIES)),
            anonymous=bool(data.get("anonymous", False)),
            card=str(data.get("card", "")),
        )
